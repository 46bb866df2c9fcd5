//! The consistent set: every per-CCG dataset (wave, conditions, their support levels and legal
//! directions) that agrees with every published fact in `data/published/` and with the rules of
//! the authorisation process, under one of two named assumption sets.
//!
//! A dataset is described per CCG by a *class* (its wave, whether it was fully authorised, given
//! conditions or given legal directions, and, in waves whose level-III counts are published,
//! whether it had a level-III condition) and, within the class, by its number of conditions,
//! directions and levels. The classes carry every published count exactly (wave sizes, fully
//! authorised, with conditions, directed, level III), so the only facts that tie CCGs together
//! beyond the class counts are Midlands and East's total conditions and total directions.

use crate::error::InputError;
use crate::model::published::{region_scope, Published};
use crate::model::{Ccg, REGIONS};
use serde::Serialize;

/// At most one condition per criterion, and there were 119 criteria.
pub const CRITERIA: u32 = 119;

const ME: &str = "Midlands and East of England";

/// Which facts define the consistent set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Assumptions {
    /// Everything in `data/published/` plus the rules of the process, nothing else.
    PublishedOnly,
    /// The above plus each modelling choice `reconstruct` makes.
    Reconstruction,
}

impl Assumptions {
    pub const ALL: [Assumptions; 2] = [Assumptions::PublishedOnly, Assumptions::Reconstruction];
    pub fn as_str(self) -> &'static str {
        match self {
            Assumptions::PublishedOnly => "published facts only",
            Assumptions::Reconstruction => "with the reconstruction's assumptions",
        }
    }
    pub fn key(self) -> &'static str {
        match self {
            Assumptions::PublishedOnly => "published_only",
            Assumptions::Reconstruction => "reconstruction",
        }
    }
    /// Every assumption in the set, each with where it comes from, for the report; the figures
    /// are read from the consistent set itself, so the list follows the published files.
    pub fn listed(self, rec: &Record) -> Vec<(String, String)> {
        let level3: Vec<String> = rec
            .classes
            .iter()
            .zip(&rec.class_count)
            .filter(|(c, _)| c.level3 == Some(true))
            .map(|(c, n)| format!("wave {} ({n})", c.wave))
            .collect();
        let caps: Vec<String> = (0..4)
            .filter(|&w| rec.rules.cap_directed[w] < CRITERIA)
            .map(|w| {
                let (d, u) = (rec.rules.cap_directed[w], rec.rules.cap_undirected[w]);
                if d == u {
                    format!("wave {}: {d}", w + 1)
                } else {
                    format!("wave {}: {d} ({u} without directions)", w + 1)
                }
            })
            .collect();
        let me = match (rec.me_conditions, rec.me_directions) {
            (Some((lo, hi)), d) => format!(
                "Midlands and East: {} conditions in all{}",
                if lo == hi {
                    lo.to_string()
                } else {
                    format!("{lo} to {hi} (a rounded average)")
                },
                d.map_or(String::new(), |d| format!(", {d} directions"))
            ),
            (None, Some(d)) => format!("Midlands and East: {d} directions"),
            (None, None) => "no regional totals".into(),
        };
        let source = |s: &str| s.to_string();
        let mut v = vec![
            ("wave sizes, fully authorised, with conditions and directed CCGs per wave; national totals".to_string(), source("published: aggregates.csv")),
            (format!("CCGs with a level-III condition among the undirected: {}", level3.join(", ")), source("published: aggregates.csv")),
            (format!("most conditions per CCG: {}", caps.join("; ")), source(if self == Assumptions::Reconstruction { "published for waves 1-2; assumed for waves 3-4 (reconstruct)" } else { "published: aggregates.csv" })),
            ("levels I-III only in wave 1 and for undirected wave-2 CCGs".to_string(), source("published: aggregates.csv")),
            (me, source(if self == Assumptions::Reconstruction { "published average of 6 per CCG; the exact total is an assumption (reconstruct)" } else { "published: aggregates.csv" })),
            ("directions by region; the directed CCGs by name; exact counts, top levels and level-IV counts; itemised criteria".to_string(), source("published: outcomes.csv, itemised_conditions.csv")),
            ("waves named by a source (ccgs.csv `wave`)".to_string(), source("published: ccgs.csv")),
            ("at most one condition per criterion (119 criteria); levels I-VI".to_string(), source("rule of the process")),
            ("a directed CCG has at least one directed condition, at level IV or above; levels V-VI only under a direction; undirected CCGs have no directed condition".to_string(), source("rule of the process")),
        ];
        if self == Assumptions::Reconstruction {
            v.extend([
                ("conditions without a direction at levels I-III only, in every wave".to_string(), source("assumption (reconstruct)")),
                ("one directed condition per directed CCG unless published (two, at VI and V, where functions were removed and the accountable officer replaced), at level IV; Midlands and East's extra directions on the CCGs without a published count of them".to_string(), source("assumption (reconstruct)")),
            ]);
        }
        v
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Full,
    Conditions,
    Directed,
}

