//! How fragile a verdict is: the fewest CCGs whose outcomes, changed within the published
//! facts, turn claim 4's or claim 5's verdict, with a set of changes that does and the fewest
//! proved necessary. A single CCG cannot change its wave, its outcome (fully authorised,
//! conditions, directed) or its level-III flag without breaking a published count, so a one-CCG
//! change stays in its class; `single_flip` tries every score each CCG can take there, so "one
//! CCG turns it" and "no single CCG does" are both exact. Beyond one, `fewest` proves a lower
//! bound from a relaxed problem (each changed CCG takes any score in a range) and finds changes
//! that are a consistent dataset; it calls the number exact only when the two meet (the fixture
//! test checks both against brute force).

mod budgeted;

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

/// One CCG's changed outcome: its score (and number of conditions) before and after.
#[derive(Debug, Clone, Serialize)]
pub struct Change {
    pub ods_code: String,
    pub name: String,
    pub from: f64,
    pub to: f64,
    pub conditions_from: u32,
    pub conditions_to: u32,
    /// The CCG's index, class and directions after the change (for laying out its rows).
    #[serde(skip)]
    pub unit: usize,
    #[serde(skip)]
    pub class: usize,
    #[serde(skip)]
    pub directions: u32,
}

/// The first single-CCG change (in CCG order, then score) that turns `holds` the other way, or
/// None when no single CCG can.
pub fn single_flip(solver: &Solver, st: &State, holds: &dyn Fn(&[f64]) -> bool) -> Option<Change> {
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
                return Some(change(rec, st, u, st.class_of[u], (n, d, s)));
            }
        }
        scores[u] = st.scores[u];
    }
    None
}

fn change(rec: &Record, st: &State, u: usize, class: usize, (n, d, s): (u32, u32, f64)) -> Change {
    Change {
        ods_code: rec.units[u].code.clone(),
        name: rec.units[u].name.clone(),
        from: st.scores[u],
        to: s,
        conditions_from: st.n[u],
        conditions_to: n,
        unit: u,
        class,
        directions: d,
    }
}

/// The claim a verdict is about, as the fewest-changes search needs it.
#[derive(Clone, Copy)]
pub enum Claim<'a> {
    /// Claim 4: regional medians.
    Spread,
    /// Claim 5: the mean of CSU `a`'s CCGs over 30 times that of CSU `b`'s.
    Ratio { a: &'a [usize], b: &'a [usize] },
}

impl Claim<'_> {
    pub fn holds(&self, rec: &Record, scores: &[f64]) -> bool {
        match *self {
            Claim::Spread => claim4_holds(rec, scores),
            Claim::Ratio { a, b } => {
                let mean = |m: &[usize]| m.iter().map(|&u| scores[u]).sum::<f64>() / m.len() as f64;
                crate::stages::headline::csu_ratio_holds(crate::stages::headline::ratio(
                    mean(a),
                    mean(b),
                ))
            }
        }
    }
}

/// Changes as (CCG, new score).
type Moves = Vec<(usize, f64)>;

/// The fewest CCGs to change to turn the verdict when each CCG may independently take any score
/// from `reach[u].0` to `reach[u].1` (nothing else binds): the number and the changes, each to
/// an end of its range; None when no number of changes does. Exact for that relaxed problem, so
/// a lower bound on the real one whenever the ranges contain every score a changed CCG can take.
pub fn fewest_relaxed(
    rec: &Record,
    claim: Claim,
    scores: &[f64],
    reach: &[(f64, f64)],
) -> Option<(usize, Moves)> {
    let now = claim.holds(rec, scores);
    match claim {
        Claim::Ratio { a, b } => fewest_ratio(scores, reach, a, b, now),
        Claim::Spread => fewest_spread(rec, scores, reach, now),
    }
}

