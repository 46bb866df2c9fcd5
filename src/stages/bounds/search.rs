//! Optimising over the consistent set. An objective gives each CCG a list of terms in its score
//! (a weight on the score, or a gain for reaching or staying under a threshold). The class
//! assignment is solved exactly (a minimum-cost flow); Midlands and East's totals of conditions
//! and directions, the only facts that tie CCGs together beyond the class counts, are priced
//! (Lagrange multipliers) and then met by the cheapest single steps. Every solution is a real
//! dataset, so its value is attained; the priced problem's optimum plus the prices times the
//! totals is an upper bound on every dataset (weak duality). When the two meet, the value is
//! proved exact; callers report it so and otherwise say the bound is not proved tight.

use super::flow::assign;
use super::record::{Record, Shape, Status};
use super::rows::{self, Goal, Profile, Row};
use crate::io::weights::Weights;

#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Term {
    /// c times the score.
    Linear(f64),
    /// A gain when the score is at least the threshold.
    AtLeast(f64, f64),
    /// A gain when the score is at most the threshold.
    AtMost(f64, f64),
}

const EPS: f64 = 1e-9;

/// A threshold that only asks for a score above 0 (a condition): `AtLeast(POSITIVE, g)`.
pub const POSITIVE: f64 = 1e-6;

fn term_value(terms: &[Term], s: f64) -> f64 {
    terms
        .iter()
        .map(|t| match *t {
            Term::Linear(c) => c * s,
            Term::AtLeast(t, g) => {
                if s >= t - EPS {
                    g
                } else {
                    0.0
                }
            }
            Term::AtMost(t, g) => {
                if s <= t + EPS {
                    g
                } else {
                    0.0
                }
            }
        })
        .sum()
}

/// Whether a CCG with these terms wants a high score (all terms rise with the score) or a low one.
fn goal_of(terms: &[Term]) -> Goal {
    // "At least a hair above 0" only asks for a condition: it leaves the direction to the rest.
    let up = terms.iter().any(|t| {
        matches!(t, Term::AtLeast(t, _) if *t > 2.0 * POSITIVE)
            || matches!(t, Term::Linear(c) if *c > 0.0)
    });
    if up {
        Goal::Max
    } else {
        Goal::Min
    }
}

/// One dataset of the consistent set: each CCG's class, conditions, directions and rows.
#[derive(Debug, Clone)]
pub struct Solution {
    pub class_of: Vec<usize>,
    pub n: Vec<u32>,
    pub d: Vec<u32>,
    pub scores: Vec<f64>,
    pub rows: Vec<Vec<Row>>,
}

/// The best solution found and the proved upper bound on the objective.
pub struct Solved {
    pub best: Option<(f64, Solution)>,
    pub bound: f64,
}

impl Solved {
    pub fn exact(&self) -> bool {
        self.best
            .as_ref()
            .is_some_and(|(v, _)| *v >= self.bound - 1e-6)
    }
}

pub struct Solver<'a> {
    pub rec: &'a Record,
    pub w: &'a Weights,
    /// Per CCG, per option (in `Unit::options` order): shape, highest and lowest profiles.
    profiles: Vec<Vec<(Shape, Profile, Profile)>>,
    /// Per CCG, per option: every (n, d, score) for the highest and the lowest profile.
    all_choices: Vec<Vec<[Vec<(u32, u32, f64)>; 2]>>,
}

impl<'a> Solver<'a> {
    pub fn new(rec: &'a Record, w: &'a Weights) -> Self {
        let track = rec.me_directions;
        let profiles = rec
            .units
            .iter()
            .map(|u| {
                u.options
                    .iter()
                    .map(|&k| {
                        let s = rec.shape(u, k).expect("options have shapes");
                        let directed = rec.classes[k].status == Status::Directed;
                        let t = if u.me && directed { track } else { None };
                        (
                            s,
                            rows::profile(u, &s, directed, w, Goal::Max, t),
                            rows::profile(u, &s, directed, w, Goal::Min, t),
                        )
                    })
                    .collect()
            })
            .collect();
        let mut solver = Solver {
            rec,
            w,
            profiles,
            all_choices: vec![],
        };
        solver.all_choices = (0..rec.units.len())
            .map(|u| {
                (0..rec.units[u].options.len())
                    .map(|o| {
                        [
                            solver.choices(u, o, Goal::Max),
                            solver.choices(u, o, Goal::Min),
                        ]
                    })
                    .collect()
            })
            .collect();
        solver
    }

    fn cached(&self, u: usize, o: usize, goal: Goal) -> &[(u32, u32, f64)] {
        &self.all_choices[u][o][usize::from(goal == Goal::Min)]
    }

    fn profile(&self, u: usize, opt: usize, goal: Goal) -> &Profile {
        let p = &self.profiles[u][opt];
        match goal {
            Goal::Max => &p.1,
            Goal::Min => &p.2,
        }
    }

