//! One CCG in one class: the highest or lowest score it can have with n conditions (and, in
//! Midlands and East, d directions), and the rows that give it. An exact dynamic programme over
//! the CCG's rows: published rows first, then directed rows, then free rows, each taking a level
//! its class allows, while tracking the requirements that tie rows together (the published top
//! level must occur, exactly the published number of rows at level IV or above, a level-III
//! condition present or absent as the class says, enough directions).

use super::record::{Shape, Unit};
use crate::model::weights::Weights;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Goal {
    Min,
    Max,
}

/// A row of the result: its support level and whether it carries a legal direction.
pub type Row = (u8, bool);

/// The best score per number of conditions n (index n - n_lo) and, when `exact_d`, per number of
/// directions d (index d); otherwise d is any allowed number (index 0).
#[derive(Debug, Clone)]
pub struct Profile {
    pub goal: Goal,
    pub n_lo: u32,
    pub exact_d: bool,
    pub d_lo: u32,
    pub scores: Vec<Vec<Option<f64>>>,
}

impl Profile {
    /// Best score with n conditions, over the allowed directions (or exactly d when tracked).
    pub fn at(&self, n: u32, d: Option<u32>) -> Option<f64> {
        let row = self.scores.get(n.checked_sub(self.n_lo)? as usize)?;
        match d {
            Some(d) if self.exact_d => *row.get(d as usize)?,
            _ => row
                .iter()
                .flatten()
                .copied()
                .reduce(|a, b| match self.goal {
                    Goal::Max => a.max(b),
                    Goal::Min => a.min(b),
                }),
        }
    }
    pub fn n_hi(&self) -> u32 {
        self.n_lo + self.scores.len() as u32 - 1
    }
}

/// Requirement state: top level seen, level III seen, rows at IV or above, directions.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
struct State {
    top: bool,
    three: bool,
    ge4: u32,
    d: u32,
}

/// A slot for one row: the levels it may take and whether it may, must or must not be directed.
#[derive(Clone, Debug)]
struct Slot {
    levels: Vec<(u8, bool)>,
}

fn weight(w: &Weights, (l, dir): (u8, bool)) -> f64 {
    w.levels[l as usize - 1] + if dir { w.legal_direction } else { 0.0 }
}

/// The slots in order: published rows, the reconstruction's directed rows (for `d_explicit`
/// directions), then `free` rows.
fn slots(u: &Unit, s: &Shape, directed_ccg: bool, d_explicit: u32) -> (Vec<Slot>, Slot) {
    let undirected: Vec<(u8, bool)> = (s.undirected_levels.0..=s.undirected_levels.1)
        .filter(|&l| !(s.level3 == Some(false) && l == 3))
        .map(|l| (l, false))
        .collect();
    let directed: Vec<(u8, bool)> = (s.directed_levels.0..=s.directed_levels.1)
        .map(|l| (l, true))
        .collect();
    let mut out = vec![];
    for f in &u.fixed {
        let levels = match (f.level, f.directed) {
            (Some(l), dir) => vec![(l, dir)],
            (None, true) => directed.clone(),
            (None, false) => undirected.clone(),
        };
        out.push(Slot { levels });
    }
    let fixed_dir = u.fixed.iter().filter(|f| f.directed).count() as u32;
    let top = s.top.unwrap_or(4).max(4);
    for k in fixed_dir..d_explicit {
        let level = match (top, k) {
            (t, 0) => t,
            (6, 1) => 5,
            _ => 4,
        };
        out.push(Slot {
            levels: vec![(level, true)],
        });
    }
    let mut free = undirected;
    if directed_ccg && !s.recon_directed {
        free.extend(directed);
    }
    (out, Slot { levels: free })
}

