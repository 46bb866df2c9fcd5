//! The edges: reading and validating inputs (every closed vocabulary from the one table of
//! `rules`), the published record, writing outputs atomically.

pub mod calibration;
pub mod decode;
pub mod files;
pub mod output;
pub mod published;
pub mod read;
pub mod rules;
pub mod table;
pub mod weights;
pub mod workbook;
pub mod write;
