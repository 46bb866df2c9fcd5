//! ccg-divide: reproduces and stress-tests "Clinical commissioning groups: a north-south divide?"
//! (The King's Fund, 2013). The library knows nothing of the terminal: the binary
//! (`main.rs`, one module per command in `cli/`) parses arguments and prints.
//!
//! - `pipeline.rs`: `analyse` as a list of named stages (`compute`), read and written at the ends;
//! - `commands/`: reconstruct, check-data, synth, calibration, what `rerun` decides, and what
//!   `analyse --timings` writes for the benchmark harness (`benches/bench.rs`);
//! - `io/`: reading and validating inputs, the published record, atomic output;
//! - `stages/`: the pure stages of `analyse` (count, score, headline, tests, resampling,
//!   robustness, sensitivity, the published record's bounds, published-only evidence, later
//!   ratings, area teams, adjustment, decomposition, findings) and the seeded reconstruction;
//! - `render/`: the report as one document (findings.md, report.html), charts, CSV tables;
//! - `model/`: the shared vocabulary (regions, levels, records, weights, the published record);
//!   `stats`, `format`, `columns`, `progress`, `error`: helpers every layer may use.

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
