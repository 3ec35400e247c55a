//! `frispool report`: every job of some blocks on one picture — one lane per worker (host and pid), one bar
//! per finished job from its claim to its done time, coloured by round, labelled with its circuit type and
//! group, outlined when it took more than one attempt — and a text summary. Read from the done tickets
//! (host, pid, attempt, start, end); failed and unfinished jobs are counted in the summary.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use frispool_core::AggregationRound;
use frispool_spool::{JobKey, Spool, SpoolError, State, Ticket};
use plotters::prelude::*;
use thiserror::Error;

use crate::routing::QUEUES;

#[derive(Debug, Error)]
pub enum TimelineError {
    #[error(transparent)]
    Spool(#[from] SpoolError),
    #[error("no finished job of blocks {0:?} in the spool")]
    Empty(Vec<u64>),
    #[error("drawing {path}: {why}")]
    Draw { path: String, why: String },
}

/// One finished job, as its done ticket tells it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TimelineJob {
    pub queue: String,
    pub key: JobKey,
    pub host: String,
    pub pid: u32,
    pub attempt: u32,
    pub start_ms: u64,
    pub end_ms: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Timeline {
    pub blocks: Vec<u64>,
    /// Finished jobs, by start time.
    pub jobs: Vec<TimelineJob>,
    /// Jobs of the blocks not finished: queue → (state → count).
    pub unfinished: BTreeMap<String, BTreeMap<String, usize>>,
}

/// The blocks' jobs; with `last` > 0 and no blocks, the `last` highest blocks that have a done job.
pub fn timeline(spool: &Spool, blocks: &[u64], last: usize) -> Result<Timeline, TimelineError> {
    let mut all = Vec::new();
    for q in &QUEUES {
        for t in spool.done_tickets(q)? {
            let Ticket { key, done: Some(d), .. } = t else { continue };
            all.push(TimelineJob {
                queue: q.name().to_string(),
                key,
                host: d.host,
                pid: d.pid,
                attempt: d.attempt,
                start_ms: d.start_unix_ms,
                end_ms: d.end_unix_ms.max(d.start_unix_ms),
            });
        }
    }
    let chosen: BTreeSet<u64> = if blocks.is_empty() {
        let have: BTreeSet<u64> = all.iter().map(|j| j.key.block).collect();
        have.into_iter().rev().take(last.max(1)).collect()
    } else {
        blocks.iter().copied().collect()
    };
    all.retain(|j| chosen.contains(&j.key.block));
    if all.is_empty() {
        return Err(TimelineError::Empty(chosen.into_iter().collect()));
    }
    all.sort_by_key(|j| (j.start_ms, j.end_ms));
    let mut unfinished: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
    for q in &QUEUES {
        for state in [State::Queued, State::InProgress, State::Failed] {
            let dir = spool.state_dir(q, state);
            let names = std::fs::read_dir(&dir).map_err(|e| SpoolError::Config(format!("{}: {e}", dir.display())))?;
            for name in names.filter_map(|e| e.ok()?.file_name().into_string().ok()) {
                let Ok(k) = name.split('@').next().unwrap_or("").parse::<JobKey>() else { continue };
                if chosen.contains(&k.block) {
                    *unfinished.entry(q.name().to_string()).or_default().entry(state.to_string()).or_default() += 1;
                }
            }
        }
    }
    Ok(Timeline { blocks: chosen.into_iter().collect(), jobs: all, unfinished })
}

fn round_name(r: u8) -> String {
    AggregationRound::from_number(r).map(|r| r.name().to_string()).unwrap_or_else(|| format!("r{r}"))
}

/// Colours of rounds 0..=6 (basic … submit).
const ROUND_COLOURS: [RGBColor; 7] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(214, 39, 40),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
];

impl Timeline {
    fn t0(&self) -> u64 {
        self.jobs.iter().map(|j| j.start_ms).min().unwrap_or(0)
    }

    fn wall_secs(&self) -> f64 {
        let end = self.jobs.iter().map(|j| j.end_ms).max().unwrap_or(0);
        end.saturating_sub(self.t0()) as f64 / 1e3
    }

