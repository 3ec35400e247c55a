//! Running a fleet (issue 15): how many workers of each kind the backlog needs ([`scale`]) and the picture
//! of what every job of some blocks did ([`timeline`]). Both read only tickets; the claim filters, memory
//! classes and metrics they build on are the spool's.

mod scale;
mod timeline;

pub use scale::{scale, ScaleAdvice, ScaleRow};
pub use timeline::{timeline, Timeline, TimelineError, TimelineJob};
