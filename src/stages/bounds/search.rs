//! Optimising over the consistent set. An objective gives each CCG a list of terms in its score
//! (a weight on the score, or a gain for reaching or staying under a threshold). The class
//! assignment is solved exactly (a minimum-cost flow); Midlands and East's totals of conditions
//! and directions, the only facts that tie CCGs together beyond the class counts, are priced
//! (Lagrange multipliers) and then met by the cheapest single steps. Every solution is a real
//! dataset, so its value is attained; the priced problem's optimum plus the prices times the
//! totals is an upper bound on every dataset (weak duality). When the two meet, the value is
//! proved exact; callers report it so and otherwise say the bound is not proved tight.

use super::flow::assign_groups;
use super::record::{Record, Shape, Status};
use super::rows::{self, Goal, Profile, Row};
use crate::model::weights::Weights;

#[cfg(test)]
pub(crate) mod ilp;

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
/// More steps than any total of directions can need.
const CRITERIA_STEPS: usize = 10_000;
/// How far a wide step for a direction may move a CCG's conditions (`meet_directions`).
const WIDE: i32 = 8;

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

/// Every CCG's term value at these scores, summed: a dataset's value.
fn total_value(terms: &[Vec<Term>], scores: &[f64]) -> f64 {
    scores
        .iter()
        .zip(terms)
        .map(|(&s, t)| term_value(t, s))
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

/// The price of a direction (Midlands and East's total of directions is priced too), at the
/// condition price `pi`: the listed prices with either sign by ternary search; then, with
/// `tighten` and still undecided, refined, and the condition's price refined once more at the
/// best direction price (the limit is convex in both together). These refinements are finer
/// (24 steps): only the limit is sought here, and a limit within a hair of a witness is what
/// proves it. `run(pi, nu)` evaluates a pair of prices; `done` says the question is answered.
fn search_direction_prices(
    prices: &[f64],
    direction_prices: &[f64],
    pi: f64,
    tighten: bool,
    run: &dyn Fn(f64, f64) -> f64,
    done: &dyn Fn() -> bool,
) {
    let mut nus: Vec<f64> = direction_prices.iter().flat_map(|&p| [p, -p]).collect();
    nus.sort_by(f64::total_cmp);
    nus.dedup();
    let (nu_best, nu_value) = ternary(&nus, |nu| run(pi, nu), done);
    if tighten && !done() {
        let nu_best = refine(&nus, (nu_best, nu_value), 24, |nu| run(pi, nu), done);
        let value = run(pi, nu_best);
        refine(prices, (pi, value), 24, |p| run(p, nu_best), done);
    }
}

/// The least of a convex function between the sorted points nearest `best` (a point and its
/// value) on either side, by golden-section search; returns the best point seen.
fn refine(
    points: &[f64],
    best: (f64, f64),
    steps: usize,
    mut f: impl FnMut(f64) -> f64,
    stop: impl Fn() -> bool,
) -> f64 {
    // The nearest listed points either side (`best` may be listed or, after an earlier
    // refinement, between two).
    let x = best.0;
    let mut lo = points.iter().rev().copied().find(|&p| p < x).unwrap_or(x);
    let mut hi = points.iter().copied().find(|&p| p > x).unwrap_or(x);
    let mut seen = best;
    const R: f64 = 0.618_033_988_749_895;
    let (mut x1, mut x2) = (hi - R * (hi - lo), lo + R * (hi - lo));
    let (mut f1, mut f2) = (f(x1), f(x2));
    for _ in 0..steps {
        for (x, v) in [(x1, f1), (x2, f2)] {
            if v < seen.1 {
                seen = (x, v);
            }
        }
        if stop() || hi - lo <= 1e-9 * hi.abs().max(1.0) {
            break;
        }
        if f1 <= f2 {
            (hi, x2, f2) = (x2, x1, f1);
            x1 = hi - R * (hi - lo);
            f1 = f(x1);
        } else {
            (lo, x1, f1) = (x1, x2, f2);
            x2 = lo + R * (hi - lo);
            f2 = f(x2);
        }
    }
    seen.0
}

/// The least of a convex function over sorted points, by ternary search (each point evaluated
/// at most once; `stop` ends the search early). Returns the best point and its value.
fn ternary(points: &[f64], mut f: impl FnMut(f64) -> f64, stop: impl Fn() -> bool) -> (f64, f64) {
    let mut seen: Vec<Option<f64>> = vec![None; points.len()];
    fn eval(
        seen: &mut [Option<f64>],
        points: &[f64],
        i: usize,
        f: &mut dyn FnMut(f64) -> f64,
    ) -> f64 {
        *seen[i].get_or_insert_with(|| f(points[i]))
    }
    let (mut lo, mut hi) = (0usize, points.len().saturating_sub(1));
    while hi - lo > 2 && !stop() {
        let m1 = lo + (hi - lo) / 3;
        let m2 = hi - (hi - lo) / 3;
        if eval(&mut seen, points, m1, &mut f) <= eval(&mut seen, points, m2, &mut f) {
            hi = m2;
        } else {
            lo = m1;
        }
    }
    let mut best = (points.first().copied().unwrap_or(0.0), f64::INFINITY);
    for i in lo..=hi {
        if stop() && seen[i].is_none() {
            continue;
        }
        let v = eval(&mut seen, points, i, &mut f);
        if v < best.1 {
            best = (points[i], v);
        }
    }
    best
}

/// One dataset of the consistent set: each CCG's class, conditions, directions and rows.
#[derive(Debug, Clone)]
pub struct Solution {
    /// Whether each CCG's rows aim high or low (which profile its n and d come from).
    pub goals: Vec<Goal>,
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
    /// The prices (of a condition and of a direction in Midlands and East) that gave the
    /// proved bound and the best solution: where a similar search should look first.
    pub prices: [(f64, f64); 2],
}

impl Solved {
    pub fn exact(&self) -> bool {
        self.best
            .as_ref()
            .is_some_and(|(v, _)| *v >= self.bound - 1e-6)
    }
}

pub struct Solver<'a> {
    /// Rows already laid out, by (kind, option, goal, n, d).
    rows_cache: std::cell::RefCell<
        std::collections::HashMap<(usize, usize, bool, u32, Option<u32>), Option<Vec<Row>>>,
    >,
    pub rec: &'a Record,
    pub w: &'a Weights,
    /// Per kind of CCG, per option (in `Unit::options` order): shape, highest and lowest profiles.
    profiles: Vec<Vec<(Shape, Profile, Profile)>>,
    /// Which kind (same facts and options) each CCG is.
    kind_of: Vec<usize>,
    /// Per kind, per option: every (n, d, score) for the highest and the lowest profile.
    all_choices: Vec<Vec<[Vec<(u32, u32, f64)>; 2]>>,
    /// Per kind, per option: the highest and the lowest choice.
    extremes: Vec<Vec<[Option<(u32, u32, f64)>; 2]>>,
    /// Midlands and East's CCGs (whose totals every repair meets), listed once.
    me: Vec<usize>,
}