    /// Every (n, d, score) a CCG in an option may take for this goal.
    fn choices(&self, u: usize, opt: usize, goal: Goal) -> Vec<(u32, u32, f64)> {
        let p = self.profile(u, opt, goal);
        let mut out = vec![];
        for n in p.n_lo..=p.n_hi() {
            if p.exact_d {
                for d in 0..p.scores[(n - p.n_lo) as usize].len() as u32 {
                    if let Some(s) = p.at(n, Some(d)) {
                        out.push((n, d, s));
                    }
                }
            } else if let Some(s) = p.at(n, None) {
                out.push((n, p.d_lo, s));
            }
        }
        out
    }

    /// Maximise the sum of the CCGs' term values over the consistent set.
    pub fn solve(&self, terms: &[Vec<Term>]) -> Solved {
        let rec = self.rec;
        let me_terms = rec
            .units
            .iter()
            .zip(terms)
            .any(|(u, t)| u.me && !t.is_empty());
        let mut prices: Vec<f64> = vec![0.0];
        if me_terms {
            let mut gains: Vec<f64> = vec![];
            for t in terms.iter().flatten() {
                match *t {
                    Term::Linear(c) => gains.extend(self.w.levels.iter().map(|l| c.abs() * l)),
                    Term::AtLeast(_, g) | Term::AtMost(_, g) => {
                        gains.extend((0..7).map(|k| g / f64::from(1u32 << k)))
                    }
                }
            }
            gains.retain(|g| *g > 0.0);
            gains.sort_by(f64::total_cmp);
            gains.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
            prices.extend(gains);
        }
        let mut best: Option<(f64, Solution)> = None;
        let mut bound = f64::INFINITY;
        let consider = |pi: f64, nu: f64, best: &mut Option<(f64, Solution)>, bound: &mut f64| {
            if let Some((dual, sol)) = self.priced(terms, pi, nu) {
                *bound = bound.min(dual);
                if let Some(sol) = self.repair(terms, sol) {
                    let v: f64 = sol
                        .scores
                        .iter()
                        .zip(terms)
                        .map(|(&s, t)| term_value(t, s))
                        .sum();
                    if best.as_ref().is_none_or(|(b, _)| v > *b + 1e-9) {
                        *best = Some((v, sol));
                    }
                }
            }
        };
        for &pi in &prices {
            consider(pi, 0.0, &mut best, &mut bound);
        }
        if me_terms && rec.me_directions.is_some() {
            let pi_best = prices
                .iter()
                .copied()
                .fold((f64::INFINITY, 0.0), |acc, pi| {
                    let d = self.priced(terms, pi, 0.0).map_or(f64::INFINITY, |x| x.0);
                    if d < acc.0 {
                        (d, pi)
                    } else {
                        acc
                    }
                })
                .1;
            let nus: Vec<f64> = prices
                .iter()
                .flat_map(|&p| [p, -p])
                .filter(|p| *p != 0.0)
                .collect();
            for nu in nus {
                consider(pi_best, nu, &mut best, &mut bound);
            }
        }
        Solved { best, bound }
    }

    /// The priced problem: each CCG's best (n, d) per option with conditions and directions in
    /// Midlands and East priced at pi and nu, then the exact class assignment. Returns the dual
    /// bound and the (possibly infeasible for the totals) solution.
    fn priced(&self, terms: &[Vec<Term>], pi: f64, nu: f64) -> Option<(f64, Solution)> {
        let rec = self.rec;
        let mut values = vec![];
        let mut picks = vec![];
        for (u, unit) in rec.units.iter().enumerate() {
            let goal = goal_of(&terms[u]);
            let mut opts = vec![];
            let mut pk = vec![];
            for (o, &k) in unit.options.iter().enumerate() {
                let mut best: Option<(f64, u32, u32, f64)> = None;
                let all = self.cached(u, o, goal);
                // Outside Midlands and East nothing is priced and every term rises (or falls)
                // with the score, so the extreme score is best (fewest conditions on a tie).
                let extreme = |a: &&(u32, u32, f64), b: &&(u32, u32, f64)| match goal {
                    Goal::Max => a.2.total_cmp(&b.2).then(b.0.cmp(&a.0)).then(b.1.cmp(&a.1)),
                    Goal::Min => b.2.total_cmp(&a.2).then(b.0.cmp(&a.0)).then(b.1.cmp(&a.1)),
                };
                let scan: Vec<(u32, u32, f64)> = if unit.me {
                    all.to_vec()
                } else {
                    all.iter().max_by(extreme).into_iter().copied().collect()
                };
                for (n, d, s) in scan {
                    let price = if unit.me {
                        pi * n as f64 + nu * d as f64
                    } else {
                        0.0
                    };
                    let v = term_value(&terms[u], s) - price;
                    if best.is_none_or(|b| v > b.0 + 1e-9) {
                        best = Some((v, n, d, s));
                    }
                }
                let (v, n, d, s) = best?;
                opts.push((k, v));
                pk.push((n, d, s));
            }
            values.push(opts);
            picks.push(pk);
        }
        let (value, class_of) = assign(&values, &rec.class_count)?;
        let mut dual = value;
        if let Some((lo, hi)) = rec.me_conditions {
            dual += pi * if pi >= 0.0 { hi as f64 } else { lo as f64 };
        } else if pi != 0.0 {
            return None;
        }
        if let Some(dt) = rec.me_directions {
            dual += nu * dt as f64;
        } else if nu != 0.0 {
            return None;
        }
        let mut sol = Solution {
            class_of: class_of.clone(),
            n: vec![],
            d: vec![],
            scores: vec![],
            rows: vec![],
        };
        for (u, unit) in rec.units.iter().enumerate() {
            let o = unit.options.iter().position(|&k| k == class_of[u])?;
            let (n, d, s) = picks[u][o];
            sol.n.push(n);
            sol.d.push(d);
            sol.scores.push(s);
        }
        Some((dual, sol))
    }

