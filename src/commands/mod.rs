//! The side commands: `reconstruct`, `check-data`, `bench`, `synth`, `calibration`, and what
//! `rerun` decides (inputs unchanged? what changed?). `analyse` (pipeline.rs)
//! depends on none of them.

pub mod bench;
pub mod calibration;
pub mod check_data;
pub mod reconstruct;
pub mod rerun;
pub mod synth;