/// Which kind (same facts and options) each CCG is, and per kind, per option: its shape and its
/// highest and lowest profiles. CCGs of one kind have the same profiles, so each kind is computed
/// once.
#[allow(clippy::type_complexity)]
fn profiles_by_kind(
    rec: &Record,
    w: &Weights,
) -> (Vec<usize>, Vec<Vec<(Shape, Profile, Profile)>>) {
    let track = rec.me_directions;
    let mut kinds: Vec<(String, usize)> = vec![];
    let mut kind_of = vec![];
    let mut profiles: Vec<Vec<(Shape, Profile, Profile)>> = vec![];
    for u in &rec.units {
        let key = format!(
            "{:?}",
            (
                &u.options,
                &u.fixed,
                u.count,
                u.top,
                u.iv_plus,
                u.directions,
                u.me
            )
        );
        if let Some(&(_, k)) = kinds.iter().find(|(x, _)| *x == key) {
            kind_of.push(k);
            continue;
        }
        let made: Vec<(Shape, Profile, Profile)> = u
            .options
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
            .collect();
        kinds.push((key, profiles.len()));
        kind_of.push(profiles.len());
        profiles.push(made);
    }
    (kind_of, profiles)
}

/// Per kind, per option: the highest-scoring choice (fewest conditions on a tie) and the lowest.
fn extremes(
    all_choices: &[Vec<[Vec<(u32, u32, f64)>; 2]>],
) -> Vec<Vec<[Option<(u32, u32, f64)>; 2]>> {
    all_choices
        .iter()
        .map(|opts| {
            opts.iter()
                .map(|[hi, lo]| {
                    let top = hi
                        .iter()
                        .copied()
                        .max_by(|a, b| a.2.total_cmp(&b.2).then(b.0.cmp(&a.0)).then(b.1.cmp(&a.1)));
                    let bottom = lo
                        .iter()
                        .copied()
                        .max_by(|a, b| b.2.total_cmp(&a.2).then(b.0.cmp(&a.0)).then(b.1.cmp(&a.1)));
                    [top, bottom]
                })
                .collect()
        })
        .collect()
}

impl<'a> Solver<'a> {
    pub fn new(rec: &'a Record, w: &'a Weights) -> Self {
        let (kind_of, profiles) = profiles_by_kind(rec, w);
        let mut solver = Solver {
            rows_cache: Default::default(),
            rec,
            w,
            profiles,
            kind_of,
            all_choices: vec![],
            extremes: vec![],
            me: (0..rec.units.len()).filter(|&u| rec.units[u].me).collect(),
        };
        solver.all_choices = (0..solver.profiles.len())
            .map(|k| {
                (0..solver.profiles[k].len())
                    .map(|o| {
                        [
                            solver.choices_of(k, o, Goal::Max),
                            solver.choices_of(k, o, Goal::Min),
                        ]
                    })
                    .collect()
            })
            .collect();
        solver.extremes = extremes(&solver.all_choices);
        solver
    }

    /// Every (n, d, score) CCG `u` can take in class `k`, from both profiles (None when the class
    /// is not one of its options).
    pub fn choices_in(&self, u: usize, k: usize) -> Option<Vec<(u32, u32, f64)>> {
        let o = self.rec.units[u].options.iter().position(|&x| x == k)?;
        let mut v: Vec<(u32, u32, f64)> = [Goal::Max, Goal::Min]
            .iter()
            .flat_map(|&g| self.cached(u, o, g).iter().copied())
            .collect();
        v.sort_by(|a, b| a.2.total_cmp(&b.2).then(a.0.cmp(&b.0)).then(a.1.cmp(&b.1)));
        v.dedup();
        Some(v)
    }

