//! How fragile a verdict is: does changing a single CCG's outcome, within the published facts,
//! flip it? A single CCG cannot change its wave, its outcome (fully authorised, conditions,
//! directed) or its level-III flag without breaking a published count, so a one-CCG change
//! stays in its class: its conditions and levels (and, outside Midlands and East, its directions)
//! change, with Midlands and East's totals still met. The search tries every score each CCG can
//! take in its class, so "one CCG flips it" and "no single CCG does" are both exact (the
//! fixture test checks this against brute force).

use super::record::{Record, Status};
use super::search::Solver;
use crate::model::{CcgOutcome, Condition};
use serde::Serialize;
use std::collections::HashMap;

/// One dataset as the consistent set sees it: each CCG's class, conditions, directions, score.
pub struct State {
    pub class_of: Vec<usize>,
    pub n: Vec<u32>,
    pub d: Vec<u32>,
    pub scores: Vec<f64>,
}

/// The state of a dataset, or None when it does not fit the consistent set (a CCG in no class
/// it may take, a wave unknown): fragility is then not assessed.
pub fn state(
    rec: &Record,
    w: &crate::model::weights::Weights,
    conditions: &[Condition],
    outcomes: &[CcgOutcome],
) -> Option<State> {
    let wave: HashMap<&str, u8> = outcomes
        .iter()
        .map(|o| (o.ods_code.as_str(), o.wave))
        .collect();
    let mut rows: HashMap<&str, Vec<(u8, bool)>> = HashMap::new();
    for c in conditions {
        rows.entry(c.ods_code.as_str())
            .or_default()
            .push((c.support_level, c.legal_direction));
    }
    let mut st = State {
        class_of: vec![],
        n: vec![],
        d: vec![],
        scores: vec![],
    };
    for u in &rec.units {
        let r = rows.get(u.code.as_str()).cloned().unwrap_or_default();
        let (n, d) = (r.len() as u32, r.iter().filter(|x| x.1).count() as u32);
        let status = if n == 0 {
            Status::Full
        } else if d > 0 {
            Status::Directed
        } else {
            Status::Conditions
        };
        let wv = *wave.get(u.code.as_str())?;
        let has3 = r.iter().any(|x| x.0 == 3);
        let k = u.options.iter().copied().find(|&k| {
            let c = rec.classes[k];
            c.wave == wv && c.status == status && c.level3.is_none_or(|f| f == has3)
        })?;
        st.class_of.push(k);
        st.n.push(n);
        st.d.push(d);
        st.scores.push(
            r.iter()
                .map(|&(l, dir)| {
                    w.levels[l as usize - 1] + if dir { w.legal_direction } else { 0.0 }
                })
                .sum(),
        );
    }
    Some(st)
}

/// A single change that flips a verdict: which CCG, its score before and after.
#[derive(Debug, Clone, Serialize)]
pub struct Flip {
    pub ods_code: String,
    pub name: String,
    pub from: f64,
    pub to: f64,
}

/// The first single-CCG change (in CCG order, then score) that turns `holds` the other way, or
/// None when no single CCG can.
pub fn single_flip(solver: &Solver, st: &State, holds: &dyn Fn(&[f64]) -> bool) -> Option<Flip> {
    let rec = solver.rec;
    let now = holds(&st.scores);
    let me: Vec<usize> = (0..rec.units.len()).filter(|&u| rec.units[u].me).collect();
    let me_total: u32 = me.iter().map(|&u| st.n[u]).sum();
    let mut scores = st.scores.clone();
    for (u, unit) in rec.units.iter().enumerate() {
        let choices = solver.choices_in(u, st.class_of[u]).unwrap_or_default();
        let mut tried: Vec<f64> = vec![];
        for (n, d, s) in choices {
            if (s - st.scores[u]).abs() < 1e-9 || tried.iter().any(|t| (t - s).abs() < 1e-9) {
                continue;
            }
            if unit.me {
                // Midlands and East's totals: its conditions stay in range, its directions fixed.
                let total = me_total - st.n[u] + n;
                if rec
                    .me_conditions
                    .is_some_and(|(lo, hi)| total < lo || total > hi)
                    || (rec.me_directions.is_some()
                        && rec.classes[st.class_of[u]].status == Status::Directed
                        && d != st.d[u])
                {
                    continue;
                }
            }
            tried.push(s);
            scores[u] = s;
            if holds(&scores) != now {
                return Some(Flip {
                    ods_code: unit.code.clone(),
                    name: unit.name.clone(),
                    from: st.scores[u],
                    to: s,
                });
            }
        }
        scores[u] = st.scores[u];
    }
    None
}

/// Claim 4 on a score vector: the highest regional median at least 3 times the lowest, the
/// North's strictly lowest (as `headline::verdicts` judges it).
pub fn claim4_holds(rec: &Record, scores: &[f64]) -> bool {
    let mut by: [Vec<f64>; 4] = Default::default();
    for (u, unit) in rec.units.iter().enumerate() {
        by[unit.region].push(scores[u]);
    }
    let n: [usize; 4] = std::array::from_fn(|r| by[r].len());
    let m: [f64; 4] = std::array::from_fn(|r| super::median(by[r].clone()));
    crate::stages::headline::spread_holds(&m, &n)
}

/// Claim 5 on a score vector: the first CSU's mean over 30 times the second's.
pub fn claim5_holds(rec: &Record, scores: &[f64], compare: (&str, &str)) -> bool {
    let mean = |csu: &str| {
        let v: Vec<f64> = rec
            .units
            .iter()
            .zip(scores)
            .filter(|(u, _)| u.csu == csu)
            .map(|(_, &s)| s)
            .collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    crate::stages::headline::csu_ratio_holds(crate::stages::headline::ratio(
        mean(compare.0),
        mean(compare.1),
    ))
}

/// One claim's fragility on one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct FragilityRow {
    pub claim: String,
    /// Which dataset: the one analysed, or an untuned reconstruction.
    pub data: String,
    pub holds: bool,
    /// A single change that flips the verdict, or None when no single CCG can.
    pub flip: Option<Flip>,
}

/// Claims 4 and 5 on each dataset given as (name, conditions, outcomes); datasets that do not
/// fit the consistent set are left out.
pub fn fragility(
    solver: &Solver,
    w: &crate::model::weights::Weights,
    compare: (&str, &str),
    datasets: &[(String, &[Condition], &[CcgOutcome])],
) -> Vec<FragilityRow> {
    let rec = solver.rec;
    let mut out = vec![];
    for (name, conditions, outcomes) in datasets {
        let Some(st) = state(rec, w, conditions, outcomes) else {
            continue;
        };
        let c4 = |s: &[f64]| claim4_holds(rec, s);
        let c5 = |s: &[f64]| claim5_holds(rec, s, compare);
        for (claim, holds) in [
            ("regional_median_spread", &c4 as &dyn Fn(&[f64]) -> bool),
            ("csu_ratio", &c5),
        ] {
            out.push(FragilityRow {
                claim: claim.into(),
                data: name.clone(),
                holds: holds(&st.scores),
                flip: single_flip(solver, &st, holds),
            });
        }
    }
    out
}
