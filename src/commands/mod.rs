//! The side commands: `reconstruct`, `check-data`, `bench`, `synth`. `analyse` (pipeline.rs)
//! depends on none of them.

pub mod bench;
pub mod calibration;
pub mod check_data;
pub mod reconstruct;
pub mod synth;
