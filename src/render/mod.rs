//! Turning the findings into what people read. `sections/` builds the report once as a
//! document (`document.rs`); `markdown.rs` writes it as findings.md and `html.rs` as
//! report.html; `figures.rs` draws the charts (`charts.rs`), `captions.rs` describes them;
//! `tables.rs` writes the CSV tables.

pub mod captions;
pub mod chart;
pub mod charts;
pub mod document;
pub mod figures;
pub mod html;
pub mod markdown;
pub mod record;
pub mod sections;
pub mod tables;