/// A CCG's class: what the published counts count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Class {
    pub wave: u8,
    pub status: Status,
    /// In waves with a published level-III count, for undirected CCGs with conditions.
    pub level3: Option<bool>,
}

/// A condition whose criterion and perhaps level are published.
#[derive(Debug, Clone, PartialEq)]
pub struct FixedRow {
    pub criterion: String,
    pub level: Option<u8>,
    pub directed: bool,
}

/// One CCG as the consistent set sees it.
#[derive(Debug, Clone)]
pub struct Unit {
    pub code: String,
    pub name: String,
    pub region: usize,
    pub csu: String,
    /// Registered population and IMD 2010 score (for the rank correlations of claims 2 and 3).
    pub population: f64,
    pub imd: f64,
    /// In Midlands and East (its conditions and directions count towards the regional totals).
    pub me: bool,
    /// Classes this CCG may take (indices into `Record::classes`).
    pub options: Vec<usize>,
    pub fixed: Vec<FixedRow>,
    pub count: Option<u32>,
    pub top: Option<u8>,
    pub iv_plus: Option<u32>,
    /// Directions: at least, and at most (within the CCG; the regional total binds too).
    pub directions: (u32, u32),
    pub wave_published: bool,
}

#[derive(Debug, Clone)]
pub struct Record {
    pub assumptions: Assumptions,
    pub units: Vec<Unit>,
    pub classes: Vec<Class>,
    /// Exactly this many CCGs in each class.
    pub class_count: Vec<u32>,
    /// Midlands and East's total conditions (inclusive range) and directions, when published.
    pub me_conditions: Option<(u32, u32)>,
    pub me_directions: Option<u32>,
    pub rules: Rules,
}

fn conflict(p: &Published, what: String) -> InputError {
    InputError::file(
        &p.dir.join("aggregates.csv"),
        format!("the published facts contradict each other: {what}; no dataset can agree with all of them"),
    )
}