    /// Workers (host, pid) in the order they first started a job: the picture's lanes, top to bottom.
    pub fn lanes(&self) -> Vec<(String, u32)> {
        let mut lanes: Vec<(String, u32)> = Vec::new();
        for j in &self.jobs {
            if !lanes.iter().any(|(h, p)| *h == j.host && *p == j.pid) {
                lanes.push((j.host.clone(), j.pid));
            }
        }
        lanes
    }

    /// The picture, as SVG at `path`.
    pub fn draw_svg(&self, path: &Path) -> Result<(), TimelineError> {
        let err =
            |e: &dyn std::fmt::Display| TimelineError::Draw { path: path.display().to_string(), why: e.to_string() };
        let lanes = self.lanes();
        let height = 180 + 34 * lanes.len() as u32;
        let root = SVGBackend::new(path, (1200, height)).into_drawing_area();
        // The legend gets its own strip below the chart (the axis description is centred above it).
        let (upper, legend) = root.split_vertically(height - 34);
        root.fill(&WHITE).map_err(|e| err(&e))?;
        let blocks: Vec<String> = self.blocks.iter().map(|b| b.to_string()).collect();
        let title = format!(
            "frispool: blocks {} — {} jobs on {} workers, {:.1} s",
            blocks.join(", "),
            self.jobs.len(),
            lanes.len(),
            self.wall_secs()
        );
        let wall = self.wall_secs().max(0.001);
        let n = lanes.len();
        let mut chart = ChartBuilder::on(&upper)
            .caption(title, ("sans-serif", 20))
            .margin(12)
            .x_label_area_size(64)
            .y_label_area_size(190)
            .build_cartesian_2d(0.0..wall * 1.02, 0.0..n as f64)
            .map_err(|e| err(&e))?;
        chart
            .configure_mesh()
            .x_desc("seconds since the first job started")
            .y_labels(0)
            .disable_y_mesh()
            .draw()
            .map_err(|e| err(&e))?;
        // Lane names left of the plot, in pixels beside each lane's middle.
        for (i, (host, pid)) in lanes.iter().enumerate() {
            let (px, py) = chart.backend_coord(&(0.0, (n - i) as f64 - 0.5));
            // What the worker served: its queues (a prover's is `prove`, a witness generator's its round's).
            let queues: BTreeSet<&str> =
                self.jobs.iter().filter(|j| j.host == *host && j.pid == *pid).map(|j| j.queue.as_str()).collect();
            let name = format!("{host} {pid} {}", queues.into_iter().collect::<Vec<_>>().join(","));
            upper.draw(&Text::new(name, (px - 182, py - 7), ("sans-serif", 13))).map_err(|e| err(&e))?;
        }
        let t0 = self.t0();
        let px_per_sec = (1200.0 - 190.0 - 24.0) / (wall * 1.02);
        for j in &self.jobs {
            let lane = lanes.iter().position(|(h, p)| *h == j.host && *p == j.pid).expect("every job has a lane");
            let top = (n - lane) as f64 - 0.12;
            let bottom = (n - 1 - lane) as f64 + 0.12;
            let x0 = (j.start_ms - t0) as f64 / 1e3;
            // At least 3 px wide: a job of milliseconds (a witness bundle) still shows as a tick.
            let x1 = ((j.end_ms - t0) as f64 / 1e3).max(x0 + 3.0 / px_per_sec);
            let colour = ROUND_COLOURS[(j.key.round as usize).min(ROUND_COLOURS.len() - 1)];
            chart
                .draw_series([Rectangle::new([(x0, top), (x1, bottom)], colour.mix(0.85).filled())])
                .map_err(|e| err(&e))?;
            // A job that needed more than one attempt: a double black outline (the SVG backend draws rectangle
            // strokes one pixel wide), its attempt in the label; others a white edge between neighbours.
            let edges: &[(f64, RGBColor)] =
                if j.attempt > 1 { &[(0.0, BLACK), (0.07, BLACK)] } else { &[(0.0, WHITE)] };
            for (inset, c) in edges {
                let rect = Rectangle::new([(x0, top - inset), (x1, bottom + inset)], c);
                chart.draw_series([rect]).map_err(|e| err(&e))?;
            }
            let tries = if j.attempt > 1 { format!(" ×{}", j.attempt) } else { String::new() };
            let label = format!("b{} {} g{}{tries}", j.key.block, j.key.circuit, j.key.group);
            // Only where it fits (about 6 px a character at this size).
            if (x1 - x0) * px_per_sec > 6.0 * label.chars().count() as f64 + 4.0 {
                let style = ("sans-serif", 12).into_font().color(&WHITE);
                chart
                    .draw_series([Text::new(label, (x0 + 2.0 / px_per_sec, top - 0.3), style)])
                    .map_err(|e| err(&e))?;
            }
        }
        // Legend: the rounds present.
        let rounds: BTreeSet<u8> = self.jobs.iter().map(|j| j.key.round).collect();
        for (i, r) in rounds.iter().enumerate() {
            let x = 210 + 130 * i as i32;
            let y = 14;
            let colour = ROUND_COLOURS[(*r as usize).min(ROUND_COLOURS.len() - 1)];
            legend.draw(&Rectangle::new([(x, y - 6), (x + 14, y + 8)], colour.filled())).map_err(|e| err(&e))?;
            legend
                .draw(&Text::new(format!("r{r} {}", round_name(*r)), (x + 20, y - 5), ("sans-serif", 14)))
                .map_err(|e| err(&e))?;
        }
        root.present().map_err(|e| err(&e))
    }

