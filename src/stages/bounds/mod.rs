//! What the published record settles. Over every per-CCG dataset that agrees with every
//! published fact (the *consistent set*, `record`), the exact range of each claim's figure, a
//! dataset attaining each end (a *witness*, checked against every published fact), and whether
//! the claim holds in all of them (settled), none (ruled out) or some (open).
//!
//! Why the search is exact: the classes (wave and outcome) carry every published count, and the
//! class assignment is solved exactly as a flow; within a class each CCG's best rows come from an
//! exact dynamic programme; the two regional totals that tie CCGs together are priced, and the
//! priced optimum is an upper bound on every dataset (weak duality). A bound is reported as
//! exact only when a witness attains that upper bound, so exactness is proved per run, not
//! assumed; otherwise the figure says how far apart the witness and the bound are. Tests check
//! the bounds by enumerating every dataset of a small fixture.

pub mod flow;
pub mod record;
pub mod rows;
pub mod search;
pub mod witness;

use crate::io::weights::Weights;
use crate::model::REGIONS;
use record::Status;
pub use record::{Assumptions, Record};
use rows::Goal;
use search::{Solution, Solver, Term};
use serde::Serialize;

/// One end of a figure's range over the consistent set.
#[derive(Debug, Clone, Serialize)]
pub struct End {
    /// The figure in the witness (infinite for an unbounded ratio).
    pub value: f64,
    /// The proved limit: no consistent dataset goes beyond it.
    pub proved: f64,
    /// The witness attains the proved limit.
    pub exact: bool,
    /// Name of the witness folder, when one is written.
    pub witness: Option<String>,
    #[serde(skip)]
    pub solution: Option<Solution>,
}

impl End {
    fn new(value: f64, proved: f64, solution: Option<Solution>) -> End {
        let exact = (value - proved).abs() <= 1e-6 * proved.abs().max(1.0)
            || (value.is_infinite() && proved.is_infinite());
        End {
            value,
            proved,
            exact,
            witness: None,
            solution,
        }
    }
}

/// A figure behind a claim, with its range.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    pub key: String,
    pub label: String,
    pub min: End,
    pub max: End,
}

/// Does the published record settle a claim?
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Record2 {
    /// Holds in every consistent dataset.
    Settled,
    /// Holds in none.
    RuledOut,
    /// Holds in some, fails in others.
    Open,
}

impl Record2 {
    pub fn label(self) -> &'static str {
        match self {
            Record2::Settled => "settled",
            Record2::RuledOut => "ruled out",
            Record2::Open => "open",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimBounds {
    pub claim: String,
    pub status: Option<Record2>,
    pub figures: Vec<Figure>,
    /// In plain words: what must have been true for the claim to hold.
    pub necessary: String,
    #[serde(skip)]
    pub holds: Option<Solution>,
    #[serde(skip)]
    pub fails: Option<Solution>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Bounds {
    pub assumptions: Assumptions,
    pub scheme: String,
    pub claims: Vec<ClaimBounds>,
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len();
    if m % 2 == 1 {
        v[m / 2]
    } else {
        (v[m / 2 - 1] + v[m / 2]) / 2.0
    }
}

/// The 1-based positions of the order statistics a median averages.
fn middle(m: usize) -> (usize, usize) {
    if m % 2 == 1 {
        ((m + 1) / 2, (m + 1) / 2)
    } else {
        (m / 2, m / 2 + 1)
    }
}

#[derive(Clone, Copy)]
enum Order {
    MostOptionsFirst,
    FewestOptionsFirst,
}

struct Ctx<'a> {
    solver: Solver<'a>,
    regions: [Vec<usize>; 4],
}

impl Ctx<'_> {
    fn terms(&self, f: impl Fn(usize) -> Vec<Term>) -> Vec<Vec<Term>> {
        (0..self.solver.rec.units.len()).map(f).collect()
    }

    /// Largest t (Max) or smallest t (Min) such that at least q members score >= t (<= t):
    /// the proved limit, and whether the search met it with a witness at every step.
    fn order_stat(&self, members: &[usize], q: usize, goal: Goal) -> (f64, bool) {
        let mut cand = self.solver.candidate_scores(members, goal);
        if goal == Goal::Min {
            cand.reverse();
        }
        let probe = |t: f64| -> Option<bool> {
            let terms = self.terms(|u| {
                if members.contains(&u) {
                    vec![match goal {
                        Goal::Max => Term::AtLeast(t, 1.0),
                        Goal::Min => Term::AtMost(t, 1.0),
                    }]
                } else {
                    vec![]
                }
            });
            let need = q as f64 - 1e-6;
            let s = self.solver.solve_until(&terms, &|best, bound| {
                best.is_some_and(|v| v >= need) || bound < need
            });
            if s.best.as_ref().is_some_and(|(v, _)| *v >= q as f64 - 1e-6) {
                Some(true)
            } else if s.bound < q as f64 - 1e-6 {
                Some(false)
            } else {
                None
            }
        };
        // cand[0] is always feasible (0 for Max: every score is >= 0; the largest for Min).
        let (mut lo, mut hi) = (0usize, cand.len());
        let mut exact = true;
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            match probe(cand[mid]) {
                Some(true) => lo = mid,
                Some(false) => hi = mid,
                None => {
                    exact = false;
                    hi = mid;
                }
            }
        }
        (cand[lo], exact)
    }