/// Claim 5: f = mean(a) - 30 mean(b) must fall to 0 or below (or b's scores all to 0) when it
/// holds, rise above 0 when it does not; each CCG's largest possible shift of f, largest first.
fn fewest_ratio(
    scores: &[f64],
    reach: &[(f64, f64)],
    a: &[usize],
    b: &[usize],
    now: bool,
) -> Option<(usize, Moves)> {
    let r = crate::stages::headline::CSU_RATIO_OVER;
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let sum = |m: &[usize]| m.iter().map(|&u| scores[u]).sum::<f64>();
    let f0 = sum(a) / na - r * sum(b) / nb;
    let mut moves: Vec<(f64, usize, f64)> = vec![];
    for &u in a {
        let (lo, hi) = reach[u];
        let to = if now { lo } else { hi };
        moves.push(((to - scores[u]).abs() / na, u, to));
    }
    for &u in b {
        let (lo, hi) = reach[u];
        let to = if now { hi } else { lo };
        moves.push((r * (to - scores[u]).abs() / nb, u, to));
    }
    moves.retain(|m| m.0 > 0.0);
    moves.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
    // Needed shift (a hair of slack keeps the count a lower bound; witnesses are re-judged).
    let need = if now { f0 } else { -f0 };
    let slack = 1e-9 * f0.abs().max(1.0);
    let mut best: Option<(usize, Moves)> = None;
    let mut cum = 0.0;
    for (i, m) in moves.iter().enumerate() {
        cum += m.0;
        if cum >= need - slack {
            best = Some((i + 1, moves[..=i].iter().map(|m| (m.1, m.2)).collect()));
            break;
        }
    }
    if now {
        // Or every CCG of b at 0 (the ratio is then undefined or infinite: not over 30).
        let zero: Vec<usize> = b.iter().copied().filter(|&u| scores[u] > 0.0).collect();
        if zero.iter().all(|&u| reach[u].0 <= 0.0)
            && best.as_ref().is_none_or(|(k, _)| zero.len() < *k)
            && !zero.is_empty()
        {
            best = Some((zero.len(), zero.iter().map(|&u| (u, 0.0)).collect()));
        }
    }
    best
}

/// For one region: per number of changes j (at most j), the highest median reachable with each
/// changed CCG raised to the top of its range, and the CCGs raised. `cur` and `top` per member.
fn raised_medians(cur: &[f64], top: &[f64]) -> Vec<(f64, Vec<usize>)> {
    let m = cur.len();
    let mut vals: Vec<f64> = cur.iter().chain(top).copied().collect();
    vals.sort_by(f64::total_cmp);
    vals.dedup();
    let mut best: Vec<Option<(f64, Vec<usize>)>> = vec![None; m + 1];
    let mut offer = |cost: usize, v: f64, who: &dyn Fn() -> Vec<usize>| {
        if best[cost].as_ref().is_none_or(|b| v > b.0) {
            best[cost] = Some((v, who()));
        }
    };
    if m % 2 == 1 {
        // The median is the a-th lowest (a = (m+1)/2): at least m - a + 1 members at p or above.
        let q = m - m.div_ceil(2) + 1;
        for &p in &vals {
            let have = cur.iter().filter(|&&c| c >= p).count();
            let need = q.saturating_sub(have);
            let able: Vec<usize> = (0..m).filter(|&i| cur[i] < p && top[i] >= p).collect();
            if need <= able.len() {
                offer(need, p, &|| able[..need].to_vec());
            }
        }
    } else {
        // The mean of the a-th and (a+1)-th lowest (a = m/2): the upper one at p or above (m - a
        // members there), the lower at p2 <= p or above (m - a + 1 members there).
        let a = m / 2;
        let (q1, q2) = (m - a, m - a + 1);
        for (i, &p) in vals.iter().enumerate() {
            for &p2 in &vals[..=i] {
                let (mut c1, mut c12, mut na, mut nb, mut nc) = (0, 0, 0, 0, 0);
                for j in 0..m {
                    let (c, t) = (cur[j], top[j]);
                    if c >= p {
                        c1 += 1;
                    }
                    if c >= p2 {
                        c12 += 1;
                    }
                    if c < p2 && t >= p {
                        na += 1;
                    } else if c < p2 && t >= p2 {
                        nb += 1;
                    } else if c >= p2 && c < p && t >= p {
                        nc += 1;
                    }
                }
                let (n1, n2): (usize, usize) = (q1.saturating_sub(c1), q2.saturating_sub(c12));
                // Members raised past both thresholds count twice: use them first.
                let x = na.min(n1.max(n2));
                let (y, z) = (n1.saturating_sub(x), n2.saturating_sub(x));
                if y > nc || z > nb {
                    continue;
                }
                let v = (p + p2) / 2.0;
                offer(x + y + z, v, &|| {
                    let pick = |f: &dyn Fn(f64, f64) -> bool, k: usize| -> Vec<usize> {
                        (0..m).filter(|&j| f(cur[j], top[j])).take(k).collect()
                    };
                    let mut who = pick(&|c, t| c < p2 && t >= p, x);
                    who.extend(pick(&|c, t| c >= p2 && c < p && t >= p, y));
                    who.extend(pick(&|c, t| c < p2 && t >= p2 && t < p, z));
                    who
                });
            }
        }
    }
    // At most j changes: carry the best forward.
    let mut out: Vec<(f64, Vec<usize>)> = vec![];
    for b in best {
        let keep = match (b, out.last()) {
            (Some(b), Some(last)) if b.0 <= last.0 => last.clone(),
            (Some(b), _) => b,
            (None, Some(last)) => last.clone(),
            (None, None) => (f64::NEG_INFINITY, vec![]),
        };
        out.push(keep);
    }
    out
}

