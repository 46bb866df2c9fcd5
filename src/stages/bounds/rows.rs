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

impl Goal {
    /// Whether `a` beats `b` by more than rounding.
    fn better(self, a: f64, b: f64) -> bool {
        match self {
            Goal::Max => a > b + 1e-9,
            Goal::Min => a < b - 1e-9,
        }
    }
}

/// The dynamic programme's requirement states as a flat table: top level seen, level III seen,
/// rows at IV or above up to the published count plus one, directions up to the tracked limit
/// (or, untracked, counted up to `d_lo`).
struct States<'a> {
    s: &'a Shape,
    track_d: Option<u32>,
    d_lo: u32,
    d_cap: usize,
    n_ge4: usize,
    n_d: usize,
}

impl<'a> States<'a> {
    fn new(s: &'a Shape, track_d: Option<u32>, d_lo: u32) -> Self {
        let d_cap = track_d.unwrap_or(d_lo) as usize;
        States {
            s,
            track_d,
            d_lo,
            d_cap,
            n_ge4: s.iv_plus.map_or(1, |k| k as usize + 2),
            n_d: d_cap + 1,
        }
    }

    fn len(&self) -> usize {
        4 * self.n_ge4 * self.n_d
    }

    /// Result columns: one per tracked number of directions, else one.
    fn width(&self) -> usize {
        self.track_d.map_or(1, |t| t as usize + 1)
    }

    fn index(&self, st: &State) -> usize {
        ((usize::from(st.top) * 2 + usize::from(st.three)) * self.n_ge4 + st.ge4 as usize)
            * self.n_d
            + st.d as usize
    }

    fn state_of(&self, i: usize) -> State {
        let d = i % self.n_d;
        let rest = i / self.n_d;
        let ge4 = rest % self.n_ge4;
        let tt = rest / self.n_ge4;
        State {
            top: tt / 2 == 1,
            three: tt % 2 == 1,
            ge4: ge4 as u32,
            d: d as u32,
        }
    }

    /// The state after one more row at level `l` (directed or not), if any requirement allows it.
    fn step(&self, st: State, (l, dir): (u8, bool)) -> Option<State> {
        let s = self.s;
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
        if self.track_d.is_some_and(|t| d > t) {
            return None;
        }
        Some(State {
            top: st.top || s.top == Some(l),
            three: st.three || l == 3,
            ge4,
            d: if self.track_d.is_some() {
                d
            } else {
                d.min(self.d_cap as u32)
            },
        })
    }

    /// Whether a state meets every requirement: the rows so far are a whole dataset's.
    fn done(&self, st: &State) -> bool {
        let s = self.s;
        (s.top.is_none() || st.top)
            && (s.level3 != Some(true) || st.three)
            && s.iv_plus.is_none_or(|k| st.ge4 == k)
            && st.d >= self.d_lo
    }

    /// The best finished value in a layer, per result column.
    fn best_done(&self, layer: &[f64], goal: Goal) -> Vec<Option<f64>> {
        let mut row = vec![None; self.width()];
        for (i, &v) in layer.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            let st = self.state_of(i);
            if self.done(&st) {
                let col = if self.track_d.is_some() {
                    st.d as usize
                } else {
                    0
                };
                if row[col].is_none_or(|b: f64| goal.better(v, b)) {
                    row[col] = Some(v);
                }
            }
        }
        row
    }

    /// The next layer: every state of `cur` extended by one row in `slot` (weights `wts`), the
    /// best value per state, and (with `keep_parents`) each state's previous state and row.
    fn advance(
        &self,
        cur: &[f64],
        slot: &Slot,
        wts: &[f64],
        goal: Goal,
        keep_parents: bool,
    ) -> (Vec<f64>, Vec<(u32, Row)>) {
        let mut next = vec![f64::NAN; self.len()];
        let mut par = if keep_parents {
            vec![(u32::MAX, (0u8, false)); self.len()]
        } else {
            vec![]
        };
        for (si, &v) in cur.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            let st = self.state_of(si);
            for (li, &lv) in slot.levels.iter().enumerate() {
                if let Some(ns) = self.step(st, lv) {
                    let ni = self.index(&ns);
                    let nv = v + wts[li];
                    if next[ni].is_nan() || goal.better(nv, next[ni]) {
                        next[ni] = nv;
                        if keep_parents {
                            par[ni] = (si as u32, lv);
                        }
                    }
                }
            }
        }
        (next, par)
    }

    /// The rows of the best finished state of `layer` (n rows; exactly d directions when given
    /// and tracked), traced back through `parents`.
    fn trace_back(
        &self,
        layer: &[f64],
        parents: &[Vec<(u32, Row)>],
        n: u32,
        d: Option<u32>,
        goal: Goal,
    ) -> Option<Vec<Row>> {
        let mut pick: Option<(usize, f64)> = None;
        for (i, &v) in layer.iter().enumerate() {
            if v.is_nan() {
                continue;
            }
            let st = self.state_of(i);
            if self.done(&st)
                && d.is_none_or(|d| self.track_d.is_none() || st.d == d)
                && pick.is_none_or(|(_, b)| goal.better(v, b))
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
    }
}

/// The dynamic programme over rows, on a flat table of requirement states (`States`). Returns,
/// per n from the shape's minimum, the best score per tracked d (or one column), and, when
/// `want` is given, the rows attaining it for that (n, d).
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
    let states = States::new(s, track_d, d_lo);
    let keep_parents = want.is_some();
    let mut cur = vec![f64::NAN; states.len()];
    cur[0] = 0.0;
    // parents[i][state] = (previous state, row), for the trace back.
    let mut parents: Vec<Vec<(u32, Row)>> = vec![];
    let total = s.n.1 as usize;
    let width = states.width();
    let mut scores = vec![];
    if s.n.0 == 0 {
        scores.push(if fixed.is_empty() {
            states.best_done(&cur, goal)
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
        let (next, par) = states.advance(&cur, slot, wts, goal, keep_parents);
        if keep_parents {
            layers.push(cur);
            parents.push(par);
        }
        cur = next;
        // Every published (and explicit directed) row must be there: fewer rows are no dataset.
        if i as u32 + 1 >= s.n.0 {
            scores.push(if i + 1 >= fixed.len() {
                states.best_done(&cur, goal)
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
            states.trace_back(layer, &parents, n, d, goal)
        });
    (scores, rows)
}