    /// Rows CCG `u` can have in class `k` with n conditions, d directions and this score (one
    /// of the choices `choices_in` lists), or None.
    pub fn rows_with(&self, u: usize, k: usize, n: u32, d: u32, score: f64) -> Option<Vec<Row>> {
        let unit = &self.rec.units[u];
        let o = unit.options.iter().position(|&x| x == k)?;
        let shape = &self.profiles[self.kind_of[u]][o].0;
        let directed = self.rec.classes[k].status == Status::Directed;
        for goal in [Goal::Max, Goal::Min] {
            let p = self.profile(u, o, goal);
            let dd = p.exact_d.then_some(d);
            if p.at(n, dd).is_some_and(|s| (s - score).abs() < 1e-9) {
                return if n == 0 {
                    Some(vec![])
                } else {
                    rows::rows(unit, shape, directed, self.w, goal, n, dd)
                };
            }
        }
        None
    }

    pub(super) fn cached(&self, u: usize, o: usize, goal: Goal) -> &[(u32, u32, f64)] {
        &self.all_choices[self.kind_of[u]][o][usize::from(goal == Goal::Min)]
    }

    fn profile(&self, u: usize, opt: usize, goal: Goal) -> &Profile {
        let p = &self.profiles[self.kind_of[u]][opt];
        match goal {
            Goal::Max => &p.1,
            Goal::Min => &p.2,
        }
    }

    /// Every (n, d, score) a kind of CCG in an option may take for this goal.
    fn choices_of(&self, kind: usize, opt: usize, goal: Goal) -> Vec<(u32, u32, f64)> {
        let p = match goal {
            Goal::Max => &self.profiles[kind][opt].1,
            Goal::Min => &self.profiles[kind][opt].2,
        };
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
        // Stop as soon as a dataset meets the proved limit: it is optimal.
        self.solve_until(
            terms,
            &|best, bound| best.is_some_and(|v| v >= bound - 1e-9),
            &[],
        )
    }

    /// A good dataset for the terms, for callers that want a witness and not a limit: the
    /// prices are searched at the listed points only (a limit is not worth tightening, and the
    /// heuristic searches built on this keep their course).
    pub fn witness(&self, terms: &[Vec<Term>]) -> Option<Solution> {
        self.search(
            terms,
            &|best, bound| best.is_some_and(|v| v >= bound - 1e-9),
            false,
            &[],
        )
        .best
        .map(|b| b.1)
    }

    /// As `solve`, stopping early once `decided(best value, proved limit)` holds.
    pub fn solve_until(
        &self,
        terms: &[Vec<Term>],
        decided: &dyn Fn(Option<f64>, f64) -> bool,
        hints: &[(f64, f64)],
    ) -> Solved {
        self.search(terms, decided, true, hints)
    }

    /// The prices of a condition in Midlands and East tried first: 0 and every gain a term can
    /// make (a level's weight times a linear term's factor, a threshold's gain and its halves),
    /// sorted.
    fn listed_prices(&self, terms: &[Vec<Term>]) -> Vec<f64> {
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
        let mut prices = vec![0.0];
        prices.extend(gains);
        prices
    }

    /// The prices of a direction tried first: the condition's listed prices and what a
    /// direction is worth to a linear term, its own weight plus the change of level it may bring
    /// (a direction's condition sits at IV or above): c (direction + one level - another).
    /// Without these the search never priced a direction above the highest level's weight, and
    /// where a direction weighs more (directions-heavy: 20) its limits were far from tight.
    fn listed_direction_prices(&self, terms: &[Vec<Term>], prices: &[f64]) -> Vec<f64> {
        let mut levels = vec![0.0];
        levels.extend(self.w.levels);
        let mut out = prices.to_vec();
        let mut factors: Vec<f64> = terms
            .iter()
            .flatten()
            .filter_map(|t| match *t {
                Term::Linear(c) => Some(c.abs()),
                _ => None,
            })
            .collect();
        factors.sort_by(f64::total_cmp);
        factors.dedup();
        for c in factors {
            for a in &levels {
                for b in &levels {
                    out.push(c * (self.w.legal_direction + a - b));
                }
            }
        }
        out.retain(|p| *p >= 0.0);
        out.sort_by(f64::total_cmp);
        out.dedup_by(|a, b| (*a - *b).abs() < 1e-12);
        out
    }

