//! Evidence that involves no reconstruction at all: the CCGs named as given legal directions, by
//! region, at authorisation and at each published review, and the published May 2014 totals.

use crate::columns::{strings, u32_slice};
use crate::model::published::Published;
use crate::model::REGIONS;
use polars::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Evidence that involves no reconstruction at all.
#[derive(Debug, Clone, Serialize)]
pub struct PublishedOnly {
    /// Per region: (CCGs, CCGs given legal directions at authorisation).
    pub directions_by_region: Vec<(String, usize, usize)>,
    pub fisher_p_north_vs_rest: f64,
    /// Per published review: label, total CCGs under directions, and by region.
    pub reviews: Vec<(String, usize, [usize; 4])>,
    /// Still conditional in May 2014 (published totals): North (with, of n), rest (with, of n),
    /// Fisher's exact p for North vs the rest.
    pub conditional_may2014: Option<ConditionalNorthVsRest>,
    pub notes: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ConditionalNorthVsRest {
    pub north_conditional: usize,
    pub north_ccgs: usize,
    pub rest_conditional: usize,
    pub rest_ccgs: usize,
    pub fisher_p: f64,
}

/// Directions by region at authorisation and at each published review, and North vs the rest
/// at the May 2014 review. `counts` is the count table (for each CCG's region).
pub fn published_only(p: &Published, counts: &DataFrame) -> PolarsResult<PublishedOnly> {
    let codes = strings(counts, "ods_code")?;
    let regions = u32_slice(counts, "region_index")?;
    let region_of: HashMap<&str, usize> = codes
        .iter()
        .zip(regions)
        .map(|(c, &r)| (c.as_str(), r as usize))
        .collect();
    let by_region = |set: &BTreeSet<String>| -> [usize; 4] {
        let mut n = [0; 4];
        for code in set {
            if let Some(&r) = region_of.get(code.as_str()) {
                n[r] += 1;
            }
        }
        n
    };
    let at_authorisation: BTreeSet<String> = p
        .outcomes
        .iter()
        .filter(|o| o.legal_direction)
        .map(|o| o.ods_code.clone())
        .collect();
    let mut n_region = [0usize; 4];
    for r in region_of.values() {
        n_region[*r] += 1;
    }
    let directed = by_region(&at_authorisation);
    let fisher = crate::stats::fisher_group_vs_rest(&directed, &n_region, 0);
    let mut reviews = vec![(
        "Authorisation (Dec 2012-Mar 2013)".to_string(),
        at_authorisation.len(),
        directed,
    )];
    for (label, facts) in [
        ("July 2013 review", &["legal_directions_july2013"][..]),
        ("Autumn 2013 review", &["legal_directions_oct2013"][..]),
        (
            "May 2014 review",
            &[
                "legal_directions_may2014",
                "legal_directions_2014_19remaining",
            ][..],
        ),
    ] {
        let set: BTreeSet<String> = facts.iter().flat_map(|f| p.ccgs_with_fact(f)).collect();
        if !set.is_empty() {
            reviews.push((label.to_string(), set.len(), by_region(&set)));
        }
    }
    let conditional_may2014 = conditional_may2014(p, &n_region);
    Ok(PublishedOnly {
        conditional_may2014,
        directions_by_region: (0..4).map(|r| (REGIONS[r].to_string(), n_region[r], directed[r])).collect(),
        fisher_p_north_vs_rest: fisher,
        reviews,
        notes: vec![
            "The March 2013 review (14 CCGs under directions: 2 lifted, 1 added) did not name the CCGs, so it is left out. \
             Directions are a published fact for every CCG; the composite scores are not."
                .into(),
        ],
    })
}

/// May 2014: the national count still conditional and the North's (published as "all northern
/// CCGs fully authorised"), so North vs the rest needs no per-CCG data.
fn conditional_may2014(p: &Published, n_region: &[usize; 4]) -> Option<ConditionalNorthVsRest> {
    match (
        p.aggregate("review_may2014", "ccgs_with_conditions"),
        p.aggregate("review_may2014", "ccgs_with_conditions_north"),
    ) {
        (Some(all), Some(north)) if north <= all => {
            let north_n = n_region[0];
            let rest_n: usize = n_region[1..].iter().sum();
            let (nw, rw) = (north as usize, (all - north) as usize);
            (nw <= north_n && rw <= rest_n).then(|| ConditionalNorthVsRest {
                north_conditional: nw,
                north_ccgs: north_n,
                rest_conditional: rw,
                rest_ccgs: rest_n,
                fisher_p: crate::stats::fisher_group_vs_rest(&[nw, rw], &[north_n, rest_n], 0),
            })
        }
        _ => None,
    }
}