    /// Terms that push a region's median to its extreme, given the order-statistic targets.
    fn median_terms(
        &self,
        r: usize,
        goal: Goal,
        targets: (f64, f64),
    ) -> impl Fn(usize) -> Vec<Term> + '_ {
        let m = self.regions[r].len() as f64;
        move |u| {
            if !self.regions[r].contains(&u) {
                return vec![];
            }
            match goal {
                Goal::Max => vec![
                    Term::AtLeast(targets.1, m + 1.0),
                    Term::AtLeast(targets.0, 1.0),
                ],
                Goal::Min => vec![
                    Term::AtMost(targets.0, m + 1.0),
                    Term::AtMost(targets.1, 1.0),
                ],
            }
        }
    }

    /// Order-statistic targets of a region's median at its extreme (proved limits).
    fn median_targets(&self, r: usize, goal: Goal) -> ((f64, f64), bool) {
        let members = &self.regions[r];
        let m = members.len();
        let (a, b) = middle(m);
        match goal {
            Goal::Max => {
                let (ta, ea) = self.order_stat(members, m - a + 1, Goal::Max);
                let (tb, eb) = self.order_stat(members, m - b + 1, Goal::Max);
                ((ta, tb), ea && eb)
            }
            Goal::Min => {
                let (ta, ea) = self.order_stat(members, a, Goal::Min);
                let (tb, eb) = self.order_stat(members, b, Goal::Min);
                ((ta, tb), ea && eb)
            }
        }
    }

    /// In each region, enough CCGs to hold its median up (m - a + 1 of them, a the lower middle
    /// position), picked in `order`: a search that asks every CCG for something gives the
    /// fully authorised places to whichever region it likes, so only these ask.
    fn median_holders(&self, order: Order) -> std::collections::BTreeSet<usize> {
        let mut out = std::collections::BTreeSet::new();
        for members in &self.regions {
            let m = members.len();
            if m == 0 {
                continue;
            }
            let (a, _) = middle(m);
            let mut sorted = members.clone();
            let options = |u: &usize| self.solver.rec.units[*u].options.len();
            match order {
                Order::MostOptionsFirst => {
                    sorted.sort_by_key(|u| (std::cmp::Reverse(options(u)), *u))
                }
                Order::FewestOptionsFirst => sorted.sort_by_key(|u| (options(u), *u)),
            }
            out.extend(sorted.into_iter().take(m - a + 1));
        }
        out
    }

    fn medians_of(&self, sol: &Solution) -> [f64; 4] {
        std::array::from_fn(|r| median(self.regions[r].iter().map(|&u| sol.scores[u]).collect()))
    }

    fn solve_terms(&self, terms: &[Vec<Term>]) -> Option<Solution> {
        self.solver.solve(terms).best.map(|b| b.1)
    }
}

/// Group sum extremes: (value, proved, witness).
fn group_sum(ctx: &Ctx, members: &[usize], goal: Goal) -> (f64, f64, Option<Solution>) {
    let c = if goal == Goal::Max { 1.0 } else { -1.0 };
    let s = ctx.solver.solve(&ctx.terms(|u| {
        if members.contains(&u) {
            vec![Term::Linear(c)]
        } else {
            vec![]
        }
    }));
    match s.best {
        Some((v, sol)) => (c * v, c * s.bound, Some(sol)),
        None => (f64::NAN, c * s.bound, None),
    }
}