    // Long because: its phases (hints, prices, refinement, directions, last try) share `run`.
    /// The search behind `solve`, `solve_until` and `witness`; `tighten` searches prices between
    /// the listed ones where the listed ones leave the question undecided. `hints` are prices
    /// tried first (a similar search's `Solved::prices`): any price gives a valid limit, so
    /// they can make a question decided sooner (and so change which questions an early-stopped
    /// search answers), never make a limit wrong.
    fn search(
        &self,
        terms: &[Vec<Term>],
        decided: &dyn Fn(Option<f64>, f64) -> bool,
        tighten: bool,
        hints: &[(f64, f64)],
    ) -> Solved {
        let rec = self.rec;
        let me_terms = rec
            .units
            .iter()
            .zip(terms)
            .any(|(u, t)| u.me && !t.is_empty());
        let prices = if me_terms {
            self.listed_prices(terms)
        } else {
            vec![0.0]
        };
        // Every price gives a proved limit and, repaired, a dataset; stop once `decided` says the
        // question is answered (a threshold reached, or proved out of reach). The limit is a
        // convex function of each price, so a ternary search over the sorted prices finds its
        // least value with a few evaluations.
        use std::cell::{Cell, RefCell};
        let alike = self.alike(terms);
        let best: RefCell<Option<(f64, Solution)>> = RefCell::new(None);
        let bound = Cell::new(f64::INFINITY);
        let done = Cell::new(false);
        let trading = Cell::new(false);
        let prices_at = Cell::new([(0.0, 0.0); 2]);
        let run = |pi: f64, nu: f64| -> f64 {
            let Some((dual, sol)) = self.priced(terms, &alike, pi, nu) else {
                return f64::INFINITY;
            };
            if dual < bound.get() {
                bound.set(dual);
                prices_at.set([(pi, nu), prices_at.get()[1]]);
            }
            if let Some(sol) = self.repair(terms, sol, trading.get()) {
                let v = total_value(terms, &sol.scores);
                let mut b = best.borrow_mut();
                if b.as_ref().is_none_or(|(x, _)| v > *x + 1e-9) {
                    *b = Some((v, sol));
                    prices_at.set([prices_at.get()[0], (pi, nu)]);
                }
            }
            let value = best.borrow().as_ref().map(|b| b.0);
            done.set(done.get() || decided(value, bound.get()));
            dual
        };
        if me_terms {
            for &(pi, nu) in hints {
                let usable = nu == 0.0 || rec.me_directions.is_some();
                if usable && !done.get() {
                    run(pi, nu);
                }
            }
        }
        let (mut pi_best, pi_value) = ternary(&prices, |pi| run(pi, 0.0), || done.get());
        if tighten && me_terms && !done.get() {
            // Undecided at the listed prices: the limit's least value can lie between two of
            // them (its corners are where two choices tie, not at the listed gains), so search
            // the stretch around the best one continuously. Repairs there also trade classes
            // (slower, so only here), starting again from the best listed price.
            trading.set(true);
            run(pi_best, 0.0);
            pi_best = refine(
                &prices,
                (pi_best, pi_value),
                12,
                |pi| run(pi, 0.0),
                || done.get(),
            );
            trading.set(false);
        }
        if me_terms && rec.me_directions.is_some() && !done.get() {
            let direction_prices = self.listed_direction_prices(terms, &prices);
            search_direction_prices(&prices, &direction_prices, pi_best, tighten, &run, &|| {
                done.get()
            });
        }
        let mut best = best.into_inner();
        if tighten && me_terms && rec.me_conditions.is_some() && !done.get() {
            for found in self.last_try(terms, &alike, prices_at.get()) {
                if best.as_ref().is_none_or(|(x, _)| found.0 > *x + 1e-9) {
                    best = Some(found);
                }
            }
        }
        let bound = bound.get();
        Solved {
            best,
            bound,
            prices: prices_at.get(),
        }
    }

    /// Still undecided: the repair by cheapest steps can drop the wrong CCGs (every member's
    /// first step costs its whole gain, and the tie goes to the first), so the repair by runs
    /// is tried at the prices that gave the limit and the best dataset. Each dataset it makes,
    /// with its value.
    fn last_try(
        &self,
        terms: &[Vec<Term>],
        alike: &[Vec<usize>],
        prices: [(f64, f64); 2],
    ) -> Vec<(f64, Solution)> {
        prices
            .iter()
            .filter_map(|&(pi, nu)| {
                let (_, sol) = self.priced(terms, alike, pi, nu)?;
                let sol = self.repair_by_runs(terms, sol, pi)?;
                Some((total_value(terms, &sol.scores), sol))
            })
            .collect()
    }

