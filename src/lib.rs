//! ccg-divide: reproduces and stress-tests "Clinical commissioning groups: a north-south divide?"
//! (The King's Fund, 2013). The library knows nothing of the terminal: the binary
//! (`main.rs`, one module per command in `cli/`) parses arguments and prints.
//!
//! - `io/`: reading and validating inputs, the published record, atomic output;
//! - `stages/`: the pure stages of `analyse` (count, score, headline, tests, resampling,
//!   robustness, sensitivity, findings) and the seeded reconstruction;
//! - `render/`: the report as one document (findings.md, report.html), charts, CSV tables;
//! - `commands/`: reconstruct, check-data, synth, calibration, what `rerun` decides, and what
//!   `analyse --timings` writes for the benchmark harness (`benches/bench.rs`);
//! - `pipeline.rs`: `analyse` as a list of named stages.

pub mod columns;
pub mod commands;
pub mod error;
pub mod format;
pub mod io;
pub mod model;
pub mod pipeline;
pub mod progress;
pub mod render;
pub mod stages;
pub mod stats;