impl Record {
    /// The consistent set for these CCGs and published facts. Facts that contradict each other
    /// (so that no dataset is consistent) are an input error naming them.
    pub fn new(ccgs: &[Ccg], p: &Published, a: Assumptions) -> Result<Record, InputError> {
        let recon = a == Assumptions::Reconstruction;
        let mut classes = vec![];
        let mut class_count = vec![];
        let mut totals = [0u32; 4];
        for w in 0..4 {
            let (wave_classes, counts) = wave_classes(p, w)?;
            for (c, n) in wave_classes {
                classes.push(c);
                class_count.push(n);
            }
            for k in 0..4 {
                totals[k] += counts[k];
            }
        }
        let rules = rules(p, a);
        for (k, metric) in [
            "ccgs",
            "fully_authorised",
            "with_conditions",
            "with_legal_directions",
        ]
        .iter()
        .enumerate()
        {
            if let Some(v) = p.aggregate("all", metric) {
                if v != totals[k] {
                    return Err(conflict(
                        p,
                        format!("all {metric} = {v} but the waves add up to {}", totals[k]),
                    ));
                }
            }
        }
        if totals[0] as usize != ccgs.len() {
            return Err(conflict(
                p,
                format!(
                    "the waves hold {} CCGs but ccgs.csv lists {}",
                    totals[0],
                    ccgs.len()
                ),
            ));
        }
        let me_scope = region_scope(ME);
        let me_conditions = me_conditions(p, ccgs, recon);
        let me_directions = p.aggregate(&me_scope, "number_of_legal_directions");
        let units = ccgs
            .iter()
            .map(|c| unit(c, p, recon, me_directions, &classes, &class_count, &rules))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Record {
            assumptions: a,
            units,
            classes,
            class_count,
            me_conditions,
            me_directions,
            rules,
        })
    }

    pub fn shape(&self, u: &Unit, k: usize) -> Option<Shape> {
        self.rules.shape(u, self.classes[k])
    }
}

/// The per-wave limits on a CCG's conditions and levels.
#[derive(Debug, Clone)]
pub struct Rules {
    pub assumptions: Assumptions,
    /// Per wave: most conditions for directed and undirected CCGs; highest level of a condition
    /// of an undirected CCG; of any condition.
    pub cap_directed: [u32; 4],
    pub cap_undirected: [u32; 4],
    pub max_level_undirected: [u8; 4],
    pub max_level: [u8; 4],
}

impl Rules {
    /// The rows a CCG in class `cl` must and may have, or None when the class is impossible for it.
    pub fn shape(&self, u: &Unit, cl: Class) -> Option<Shape> {
        let w = cl.wave as usize - 1;
        let recon = self.assumptions == Assumptions::Reconstruction;
        if cl.status == Status::Full {
            return Some(Shape {
                n: (0, 0),
                d: (0, 0),
                undirected_levels: (1, 0),
                directed_levels: (4, 3),
                top: None,
                iv_plus: None,
                level3: None,
                recon_directed: false,
            });
        }
        let directed = cl.status == Status::Directed;
        let cap = if directed {
            self.cap_directed[w]
        } else {
            self.cap_undirected[w]
        };
        // Conditions without a direction: I-IV (I-III under the reconstruction's assumptions),
        // within the wave's published maximum (for an undirected wave-2 CCG, its own).
        let mut hi_u = if directed {
            self.max_level[w].min(if recon { 3 } else { 4 })
        } else {
            self.max_level_undirected[w]
        };
        let mut hi_d = self.max_level[w].min(6);
        if let Some(t) = u.top {
            hi_u = hi_u.min(t);
            hi_d = hi_d.min(t);
            if t > self.max_level[w] || (!directed && t > hi_u) {
                return None;
            }
        }
        let level3 = cl.level3;
        if level3 == Some(true) && hi_u < 3 {
            return None;
        }
        let d = if directed { u.directions } else { (0, 0) };
        let fixed_n = u.fixed.len() as u32;
        let lo = fixed_n.max(1).max(d.0);
        let (lo, hi) = match u.count {
            Some(n) => (n.max(lo), n),
            None => (lo, cap.min(CRITERIA)),
        };
        if u.count.is_some_and(|n| n > cap) || lo > hi {
            return None;
        }
        // Fixed levels must fit the class.
        for f in &u.fixed {
            if let Some(l) = f.level {
                let max = if f.directed { hi_d } else { hi_u };
                if l > max || (level3 == Some(false) && l == 3) || (f.directed && l < 4) {
                    return None;
                }
            }
        }
        if directed && hi_d < 4 {
            return None;
        }
        Some(Shape {
            n: (lo, hi),
            d: (d.0, d.1.min(hi)),
            undirected_levels: (1, hi_u),
            directed_levels: (4, hi_d),
            top: u.top,
            iv_plus: u.iv_plus,
            level3,
            recon_directed: recon && directed,
        })
    }
}