    /// CCGs of one kind with the same terms choose alike: the groups (by first member) that
    /// `priced` works out once each, found once per search.
    pub(super) fn alike(&self, terms: &[Vec<Term>]) -> Vec<Vec<usize>> {
        let mut groups: Vec<Vec<usize>> = vec![];
        let mut seen: std::collections::HashMap<(usize, Vec<(u8, u64, u64)>), usize> =
            Default::default();
        for (u, t) in terms.iter().enumerate() {
            let key = t
                .iter()
                .map(|t| match *t {
                    Term::Linear(c) => (0, c.to_bits(), 0),
                    Term::AtLeast(x, g) => (1, x.to_bits(), g.to_bits()),
                    Term::AtMost(x, g) => (2, x.to_bits(), g.to_bits()),
                })
                .collect();
            match seen.entry((self.kind_of[u], key)) {
                std::collections::hash_map::Entry::Occupied(e) => groups[*e.get()].push(u),
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(groups.len());
                    groups.push(vec![u]);
                }
            }
        }
        groups
    }

    /// The priced problem: each CCG's best (n, d) per option with conditions and directions in
    /// Midlands and East priced at pi and nu, then the exact class assignment. Returns the dual
    /// bound and the (possibly infeasible for the totals) solution. `alike` groups the CCGs
    /// that choose alike.
    pub(super) fn priced(
        &self,
        terms: &[Vec<Term>],
        alike: &[Vec<usize>],
        pi: f64,
        nu: f64,
    ) -> Option<(f64, Solution)> {
        let rec = self.rec;
        // One group per kind of CCG and terms: its options' values and best choices, members.
        let mut groups: Vec<(Vec<(usize, f64)>, &[usize])> = Vec::with_capacity(alike.len());
        let mut picks: Vec<Vec<(u32, u32, f64)>> = Vec::with_capacity(alike.len());
        let mut group_of = vec![0usize; rec.units.len()];
        for (g, members) in alike.iter().enumerate() {
            let u = members[0];
            let unit = &rec.units[u];
            let kind = self.kind_of[u];
            for &m in members {
                group_of[m] = g;
            }
            let goal = goal_of(&terms[u]);
            let mut opts = Vec::with_capacity(unit.options.len());
            let mut pk = Vec::with_capacity(unit.options.len());
            for (o, &k) in unit.options.iter().enumerate() {
                let extreme = self.extremes[kind][o][usize::from(goal == Goal::Min)];
                let (v, n, d, s) = if !unit.me || (terms[u].is_empty() && pi >= 0.0 && nu >= 0.0) {
                    // Outside Midlands and East nothing is priced and every term rises (or
                    // falls) with the score, so the extreme score is best (fewest conditions on
                    // a tie); a CCG with no terms, priced at no less than 0, takes the fewest.
                    let (n, d, s) = extreme?;
                    let price = if unit.me {
                        pi * n as f64 + nu * d as f64
                    } else {
                        0.0
                    };
                    (term_value(&terms[u], s) - price, n, d, s)
                } else {
                    let mut best: Option<(f64, u32, u32, f64)> = None;
                    for &(n, d, s) in self.cached(u, o, goal) {
                        let v = term_value(&terms[u], s) - (pi * n as f64 + nu * d as f64);
                        if best.is_none_or(|b| v > b.0 + 1e-9) {
                            best = Some((v, n, d, s));
                        }
                    }
                    best?
                };
                opts.push((k, v));
                pk.push((n, d, s));
            }
            groups.push((opts, members.as_slice()));
            picks.push(pk);
        }
        let (value, class_of) = assign_groups(&groups, rec.units.len(), &rec.class_count)?;
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
        let picked = |u: usize| picks[group_of[u]][self.option(u, class_of[u])];
        let sol = Solution {
            goals: terms.iter().map(|t| goal_of(t)).collect(),
            n: (0..class_of.len()).map(|u| picked(u).0).collect(),
            d: (0..class_of.len()).map(|u| picked(u).1).collect(),
            scores: (0..class_of.len()).map(|u| picked(u).2).collect(),
            class_of,
            rows: vec![],
        };
        Some((dual, sol))
    }

    /// Lower Midlands and East's total of conditions at no cost to the terms by trading classes
    /// with a CCG outside the region: a Midlands and East CCG moves to a class (neither class
    /// directed, so directions stay as they are) where it keeps its term value with fewer
    /// conditions, and a CCG outside takes its place, also at no loss. Makes the trade, among
    /// those of the CCGs in `scan` (Midlands and East CCGs), that saves the most conditions, at
    /// most `most` (more would leave the region's total below its range), and returns how many
    /// it saved; None when there is none.
    pub(super) fn swap_without_loss(
        &self,
        terms: &[Vec<Term>],
        sol: &mut Solution,
        scan: &[usize],
        most: u32,
    ) -> Option<u32> {
        let rec = self.rec;
        let directed = |k: usize| rec.classes[k].status == Status::Directed;
        // The fewest-conditions row of CCG u in class k keeping at least value `keep`, with
        // fewer than `below` conditions: the first such choice, as choices run in (n, d) order.
        let row = |u: usize, k: usize, keep: f64, below: u32| -> Option<(u32, u32, f64)> {
            let goal = goal_of(&terms[u]);
            self.cached(u, self.option(u, k), goal)
                .iter()
                .take_while(|c| c.0 < below)
                .find(|c| term_value(&terms[u], c.2) >= keep - 1e-9)
                .copied()
        };
        let mut outside: Vec<Vec<usize>> = vec![vec![]; rec.classes.len()];
        for (v, unit) in rec.units.iter().enumerate() {
            if !unit.me {
                outside[sol.class_of[v]].push(v);
            }
        }
        let mut best: Option<(u32, usize, usize, (u32, u32, f64), (u32, u32, f64))> = None;
        for &u in scan {
            let ku = sol.class_of[u];
            if directed(ku) {
                continue;
            }
            let keep_u = term_value(&terms[u], sol.scores[u]);
            for &kv in &rec.units[u].options {
                if kv == ku || directed(kv) {
                    continue;
                }
                let Some(ru) = row(u, kv, keep_u, sol.n[u]) else {
                    continue;
                };
                let saved = sol.n[u] - ru.0;
                if saved > most || best.as_ref().is_some_and(|b| b.0 >= saved) {
                    continue;
                }
                let partner = outside[kv].iter().find_map(|&v| {
                    if !rec.units[v].options.contains(&ku) {
                        return None;
                    }
                    let keep_v = term_value(&terms[v], sol.scores[v]);
                    row(v, ku, keep_v, u32::MAX).map(|rv| (v, rv))
                });
                if let Some((v, rv)) = partner {
                    best = Some((saved, u, v, ru, rv));
                }
            }
        }
        let (saved, u, v, ru, rv) = best?;
        let (ku, kv) = (sol.class_of[u], sol.class_of[v]);
        (sol.class_of[u], sol.n[u], sol.d[u], sol.scores[u]) = (kv, ru.0, ru.1, ru.2);
        (sol.class_of[v], sol.n[v], sol.d[v], sol.scores[v]) = (ku, rv.0, rv.1, rv.2);
        Some(saved)
    }

    pub(super) fn option(&self, u: usize, k: usize) -> usize {
        self.rec.units[u]
            .options
            .iter()
            .position(|&x| x == k)
            .expect("class is an option")
    }

    /// The cheapest single step for one CCG: (loss, n, d, score), or None.
    fn step(
        &self,
        terms: &[Vec<Term>],
        sol: &Solution,
        u: usize,
        moves: &[(i32, i32)],
    ) -> Option<(f64, u32, u32, f64)> {
        let at = (sol.n[u], sol.d[u], sol.scores[u]);
        self.step_at(terms, u, sol.class_of[u], at, moves)
    }

    /// As `step`, from CCG u in class k at (n, d, score).
    fn step_at(
        &self,
        terms: &[Vec<Term>],
        u: usize,
        k: usize,
        (n0, d0, s0): (u32, u32, f64),
        moves: &[(i32, i32)],
    ) -> Option<(f64, u32, u32, f64)> {
        let goal = goal_of(&terms[u]);
        let p = self.profile(u, self.option(u, k), goal);
        let cur = term_value(&terms[u], s0);
        let mut step: Option<(f64, u32, u32, f64)> = None;
        for &(mn, md) in moves {
            let (n, d) = (n0 as i64 + mn as i64, d0 as i64 + md as i64);
            if n < 0 || d < 0 || (!p.exact_d && md != 0) {
                continue;
            }
            if let Some(s) = p.at(n as u32, p.exact_d.then_some(d as u32)) {
                let loss = cur - term_value(&terms[u], s);
                if step.is_none_or(|b| loss < b.0 - 1e-9) {
                    step = Some((loss, n as u32, d as u32, s));
                }
            }
        }
        step
    }

    /// The run of steps from CCG u's place that loses least per step (on a tie, the longest):
    /// (loss per step, the places it passes through). A CCG whose term is lost at its first
    /// step and then costs nothing more gives up everything it can in one run, which a
    /// cheapest-single-step rule never sees.
    fn best_run(
        &self,
        terms: &[Vec<Term>],
        sol: &Solution,
        u: usize,
        moves: &[(i32, i32)],
    ) -> Option<(f64, Vec<(u32, u32, f64)>)> {
        let mut at = (sol.n[u], sol.d[u], sol.scores[u]);
        let (mut lost, mut path) = (0.0, vec![]);
        let mut best: Option<(f64, usize)> = None;
        for _ in 0..=CRITERIA_STEPS {
            let Some((loss, n, d, s)) = self.step_at(terms, u, sol.class_of[u], at, moves) else {
                break;
            };
            lost += loss;
            at = (n, d, s);
            path.push(at);
            let rate = lost / path.len() as f64;
            if best.is_none_or(|b| rate <= b.0 + 1e-9) {
                best = Some((rate, path.len()));
            }
        }
        let (rate, len) = best?;
        path.truncate(len);
        Some((rate, path))
    }

    /// Meet Midlands and East's totals by the cheapest single steps: first the directions (one at
    /// a time), then the conditions, taking a run of steps from one CCG while it stays the
    /// cheapest (a CCG with nothing at stake gives or takes conditions for free). With `trade`,
    /// before a step that costs anything, a class trade that lowers the total for free
    /// (`swap_without_loss`); it is slow, so only searches still undecided ask for it.
    fn repair(&self, terms: &[Vec<Term>], mut sol: Solution, trade: bool) -> Option<Solution> {
        let (rec, me) = (self.rec, self.me.as_slice());
        if let Some(target) = rec.me_directions {
            self.meet_directions(terms, &mut sol, me, target, None)?;
        }
        if let Some((lo, hi)) = rec.me_conditions {
            self.meet_conditions(terms, &mut sol, me, (lo, hi), trade)?;
        }
        Some(sol)
    }

    /// As `repair`, with wide steps for the directions (priced at the condition's price `pi`)
    /// and the total of conditions met by the runs that lose least per condition (`best_run`),
    /// trading classes first. Slower; a last try for searches still undecided.
    pub(super) fn repair_by_runs(
        &self,
        terms: &[Vec<Term>],
        mut sol: Solution,
        pi: f64,
    ) -> Option<Solution> {
        let (rec, me) = (self.rec, self.me.as_slice());
        if let Some(target) = rec.me_directions {
            self.meet_directions(terms, &mut sol, me, target, Some(pi))?;
        }
        let Some((lo, hi)) = rec.me_conditions else {
            return Some(sol);
        };
        let mut total: u32 = me.iter().map(|&u| sol.n[u]).sum();
        let (dn, moves) = self.condition_moves(total, lo);
        let moves = moves.as_slice();
        let mut runs: Vec<_> = me
            .iter()
            .map(|&u| self.best_run(terms, &sol, u, moves))
            .collect();
        while !(lo..=hi).contains(&total) {
            let rate = |r: &Option<(f64, Vec<(u32, u32, f64)>)>| r.as_ref().map(|r| r.0);
            let cheapest = runs.iter().filter_map(rate).fold(f64::INFINITY, f64::min);
            if dn < 0 && cheapest > 1e-9 {
                if let Some(saved) = self.swap_without_loss(terms, &mut sol, me, total - lo) {
                    total -= saved;
                    runs = me
                        .iter()
                        .map(|&u| self.best_run(terms, &sol, u, moves))
                        .collect();
                    continue;
                }
            }
            let (i, _) = runs
                .iter()
                .enumerate()
                .filter_map(|(i, r)| rate(r).map(|x| (i, x)))
                .min_by(|a, b| a.1.total_cmp(&b.1))?;
            let u = me[i];
            for &(n, d, s) in &runs[i].take()?.1 {
                if (lo..=hi).contains(&total) {
                    break;
                }
                total = total + n - sol.n[u];
                (sol.n[u], sol.d[u], sol.scores[u]) = (n, d, s);
            }
            runs[i] = self.best_run(terms, &sol, u, moves);
        }
        Some(sol)
    }

    /// Midlands and East's total of directions to `target`, one direction at a time. With
    /// `priced_at` (the condition's price), a step may also move a CCG's conditions by up to
    /// `WIDE` either way, each condition costing that price: a CCG can then give up a direction
    /// for more conditions at the same score, which the narrow steps never see.
    fn meet_directions(
        &self,
        terms: &[Vec<Term>],
        sol: &mut Solution,
        me: &[usize],
        target: u32,
        priced_at: Option<f64>,
    ) -> Option<()> {
        // Each step moves the total one way, so the direction of travel is fixed and only
        // the CCG that moved needs its next step worked out again.
        let total: u32 = me.iter().map(|&u| sol.d[u]).sum();
        let dd = if total < target { 1 } else { -1 };
        let mut moves = vec![(0, dd), (dd, dd)];
        if priced_at.is_some() {
            for m in (1..=WIDE).flat_map(|m| [m, -m]) {
                if !moves.contains(&(m, dd)) {
                    moves.push((m, dd));
                }
            }
        }
        let pi = priced_at.unwrap_or(0.0);
        let next_step = |sol: &Solution, u: usize| -> Option<(f64, u32, u32, f64)> {
            let at = (sol.n[u], sol.d[u], sol.scores[u]);
            let mut best: Option<(f64, u32, u32, f64)> = None;
            for mv in &moves {
                let step = self.step_at(terms, u, sol.class_of[u], at, std::slice::from_ref(mv));
                if let Some((loss, n, d, s)) = step {
                    let cost = loss + pi * (f64::from(n) - f64::from(at.0));
                    if best.is_none_or(|b| cost < b.0 - 1e-9) {
                        best = Some((cost, n, d, s));
                    }
                }
            }
            best
        };
        let mut next: Vec<Option<(f64, u32, u32, f64)>> =
            me.iter().map(|&u| next_step(sol, u)).collect();
        let mut total = total;
        for _ in 0..=CRITERIA_STEPS {
            if total == target {
                break;
            }
            // The cheapest step (the first CCG on a tie).
            let (i, (_, n, d, s)) = next
                .iter()
                .enumerate()
                .filter_map(|(i, m)| m.map(|m| (i, m)))
                .min_by(|a, b| a.1 .0.total_cmp(&b.1 .0))?;
            let u = me[i];
            (sol.n[u], sol.d[u], sol.scores[u]) = (n, d, s);
            total = (total as i64 + dd as i64) as u32;
            next[i] = next_step(sol, u);
        }
        (total == target).then_some(())
    }

    /// Which way Midlands and East's total of conditions must move from `total` (up when below
    /// `lo`), and the steps that move it: one condition more or fewer, with a direction more
    /// or fewer too unless the total of directions is published (then directions stay put).
    fn condition_moves(&self, total: u32, lo: u32) -> (i32, Vec<(i32, i32)>) {
        let dn: i32 = if total < lo { 1 } else { -1 };
        if self.rec.me_directions.is_some() {
            (dn, vec![(dn, 0)])
        } else {
            (dn, vec![(dn, 0), (dn, -1), (dn, 1)])
        }
    }

    /// Midlands and East's total of conditions into `lo..=hi`, trading classes first where
    /// `trade` asks for it.
    fn meet_conditions(
        &self,
        terms: &[Vec<Term>],
        sol: &mut Solution,
        me: &[usize],
        (lo, hi): (u32, u32),
        trade: bool,
    ) -> Option<()> {
        let mut total: u32 = me.iter().map(|&u| sol.n[u]).sum();
        let (dn, moves) = self.condition_moves(total, lo);
        let moves = moves.as_slice();
        let mut next: Vec<Option<(f64, u32, u32, f64)>> = me
            .iter()
            .map(|&u| self.step(terms, sol, u, moves))
            .collect();
        // Which CCGs' trades to look at: all of them, or (after a look found none) only those
        // that have stepped since; a step changes no other CCG's trades, as nothing outside the
        // region moves.
        let mut look: Option<Vec<usize>> = None;
        while !(lo..=hi).contains(&total) {
            let cheapest = next
                .iter()
                .filter_map(|m| m.map(|m| m.0))
                .fold(f64::INFINITY, f64::min);
            if trade && dn < 0 && cheapest > 1e-9 {
                let scan = look.as_deref().unwrap_or(me);
                let saved = if scan.is_empty() {
                    None
                } else {
                    self.swap_without_loss(terms, sol, scan, total - lo)
                };
                if let Some(saved) = saved {
                    total -= saved;
                    look = None;
                    next = me
                        .iter()
                        .map(|&u| self.step(terms, sol, u, moves))
                        .collect();
                    continue;
                }
                look = Some(vec![]);
            }
            let (i, _) = next
                .iter()
                .enumerate()
                .filter_map(|(i, m)| m.map(|m| (i, m.0)))
                .min_by(|a, b| a.1.total_cmp(&b.1))?;
            let second = next
                .iter()
                .enumerate()
                .filter(|(k, _)| *k != i)
                .filter_map(|(_, m)| m.map(|m| m.0))
                .fold(f64::INFINITY, f64::min);
            let u = me[i];
            if let Some(l) = look.as_mut() {
                l.push(u);
            }
            while let Some((loss, n, d, s)) = next[i] {
                if loss > second + 1e-9 || (lo..=hi).contains(&total) {
                    break;
                }
                total = total + n - sol.n[u];
                (sol.n[u], sol.d[u], sol.scores[u]) = (n, d, s);
                next[i] = self.step(terms, sol, u, moves);
            }
        }
        Some(())
    }

    /// Lay out every CCG's rows for a solution (the profiles say what each can score; the rows
    /// show how), with each score and direction count recomputed from the rows.
    pub fn materialise(&self, mut sol: Solution) -> Option<Solution> {
        let rec = self.rec;
        sol.rows = vec![];
        for (u, unit) in rec.units.iter().enumerate() {
            let goal = sol.goals[u];
            let k = sol.class_of[u];
            let o = self.option(u, k);
            let shape = &self.profiles[self.kind_of[u]][o].0;
            let directed = rec.classes[k].status == Status::Directed;
            let d = self.profile(u, o, goal).exact_d.then_some(sol.d[u]);
            let key = (self.kind_of[u], o, goal == Goal::Max, sol.n[u], d);
            let cached = self.rows_cache.borrow().get(&key).cloned();
            let rows = match cached {
                Some(r) => r,
                None => {
                    let r = if sol.n[u] == 0 {
                        Some(vec![])
                    } else {
                        rows::rows(unit, shape, directed, self.w, goal, sol.n[u], d)
                    };
                    self.rows_cache.borrow_mut().insert(key, r.clone());
                    r
                }
            }?;
            let score: f64 = rows
                .iter()
                .map(|&(l, dir)| {
                    self.w.levels[l as usize - 1] + if dir { self.w.legal_direction } else { 0.0 }
                })
                .sum();
            debug_assert!(
                (score - sol.scores[u]).abs() < 1e-6,
                "rows reproduce the profile's score"
            );
            let dd = rows.iter().filter(|r| r.1).count() as u32;
            sol.d[u] = dd;
            sol.scores[u] = score;
            sol.rows.push(rows);
        }
        Some(sol)
    }

    /// Every score a CCG of `members` could take at an extreme of an order statistic, sorted,
    /// distinct. Outside Midlands and East nothing ties a CCG's conditions to another's, so
    /// there each CCG sits at its class's extreme and only those scores are candidates.
    pub fn candidate_scores(&self, members: &[usize], goal: Goal) -> Vec<f64> {
        let mut v: Vec<f64> = vec![0.0];
        for &u in members {
            for o in 0..self.rec.units[u].options.len() {
                if self.rec.units[u].me {
                    v.extend(self.cached(u, o, goal).iter().map(|c| c.2));
                } else {
                    let i = usize::from(goal == Goal::Min);
                    v.extend(self.extremes[self.kind_of[u]][o][i].map(|c| c.2));
                }
            }
        }
        v.sort_by(f64::total_cmp);
        v.dedup_by(|a, b| (*a - *b).abs() < 1e-9);
        v
    }
}