/// Best scores for every n in the shape's range. `track_d` (at most this many directions,
/// tracked exactly) is for Midlands and East's directed CCGs, whose directions count towards the
/// regional total.
pub fn profile(
    u: &Unit,
    s: &Shape,
    directed_ccg: bool,
    w: &Weights,
    goal: Goal,
    track_d: Option<u32>,
) -> Profile {
    if !directed_ccg || !s.recon_directed {
        let (fixed, free) = slots(u, s, directed_ccg, 0);
        let (scores, _) = run(&fixed, &free, s, w, goal, track_d, s.d.0, None);
        return Profile {
            goal,
            n_lo: s.n.0,
            exact_d: track_d.is_some(),
            d_lo: s.d.0,
            scores,
        };
    }
    // The reconstruction's directed rows are explicit: one run per number of directions.
    let d_hi = track_d.map_or(s.d.0, |t| s.d.1.min(t));
    let width = track_d.map_or(1, |t| t as usize + 1);
    let mut scores = vec![vec![None; width]; (s.n.1 - s.n.0 + 1) as usize];
    for d in s.d.0..=d_hi {
        let (fixed, free) = slots(u, s, directed_ccg, d);
        let (part, _) = run(&fixed, &free, s, w, goal, None, 0, None);
        for (i, row) in part.iter().enumerate() {
            let col = if track_d.is_some() { d as usize } else { 0 };
            if let Some(v) = row[0] {
                scores[i][col] = Some(v);
            }
        }
    }
    Profile {
        goal,
        n_lo: s.n.0,
        exact_d: track_d.is_some(),
        d_lo: s.d.0,
        scores,
    }
}

/// The rows that give the best score with exactly n conditions (and d directions if given).
pub fn rows(
    u: &Unit,
    s: &Shape,
    directed_ccg: bool,
    w: &Weights,
    goal: Goal,
    n: u32,
    d: Option<u32>,
) -> Option<Vec<Row>> {
    if directed_ccg && s.recon_directed {
        let d = d.unwrap_or(s.d.0);
        let (fixed, free) = slots(u, s, directed_ccg, d);
        let (_, rows) = run(&fixed, &free, s, w, goal, None, 0, Some((n, None)));
        return rows;
    }
    let (fixed, free) = slots(u, s, directed_ccg, 0);
    let (_, rows) = run(
        &fixed,
        &free,
        s,
        w,
        goal,
        d.map(|d| d.max(1)),
        s.d.0,
        Some((n, d)),
    );
    rows
}