/// Largest a/b of two group sums (Dinkelbach): the witness's ratio, the proved limit, the
/// witness. `keep_b_positive`: one member of b keeps a condition (so the ratio is defined).
fn ratio_max(
    ctx: &Ctx,
    a: &[usize],
    b: &[usize],
    keep: Option<usize>,
) -> (f64, f64, Option<Solution>) {
    let sums = |sol: &Solution| -> (f64, f64) {
        (
            a.iter().map(|&u| sol.scores[u]).sum(),
            b.iter().map(|&u| sol.scores[u]).sum(),
        )
    };
    let mut rho = 0.0;
    let mut best: Option<(f64, Solution)> = None;
    for _ in 0..30 {
        let terms = ctx.terms(|u| {
            if a.contains(&u) {
                vec![Term::Linear(1.0)]
            } else if Some(u) == keep {
                vec![Term::Linear(-rho), Term::AtLeast(search::POSITIVE, 1e12)]
            } else if b.contains(&u) {
                vec![Term::Linear(-rho)]
            } else {
                vec![]
            }
        });
        let s = ctx.solver.solve(&terms);
        let Some((_, sol)) = s.best else { break };
        let (sa, sb) = sums(&sol);
        if sb <= 0.0 {
            let r = if sa > 0.0 { f64::INFINITY } else { f64::NAN };
            return (r, f64::INFINITY, Some(sol));
        }
        let r = sa / sb;
        let proved_at_rho = s.bound - if keep.is_some() { 1e12 } else { 0.0 };
        if r <= rho + 1e-12 {
            // No dataset has a - rho b above the bound; the bound <= 0 proves rho is the maximum.
            let proved = if proved_at_rho <= 1e-6 {
                rho
            } else {
                f64::INFINITY
            };
            return (rho, proved, best.map(|b| b.1));
        }
        rho = r;
        best = Some((r, sol));
    }
    let (r, sol) = best.map_or((f64::NAN, None), |(r, s)| (r, Some(s)));
    (r, f64::INFINITY, sol)
}

/// The bounds of claims 1, 4 and 5 under one assumption set and weighting scheme.
pub fn bounds(rec: &Record, w: &Weights, compare: (&str, &str)) -> Bounds {
    let solver = Solver::new(rec, w);
    let regions: [Vec<usize>; 4] = std::array::from_fn(|r| {
        (0..rec.units.len())
            .filter(|&u| rec.units[u].region == r)
            .collect()
    });
    let ctx = Ctx { solver, regions };
    let n = rec.units.len();
    // Claim 1: the share with conditions is the number of places in classes with conditions.
    let with: u32 = rec
        .classes
        .iter()
        .zip(&rec.class_count)
        .filter(|(c, _)| c.status != Status::Full)
        .map(|(_, &k)| k)
        .sum();
    let share = with as f64 / n as f64;
    let any = ctx.solve_terms(&ctx.terms(|_| vec![]));
    let claim1 = ClaimBounds {
        claim: "with_conditions".into(),
        status: Some(if (0.75..=0.85).contains(&share) {
            Record2::Settled
        } else {
            Record2::RuledOut
        }),
        figures: vec![Figure {
            key: "share_with_conditions".into(),
            label: "share of CCGs with conditions".into(),
            min: End::new(share, share, any.clone()),
            max: End::new(share, share, any.clone()),
        }],
        necessary: format!(
            "{with} of {n} CCGs had conditions in every consistent dataset: the wave totals fix it"
        ),
        holds: any.clone().filter(|_| (0.75..=0.85).contains(&share)),
        fails: any.filter(|_| !(0.75..=0.85).contains(&share)),
    };
    let claim2 = correlation(&ctx, "no_size_relation", "registered population", |u| {
        u.population
    });
    let claim3 = correlation(
        &ctx,
        "no_deprivation_relation",
        "IMD 2010 deprivation score",
        |u| u.imd,
    );
    let claim4 = regional_spread(&ctx);
    let claim5 = csu_ratio(&ctx, compare);
    // Rows for every dataset kept as a witness (the searches work on scores alone).
    let mut claims = vec![claim1, claim2, claim3, claim4, claim5];
    for c in &mut claims {
        for f in &mut c.figures {
            for e in [&mut f.min, &mut f.max] {
                e.solution = e.solution.take().and_then(|s| ctx.solver.materialise(s));
            }
        }
        c.holds = c.holds.take().and_then(|s| ctx.solver.materialise(s));
        c.fails = c.fails.take().and_then(|s| ctx.solver.materialise(s));
    }
    Bounds {
        assumptions: rec.assumptions,
        scheme: w.name.clone(),
        claims,
    }
}

