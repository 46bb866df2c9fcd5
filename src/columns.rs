//! A frame's columns as plain slices and vectors, for the numeric kernels and the renderers
//! (frames from the count stage are single-chunk, so the slices borrow without copying).

use polars::prelude::*;

/// A numeric column as a plain slice (the table is rechunked, so this borrows, no copy).
pub fn f64_slice<'a>(frame: &'a DataFrame, name: &str) -> PolarsResult<&'a [f64]> {
    frame.column(name)?.f64()?.cont_slice()
}

pub fn u32_slice<'a>(frame: &'a DataFrame, name: &str) -> PolarsResult<&'a [u32]> {
    frame.column(name)?.u32()?.cont_slice()
}

/// A string column (for labels: regions and CSUs of every CCG, in table order).
pub fn strings(frame: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(frame
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect())
}
