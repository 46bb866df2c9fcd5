//! The edges: reading and validating inputs, the published record, writing outputs atomically.

pub mod calibration;
pub mod decode;
pub mod files;
pub mod output;
pub mod published;
pub mod read;
pub mod table;
pub mod weights;
pub mod workbook;
pub mod write;