/// Claims 2 and 3: no exact bounds, but a dataset pushing the rank correlation of score with
/// `x` as high as the search can and one as low, each with its significance. The claim is open
/// when one dataset keeps it and another breaks it.
fn correlation(
    ctx: &Ctx,
    claim: &str,
    what: &str,
    x: impl Fn(&record::Unit) -> f64,
) -> ClaimBounds {
    let units = &ctx.solver.rec.units;
    let xs: Vec<f64> = units.iter().map(&x).collect();
    let ranks = crate::stats::average_ranks(&xs);
    let centre = (units.len() as f64 + 1.0) / 2.0;
    let test = |s: &Solution| crate::stats::spearman_test(&s.scores, &xs);
    let mut ends = vec![];
    for sign in [-1.0, 1.0] {
        // Scores leaning with the CCG's rank in x, by tenths of the ranking (a few distinct
        // weights keep alike CCGs together in the search): the covariance with the ranks,
        // pushed up.
        let tenth = |u: usize| {
            ((ranks[u] - centre) / centre * 5.0)
                .round()
                .clamp(-5.0, 5.0)
        };
        let sol = ctx.solve_terms(&ctx.terms(|u| match sign * tenth(u) {
            0.0 => vec![],
            c => vec![Term::Linear(c)],
        }));
        let r = sol.as_ref().map_or(f64::NAN, |s| test(s).r);
        let mut e = End::new(r, sign, sol);
        e.exact = false;
        ends.push(e);
    }
    let (lo, hi) = (ends.remove(0), ends.remove(0));
    let significant = |e: &End, positive: bool| {
        e.solution.as_ref().is_some_and(|s| {
            let t = test(s);
            t.p_value < 0.05 && (t.r > 0.0) == positive
        })
    };
    let (neg, pos) = (significant(&lo, false), significant(&hi, true));
    // Claim 2 fails on any significant correlation; claim 3 only on a positive one. Both hold
    // on a dataset with no significant correlation, which the claim-1 dataset of the search
    // may or may not be: a dataset with every score alike in rank order is sought directly.
    let fails = if claim == "no_size_relation" {
        neg || pos
    } else {
        pos
    };
    let holds_sol = [&lo, &hi]
        .into_iter()
        .filter_map(|e| e.solution.clone())
        .chain(ctx.solve_terms(&ctx.terms(|_| vec![])))
        .find(|s| {
            let t = test(s);
            if claim == "no_size_relation" {
                t.p_value >= 0.05
            } else {
                t.r <= 0.0 || t.p_value >= 0.05
            }
        });
    let fails_sol = [&lo, &hi]
        .into_iter()
        .filter_map(|e| e.solution.clone())
        .find(|s| {
            let t = test(s);
            t.p_value < 0.05 && (claim == "no_size_relation" || t.r > 0.0)
        });
    let status = match (holds_sol.is_some(), fails) {
        (true, true) => Some(Record2::Open),
        _ => None,
    };
    let p = |e: &End| e.solution.as_ref().map_or(f64::NAN, |s| test(s).p_value);
    ClaimBounds {
        claim: claim.into(),
        status,
        necessary: format!(
            "not bounded exactly: datasets consistent with the record give Spearman's rho of score with {what} from {} ({}) to {} ({}); {}",
            crate::format::approx(lo.value),
            crate::format::p_text(p(&lo)),
            crate::format::approx(hi.value),
            crate::format::p_text(p(&hi)),
            if fails { "the claim fails in some of them and holds in others" } else { "no dataset found in which the claim fails" }
        ),
        figures: vec![Figure {
            key: format!("rho_{}", if claim == "no_size_relation" { "size" } else { "deprivation" }),
            label: format!("Spearman's rho, score vs {what}"),
            min: lo,
            max: hi,
        }],
        holds: holds_sol,
        fails: fails_sol,
    }
}

