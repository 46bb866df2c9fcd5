//! The side commands: `reconstruct`, `check-data`, `synth`, `calibration`, what `rerun` decides
//! (inputs unchanged? what changed?), and what `analyse --timings` writes for the benchmark
//! harness (`benches/bench.rs`). `analyse` (pipeline.rs) depends on none of them.

pub mod calibration;
pub mod check_data;
pub mod reconstruct;
pub mod rerun;
pub mod synth;
pub mod timings;