#[cfg(test)]
mod price_search_tests {
    use super::{refine, ternary};

    /// A convex, piecewise-linear limit whose least value lies between two listed prices: the
    /// listed points miss it by 0.12, the refinement comes within the bracket's last width.
    #[test]
    fn refinement_finds_the_least_value_between_listed_prices() {
        let f = |x: f64| (x - 0.37).abs() + 2.0;
        let points = [0.0, 0.25, 0.5, 1.0];
        let (at, value) = ternary(&points, f, || false);
        assert_eq!((at, value), (0.25, 2.12));
        let x = refine(&points, (at, value), 12, f, || false);
        assert!((0.25..=0.5).contains(&x), "{x}");
        // The bracket is the best point's neighbours, 0 to 0.5; twelve golden-section steps
        // leave 0.5 * 0.618^12 of it, about 0.0016, and the slope is 1.
        assert!(f(x) < 2.0 + 0.0016, "{x} gives {}", f(x));
        // Told to stop, it keeps the best of what it has seen, never worse than where it began.
        let mut calls = 0;
        let x = refine(
            &points,
            (at, value),
            12,
            |p| {
                calls += 1;
                f(p)
            },
            || true,
        );
        assert_eq!(calls, 2);
        assert!(f(x) <= value);
        // From a point between listed ones (an earlier refinement's), the bracket is the listed
        // points either side of it, 0.25 to 0.5, not the list's first two.
        let x = refine(&points, (0.3, f(0.3)), 12, f, || false);
        assert!((0.25..=0.5).contains(&x) && f(x) < 2.0 + 0.0008, "{x}");
    }
}