fn regional_spread(ctx: &Ctx) -> ClaimBounds {
    let mut figures = vec![];
    let mut ext = vec![];
    for r in 0..4 {
        if ctx.regions[r].is_empty() {
            ext.push(None);
            continue;
        }
        let (tmin, emin) = ctx.median_targets(r, Goal::Min);
        let (tmax, emax) = ctx.median_targets(r, Goal::Max);
        let wmin = ctx.solve_terms(&ctx.terms(ctx.median_terms(r, Goal::Min, tmin)));
        let wmax = ctx.solve_terms(&ctx.terms(ctx.median_terms(r, Goal::Max, tmax)));
        let vmin = wmin.as_ref().map_or(f64::NAN, |s| ctx.medians_of(s)[r]);
        let vmax = wmax.as_ref().map_or(f64::NAN, |s| ctx.medians_of(s)[r]);
        let (pmin, pmax) = ((tmin.0 + tmin.1) / 2.0, (tmax.0 + tmax.1) / 2.0);
        let mut lo = End::new(vmin, pmin, wmin);
        let mut hi = End::new(vmax, pmax, wmax);
        lo.exact &= emin;
        hi.exact &= emax;
        ext.push(Some((tmin, tmax, lo.value, hi.value, pmin, pmax)));
        figures.push(Figure {
            key: format!("median_{}", slug(REGIONS[r])),
            label: format!("median score, {}", REGIONS[r]),
            min: lo,
            max: hi,
        });
    }
    // Joint datasets: the North at its lowest and every other region at its highest (the
    // claim's best case), and the reverse for one other region (its worst case).
    let joint = |low: usize, others_max: bool| -> Option<Solution> {
        let (tmin, tmax) = (ext[low]?.0, ext[low]?.1);
        let _ = tmax;
        let terms = ctx.terms(|u| {
            let r = ctx.solver.rec.units[u].region;
            if r == low {
                ctx.median_terms(r, Goal::Min, tmin)(u)
            } else if others_max {
                ext[r].map_or(vec![], |e| ctx.median_terms(r, Goal::Max, e.1)(u))
            } else {
                vec![]
            }
        });
        ctx.solve_terms(&terms)
    };
    let judge = |s: &Solution| -> (f64, bool) {
        let m = ctx.medians_of(s);
        let n = [
            ctx.regions[0].len(),
            ctx.regions[1].len(),
            ctx.regions[2].len(),
            ctx.regions[3].len(),
        ];
        let (_, _, ratio) = crate::stages::headline::median_spread(&m, &n);
        let holds = ratio.is_finite()
            && ratio >= 3.0
            && crate::stages::headline::north_strictly_lowest(&m, &n);
        (ratio, holds)
    };
    // Best case for the claim: the North's median small but above 0 (its CCGs first: a large
    // gain each), every other region's at least three times it.
    let mut holds = None;
    if ext[0].is_some() {
        let positive: Vec<f64> = ctx
            .solver
            .candidate_scores(&ctx.regions[0], Goal::Min)
            .into_iter()
            .filter(|&t| t > 0.0)
            .take(4)
            .collect();
        let big = ctx.solver.rec.units.len() as f64 + 1.0;
        'search: for t in positive {
            for order in [Order::MostOptionsFirst, Order::FewestOptionsFirst] {
                // Enough of each region's CCGs above the line that its median is too: the
                // North's above 0 and at most t, every other region's at least 3t.
                let chosen = ctx.median_holders(order);
                let terms = ctx.terms(|u| {
                    let (r, held) = (ctx.solver.rec.units[u].region, chosen.contains(&u));
                    match (r, held) {
                        (0, true) => {
                            vec![Term::AtMost(t, big), Term::AtLeast(search::POSITIVE, big)]
                        }
                        (0, false) => vec![Term::AtMost(t, big)],
                        (_, true) => vec![Term::AtLeast(3.0 * t, 1.0)],
                        _ => vec![],
                    }
                });
                if let Some(s) = ctx.solve_terms(&terms) {
                    if judge(&s).1 {
                        holds = Some(s);
                        break 'search;
                    }
                }
            }
        }
    }
    // Worst case: the North at its highest, another region at its lowest.
    let mut fails = None;
    for r in 1..4 {
        let (Some(en), Some(er)) = (ext[0], ext[r]) else {
            continue;
        };
        let terms = ctx.terms(|u| {
            let ru = ctx.solver.rec.units[u].region;
            if ru == 0 {
                ctx.median_terms(0, Goal::Max, en.1)(u)
            } else if ru == r {
                ctx.median_terms(r, Goal::Min, er.0)(u)
            } else {
                vec![]
            }
        });
        if let Some(s) = ctx.solve_terms(&terms) {
            if !judge(&s).1 {
                fails = Some(s);
                break;
            }
        }
    }
    // The ratio: its largest value has the lowest median at its least and the others at their
    // most; the proved limit is the largest proved median over the least proved one.
    let present: Vec<usize> = (0..4).filter(|&r| ext[r].is_some()).collect();
    let low = present
        .iter()
        .copied()
        .min_by(|&a, &b| ext[a].unwrap().4.total_cmp(&ext[b].unwrap().4))
        .unwrap_or(0);
    let proved_max = present
        .iter()
        .map(|&r| ext[r].unwrap().5)
        .fold(0.0, f64::max)
        / ext[low].map_or(f64::NAN, |e| e.4);
    let wmax = joint(low, true);
    let vmax = wmax.as_ref().map_or(f64::NAN, |s| judge(s).0);
    let proved_max = if proved_max.is_nan() {
        f64::INFINITY
    } else {
        proved_max
    };
    // Smallest ratio: at least the largest proved least median over the least proved greatest.
    let proved_min = (present
        .iter()
        .map(|&r| ext[r].unwrap().4)
        .fold(0.0, f64::max)
        / present
            .iter()
            .map(|&r| ext[r].unwrap().5)
            .fold(f64::INFINITY, f64::min))
    .max(1.0);
    let mut cands: Vec<Solution> = vec![];
    cands.extend(fails.clone());
    cands.extend(holds.clone());
    let all_min = ctx.terms(|u| {
        let r = ctx.solver.rec.units[u].region;
        ext[r].map_or(vec![], |e| ctx.median_terms(r, Goal::Min, e.0)(u))
    });
    cands.extend(ctx.solve_terms(&all_min));
    // Every region at its least positive median: the ratio's smallest value when they agree.
    let everyone: Vec<usize> = (0..ctx.solver.rec.units.len()).collect();
    for t in ctx
        .solver
        .candidate_scores(&everyone, Goal::Min)
        .into_iter()
        .filter(|&t| t > 0.0)
        .take(2)
    {
        for order in [Order::MostOptionsFirst, Order::FewestOptionsFirst] {
            let chosen = ctx.median_holders(order);
            cands.extend(ctx.solve_terms(&ctx.terms(|u| {
                let mut v = vec![Term::AtMost(t, 2.0)];
                if chosen.contains(&u) {
                    v.push(Term::AtLeast(search::POSITIVE, 1.0));
                }
                v
            })));
        }
    }
    let wmin = cands
        .into_iter()
        .filter(|s| judge(s).0.is_finite())
        .min_by(|a, b| judge(a).0.total_cmp(&judge(b).0));
    let vmin = wmin.as_ref().map_or(f64::NAN, |s| judge(s).0);
    figures.push(Figure {
        key: "median_ratio".into(),
        label: "highest / lowest regional median".into(),
        min: End::new(vmin, proved_min, wmin),
        max: End::new(vmax, proved_max, wmax),
    });
    let north_max = ext[0].map_or(f64::NAN, |e| e.5);
    let others_max = (1..4)
        .filter_map(|r| ext[r].map(|e| e.5))
        .fold(0.0, f64::max);
    let status = match (holds.is_some(), fails.is_some()) {
        (true, true) => Some(Record2::Open),
        (true, false) => None,
        (false, true) => Some(Record2::RuledOut).filter(|_| proved_max < 3.0),
        (false, false) => None,
    };
    ClaimBounds {
        claim: "regional_median_spread".into(),
        status,
        figures,
        necessary: format!(
            "for the claim to hold, the North's median must be above 0, below every other region's and at most a third of the highest (so at most {}, a third of the most any other region's median can be); the North's median can be anything from 0 to {}",
            crate::format::approx(others_max / 3.0),
            crate::format::approx(north_max)
        ),
        holds,
        fails,
    }
}

