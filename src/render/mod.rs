//! Turning the findings into what people read: charts (PNG), findings.md, CSV tables.

pub mod charts;
pub mod figures;
pub mod markdown;
pub mod tables;
