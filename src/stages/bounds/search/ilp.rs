//! Test-only: the optimisation `Solver::solve` answers, written instead as one integer
//! programme and handed to a general-purpose solver (microlp), so that the combinatorial
//! search's exact ends can be checked by an independent method on the shipped data.
//!
//! What is shared with the search: each CCG's choices in each class (conditions, directions,
//! score), from the per-CCG dynamic programme that the fixture's brute force checks. What is
//! not: the class assignment (a flow there, counting constraints here), Midlands and East's
//! totals (priced and repaired there, hard constraints here) and the optimality proof
//! (weak duality there, branch and bound here). CCGs with the same facts and terms are
//! interchangeable, so the programme counts how many of each group take each class and choice
//! instead of giving every CCG its own variables.

use super::{term_value, Solver, Term};
use microlp::{ComparisonOp, OptimizationDirection, Problem, SolutionStatus, SolveOutcome};
use std::time::Duration;

/// The largest total term value over the consistent set, proved optimal by branch and bound;
/// `Ok(None)` when no dataset is consistent; `Err` when the solver gives up within `limit`.
pub(crate) fn optimum(
    s: &Solver,
    terms: &[Vec<Term>],
    limit: Duration,
) -> Result<Option<f64>, String> {
    let rec = s.rec;
    // Groups of interchangeable CCGs: same kind (facts and options) and same terms.
    let mut groups: Vec<(usize, &Vec<Term>, Vec<usize>)> = vec![];
    for (u, t) in terms.iter().enumerate() {
        match groups
            .iter_mut()
            .find(|(k, gt, _)| *k == s.kind_of[u] && *gt == t)
        {
            Some(g) => g.2.push(u),
            None => groups.push((s.kind_of[u], t, vec![u])),
        }
    }
    let mut p = Problem::new(OptimizationDirection::Maximize);
    let mut members = vec![]; // per group
    let mut in_class = vec![vec![]; rec.classes.len()];
    let (mut me_n, mut me_d) = (vec![], vec![]);
    for (_, t, us) in &groups {
        let u = us[0];
        let size = us.len() as i32;
        let me = rec.units[u].me;
        let mut row = vec![];
        for &k in &rec.units[u].options {
            let choices = s.choices_in(u, k).expect("an option");
            // The best value at each (conditions, directions): outside Midlands and East only
            // the best overall matters (nothing else depends on the counts).
            let mut best: Vec<((u32, u32), f64)> = vec![];
            for (n, d, score) in choices {
                let key = if me { (n, d) } else { (0, 0) };
                let v = term_value(t, score);
                match best.iter_mut().find(|(x, _)| *x == key) {
                    Some(b) => b.1 = b.1.max(v),
                    None => best.push((key, v)),
                }
            }
            for ((n, d), v) in best {
                let x = p.add_integer_var(v, (0, size));
                row.push((x, 1.0));
                in_class[k].push((x, 1.0));
                if me {
                    me_n.push((x, f64::from(n)));
                    me_d.push((x, f64::from(d)));
                }
            }
        }
        members.push((row, f64::from(size)));
    }
    for (row, size) in members {
        p.add_constraint(row, ComparisonOp::Eq, size);
    }
    for (k, row) in in_class.into_iter().enumerate() {
        match (row.is_empty(), rec.class_count[k]) {
            (true, 0) => {}
            (true, _) => return Ok(None),
            (false, n) => p.add_constraint(row, ComparisonOp::Eq, f64::from(n)),
        }
    }
    if let Some((lo, hi)) = rec.me_conditions {
        p.add_constraint(me_n.clone(), ComparisonOp::Ge, f64::from(lo));
        p.add_constraint(me_n, ComparisonOp::Le, f64::from(hi));
    }
    if let Some(d) = rec.me_directions {
        p.add_constraint(me_d, ComparisonOp::Eq, f64::from(d));
    }
    p.set_time_limit(limit);
    match p.solve() {
        Ok(SolveOutcome::Solution(sol)) if sol.status() == SolutionStatus::Optimal => {
            Ok(Some(sol.objective()))
        }
        Ok(_) => Err(format!("not proved optimal within {limit:?}")),
        Err(microlp::Error::Infeasible) => Ok(None),
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::published::Published;
    use crate::model::weights::Weights;
    use crate::model::REGIONS;
    use crate::stages::bounds::{bounds, middle, slug, Assumptions, Bounds, Figure, Record};
    use crate::stages::headline::{DEFAULT_CSU_A, DEFAULT_CSU_B};

    const LIMIT: Duration = Duration::from_secs(30);
    /// A hair: "above t" is "at least t + HAIR" (scores are sums of weights, far coarser).
    const HAIR: f64 = 1e-6;

    fn solve(s: &Solver, terms: &[Vec<Term>]) -> f64 {
        optimum(s, terms, LIMIT)
            .unwrap_or_else(|e| panic!("the integer programme: {e}"))
            .expect("the shipped data are consistent")
    }

    /// How many of `members` can at once score at least `t` (`above`) or at most `t`.
    fn most_beyond(s: &Solver, members: &[usize], t: f64, above: bool) -> f64 {
        let terms: Vec<Vec<Term>> = (0..s.rec.units.len())
            .map(|u| match (members.contains(&u), above) {
                (false, _) => vec![],
                (true, true) => vec![Term::AtLeast(t, 1.0)],
                (true, false) => vec![Term::AtMost(t, 1.0)],
            })
            .collect();
        solve(s, &terms)
    }

    /// The largest of ca sum(a) + cb sum(b) over the consistent set.
    fn most_of(s: &Solver, a: &[usize], ca: f64, b: &[usize], cb: f64) -> f64 {
        let terms: Vec<Vec<Term>> = (0..s.rec.units.len())
            .map(|u| {
                let c =
                    if a.contains(&u) { ca } else { 0.0 } + if b.contains(&u) { cb } else { 0.0 };
                if c == 0.0 {
                    vec![]
                } else {
                    vec![Term::Linear(c)]
                }
            })
            .collect();
        solve(s, &terms)
    }

    /// A region's highest (`up`) or lowest median by the programme alone: each middle order
    /// statistic's extreme by bisection over every score a member could take.
    fn median_extreme(s: &Solver, members: &[usize], up: bool) -> f64 {
        let m = members.len();
        let mut cand: Vec<f64> = (0..members.len())
            .flat_map(|i| {
                let u = members[i];
                s.rec.units[u]
                    .options
                    .iter()
                    .flat_map(move |&k| s.choices_in(u, k).unwrap().into_iter().map(|c| c.2))
            })
            .chain([0.0])
            .collect();
        cand.sort_by(f64::total_cmp);
        cand.dedup_by(|x, y| (*x - *y).abs() < 1e-9);
        if !up {
            cand.reverse();
        }
        let (lo, hi) = middle(m);
        let stat = |pos: usize| -> f64 {
            let need = if up { m - pos + 1 } else { pos } as f64 - 0.5;
            // cand[0] always holds; find the last candidate that does.
            let (mut ok, mut bad) = (0, cand.len());
            while bad - ok > 1 {
                let mid = (ok + bad) / 2;
                if most_beyond(s, members, cand[mid], up) >= need {
                    ok = mid
                } else {
                    bad = mid
                }
            }
            cand[ok]
        };
        (stat(lo) + stat(hi)) / 2.0
    }

    fn figure<'a>(figs: &'a [Figure], key: &str) -> &'a Figure {
        figs.iter()
            .find(|f| f.key == key)
            .unwrap_or_else(|| panic!("{key}"))
    }

    /// Every regional-median, CSU-mean and CSU-ratio end the search calls exact on the shipped
    /// data is confirmed by the integer programme: no consistent dataset goes past it. One
    /// weighting scheme per test (each within the 30 s the issue allows).
    fn ends_agree_with_an_integer_programme(w: &Weights) {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data");
        let (ccgs, _) = crate::io::read::load_ccg_records(&dir).unwrap();
        let p = Published::load(&dir.join("published")).unwrap();
        let mut confirmed = 0;
        for a in Assumptions::ALL {
            let rec = Record::new(&ccgs, &p, a).unwrap();
            let b = bounds(&rec, w, (DEFAULT_CSU_A, DEFAULT_CSU_B));
            let s = Solver::new(&rec, w);
            // Every end of claims 1, 4 and 5 is reached and proved on the shipped data, under
            // every scheme and both assumption sets (Midlands and East's highest median was
            // once only bracketed, 88 to 104 under doubling; Hertfordshire and Essex's highest
            // mean 153.9 to 181.5 under directions-heavy), and the programme confirms each.
            for c in [0, 3, 4] {
                for f in &b.claims[c].figures {
                    for (end, which) in [(&f.min, "min"), (&f.max, "max")] {
                        assert!(
                            end.exact,
                            "{} {a:?} {} {which}: {} (limit {})",
                            w.name, f.key, end.value, end.proved
                        );
                    }
                }
            }
            confirmed += confirm_region_medians(a, &rec, &b, &s);
            confirmed += confirm_csu_ends(a, &rec, &b, &s);
        }
        // Per set: 4 regions x 2 ends x 2 middle positions (an odd region's one position is
        // checked twice), 4 CSU-mean ends and the finite ratio ends (1 or 2): 21 or 22, so at
        // least 42 with every end exact (asserted above); the count keeps a change that skips
        // the checks from passing.
        assert!(
            confirmed >= 42,
            "{}: only {confirmed} ends confirmed",
            w.name
        );
    }

    fn scheme(name: &str) -> Weights {
        Weights::alternatives(&Weights::doubling())
            .into_iter()
            .find(|w| w.name.contains(name))
            .unwrap_or_else(|| panic!("{name}"))
    }

    #[test]
    fn exact_ends_agree_with_an_integer_programme_doubling() {
        ends_agree_with_an_integer_programme(&Weights::doubling());
    }

    #[test]
    fn exact_ends_agree_with_an_integer_programme_count() {
        ends_agree_with_an_integer_programme(&scheme("count"));
    }

    #[test]
    fn exact_ends_agree_with_an_integer_programme_linear() {
        ends_agree_with_an_integer_programme(&scheme("linear"));
    }

    #[test]
    fn exact_ends_agree_with_an_integer_programme_squared() {
        ends_agree_with_an_integer_programme(&scheme("squared"));
    }

    #[test]
    fn exact_ends_agree_with_an_integer_programme_directions_heavy() {
        ends_agree_with_an_integer_programme(&scheme("directions-heavy"));
    }

    /// Claim 4: each region's median. An exact end's witness holds both middle order statistics
    /// at their extremes, so each is checked: at the extreme t, no dataset has enough members
    /// beyond t to move that order statistic past it. Returns how many were confirmed.
    fn confirm_region_medians(a: Assumptions, rec: &Record, b: &Bounds, s: &Solver) -> usize {
        let mut confirmed = 0;
        for (r, region) in REGIONS.iter().enumerate() {
            let members: Vec<usize> = (0..rec.units.len())
                .filter(|&u| rec.units[u].region == r)
                .collect();
            let m = members.len();
            let f = figure(&b.claims[3].figures, &format!("median_{}", slug(region)));
            for (end, up) in [(&f.min, false), (&f.max, true)] {
                let Some(sol) = end.solution.as_ref().filter(|_| end.exact) else {
                    // Not proved tight: the programme's own extreme must lie between the
                    // witness and the proved limit.
                    let truth = median_extreme(s, &members, up);
                    eprintln!(
                        "{a:?} {region} {}: witness {}, limit {}, integer programme {truth}",
                        if up { "max" } else { "min" },
                        end.value,
                        end.proved
                    );
                    let (inner, outer) = (end.value, end.proved);
                    assert!(
                        (inner.min(outer) - 1e-9..=inner.max(outer) + 1e-9).contains(&truth),
                        "{a:?} {region}: {truth} outside {inner}..{outer}"
                    );
                    continue;
                };
                let mut sorted: Vec<f64> = members.iter().map(|&u| sol.scores[u]).collect();
                sorted.sort_by(f64::total_cmp);
                let (lo, hi) = middle(m);
                for pos in [lo, hi] {
                    let t = sorted[pos - 1];
                    // Ascending position pos is above t when m - pos + 1 members are;
                    // below t when pos members are.
                    let (need, beyond) = if up {
                        (m - pos + 1, most_beyond(s, &members, t + HAIR, true))
                    } else {
                        (pos, most_beyond(s, &members, t - HAIR, false))
                    };
                    assert!(
                        beyond < need as f64 - 0.5,
                        "{a:?} {region}: {beyond} members can pass {t}, {need} would move the median"
                    );
                    confirmed += 1;
                }
            }
        }
        confirmed
    }

    /// Claim 5: each CSU's mean, and the ratio of the two. Returns how many exact ends were
    /// confirmed.
    fn confirm_csu_ends(a: Assumptions, rec: &Record, b: &Bounds, s: &Solver) -> usize {
        let mut confirmed = 0;
        let csu = |name: &str| -> Vec<usize> {
            (0..rec.units.len())
                .filter(|&u| rec.units[u].csu == name)
                .collect()
        };
        let (ha, hb) = (csu(DEFAULT_CSU_A), csu(DEFAULT_CSU_B));
        for (name, members) in [(DEFAULT_CSU_A, &ha), (DEFAULT_CSU_B, &hb)] {
            let f = figure(&b.claims[4].figures, &format!("mean_{}", slug(name)));
            let size = members.len() as f64;
            let most = most_of(s, members, 1.0, &[], 0.0) / size;
            let least = -most_of(s, members, -1.0, &[], 0.0) / size;
            for (end, truth) in [(&f.min, least), (&f.max, most)] {
                assert!(
                    (end.proved - truth).abs() < 1e-6 * truth.abs().max(1.0) || !end.exact,
                    "{a:?} {name}: exact end {} but the programme finds {truth}",
                    end.proved
                );
                assert!(f.min.proved <= truth + 1e-9 && truth <= f.max.proved + 1e-9);
                confirmed += usize::from(end.exact);
            }
        }
        let f = figure(&b.claims[4].figures, "csu_ratio");
        // The ratio of the means. The largest, rho: no dataset has mean(a) - rho mean(b)
        // above 0; the smallest: none has rho mean(b) - mean(a) above 0. (Witnesses attain
        // both.)
        let (na, nb) = (ha.len() as f64, hb.len() as f64);
        for (end, up) in [(&f.min, false), (&f.max, true)] {
            // An exact end is checked at its value; one not proved tight at its limit (the
            // programme must find nothing past the limit the run reports).
            let rho = if end.exact { end.value } else { end.proved };
            if !rho.is_finite() || (!end.exact && rho <= 0.0) {
                continue;
            }
            let excess = if up {
                most_of(s, &ha, 1.0 / na, &hb, -rho / nb)
            } else {
                most_of(s, &ha, -1.0 / na, &hb, rho / nb)
            };
            assert!(
                excess <= 1e-6 * rho.max(1.0),
                "{a:?} ratio {rho}: {excess} beyond"
            );
            confirmed += usize::from(end.exact);
        }
        confirmed
    }
}
