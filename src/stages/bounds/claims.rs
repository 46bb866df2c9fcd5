//! The searches behind each claim's figures over the consistent set: regional medians and
//! their ratio (claim 4), CSU means and their ratio (claim 5), and the rank correlations
//! (claims 2 and 3), each end with the dataset that attains it.

use super::record::{self, Status};
use super::rows::Goal;
use super::search::{self, Solution, Solver, Term};
use super::{median, middle, slug, ClaimBounds, End, Figure, RecordStatus};
use crate::model::REGIONS;
use crate::stages::headline;

/// What probes of one region's order statistics found at a threshold: the most members a
/// dataset brought past it, the proved limit on that number, and the counts asked for.
#[derive(Clone)]
struct Probe {
    found: f64,
    bound: f64,
    asked: Vec<usize>,
}

/// Probes by threshold (its bits).
type Probes = std::cell::RefCell<std::collections::HashMap<u64, Probe>>;

#[derive(Clone, Copy)]
enum Order {
    MostOptionsFirst,
    FewestOptionsFirst,
}

pub(super) struct Ctx<'a> {
    pub(super) solver: Solver<'a>,
    pub(super) regions: [Vec<usize>; 4],
}

impl Ctx<'_> {
    pub(super) fn terms(&self, f: impl Fn(usize) -> Vec<Term>) -> Vec<Vec<Term>> {
        (0..self.solver.rec.units.len()).map(f).collect()
    }

    /// Largest t (Max) or smallest t (Min) such that at least q members score >= t (<= t).
    /// Returns the value a dataset was found to reach and the proved limit (the furthest value
    /// not proved out of reach); they differ where a probe could neither find a dataset nor
    /// rule one out. `seen` keeps what earlier probes of the same members and goal found at
    /// each threshold, so a probe is searched again only when that does not decide it and it
    /// was not already searched for this q (the undecided ones are the costliest searches).
    fn order_stat(&self, members: &[usize], q: usize, goal: Goal, seen: &Probes) -> (f64, f64) {
        let mut cand = self.solver.candidate_scores(members, goal);
        if goal == Goal::Min {
            cand.reverse();
        }
        // Each probe looks first at the prices that decided the one before (they are near).
        let hints = std::cell::Cell::new([(0.0, 0.0); 2]);
        let probe = |t: f64| self.probe(members, goal, (t, q), seen, &hints);
        // Reaching t is monotone in t. cand[0] is always reached (0 for Max: every score is
        // >= 0; the largest for Min); `out` is the first candidate proved out of reach.
        let (mut reached, mut out, mut unsure) = (0usize, cand.len(), false);
        let (mut lo, mut hi) = (0usize, cand.len());
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            match probe(cand[mid]) {
                Some(true) => (lo, reached) = (mid, mid),
                Some(false) => (hi, out) = (mid, mid),
                None => (hi, unsure) = (mid, true),
            }
        }
        if unsure {
            // Undecided probes were taken as out of reach to find a dataset; now take them as
            // reachable to find how far the proof goes.
            let mut lo = reached;
            while out - lo > 1 {
                let mid = (lo + out) / 2;
                match probe(cand[mid]) {
                    Some(false) => out = mid,
                    Some(true) => (lo, reached) = (mid, mid),
                    None => lo = mid,
                }
            }
        }
        (cand[reached], cand[out - 1])
    }

    /// Can q of `members` score at least t (Max) or at most t (Min) at once? Some(true) with a
    /// dataset found, Some(false) proved out of reach, None undecided. What is known at t
    /// (`seen`) answers first; the search starts at `hints` and leaves its own prices there.
    fn probe(
        &self,
        members: &[usize],
        goal: Goal,
        (t, q): (f64, usize),
        seen: &Probes,
        hints: &std::cell::Cell<[(f64, f64); 2]>,
    ) -> Option<bool> {
        let need = q as f64 - 1e-6;
        let decide = |found: f64, bound: f64| {
            if found >= need {
                Some(true)
            } else if bound < need {
                Some(false)
            } else {
                None
            }
        };
        let known = seen.borrow().get(&t.to_bits()).cloned();
        if let Some(k) = &known {
            if let Some(answer) = decide(k.found, k.bound) {
                return Some(answer);
            }
            if k.asked.contains(&q) {
                return None;
            }
        }
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
        let s = self.solver.solve_until(
            &terms,
            &|best, bound| best.is_some_and(|v| v >= need) || bound < need,
            &hints.get(),
        );
        hints.set(s.prices);
        let mut k = known.unwrap_or(Probe {
            found: f64::NEG_INFINITY,
            bound: f64::INFINITY,
            asked: vec![],
        });
        k.found = k
            .found
            .max(s.best.as_ref().map_or(f64::NEG_INFINITY, |b| b.0));
        k.bound = k.bound.min(s.bound);
        k.asked.push(q);
        let answer = decide(k.found, k.bound);
        seen.borrow_mut().insert(t.to_bits(), k);
        answer
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

    /// Order-statistic targets of a region's median at its extreme (the values reached) and
    /// the proved limit of the median (the mean of the two order statistics' limits).
    fn median_targets(&self, r: usize, goal: Goal) -> ((f64, f64), f64) {
        let members = &self.regions[r];
        let m = members.len();
        let (a, b) = middle(m);
        let (qa, qb) = match goal {
            Goal::Max => (m - a + 1, m - b + 1),
            Goal::Min => (a, b),
        };
        let seen = Probes::default();
        let (ta, la) = self.order_stat(members, qa, goal, &seen);
        let (tb, lb) = self.order_stat(members, qb, goal, &seen);
        ((ta, tb), (la + lb) / 2.0)
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

    pub(super) fn solve_terms(&self, terms: &[Vec<Term>]) -> Option<Solution> {
        self.solver.witness(terms)
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

/// Claims 2 and 3: no exact bounds, but a dataset pushing the rank correlation of score with
/// `x` as high as the search can and one as low, each with its significance. The claim is open
/// when one dataset keeps it and another breaks it.
pub(super) fn correlation(
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
    // The claim's own criterion (claim 2 fails on any significant correlation, claim 3 on a
    // significantly positive one); a dataset keeping it is sought among the two extremes and
    // a dataset from the search with nothing asked.
    let holds = |s: &Solution| {
        let t = test(s);
        if claim == "no_size_relation" {
            headline::size_relation_holds(&t)
        } else {
            headline::deprivation_relation_holds(&t)
        }
    };
    let extremes = || [&lo, &hi].into_iter().filter_map(|e| e.solution.clone());
    let holds_sol = extremes()
        .chain(ctx.solve_terms(&ctx.terms(|_| vec![])))
        .find(|s| holds(s));
    let fails_sol = extremes().find(|s| !holds(s));
    let fails = fails_sol.is_some();
    let status = match (holds_sol.is_some(), fails) {
        (true, true) => Some(RecordStatus::Open),
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

/// One region's median at its extremes: the order-statistic targets (proved limits on the two
/// middle scores) and the proved least and greatest median.
#[derive(Clone, Copy)]
struct RegionEnds {
    low_targets: (f64, f64),
    high_targets: (f64, f64),
    proved_low: f64,
    proved_high: f64,
}

/// Each region's median, lowest and highest, with a dataset for each end.
fn region_medians(ctx: &Ctx) -> (Vec<Figure>, [Option<RegionEnds>; 4]) {
    let mut figures = vec![];
    let mut ends = [None; 4];
    for r in 0..4 {
        if ctx.regions[r].is_empty() {
            continue;
        }
        let (low_targets, low_limit) = ctx.median_targets(r, Goal::Min);
        let (high_targets, high_limit) = ctx.median_targets(r, Goal::Max);
        // Exact when the dataset found meets the proved limit.
        let end = |goal: Goal, targets: (f64, f64), limit: f64| {
            // A full search (not a witness search): where the listed prices leave it short of
            // its best, it refines them and trades classes, as the order statistics' probes did.
            let terms = ctx.terms(ctx.median_terms(r, goal, targets));
            let sol = ctx.solver.solve(&terms).best.map(|b| b.1);
            let value = sol.as_ref().map_or(f64::NAN, |s| ctx.medians_of(s)[r]);
            End::new(value, limit, sol)
        };
        let (lo, hi) = (
            end(Goal::Min, low_targets, low_limit),
            end(Goal::Max, high_targets, high_limit),
        );
        ends[r] = Some(RegionEnds {
            low_targets,
            high_targets,
            proved_low: lo.proved,
            proved_high: hi.proved,
        });
        figures.push(Figure {
            key: format!("median_{}", slug(REGIONS[r])),
            label: format!("median score, {}", REGIONS[r]),
            min: lo,
            max: hi,
        });
    }
    (figures, ends)
}

/// A dataset's highest / lowest median ratio, and whether claim 4 holds on it.
fn judge_spread(ctx: &Ctx, s: &Solution) -> (f64, bool) {
    let m = ctx.medians_of(s);
    let n: [usize; 4] = std::array::from_fn(|r| ctx.regions[r].len());
    let (_, _, ratio) = headline::median_spread(&m, &n);
    (ratio, headline::spread_holds(&m, &n))
}

/// The claim's best case: the North's median small but above 0 (its CCGs first: a large gain
/// each), every other region's at least three times it. Returns a dataset where claim 4 holds.
fn best_case(ctx: &Ctx, ends: &[Option<RegionEnds>; 4]) -> Option<Solution> {
    ends[0]?;
    let positive: Vec<f64> = ctx
        .solver
        .candidate_scores(&ctx.regions[0], Goal::Min)
        .into_iter()
        .filter(|&t| t > 0.0)
        .take(4)
        .collect();
    let big = ctx.solver.rec.units.len() as f64 + 1.0;
    for t in positive {
        for order in [Order::MostOptionsFirst, Order::FewestOptionsFirst] {
            // Enough of each region's CCGs above the line that its median is too: the North's
            // above 0 and at most t, every other region's at least 3t.
            let chosen = ctx.median_holders(order);
            let terms = ctx.terms(|u| {
                let (r, held) = (ctx.solver.rec.units[u].region, chosen.contains(&u));
                match (r, held) {
                    (0, true) => vec![Term::AtMost(t, big), Term::AtLeast(search::POSITIVE, big)],
                    (0, false) => vec![Term::AtMost(t, big)],
                    (_, true) => vec![Term::AtLeast(headline::SPREAD_AT_LEAST * t, 1.0)],
                    _ => vec![],
                }
            });
            if let Some(s) = ctx.solve_terms(&terms).filter(|s| judge_spread(ctx, s).1) {
                return Some(s);
            }
        }
    }
    None
}

/// The claim's worst case: the North at its highest, another region at its lowest. Returns a
/// dataset where claim 4 fails.
fn worst_case(ctx: &Ctx, ends: &[Option<RegionEnds>; 4]) -> Option<Solution> {
    let north = ends[0]?;
    (1..4).find_map(|r| {
        let other = ends[r]?;
        let terms = ctx.terms(|u| match ctx.solver.rec.units[u].region {
            0 => ctx.median_terms(0, Goal::Max, north.high_targets)(u),
            x if x == r => ctx.median_terms(r, Goal::Min, other.low_targets)(u),
            _ => vec![],
        });
        ctx.solve_terms(&terms).filter(|s| !judge_spread(ctx, s).1)
    })
}

/// The highest / lowest median ratio. Its largest value has the lowest median at its least and
/// the others at their most (proved limit: the largest proved median over the least proved
/// one); its smallest is at least the largest least median over the least greatest, and the
/// datasets tried for it are the claim's best and worst cases and datasets evening the regions.
fn median_ratio(ctx: &Ctx, ends: &[Option<RegionEnds>; 4], tried: &[&Option<Solution>]) -> Figure {
    let present: Vec<RegionEnds> = ends.iter().flatten().copied().collect();
    let low = (0..4)
        .filter(|&r| ends[r].is_some())
        .min_by(|&a, &b| {
            ends[a]
                .unwrap()
                .proved_low
                .total_cmp(&ends[b].unwrap().proved_low)
        })
        .unwrap_or(0);
    let highest = present.iter().map(|e| e.proved_high).fold(0.0, f64::max);
    let proved_max = match highest / ends[low].map_or(f64::NAN, |e| e.proved_low) {
        x if x.is_nan() => f64::INFINITY,
        x => x,
    };
    let lowest_joint = ctx.terms(|u| {
        let r = ctx.solver.rec.units[u].region;
        match ends[r] {
            Some(e) if r == low => ctx.median_terms(r, Goal::Min, e.low_targets)(u),
            Some(e) => ctx.median_terms(r, Goal::Max, e.high_targets)(u),
            None => vec![],
        }
    });
    let wmax = ctx.solve_terms(&lowest_joint);
    let vmax = wmax.as_ref().map_or(f64::NAN, |s| judge_spread(ctx, s).0);
    let proved_min = (present.iter().map(|e| e.proved_low).fold(0.0, f64::max)
        / present
            .iter()
            .map(|e| e.proved_high)
            .fold(f64::INFINITY, f64::min))
    .max(1.0);
    let mut cands: Vec<Solution> = tried.iter().filter_map(|s| (*s).clone()).collect();
    let all_low = ctx.terms(|u| {
        let r = ctx.solver.rec.units[u].region;
        ends[r].map_or(vec![], |e| ctx.median_terms(r, Goal::Min, e.low_targets)(u))
    });
    cands.extend(ctx.solve_terms(&all_low));
    // Every region at its least positive median: the smallest ratio when they agree.
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
        .filter(|s| judge_spread(ctx, s).0.is_finite())
        .min_by(|a, b| judge_spread(ctx, a).0.total_cmp(&judge_spread(ctx, b).0));
    let vmin = wmin.as_ref().map_or(f64::NAN, |s| judge_spread(ctx, s).0);
    Figure {
        key: "median_ratio".into(),
        label: "highest / lowest regional median".into(),
        min: End::new(vmin, proved_min, wmin),
        max: End::new(vmax, proved_max, wmax),
    }
}

/// Claim 4: each regional median, their highest / lowest ratio, and the claim's best and worst
/// cases.
pub(super) fn regional_spread(ctx: &Ctx) -> ClaimBounds {
    let (mut figures, ends) = region_medians(ctx);
    let holds = best_case(ctx, &ends);
    let fails = worst_case(ctx, &ends);
    let ratio = median_ratio(ctx, &ends, &[&fails, &holds]);
    let proved_max = ratio.max.proved;
    figures.push(ratio);
    let north_max = ends[0].map_or(f64::NAN, |e| e.proved_high);
    let others_max = (1..4)
        .filter_map(|r| ends[r].map(|e| e.proved_high))
        .fold(0.0, f64::max);
    let status = match (holds.is_some(), fails.is_some()) {
        (true, true) => Some(RecordStatus::Open),
        (false, true) if proved_max < headline::SPREAD_AT_LEAST => Some(RecordStatus::RuledOut),
        _ => None,
    };
    ClaimBounds {
        claim: "regional_median_spread".into(),
        status,
        figures,
        necessary: format!(
            "for the claim to hold, the North's median must be above 0, below every other region's and at most a third of the highest (so at most {}, a third of the most any other region's median can be); the North's median can be anything from 0 to {}",
            crate::format::approx(others_max / headline::SPREAD_AT_LEAST),
            crate::format::approx(north_max)
        ),
        holds,
        fails,
    }
}

/// Each compared CSU's mean score over the consistent set (a CSU without CCGs has none), and the
/// proved highest sum of each CSU's scores, in the same order.
fn csu_means(
    ctx: &Ctx,
    compare: (&str, &str),
    a: &[usize],
    b: &[usize],
) -> (Vec<Figure>, Vec<f64>) {
    let mut figures = vec![];
    let mut proved_max_sums = vec![];
    for (name, g) in [(compare.0, a), (compare.1, b)] {
        if g.is_empty() {
            continue;
        }
        let m = g.len() as f64;
        let (vmin, pmin, wmin) = group_sum(ctx, g, Goal::Min);
        let (vmax, pmax, wmax) = group_sum(ctx, g, Goal::Max);
        proved_max_sums.push(pmax);
        figures.push(Figure {
            key: format!("mean_{}", slug(name)),
            label: format!("mean score, {name}"),
            min: End::new(vmin / m, pmin / m, wmin),
            max: End::new(vmax / m, pmax / m, wmax),
        });
    }
    (figures, proved_max_sums)
}

/// The ratio of two means' limits, (lowest, highest), tightened by the means' own limits (mean
/// a within its limits, mean b within its): a finite highest where the ratio's search proves
/// none (Midlands and East's priced totals can leave its last step unproved), and a floor under
/// the lowest.
fn limits_from_means(a_mean: &Figure, b_mean: &Figure, lowest: f64, highest: f64) -> (f64, f64) {
    let mut limits = (lowest, highest);
    if b_mean.min.proved > 0.0 {
        limits.1 = limits.1.min(a_mean.max.proved / b_mean.min.proved);
    }
    if b_mean.max.proved.is_finite() && b_mean.max.proved > 0.0 {
        limits.0 = limits.0.max(a_mean.min.proved / b_mean.max.proved);
    }
    limits
}

/// Claim 5 over the consistent set: each compared CSU's mean, the ratio of the two (its ends with
/// datasets attaining them), the claim's status, and what it needs.
pub(super) fn csu_ratio(ctx: &Ctx, compare: (&str, &str)) -> ClaimBounds {
    let rec = ctx.solver.rec;
    let group = |name: &str| -> Vec<usize> {
        (0..rec.units.len())
            .filter(|&u| rec.units[u].csu == name)
            .collect()
    };
    let (a, b) = (group(compare.0), group(compare.1));
    let (mut figures, proved_max_sums) = csu_means(ctx, compare, &a, &b);
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
    let vmin = scale / rinv;
    // (An unproved inverse, pinv infinite, gives a lowest limit of 0.)
    let (proved_min, proved_max) =
        limits_from_means(&figures[0], &figures[1], scale / pinv, pmax * scale);
    let mut max_end = End::new(rmax * scale, proved_max, wmax);
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
    let holds = wdef.filter(|_| headline::csu_ratio_holds(largest_defined));
    let fails = winv.filter(|_| !headline::csu_ratio_holds(vmin));
    let status = match (holds.is_some(), fails.is_some()) {
        (true, true) => Some(RecordStatus::Open),
        (true, false) if headline::csu_ratio_holds(proved_min) => Some(RecordStatus::Settled),
        (false, true) if proved_max.is_finite() && !headline::csu_ratio_holds(proved_max) => {
            Some(RecordStatus::RuledOut)
        }
        _ => None,
    };
    ClaimBounds {
        claim: "csu_ratio".into(),
        status,
        figures,
        necessary: csu_ratio_necessary(
            ctx,
            compare,
            &b,
            proved_max_sums[0] / a.len() as f64,
            largest_defined,
        ),
        holds,
        fails,
    }
}

/// Claim 5's necessary condition in words. The ratio of means exceeds 30 only if the second
/// CSU's mean is under a thirtieth of the highest mean the first can have (`a_proved_max_mean`,
/// its proved limit, so the condition is necessary even where that limit is not attained); and
/// so how many of the second CSU's CCGs (`b`) must have been fully authorised.
fn csu_ratio_necessary(
    ctx: &Ctx,
    compare: (&str, &str),
    b: &[usize],
    a_proved_max_mean: f64,
    largest_defined: f64,
) -> String {
    let mb = b.len();
    let mean_limit = a_proved_max_mean / headline::CSU_RATIO_OVER;
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
    format!(
        "for the ratio to exceed 30, {}'s {mb} CCGs must average under {} points, a thirtieth of the most {}'s CCGs can average ({}), {fully}; the largest defined ratio is {}",
        compare.1,
        crate::format::approx(mean_limit),
        compare.0,
        crate::format::approx(a_proved_max_mean),
        crate::format::approx(largest_defined)
    )
}

#[cfg(test)]
mod probe_memory_tests {
    use super::*;
    use crate::model::published::Published;
    use crate::model::weights::Weights;
    use crate::stages::bounds::record::{Assumptions, Record};

    /// The probes of a region's two middle order statistics share what they found. That can
    /// only decide a question sooner (a decided probe is right either way), so an answer could
    /// in principle differ where sharing decides a probe that alone stays open; on the default
    /// data, under every scheme and both assumption sets, none does: every order statistic
    /// comes out the same as when each order statistic keeps its own probes. (The first of each
    /// pair runs identically both ways; the second is the comparison.)
    #[test]
    fn shared_probes_give_the_same_order_statistics_as_fresh_ones() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let (ccgs, _) = crate::io::read::load_ccg_records(&dir).unwrap();
        let p = Published::load(&dir.join("published")).unwrap();
        let schemes = Weights::alternatives(&Weights::doubling());
        let mut compared = 0;
        for a in Assumptions::ALL {
            let rec = Record::new(&ccgs, &p, a).unwrap();
            for w in &schemes {
                let regions: [Vec<usize>; 4] = std::array::from_fn(|r| {
                    (0..rec.units.len())
                        .filter(|&u| rec.units[u].region == r)
                        .collect()
                });
                let ctx = Ctx {
                    solver: Solver::new(&rec, w),
                    regions,
                };
                for r in 0..4 {
                    let members = &ctx.regions[r];
                    let m = members.len();
                    let (lo, hi) = middle(m);
                    for goal in [Goal::Max, Goal::Min] {
                        let qs = match goal {
                            Goal::Max => [m - lo + 1, m - hi + 1],
                            Goal::Min => [lo, hi],
                        };
                        let shared = Probes::default();
                        for q in qs {
                            let remembered = ctx.order_stat(members, q, goal, &shared);
                            let fresh = ctx.order_stat(members, q, goal, &Probes::default());
                            assert_eq!(
                                remembered, fresh,
                                "{} {a:?}, region {r}, {goal:?}, q = {q}",
                                w.name
                            );
                            compared += 1;
                        }
                    }
                }
            }
        }
        // Four regions, two goals, two middle positions, every scheme, both sets.
        assert_eq!(compared, 4 * 2 * 2 * schemes.len() * 2);
        assert!(schemes.len() >= 5);
    }
}