/// The dynamic programme over rows, on a flat table of requirement states (top level seen,
/// level III seen, rows at IV or above up to the published count plus one, directions up to
/// the tracked limit). Returns, per n from the shape's minimum, the best score per tracked d (or
/// one column), and, when `want` is given, the rows attaining it for that (n, d).
#[allow(clippy::too_many_arguments)]
fn run(
    fixed: &[Slot],
    free: &Slot,
    s: &Shape,
    w: &Weights,
    goal: Goal,
    track_d: Option<u32>,
    d_lo: u32,
    want: Option<(u32, Option<u32>)>,
) -> (Vec<Vec<Option<f64>>>, Option<Vec<Row>>) {
    let better = |a: f64, b: f64| match goal {
        Goal::Max => a > b + 1e-9,
        Goal::Min => a < b - 1e-9,
    };
    let n_ge4 = s.iv_plus.map_or(1, |k| k as usize + 2);
    let d_cap = track_d.unwrap_or(d_lo) as usize;
    let n_d = d_cap + 1;
    let n_states = 4 * n_ge4 * n_d;
    let index = |st: &State| {
        ((usize::from(st.top) * 2 + usize::from(st.three)) * n_ge4 + st.ge4 as usize) * n_d
            + st.d as usize
    };
    let state_of = |i: usize| {
        let d = i % n_d;
        let rest = i / n_d;
        let ge4 = rest % n_ge4;
        let tt = rest / n_ge4;
        State {
            top: tt / 2 == 1,
            three: tt % 2 == 1,
            ge4: ge4 as u32,
            d: d as u32,
        }
    };
    let step = |st: State, (l, dir): (u8, bool)| -> Option<State> {
        let ge4 = if let Some(k) = s.iv_plus {
            let g = st.ge4 + u32::from(l >= 4);
            if g > k {
                return None;
            }
            g
        } else {
            0
        };
        let d = st.d + u32::from(dir);
        if track_d.is_some_and(|t| d > t) {
            return None;
        }
        Some(State {
            top: st.top || s.top == Some(l),
            three: st.three || l == 3,
            ge4,
            d: if track_d.is_some() {
                d
            } else {
                d.min(d_cap as u32)
            },
        })
    };
    let done = |st: &State| {
        (s.top.is_none() || st.top)
            && (s.level3 != Some(true) || st.three)
            && s.iv_plus.is_none_or(|k| st.ge4 == k)
            && st.d >= d_lo
    };
    let keep_parents = want.is_some();
    let mut cur = vec![f64::NAN; n_states];
    cur[0] = 0.0;
    // parents[i][state] = (previous state, row), for the trace back.
    let mut parents: Vec<Vec<(u32, Row)>> = vec![];
    let total = s.n.1 as usize;
    let width = track_d.map_or(1, |t| t as usize + 1);
    let collect = |layer: &[f64]| {
        let mut row = vec![None; width];
        for (i, &v) in layer.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            let st = state_of(i);
            if done(&st) {
                let col = if track_d.is_some() { st.d as usize } else { 0 };
                if row[col].is_none_or(|b: f64| better(v, b)) {
                    row[col] = Some(v);
                }
            }
        }
        row
    };
    let mut scores = vec![];
    if s.n.0 == 0 {
        scores.push(if fixed.is_empty() {
            collect(&cur)
        } else {
            vec![None; width]
        });
    }
    let mut layers: Vec<Vec<f64>> = vec![];
    let weights: Vec<Vec<f64>> = std::iter::once(free)
        .chain(fixed.iter())
        .map(|slot| slot.levels.iter().map(|&lv| weight(w, lv)).collect())
        .collect();
    for i in 0..total {
        let (slot, wts) = if i < fixed.len() {
            (&fixed[i], &weights[i + 1])
        } else {
            (free, &weights[0])
        };
        let mut next = vec![f64::NAN; n_states];
        let mut par = if keep_parents {
            vec![(u32::MAX, (0u8, false)); n_states]
        } else {
            vec![]
        };
        for (si, &v) in cur.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            let st = state_of(si);
            for (li, &lv) in slot.levels.iter().enumerate() {
                if let Some(ns) = step(st, lv) {
                    let ni = index(&ns);
                    let nv = v + wts[li];
                    if next[ni].is_nan() || better(nv, next[ni]) {
                        next[ni] = nv;
                        if keep_parents {
                            par[ni] = (si as u32, lv);
                        }
                    }
                }
            }
        }
        if keep_parents {
            layers.push(cur);
            parents.push(par);
        }
        cur = next;
        // Every published (and explicit directed) row must be there: fewer rows are no dataset.
        if i as u32 + 1 >= s.n.0 {
            scores.push(if i + 1 >= fixed.len() {
                collect(&cur)
            } else {
                vec![None; width]
            });
        }
    }
    let rows = want
        .filter(|w| w.0 as usize >= fixed.len())
        .and_then(|(n, d)| {
            let layer: &[f64] = if n as usize == layers.len() {
                &cur
            } else {
                layers.get(n as usize)?
            };
            let mut pick: Option<(usize, f64)> = None;
            for (i, &v) in layer.iter().enumerate() {
                if v.is_nan() {
                    continue;
                }
                let st = state_of(i);
                if done(&st)
                    && d.is_none_or(|d| track_d.is_none() || st.d == d)
                    && pick.is_none_or(|(_, b)| better(v, b))
                {
                    pick = Some((i, v));
                }
            }
            let mut at = pick?.0;
            let mut out = vec![];
            for k in (0..n as usize).rev() {
                let (prev, row) = parents[k][at];
                out.push(row);
                at = prev as usize;
            }
            out.reverse();
            Some(out)
        });
    (scores, rows)
}