fn csu_ratio(ctx: &Ctx, compare: (&str, &str)) -> ClaimBounds {
    let rec = ctx.solver.rec;
    let group = |name: &str| -> Vec<usize> {
        (0..rec.units.len())
            .filter(|&u| rec.units[u].csu == name)
            .collect()
    };
    let (a, b) = (group(compare.0), group(compare.1));
    let mut figures = vec![];
    let mut sums = vec![];
    for (name, g) in [(compare.0, &a), (compare.1, &b)] {
        if g.is_empty() {
            continue;
        }
        let m = g.len() as f64;
        let (vmin, pmin, wmin) = group_sum(ctx, g, Goal::Min);
        let (vmax, pmax, wmax) = group_sum(ctx, g, Goal::Max);
        sums.push((vmin, vmax, pmax));
        figures.push(Figure {
            key: format!("mean_{}", slug(name)),
            label: format!("mean score, {name}"),
            min: End::new(vmin / m, pmin / m, wmin),
            max: End::new(vmax / m, pmax / m, wmax),
        });
    }
    if a.is_empty() || b.is_empty() {
        return ClaimBounds {
            claim: "csu_ratio".into(),
            status: None,
            figures,
            necessary: String::new(),
            holds: None,
            fails: None,
        };
    }
    let scale = b.len() as f64 / a.len() as f64;
    // Largest ratio of means; if the second CSU's mean can be 0 the ratio is unbounded, and the
    // largest defined ratio keeps one of its CCGs with a condition.
    let (rmax, pmax, wmax) = ratio_max(ctx, &a, &b, None);
    let keep = b.iter().copied().find(|&u| {
        rec.units[u]
            .options
            .iter()
            .any(|&k| rec.classes[k].status != Status::Full)
    });
    let (rdef, _, wdef) = if rmax.is_infinite() {
        ratio_max(ctx, &a, &b, keep)
    } else {
        (rmax, pmax, wmax.clone())
    };
    let (rinv, pinv, winv) = ratio_max(ctx, &b, &a, None);
    let (vmin, proved_min) = (
        scale / rinv,
        if pinv.is_infinite() {
            0.0
        } else {
            scale / pinv
        },
    );
    let mut max_end = End::new(rmax * scale, pmax * scale, wmax);
    if rmax.is_infinite() {
        max_end.exact = true;
    }
    figures.push(Figure {
        key: "csu_ratio".into(),
        label: format!("mean {} / mean {}", compare.0, compare.1),
        min: End::new(vmin, proved_min, winv.clone()),
        max: max_end,
    });
    let largest_defined = rdef * scale;
    let holds = wdef.filter(|_| largest_defined > 30.0);
    let fails = winv.filter(|_| vmin <= 30.0);
    let status = match (holds.is_some(), fails.is_some()) {
        (true, true) => Some(Record2::Open),
        (true, false) if proved_min > 30.0 => Some(Record2::Settled),
        (false, true) if largest_defined <= 30.0 && pmax.is_finite() && pmax * scale <= 30.0 => {
            Some(Record2::RuledOut)
        }
        _ => None,
    };
    // Necessary condition: the ratio of means exceeds 30 only if the second CSU's mean is under
    // a thirtieth of the highest mean the first can have (its proved limit, so the condition
    // is necessary even where that limit is not attained).
    let (ma, mb) = (a.len() as f64, b.len());
    let mean_limit = sums[0].2 / ma / 30.0;
    let mut positive: Vec<f64> = b
        .iter()
        .map(|&u| {
            ctx.solver
                .candidate_scores(&[u], Goal::Min)
                .into_iter()
                .find(|&s| s > 0.0)
                .unwrap_or(f64::INFINITY)
        })
        .collect();
    positive.sort_by(f64::total_cmp);
    // Fewest fully authorised: the others score at least their least positive score.
    let k_min = (0..=mb)
        .find(|&k| positive[..mb - k].iter().sum::<f64>() < mean_limit * mb as f64)
        .unwrap_or(mb);
    let fully = match k_min {
        0 => "which even a dataset with none of them fully authorised can meet".to_string(),
        k => format!("so at least {k} of them must have been fully authorised"),
    };
    ClaimBounds {
        claim: "csu_ratio".into(),
        status,
        figures,
        necessary: format!(
            "for the ratio to exceed 30, {}'s {mb} CCGs must average under {} points, a thirtieth of the most {}'s CCGs can average ({}), {fully}; the largest defined ratio is {}",
            compare.1,
            crate::format::approx(mean_limit),
            compare.0,
            crate::format::approx(sums[0].2 / ma),
            crate::format::approx(largest_defined)
        ),
        holds,
        fails,
    }
}

pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    out.trim_matches('_').to_string()
}

#[cfg(test)]
mod tests;

/// What `analyse` reports: the bounds for every weighting scheme under both assumption sets
/// (the run's own scheme first), and the consistent sets themselves (for the witnesses).
#[derive(Debug, Clone, Serialize)]
pub struct RecordBounds {
    /// Each assumption set: key, name, and every assumption with its source.
    pub assumption_sets: Vec<(String, String, Vec<(String, String)>)>,
    /// Scheme by scheme (the run's own first), each assumption set in `Assumptions::ALL` order.
    pub bounds: Vec<Bounds>,
    #[serde(skip)]
    pub records: Vec<Record>,
}

impl RecordBounds {
    /// The bounds of one claim under the run's own scheme and an assumption set.
    pub fn claim(&self, a: Assumptions, claim: &str) -> Option<&ClaimBounds> {
        self.of(&self.bounds.first()?.scheme, a)?
            .claims
            .iter()
            .find(|c| c.claim == claim)
    }
    pub fn of(&self, scheme: &str, a: Assumptions) -> Option<&Bounds> {
        self.bounds
            .iter()
            .find(|b| b.scheme == scheme && b.assumptions == a)
    }
    pub fn record(&self, a: Assumptions) -> &Record {
        &self.records[Assumptions::ALL
            .iter()
            .position(|x| *x == a)
            .expect("both sets")]
    }
}