    fn option(&self, u: usize, k: usize) -> usize {
        self.rec.units[u]
            .options
            .iter()
            .position(|&x| x == k)
            .expect("class is an option")
    }

    /// Meet Midlands and East's totals by the cheapest single steps (one more or one fewer
    /// condition or direction at a time), then lay out every CCG's rows.
    fn repair(&self, terms: &[Vec<Term>], mut sol: Solution) -> Option<Solution> {
        let rec = self.rec;
        let me: Vec<usize> = (0..rec.units.len()).filter(|&u| rec.units[u].me).collect();
        for _ in 0..20_000 {
            let n_total: u32 = me.iter().map(|&u| sol.n[u]).sum();
            let d_total: u32 = me.iter().map(|&u| sol.d[u]).sum();
            let dn: i32 = match rec.me_conditions {
                Some((lo, _)) if n_total < lo => 1,
                Some((_, hi)) if n_total > hi => -1,
                _ => 0,
            };
            let dd: i32 = match rec.me_directions {
                Some(t) if d_total < t => 1,
                Some(t) if d_total > t => -1,
                _ => 0,
            };
            if dn == 0 && dd == 0 {
                break;
            }
            let mut step: Option<(f64, usize, u32, u32, f64)> = None;
            for &u in &me {
                let goal = goal_of(&terms[u]);
                let o = self.option(u, sol.class_of[u]);
                let p = self.profile(u, o, goal);
                let cur = term_value(&terms[u], sol.scores[u]);
                let moves: Vec<(i32, i32)> = if dd != 0 {
                    vec![(0, dd), (dd, dd)]
                } else {
                    vec![(dn, 0), (dn, -1), (dn, 1)]
                };
                for (mn, md) in moves {
                    let (n, d) = (sol.n[u] as i64 + mn as i64, sol.d[u] as i64 + md as i64);
                    if n < 0 || d < 0 {
                        continue;
                    }
                    let dnew = if p.exact_d {
                        Some(d as u32)
                    } else if md != 0 {
                        continue;
                    } else {
                        None
                    };
                    if let Some(s) = p.at(n as u32, dnew) {
                        let loss = cur - term_value(&terms[u], s);
                        if step.is_none_or(|b| loss < b.0 - 1e-9) {
                            step = Some((loss, u, n as u32, d as u32, s));
                        }
                    }
                }
            }
            let (_, u, n, d, s) = step?;
            sol.n[u] = n;
            sol.d[u] = d;
            sol.scores[u] = s;
        }
        // Rows for every CCG, and each score recomputed from its rows.
        sol.rows = vec![];
        for (u, unit) in rec.units.iter().enumerate() {
            let goal = goal_of(&terms[u]);
            let k = sol.class_of[u];
            let o = self.option(u, k);
            let shape = &self.profiles[u][o].0;
            let directed = rec.classes[k].status == Status::Directed;
            let d = self.profile(u, o, goal).exact_d.then_some(sol.d[u]);
            let rows = if sol.n[u] == 0 {
                vec![]
            } else {
                rows::rows(unit, shape, directed, self.w, goal, sol.n[u], d)?
            };
            sol.d[u] = rows.iter().filter(|r| r.1).count() as u32;
            sol.scores[u] = rows
                .iter()
                .map(|&(l, dir)| {
                    self.w.levels[l as usize - 1] + if dir { self.w.legal_direction } else { 0.0 }
                })
                .sum();
            sol.rows.push(rows);
        }
        if let Some((lo, hi)) = rec.me_conditions {
            let t: u32 = me.iter().map(|&u| sol.n[u]).sum();
            if t < lo || t > hi {
                return None;
            }
        }
        if let Some(dt) = rec.me_directions {
            if me.iter().map(|&u| sol.d[u]).sum::<u32>() != dt {
                return None;
            }
        }
        Some(sol)
    }

    /// Every score a CCG of `members` could take (for threshold searches), sorted, distinct.
    pub fn candidate_scores(&self, members: &[usize], goal: Goal) -> Vec<f64> {
        let mut v: Vec<f64> = vec![0.0];
        for &u in members {
            for o in 0..self.rec.units[u].options.len() {
                v.extend(self.cached(u, o, goal).iter().map(|c| c.2));
            }
        }
        v.sort_by(f64::total_cmp);
        v.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        v
    }
}