/// One wave's classes with their published numbers of CCGs, and its (size, fully authorised,
/// with conditions, directed); an input error when the wave's own figures contradict each other.
fn wave_classes(p: &Published, w: usize) -> Result<(Vec<(Class, u32)>, [u32; 4]), InputError> {
    let scope = format!("wave{}", w + 1);
    let wave = w as u8 + 1;
    let size = p.require(&scope, "ccgs")?;
    let full = p.require(&scope, "fully_authorised")?;
    let with = p.require(&scope, "with_conditions")?;
    let directed = p.require(&scope, "legal_directions")?;
    if full + with != size {
        return Err(conflict(
            p,
            format!("{scope}: fully_authorised {full} + with_conditions {with} != ccgs {size}"),
        ));
    }
    if directed > with {
        return Err(conflict(
            p,
            format!("{scope}: legal_directions {directed} > with_conditions {with}"),
        ));
    }
    let undirected = with - directed;
    let class = |status, level3| Class {
        wave,
        status,
        level3,
    };
    let mut out = vec![
        (class(Status::Full, None), full),
        (class(Status::Directed, None), directed),
    ];
    match p.aggregate(&scope, "ccgs_with_level3") {
        Some(l3) if l3 > undirected => {
            return Err(conflict(
                p,
                format!(
                    "{scope}: ccgs_with_level3 {l3} > undirected CCGs with conditions {undirected}"
                ),
            ));
        }
        Some(l3) => {
            out.push((class(Status::Conditions, Some(true)), l3));
            out.push((class(Status::Conditions, Some(false)), undirected - l3));
        }
        None => out.push((class(Status::Conditions, None), undirected)),
    }
    Ok((out, [size, full, with, directed]))
}

/// The per-wave limits: published maxima of conditions and levels, and under the
/// reconstruction's assumptions its caps for waves 3 and 4 and levels I-III without a direction.
fn rules(p: &Published, a: Assumptions) -> Rules {
    let recon = a == Assumptions::Reconstruction;
    let (mut cap_directed, mut cap_undirected) = ([CRITERIA; 4], [CRITERIA; 4]);
    let (mut max_level_undirected, mut max_level) = ([if recon { 3 } else { 4 }; 4], [6u8; 4]);
    for w in 0..4 {
        let scope = format!("wave{}", w + 1);
        let directed = p.aggregate(&scope, "legal_directions").unwrap_or(0);
        if let Some(m) = p.aggregate(&scope, "max_conditions") {
            cap_directed[w] = m.min(CRITERIA);
            cap_undirected[w] = m.min(CRITERIA);
        } else if recon {
            cap_directed[w] = 28;
            cap_undirected[w] = 22;
        }
        if let Some(m) = p.aggregate(&scope, "max_conditions_no_directions") {
            cap_undirected[w] = m.min(cap_undirected[w]);
        } else if recon && p.aggregate(&scope, "max_conditions").is_some() && directed > 0 {
            cap_undirected[w] = cap_undirected[w].min(22);
        }
        if let Some(m) = p.aggregate(&scope, "max_support_level") {
            max_level[w] = m.min(6) as u8;
            max_level_undirected[w] = max_level_undirected[w].min(m as u8);
        }
    }
    if let Some(m) = p.aggregate("wave2_no_directions", "max_support_level") {
        max_level_undirected[1] = max_level_undirected[1].min(m as u8);
    }
    Rules {
        assumptions: a,
        cap_directed,
        cap_undirected,
        max_level_undirected,
        max_level,
    }
}