/// Bounds for every scheme (two threads: the sets are independent). Facts that contradict each
/// other are an input error naming them.
pub fn record_bounds(
    ccgs: &[crate::model::Ccg],
    p: &crate::io::published::Published,
    schemes: &[Weights],
    compare: (&str, &str),
) -> Result<RecordBounds, crate::error::InputError> {
    let records: Vec<Record> = Assumptions::ALL
        .iter()
        .map(|&a| Record::new(ccgs, p, a))
        .collect::<Result<_, _>>()?;
    let jobs: Vec<(&Weights, &Record)> = schemes
        .iter()
        .flat_map(|w| records.iter().map(move |r| (w, r)))
        .collect();
    let (first, second) = jobs.split_at(jobs.len() / 2);
    let run = |part: &[(&Weights, &Record)]| -> Vec<Bounds> {
        part.iter().map(|(w, r)| bounds(r, w, compare)).collect()
    };
    let (mut a, b) = std::thread::scope(|s| {
        let other = s.spawn(|| run(second));
        (run(first), other.join().expect("bounds thread"))
    });
    a.extend(b);
    Ok(RecordBounds {
        assumption_sets: Assumptions::ALL
            .iter()
            .zip(&records)
            .map(|(a, rec)| (a.key().to_string(), a.as_str().to_string(), a.listed(rec)))
            .collect(),
        bounds: a,
        records,
    })
}

/// A figure's range in words: "0.011 to 3,471", "79.6% in every dataset", "1 to unbounded".
pub fn range_text(f: &Figure, as_share: bool) -> String {
    let show = |e: &End| -> String {
        if e.value.is_nan() {
            format!("at least {}", crate::format::approx(e.proved))
        } else if e.value.is_infinite() {
            "unbounded".into()
        } else if as_share {
            crate::format::pct(e.value)
        } else {
            crate::format::approx(e.value)
        }
    };
    let (lo, hi) = (show(&f.min), show(&f.max));
    let mut s = if lo == hi {
        format!("{lo} in every consistent dataset")
    } else {
        format!("{lo} to {hi}")
    };
    let loose: Vec<&str> = [("lowest", &f.min), ("highest", &f.max)]
        .iter()
        .filter(|(_, e)| !e.exact && !e.value.is_nan())
        .map(|(w, _)| *w)
        .collect();
    if !loose.is_empty() {
        s.push_str(&format!(
            " (the {} not proved to be the extreme)",
            loose.join(" and ")
        ));
    }
    s
}

/// The figure a claim's verdict rests on (the share, the median ratio, the CSU ratio).
pub fn headline_figure(c: &ClaimBounds) -> Option<&Figure> {
    let key = match c.claim.as_str() {
        "with_conditions" => "share_with_conditions",
        "regional_median_spread" => "median_ratio",
        "csu_ratio" => "csu_ratio",
        "no_size_relation" => "rho_size",
        "no_deprivation_relation" => "rho_deprivation",
        _ => return None,
    };
    c.figures.iter().find(|f| f.key == key)
}
