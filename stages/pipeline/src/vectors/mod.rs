//! The seed's witness-vector generator and the GPU prover's stream input.
//!
//! A GPU proves a basic proof in a few tens of milliseconds, less than the CPU needs to compute the proof's
//! witness; so, as in zkSync Era, CPU machines run `frispool-wvg`: it claims prove jobs like any prover,
//! computes the job's witness vector (every wire value, [`frispool_core::WitnessVector`]), streams it over
//! TCP to a GPU prover that announced itself in the spool ([`announce`]), and saves the proof it gets back
//! after checking it. A GPU prover started with `--serve-vectors` ([`serve`]) proves vectors from many
//! generators, several at once.
//!
//! ```text
//! frispool-wvg (CPU host) ── claim prove job ── witness vector ──TCP──▶ frispool-prover --serve-vectors
//!        ▲                                                                 (GPU; announced in provers/)
//!        └──────── proof (verified here) ◀────────────────────────────────┘
//!        └── save proof, unblock the next round (the prover stage's own code)
//! ```

mod announce;
mod frame;
mod remote;
mod server;

pub use announce::{live_provers, Announcement, PROVERS_DIR};
pub use remote::{NoProver, RemoteProver, VectorRefused};
pub use server::{serve, ServeOptions, ServeReport};