/// One CCG of the consistent set: its published facts and the classes it may take (an input
/// error when none fits them).
fn unit(
    c: &Ccg,
    p: &Published,
    recon: bool,
    me_directions: Option<u32>,
    classes: &[Class],
    class_count: &[u32],
    rules: &Rules,
) -> Result<Unit, InputError> {
    let region = REGIONS.iter().position(|r| *r == c.region).unwrap_or(0);
    let o = p.outcome(&c.ods_code);
    let fixed: Vec<FixedRow> = p
        .itemised
        .iter()
        .filter(|x| x.ods_code == c.ods_code)
        .map(|x| FixedRow {
            criterion: x.criterion.clone(),
            level: x.support_level,
            directed: x.legal_direction,
        })
        .collect();
    let directed = o.is_some_and(|o| o.legal_direction);
    let count = o.and_then(|o| o.conditions);
    let top = o.and_then(|o| o.top_level);
    let iv_plus = o.and_then(|o| o.level_iv_or_higher);
    let fixed_dir = fixed.iter().filter(|f| f.directed).count() as u32;
    let directions = if !directed {
        (0, 0)
    } else if recon {
        let d = iv_plus
            .unwrap_or(if top == Some(6) { 2 } else { 1 })
            .max(1)
            .max(fixed_dir);
        let adjustable = c.region == ME && iv_plus.is_none() && me_directions.is_some();
        (d, if adjustable { CRITERIA } else { d })
    } else {
        (fixed_dir.max(1), iv_plus.unwrap_or(CRITERIA))
    };
    let mut unit = Unit {
        code: c.ods_code.clone(),
        name: c.name.clone(),
        region,
        csu: c.csu.clone(),
        population: c.population as f64,
        imd: c.imd_score,
        me: c.region == ME,
        options: vec![],
        fixed,
        count,
        top,
        iv_plus,
        directions,
        wave_published: c.wave.is_some(),
    };
    let wave_ok = |w: u8| c.wave.is_none_or(|x| x == w);
    for (k, cl) in classes.iter().enumerate() {
        if class_count[k] == 0 || !wave_ok(cl.wave) {
            continue;
        }
        let status_ok = match cl.status {
            Status::Directed => directed,
            Status::Full => !directed && count.is_none_or(|n| n == 0) && unit.fixed.is_empty(),
            Status::Conditions => !directed && count.is_none_or(|n| n > 0),
        };
        if status_ok && rules.shape(&unit, *cl).is_some() {
            unit.options.push(k);
        }
    }
    if unit.options.is_empty() {
        return Err(conflict(
            p,
            format!(
                "{} {} can take no wave and outcome that agree with its published facts",
                c.ods_code, c.name
            ),
        ));
    }
    Ok(unit)
}

/// Midlands and East's total conditions as a range: the published average of conditions per
/// CCG is rounded to a whole number, so the total over its n CCGs lies in
/// [(avg - 0.5) n, (avg + 0.5) n); the reconstruction takes exactly avg * n.
fn me_conditions(p: &Published, ccgs: &[Ccg], recon: bool) -> Option<(u32, u32)> {
    let me_n = ccgs.iter().filter(|c| c.region == ME).count() as u32;
    p.aggregate(&region_scope(ME), "avg_conditions_per_ccg")
        .map(|avg| {
            if recon {
                (avg * me_n, avg * me_n)
            } else {
                let lo = ((2 * avg * me_n).saturating_sub(me_n)).div_ceil(2);
                let hi = (2 * avg * me_n + me_n - 1) / 2;
                (lo, hi)
            }
        })
}

/// What a CCG's rows may be in one class.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    pub n: (u32, u32),
    pub d: (u32, u32),
    pub undirected_levels: (u8, u8),
    pub directed_levels: (u8, u8),
    pub top: Option<u8>,
    pub iv_plus: Option<u32>,
    pub level3: Option<bool>,
    /// Directed rows at the reconstruction's levels (top, then V after VI, then IV).
    pub recon_directed: bool,
}
