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

mod claims;
pub mod flow;
pub mod fragility;
pub mod record;
pub mod rows;
pub mod search;
pub mod witness;

use crate::model::weights::Weights;
use crate::stages::headline::share_holds;
use claims::{correlation, csu_ratio, regional_spread, Ctx};
use record::Status;
pub use record::{Assumptions, Record};
use search::{Solution, Solver};
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
    #[serde(skip)]
    pub solution: Option<Solution>,
}

impl End {
    fn new(value: f64, proved: f64, solution: Option<Solution>) -> End {
        // Both infinite, or both finite and equal: a finite witness under an infinite limit is
        // not proved (inf <= 1e-6 * inf would otherwise call it exact).
        let exact = if value.is_finite() && proved.is_finite() {
            (value - proved).abs() <= 1e-6 * proved.abs().max(1.0)
        } else {
            value.is_infinite() && proved.is_infinite() && value.signum() == proved.signum()
        };
        End {
            value,
            proved,
            exact,
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
pub enum RecordStatus {
    /// Holds in every consistent dataset.
    Settled,
    /// Holds in none.
    RuledOut,
    /// Holds in some, fails in others.
    Open,
}

impl RecordStatus {
    pub fn label(self) -> &'static str {
        match self {
            RecordStatus::Settled => "settled",
            RecordStatus::RuledOut => "ruled out",
            RecordStatus::Open => "open",
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ClaimBounds {
    pub claim: String,
    pub status: Option<RecordStatus>,
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
        status: Some(if share_holds(share) {
            RecordStatus::Settled
        } else {
            RecordStatus::RuledOut
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
        holds: any.clone().filter(|_| share_holds(share)),
        fails: any.filter(|_| !share_holds(share)),
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
    /// Claims 4 and 5 on the data analysed and on an untuned reconstruction: the fewest CCGs
    /// whose change (within the published facts) turns the verdict, and the fewest proved.
    /// (Published facts only, the run's own weights.)
    pub fragility: Vec<fragility::FragilityRow>,
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
    p: &crate::model::published::Published,
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
    // Two threads take the next job as they come free (the jobs differ several-fold in cost);
    // each result goes back to its job's place, so the order never depends on timing.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let run = || -> Vec<(usize, Bounds)> {
        let mut done = vec![];
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some((w, r)) = jobs.get(i) else {
                return done;
            };
            done.push((i, bounds(r, w, compare)));
        }
    };
    let (mut a, b) = std::thread::scope(|s| {
        let other = s.spawn(run);
        (run(), other.join().expect("bounds thread"))
    });
    a.extend(b);
    a.sort_by_key(|(i, _)| *i);
    let a: Vec<Bounds> = a.into_iter().map(|(_, b)| b).collect();
    Ok(RecordBounds {
        assumption_sets: Assumptions::ALL
            .iter()
            .zip(&records)
            .map(|(a, rec)| (a.key().to_string(), a.as_str().to_string(), a.listed(rec)))
            .collect(),
        bounds: a,
        records,
        fragility: vec![],
    })
}

/// A figure's range in words: "0.011 to 3471", "79.6% in every dataset", "1 to unbounded".
pub fn range_text(f: &Figure, as_share: bool) -> String {
    let number = |v: f64| {
        if as_share {
            crate::format::pct(v)
        } else {
            crate::format::approx(v)
        }
    };
    let show = |e: &End| -> String {
        if e.value.is_nan() {
            format!("at least {}", crate::format::approx(e.proved))
        } else if e.value.is_infinite() {
            "unbounded".into()
        } else {
            number(e.value)
        }
    };
    let (lo, hi) = (show(&f.min), show(&f.max));
    let mut s = if lo == hi {
        format!("{lo} in every consistent dataset")
    } else {
        format!("{lo} to {hi}")
    };
    // An end not proved tight says so, with the limit the search did prove where it has one.
    let limit = |e: &End| e.proved.is_finite().then(|| number(e.proved));
    let loose = |e: &End| !e.exact && !e.value.is_nan();
    let note = match (loose(&f.min), loose(&f.max)) {
        (true, true) => Some(match (limit(&f.min), limit(&f.max)) {
            (Some(a), Some(b)) => {
                format!("neither end proved to be the extreme; proved within {a} to {b}")
            }
            _ => "neither end proved to be the extreme".to_string(),
        }),
        (true, false) => Some(match limit(&f.min) {
            Some(a) => format!("the lowest not proved to be the extreme; proved no lower than {a}"),
            None => "the lowest not proved to be the extreme".to_string(),
        }),
        (false, true) => Some(match limit(&f.max) {
            Some(b) => {
                format!("the highest not proved to be the extreme; proved no higher than {b}")
            }
            None => "the highest not proved to be the extreme".to_string(),
        }),
        (false, false) => None,
    };
    if let Some(note) = note {
        s.push_str(&format!(" ({note})"));
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
