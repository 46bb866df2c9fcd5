//! The scored table split into the groups the tests and resampling kernels work on: scores by
//! region (in `REGIONS` order) and of the two compared CSUs, in table order. Taken once from the
//! table; the kernels then run on plain slices.

use crate::columns::{f64_slice, strings, u32_slice};
use polars::prelude::*;

pub struct Groups {
    /// Every score, in table order.
    pub all: Vec<f64>,
    pub region: [Vec<f64>; 4],
    pub csu_a: Vec<f64>,
    pub csu_b: Vec<f64>,
}

pub fn groups(scored: &DataFrame, compare: (&str, &str)) -> PolarsResult<Groups> {
    let score = f64_slice(scored, "composite_score")?;
    let region = u32_slice(scored, "region_index")?;
    let csu = strings(scored, "csu")?;
    let mut g = Groups {
        all: score.to_vec(),
        region: Default::default(),
        csu_a: vec![],
        csu_b: vec![],
    };
    for ((&s, &r), c) in score.iter().zip(region).zip(&csu) {
        g.region[r as usize].push(s);
        if c == compare.0 {
            g.csu_a.push(s);
        } else if c == compare.1 {
            g.csu_b.push(s);
        }
    }
    Ok(g)
}

impl Groups {
    pub fn region_sizes(&self) -> [usize; 4] {
        self.region.each_ref().map(Vec::len)
    }
}