    /// The text summary: per block, per queue and round, per worker, and what is not finished.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let t0 = self.t0();
        let _ = writeln!(out, "{} finished jobs, wall {:.2} s from the first claim", self.jobs.len(), self.wall_secs());
        for b in &self.blocks {
            let js: Vec<&TimelineJob> = self.jobs.iter().filter(|j| j.key.block == *b).collect();
            if let (Some(s), Some(e)) = (js.iter().map(|j| j.start_ms).min(), js.iter().map(|j| j.end_ms).max()) {
                let _ = writeln!(
                    out,
                    "block {b}: {} jobs, {:.2} s → {:.2} s ({:.2} s)",
                    js.len(),
                    (s - t0) as f64 / 1e3,
                    (e - t0) as f64 / 1e3,
                    (e - s) as f64 / 1e3
                );
            }
        }
        let _ = writeln!(
            out,
            "{:<18} {:<10} {:<10} {:>5} {:>9} {:>8} {:>8}",
            "queue", "round", "type", "jobs", "busy s", "max s", "retried"
        );
        // (queue, round, type) → (jobs, busy s, max s, retried)
        type Row = (usize, f64, f64, usize);
        let mut rows: BTreeMap<(String, u8, String), Row> = BTreeMap::new();
        for j in &self.jobs {
            let secs = (j.end_ms - j.start_ms) as f64 / 1e3;
            let r = rows.entry((j.queue.clone(), j.key.round, j.key.circuit.clone())).or_default();
            *r = (r.0 + 1, r.1 + secs, r.2.max(secs), r.3 + usize::from(j.attempt > 1));
        }
        for ((q, round, circuit), (n, busy, max, retried)) in rows {
            let _ = writeln!(
                out,
                "{q:<18} {:<10} {circuit:<10} {n:>5} {busy:>9.2} {max:>8.2} {retried:>8}",
                round_name(round)
            );
        }
        for (host, pid) in self.lanes() {
            let js: Vec<&TimelineJob> = self.jobs.iter().filter(|j| j.host == host && j.pid == pid).collect();
            let busy: f64 = js.iter().map(|j| (j.end_ms - j.start_ms) as f64 / 1e3).sum();
            let _ = writeln!(out, "worker {host} pid {pid}: {} jobs, busy {busy:.2} s", js.len());
        }
        for (q, states) in &self.unfinished {
            let s: Vec<String> = states.iter().map(|(st, n)| format!("{n} {st}")).collect();
            let _ = writeln!(out, "not finished in {q}: {}", s.join(", "));
        }
        out
    }
}
