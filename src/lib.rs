//! ccg-divide: reproduces and stress-tests "Clinical commissioning groups: a north-south divide?"
//! (The King's Fund, 2013). The library knows nothing of the terminal; `main.rs` parses
//! arguments and prints.

pub mod analysis;
pub mod bench;
pub mod charts;
pub mod checkdata;
pub mod error;
pub mod frames;
pub mod funnel;
pub mod ingest;
pub mod output;
pub mod pipeline;
pub mod published;
pub mod reconstruct;
pub mod report;
pub mod score;
pub mod stats;
pub mod synth;
pub mod table;
pub mod weights;