/// One region's median with j of its CCGs moved as far as they can go, for each j from 0:
/// raised (`up`) or lowered, each with the moves that reach it.
fn moved_medians(
    members: &[usize],
    scores: &[f64],
    reach: &[(f64, f64)],
    up: bool,
) -> Vec<(f64, Moves)> {
    let sign = if up { 1.0 } else { -1.0 };
    let cur: Vec<f64> = members.iter().map(|&u| sign * scores[u]).collect();
    let top: Vec<f64> = members
        .iter()
        .map(|&u| {
            let (lo, hi) = reach[u];
            (sign * if up { hi } else { lo }).max(sign * scores[u])
        })
        .collect();
    raised_medians(&cur, &top)
        .into_iter()
        .map(|(v, who)| {
            (
                sign * v,
                who.iter().map(|&i| (members[i], sign * top[i])).collect(),
            )
        })
        .collect()
}

/// Claim 4 in the relaxed problem. Regions change independently, so each region's highest and
/// lowest median per number of changes decides it: the claim fails if the North's median can
/// reach 0, or reach another region's lowest, or every region's lowest can fall below 3 times
/// the North's highest; it holds if the North's lowest lies below every region's highest and
/// some region's highest reaches 3 times it (the North's median kept above 0 is relaxed to
/// "some median above 0 is reachable").
fn fewest_spread(
    rec: &Record,
    scores: &[f64],
    reach: &[(f64, f64)],
    now: bool,
) -> Option<(usize, Moves)> {
    let members: Vec<Vec<usize>> = (0..4)
        .map(|r| {
            (0..rec.units.len())
                .filter(|&u| rec.units[u].region == r)
                .collect()
        })
        .collect();
    if members[0].is_empty() {
        return None;
    }
    let side = |r: usize, up: bool| moved_medians(&members[r], scores, reach, up);
    let others: Vec<usize> = (1..4).filter(|&r| !members[r].is_empty()).collect();
    let up: Vec<Vec<(f64, Moves)>> = (0..4).map(|r| side(r, true)).collect();
    let down: Vec<Vec<(f64, Moves)>> = (0..4).map(|r| side(r, false)).collect();
    // Fewest changes in a region for its (monotone) median to meet `ok`.
    let first = |v: &[(f64, Moves)], ok: &dyn Fn(f64) -> bool| v.iter().position(|x| ok(x.0));
    let mut best: Option<(usize, Moves)> = None;
    let mut offer = |k: usize, parts: Vec<&Moves>| {
        if k > 0 && best.as_ref().is_none_or(|b| k < b.0) {
            best = Some((k, parts.into_iter().flatten().copied().collect()));
        }
    };
    let mn = members[0].len();
    if now {
        if let Some(j) = first(&down[0], &|v| v <= 0.0) {
            offer(j, vec![&down[0][j].1]);
        }
        for (jn, (v, raised)) in up[0].iter().enumerate() {
            let v = *v;
            for &r in &others {
                if let Some(j) = first(&down[r], &|x| x <= v) {
                    offer(jn + j, vec![raised, &down[r][j].1]);
                }
            }
            let js: Option<Vec<usize>> = others
                .iter()
                .map(|&r| first(&down[r], &|x| x < 3.0 * v))
                .collect();
            if let Some(js) = js {
                let mut parts = vec![raised];
                parts.extend(others.iter().zip(&js).map(|(&r, &j)| &down[r][j].1));
                offer(jn + js.iter().sum::<usize>(), parts);
            }
        }
    } else {
        for jn in 0..=mn {
            let v = down[0][jn].0;
            if up[0][jn].0 <= 0.0 {
                continue;
            }
            let above: Option<Vec<usize>> =
                others.iter().map(|&r| first(&up[r], &|x| x > v)).collect();
            let Some(above) = above else { continue };
            // One region (at least) at 3 times the North's median.
            for (i, &r) in others.iter().enumerate() {
                let Some(j3) = first(&up[r], &|x| x >= 3.0 * v && x > v) else {
                    continue;
                };
                let mut js = above.clone();
                js[i] = js[i].max(j3);
                let mut parts = vec![&down[0][jn].1];
                parts.extend(others.iter().zip(&js).map(|(&r, &j)| &up[r][j].1));
                offer(jn + js.iter().sum::<usize>(), parts);
            }
        }
    }
    best
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

/// One claim's fragility on one dataset: the fewest CCGs found whose change (within the
/// published facts) turns the verdict, and the fewest proved necessary.
#[derive(Debug, Clone, Serialize)]
pub struct FragilityRow {
    pub claim: String,
    /// Which dataset: the one analysed, or an untuned reconstruction.
    pub data: String,
    pub holds: bool,
    /// A consistent dataset with the verdict turned, as the CCGs changed (empty: none found).
    pub changes: Vec<Change>,
    /// At least this many CCGs must change; None when no consistent dataset turns the verdict.
    pub at_least: Option<usize>,
    /// The changes found are the fewest possible (their number meets `at_least`), or none exist.
    pub exact: bool,
}

/// The CCGs' in-class choices (n, d, score) a witness may use: every choice in its class, or,
/// in Midlands and East (`strict`), only those keeping its conditions and directions; a
/// directed Midlands and East CCG keeps its directions either way when their total is published.
fn witness_choices(solver: &Solver, st: &State, strict: bool) -> Vec<Vec<(u32, u32, f64)>> {
    let rec = solver.rec;
    (0..rec.units.len())
        .map(|u| {
            let mut c = solver.choices_in(u, st.class_of[u]).unwrap_or_default();
            if rec.units[u].me {
                let directed = rec.classes[st.class_of[u]].status == Status::Directed;
                c.retain(|&(n, d, _)| {
                    (!strict || n == st.n[u])
                        && (!(strict || directed && rec.me_directions.is_some()) || d == st.d[u])
                });
            }
            c
        })
        .collect()
}

fn span(scores: impl Iterator<Item = f64>, own: f64) -> (f64, f64) {
    scores.fold((own, own), |(lo, hi), s| (lo.min(s), hi.max(s)))
}

/// Turn relaxed moves into a consistent dataset: each moved CCG takes a choice with that score
/// (its own conditions kept when it can), then Midlands and East's conditions are brought back
/// into range by CCGs changing their number of conditions at the same score, or failing that
/// by one more CCG of Midlands and East. None when this fails or the verdict does not turn.
fn realise(
    solver: &Solver,
    st: &State,
    claim: Claim,
    choices: &[Vec<(u32, u32, f64)>],
    moves: &[(usize, f64)],
) -> Option<Vec<Change>> {
    let rec = solver.rec;
    let now = claim.holds(rec, &st.scores);
    let mut pick: Vec<(usize, (u32, u32, f64))> = vec![];
    for &(u, to) in moves {
        let c = choices[u]
            .iter()
            .filter(|c| (c.2 - to).abs() < 1e-9)
            .min_by_key(|c| (c.0.abs_diff(st.n[u]), c.0, c.1))?;
        pick.push((u, *c));
    }
    let mut scores = st.scores.clone();
    let mut n = st.n.clone();
    for &(u, (nn, _, s)) in &pick {
        scores[u] = s;
        n[u] = nn;
    }
    if claim.holds(rec, &scores) == now {
        return None;
    }
    let me: Vec<usize> = (0..rec.units.len()).filter(|&u| rec.units[u].me).collect();
    let total = |n: &[u32]| me.iter().map(|&u| n[u]).sum::<u32>();
    let mut changes: Vec<Change> = pick
        .iter()
        .map(|&(u, c)| change(rec, st, u, st.class_of[u], c))
        .collect();
    let Some((lo, hi)) = rec.me_conditions else {
        return Some(changes);
    };
    // Same score, other numbers of conditions, towards the range.
    for ch in changes.iter_mut() {
        let u = ch.unit;
        if !rec.units[u].me || (lo..=hi).contains(&total(&n)) {
            continue;
        }
        let t = total(&n) - n[u];
        if let Some(c) = choices[u]
            .iter()
            .filter(|c| (c.2 - ch.to).abs() < 1e-9 && c.1 == ch.directions)
            .min_by_key(|c| (t + c.0).abs_diff((t + c.0).clamp(lo, hi)))
        {
            n[u] = c.0;
            ch.conditions_to = c.0;
        }
    }
    if (lo..=hi).contains(&total(&n)) {
        return Some(changes);
    }
    // One more CCG of Midlands and East, its score moved as little as possible.
    let moved: Vec<usize> = changes.iter().map(|c| c.unit).collect();
    let mut extra: Vec<(f64, usize, (u32, u32, f64))> = vec![];
    for &u in me.iter().filter(|u| !moved.contains(u)) {
        let t = total(&n) - n[u];
        for &c in &choices[u] {
            if (lo..=hi).contains(&(t + c.0)) && c.1 == st.d[u] {
                extra.push(((c.2 - st.scores[u]).abs(), u, c));
            }
        }
    }
    extra.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (_, u, c) in extra {
        let keep = scores[u];
        scores[u] = c.2;
        if claim.holds(rec, &scores) != now {
            changes.push(change(rec, st, u, st.class_of[u], c));
            return Some(changes);
        }
        scores[u] = keep;
    }
    None
}

/// The fewest CCGs found to turn a claim's verdict on a dataset, and the fewest proved.
///
/// Proof: one CCG is tried exhaustively (`single_flip`). Beyond that, a CCG that keeps its class
/// can take at most the scores its class allows, and one that changes class any score of any
/// class open to it; a change of class takes at least two CCGs (the classes' counts are
/// published). So the fewest changes is at least the smaller of the relaxed minimum over
/// class-kept ranges and (at least 2) the relaxed minimum over all classes' ranges, Midlands and
/// East's totals dropped from both. Witnesses come from the relaxed solutions over ranges every
/// CCG can reach together (in Midlands and East without changing its conditions, or changing
/// them with the total repaired), are re-judged, and are exact when they meet the bound.
///
/// `closed`: the published record settles or rules out the claim (proved by the bounds), so no
/// consistent dataset turns it.
pub fn fewest(
    solver: &Solver,
    st: &State,
    claim: Claim,
    closed: bool,
) -> (Vec<Change>, Option<usize>) {
    fewest_with(solver, st, &Reach::new(solver, st), claim, closed)
}

/// What each CCG of a dataset can reach: its score ranges in its class and in any class, and
/// the choices a witness may use (strict and loose, as `witness_choices`).
pub struct Reach {
    inclass: Vec<(f64, f64)>,
    anyclass: Vec<(f64, f64)>,
    witness: [Vec<Vec<(u32, u32, f64)>>; 2],
}

impl Reach {
    pub fn new(solver: &Solver, st: &State) -> Reach {
        let rec = solver.rec;
        let n = rec.units.len();
        let range = |u: usize, k: usize| {
            solver
                .choices_in(u, k)
                .map(|c| span(c.iter().map(|c| c.2), st.scores[u]))
        };
        let inclass: Vec<(f64, f64)> = (0..n)
            .map(|u| range(u, st.class_of[u]).unwrap_or((st.scores[u], st.scores[u])))
            .collect();
        let anyclass: Vec<(f64, f64)> = (0..n)
            .map(|u| {
                rec.units[u]
                    .options
                    .iter()
                    .filter_map(|&k| range(u, k))
                    .fold(inclass[u], |a, b| (a.0.min(b.0), a.1.max(b.1)))
            })
            .collect();
        Reach {
            inclass,
            anyclass,
            witness: [
                witness_choices(solver, st, true),
                witness_choices(solver, st, false),
            ],
        }
    }
}

fn fewest_with(
    solver: &Solver,
    st: &State,
    reach: &Reach,
    claim: Claim,
    closed: bool,
) -> (Vec<Change>, Option<usize>) {
    let rec = solver.rec;
    if closed {
        return (vec![], None);
    }
    let holds = |s: &[f64]| claim.holds(rec, s);
    // A single CCG keeps its class, so when the relaxed problem over class-kept ranges needs
    // two or more, no single CCG turns it and the exhaustive search is skipped.
    let kept = fewest_relaxed(rec, claim, &st.scores, &reach.inclass).map(|x| x.0);
    if kept == Some(1) {
        if let Some(c) = single_flip(solver, st, &holds) {
            return (vec![c], Some(1));
        }
    }
    let n = rec.units.len();
    let moved = fewest_relaxed(rec, claim, &st.scores, &reach.anyclass).map(|x| x.0.max(2));
    let at_least = match (kept, moved) {
        (Some(a), Some(b)) => Some(a.min(b).max(2)),
        (a, b) => a.or(b).map(|k| k.max(2)),
    };
    let mut best: Option<Vec<Change>> = None;
    for choices in &reach.witness {
        let ranges: Vec<(f64, f64)> = (0..n)
            .map(|u| span(choices[u].iter().map(|c| c.2), st.scores[u]))
            .collect();
        if let Some((_, moves)) = fewest_relaxed(rec, claim, &st.scores, &ranges) {
            if let Some(w) = realise(solver, st, claim, choices, &moves) {
                if best.as_ref().is_none_or(|b| w.len() < b.len()) {
                    best = Some(w);
                }
            }
        }
    }
    let mut at_least = at_least;
    if let Claim::Ratio { a, b } = claim {
        let found = best.as_ref().map(|b| b.len());
        if at_least.is_some_and(|k| found != Some(k)) {
            // Not settled yet: count the changes with Midlands and East's total kept.
            let (proved, witness) = ratio_with_budget(solver, st, reach, (a, b), found);
            // (None from the budgeted count would say nothing turns it; the bounds say the
            // claim is open, so the plain count stands then.)
            if let (Some(k), Some(p)) = (at_least, proved) {
                at_least = Some(k.max(p));
            }
            if let Some(w) = witness.filter(|w| best.as_ref().is_none_or(|b| w.len() < b.len())) {
                best = Some(w);
            }
        }
    }
    (best.unwrap_or_default(), at_least)
}

/// Budgeted changes judged afresh as a witness: the claim turns, Midlands and East's
/// conditions are in range and its directions unchanged; then the changes, else None.
fn judged(rec: &Record, st: &State, claim: Claim, steps: &[budgeted::Step]) -> Option<Vec<Change>> {
    let now = claim.holds(rec, &st.scores);
    let mut scores = st.scores.clone();
    let (mut total, mut directions) = (0i64, 0i64);
    for &(u, (nn, dd, s)) in steps {
        scores[u] = s;
        if rec.units[u].me {
            total += i64::from(nn) - i64::from(st.n[u]);
            directions += i64::from(dd) - i64::from(st.d[u]);
        }
    }
    total += (0..rec.units.len())
        .filter(|&u| rec.units[u].me)
        .map(|u| i64::from(st.n[u]))
        .sum::<i64>();
    let in_range = rec
        .me_conditions
        .is_none_or(|(lo, hi)| (i64::from(lo)..=i64::from(hi)).contains(&total));
    let kept = rec.me_directions.is_none() || directions == 0;
    (in_range && kept && claim.holds(rec, &scores) != now).then(|| {
        steps
            .iter()
            .map(|&(u, c)| change(rec, st, u, st.class_of[u], c))
            .collect()
    })
}

/// Claim 5's fewest changes with Midlands and East's total of conditions kept in range
/// (`budgeted`): a lower bound from every choice of a CCG's class (one CCG) or of any class
/// (at least two, as a change of class needs a partner), and a witness from the choices a
/// witness may use, kept only when it is a consistent dataset that turns the verdict.
fn ratio_with_budget(
    solver: &Solver,
    st: &State,
    reach: &Reach,
    (a, b): (&[usize], &[usize]),
    found: Option<usize>,
) -> (Option<usize>, Option<Vec<Change>>) {
    let rec = solver.rec;
    if rec.me_conditions.is_none() {
        // No published range: nothing to count here (and a None below would read as proof).
        return (None, None);
    }
    let claim = Claim::Ratio { a, b };
    let now = claim.holds(rec, &st.scores);
    let n = rec.units.len();
    // Only fewer changes than those found are sought (a witness first, so the proof then asks
    // only for fewer than it): none found proves the number found fewest.
    let witness = budgeted::fewest_ratio_budgeted(
        rec,
        st,
        (a, b),
        now,
        &reach.witness[1],
        found.unwrap_or(usize::MAX),
        true,
    )
    .and_then(|(_, steps)| judged(rec, st, claim, &steps));
    let found = witness.as_ref().map(|w| w.len()).or(found);
    // (The own class's choices are needed only when any class's count is below two.)
    let in_class = || -> Vec<Vec<(u32, u32, f64)>> {
        (0..n)
            .map(|u| solver.choices_in(u, st.class_of[u]).unwrap_or_default())
            .collect()
    };
    let any_class: Vec<Vec<(u32, u32, f64)>> = (0..n)
        .map(|u| {
            let mut v: Vec<(u32, u32, f64)> = rec.units[u]
                .options
                .iter()
                .filter_map(|&k| solver.choices_in(u, k))
                .flatten()
                .collect();
            v.sort_by(|x, y| x.0.cmp(&y.0).then(x.1.cmp(&y.1)).then(x.2.total_cmp(&y.2)));
            v.dedup();
            v
        })
        .collect();
    // When the claim holds, every CCG of b at 0 also turns it (the ratio is then not finite).
    let zeroed = |options: &[Vec<(u32, u32, f64)>]| -> Option<usize> {
        let positive: Vec<usize> = b.iter().copied().filter(|&u| st.scores[u] > 0.0).collect();
        let reachable = positive
            .iter()
            .all(|&u| options[u].iter().any(|c| c.2 <= 0.0));
        (now && reachable && !positive.is_empty()).then_some(positive.len())
    };
    let least = |options: &[Vec<(u32, u32, f64)>]| -> Option<usize> {
        let fewer_than = found.unwrap_or(usize::MAX);
        let k = budgeted::fewest_ratio_budgeted(rec, st, (a, b), now, options, fewer_than, false)
            .map(|x| x.0)
            .or(found);
        match (k, zeroed(options)) {
            (Some(x), Some(y)) => Some(x.min(y)),
            (x, y) => x.or(y),
        }
    };
    // Any class's choices include the CCG's own class's, so that count is never the larger:
    // at two or more it is the bound; below two (one CCG, which cannot leave its class), the
    // own class's count decides, capped at two (as min(own, max(any, 2)) would give).
    let proved = match least(&any_class) {
        Some(k) if k >= 2 => Some(k),
        Some(_) => Some(least(&in_class()).map_or(2, |k| k.min(2))),
        None => least(&in_class()),
    };
    (proved, witness)
}

/// Claims 4 and 5 on each dataset given as (name, conditions, outcomes); datasets that do not
/// fit the consistent set are left out. `closed`: the claims the published record settles or
/// rules out.
pub fn fragility(
    solver: &Solver,
    w: &crate::model::weights::Weights,
    compare: (&str, &str),
    datasets: &[(String, &[Condition], &[CcgOutcome])],
    closed: &[&str],
) -> Vec<FragilityRow> {
    let rec = solver.rec;
    let csu = |c: &str| -> Vec<usize> {
        (0..rec.units.len())
            .filter(|&u| rec.units[u].csu == c)
            .collect()
    };
    let (a, b) = (csu(compare.0), csu(compare.1));
    let mut out = vec![];
    for (name, conditions, outcomes) in datasets {
        let Some(st) = state(rec, w, conditions, outcomes) else {
            continue;
        };
        let reach = Reach::new(solver, &st);
        for (key, claim) in [
            ("regional_median_spread", Claim::Spread),
            ("csu_ratio", Claim::Ratio { a: &a, b: &b }),
        ] {
            if matches!(claim, Claim::Ratio { .. }) && (a.is_empty() || b.is_empty()) {
                continue;
            }
            let (changes, at_least) =
                fewest_with(solver, &st, &reach, claim, closed.contains(&key));
            let exact = match at_least {
                Some(k) => changes.len() == k,
                None => true,
            };
            out.push(FragilityRow {
                claim: key.into(),
                data: name.clone(),
                holds: claim.holds(rec, &st.scores),
                changes,
                at_least,
                exact,
            });
        }
    }
    out
}

/// A dataset with `changes` applied (each changed CCG's rows laid out afresh from its class),
/// or None when a change has no rows.
pub fn apply(
    solver: &Solver,
    conditions: &[Condition],
    outcomes: &[CcgOutcome],
    changes: &[Change],
) -> Option<(Vec<Condition>, Vec<CcgOutcome>)> {
    let rec = solver.rec;
    let mut conditions: Vec<Condition> = conditions.to_vec();
    let mut outcomes: Vec<CcgOutcome> = outcomes.to_vec();
    for c in changes {
        let unit = &rec.units[c.unit];
        let rows = solver.rows_with(c.unit, c.class, c.conditions_to, c.directions, c.to)?;
        conditions.retain(|x| x.ods_code != unit.code);
        conditions.extend(super::witness::condition_rows(unit, &rows, "fragility"));
        let o = outcomes.iter_mut().find(|o| o.ods_code == unit.code)?;
        o.n_conditions = rows.len() as u64;
        o.legal_direction = rows.iter().any(|r| r.1);
    }
    Some((conditions, outcomes))
}
