//! The published record against the data: every published fact and aggregate, the published
//! value, the value in the data, and whether they agree. `check-data` prints the table;
//! `analyse` turns each mismatch into a warning.

use crate::columns::{strings, u32_slice};
use crate::model::published::{region_scope, Published};
use crate::model::{CcgOutcome, REGIONS};
use crate::stages::counts::LEVEL_COLUMNS;
use polars::prelude::*;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub item: String,
    pub published: String,
    pub data: String,
    pub ok: bool,
}

/// What the checks need of one CCG.
#[derive(Default, Clone)]
struct Tally {
    name: String,
    region: String,
    wave: Option<u8>,
    rows: u32,
    directions: u32,
    max_level: u8,
    level_iv_plus: u32,
    has_level_3: bool,
    criteria: Vec<(String, u8)>,
}

/// The checks in order: per-CCG facts, itemised criteria, waves, national totals, regions.
/// `counts` is the count table; `conditions` the condition frame (for itemised criteria);
/// `outcomes` (ccg_outcomes.csv), when present, gives each CCG's wave.
pub fn check(
    counts: &DataFrame,
    conditions: &DataFrame,
    outcomes: Option<&[CcgOutcome]>,
    p: &Published,
) -> PolarsResult<Vec<Check>> {
    let tally = tallies(counts, conditions, outcomes, p)?;
    let mut out = Vec::new();
    per_ccg_facts(&tally, p, &mut out);
    itemised(&tally, p, &mut out);
    waves(&tally, counts, outcomes.is_some(), p, &mut out)?;
    national(&tally, p, &mut out);
    regions(&tally, p, &mut out);
    let known: std::collections::BTreeSet<String> = tally.keys().cloned().collect();
    for (item, published, data, ok) in crate::stages::later_ratings::checks(&p.later, &known) {
        out.push(Check {
            item,
            published,
            data,
            ok,
        });
    }
    Ok(out)
}

fn push(out: &mut Vec<Check>, item: String, published: String, data: String) {
    let ok = published == data;
    out.push(Check {
        item,
        published,
        data,
        ok,
    });
}

fn tallies(
    counts: &DataFrame,
    conditions: &DataFrame,
    outcomes: Option<&[CcgOutcome]>,
    p: &Published,
) -> PolarsResult<HashMap<String, Tally>> {
    let codes = strings(counts, "ods_code")?;
    let (names, regions) = (strings(counts, "name")?, strings(counts, "region")?);
    let rows = u32_slice(counts, "n_conditions")?;
    let directions = u32_slice(counts, "n_directions")?;
    let max_level = counts.column("max_level")?.i32()?;
    let levels: Vec<&[u32]> = LEVEL_COLUMNS
        .iter()
        .map(|c| u32_slice(counts, c))
        .collect::<PolarsResult<_>>()?;
    let waves: HashMap<&str, u8> = outcomes
        .unwrap_or_default()
        .iter()
        .map(|o| (o.ods_code.as_str(), o.wave))
        .collect();
    let file_wave = counts.column("wave")?.i32()?;
    let mut tally: HashMap<String, Tally> = HashMap::new();
    for (i, code) in codes.iter().enumerate() {
        let wave = match outcomes {
            Some(_) => waves.get(code.as_str()).copied(),
            None => file_wave.get(i).map(|w| w as u8),
        };
        tally.insert(
            code.clone(),
            Tally {
                name: names[i].clone(),
                region: regions[i].clone(),
                wave,
                rows: rows[i],
                directions: directions[i],
                max_level: max_level.get(i).unwrap_or(0) as u8,
                level_iv_plus: levels[3][i] + levels[4][i] + levels[5][i],
                has_level_3: levels[2][i] > 0,
                criteria: vec![],
            },
        );
    }
    // Criteria only for the CCGs with itemised published conditions.
    let itemised: std::collections::HashSet<&str> =
        p.itemised.iter().map(|x| x.ods_code.as_str()).collect();
    let (c_codes, c_crit) = (
        strings(conditions, "ods_code")?,
        strings(conditions, "criterion")?,
    );
    let c_level = conditions.column("support_level")?.i32()?;
    for (i, code) in c_codes.iter().enumerate() {
        if itemised.contains(code.as_str()) {
            if let Some(t) = tally.get_mut(code) {
                t.criteria
                    .push((c_crit[i].clone(), c_level.get(i).unwrap_or(0) as u8));
            }
        }
    }
    Ok(tally)
}

fn get(tally: &HashMap<String, Tally>, code: &str) -> Tally {
    tally.get(code).cloned().unwrap_or_default()
}

fn per_ccg_facts(tally: &HashMap<String, Tally>, p: &Published, out: &mut Vec<Check>) {
    for o in &p.outcomes {
        let t = get(tally, &o.ods_code);
        let name = tally
            .get(&o.ods_code)
            .map(|t| t.name.as_str())
            .unwrap_or("(not in ccgs.csv)");
        let who = format!("{} {name}", o.ods_code);
        if let Some(n) = o.conditions {
            push(
                out,
                format!("{who}: conditions"),
                n.to_string(),
                t.rows.to_string(),
            );
        }
        push(
            out,
            format!("{who}: legal direction"),
            o.legal_direction.to_string(),
            (t.directions > 0).to_string(),
        );
        if let Some(l) = o.top_level {
            push(
                out,
                format!("{who}: highest support level"),
                l.to_string(),
                t.max_level.to_string(),
            );
        }
        if let Some(k) = o.level_iv_or_higher {
            push(
                out,
                format!("{who}: conditions at level IV or above"),
                k.to_string(),
                t.level_iv_plus.to_string(),
            );
        }
    }
}

fn itemised(tally: &HashMap<String, Tally>, p: &Published, out: &mut Vec<Check>) {
    for x in p.itemised.iter().filter(|x| !x.criterion.is_empty()) {
        let t = get(tally, &x.ods_code);
        let found = t
            .criteria
            .iter()
            .any(|(c, l)| *c == x.criterion && x.support_level.is_none_or(|s| s == *l));
        let want = match x.support_level {
            Some(l) => format!("{} at level {l}", x.criterion),
            None => x.criterion.clone(),
        };
        let data = if found {
            want.clone()
        } else {
            "missing".into()
        };
        push(
            out,
            format!("{}: criterion {}", x.ods_code, x.criterion),
            want,
            data,
        );
    }
}

/// Each published wave in `ccgs.csv` kept in ccg_outcomes.csv, and every wave aggregate.
fn waves(
    tally: &HashMap<String, Tally>,
    counts: &DataFrame,
    have_outcomes: bool,
    p: &Published,
    out: &mut Vec<Check>,
) -> PolarsResult<()> {
    if have_outcomes {
        let codes = strings(counts, "ods_code")?;
        let file_wave = counts.column("wave")?.i32()?;
        for (i, code) in codes.iter().enumerate() {
            if let Some(w) = file_wave.get(i) {
                let t = &tally[code];
                let data = t.wave.map(|x| x.to_string()).unwrap_or_default();
                push(out, format!("{code} {}: wave", t.name), w.to_string(), data);
            }
        }
    }
    let unknown_waves = tally.values().filter(|t| t.wave.is_none()).count();
    for w in 1..=4u8 {
        let members: Vec<&Tally> = tally.values().filter(|t| t.wave == Some(w)).collect();
        for (metric, data) in wave_figures(&members) {
            if let Some(v) = p.aggregate(&format!("wave{w}"), metric) {
                let data = if unknown_waves > 0 {
                    format!("n/a ({unknown_waves} CCGs without a wave)")
                } else {
                    data
                };
                push(out, format!("wave{w} {metric}"), v.to_string(), data);
            }
        }
    }
    if let Some(v) = p.aggregate("wave2_no_directions", "max_support_level") {
        let data = tally
            .values()
            .filter(|t| t.wave == Some(2) && t.directions == 0)
            .map(|t| t.max_level)
            .max()
            .unwrap_or(0);
        push(
            out,
            "wave2 (no directions) max_support_level".into(),
            v.to_string(),
            data.to_string(),
        );
    }
    Ok(())
}

/// The figures of one wave that aggregates.csv may publish, by metric name.
fn wave_figures(members: &[&Tally]) -> Vec<(&'static str, String)> {
    let undirected: Vec<&&Tally> = members.iter().filter(|t| t.directions == 0).collect();
    let count = |f: &dyn Fn(&Tally) -> bool| members.iter().filter(|t| f(t)).count().to_string();
    vec![
        ("ccgs", members.len().to_string()),
        ("fully_authorised", count(&|t| t.rows == 0)),
        ("with_conditions", count(&|t| t.rows > 0)),
        (
            "with_conditions_no_directions",
            undirected.iter().filter(|t| t.rows > 0).count().to_string(),
        ),
        ("legal_directions", count(&|t| t.directions > 0)),
        (
            "ccgs_with_level3",
            undirected
                .iter()
                .filter(|t| t.has_level_3)
                .count()
                .to_string(),
        ),
        (
            "max_conditions",
            members
                .iter()
                .map(|t| t.rows)
                .max()
                .unwrap_or(0)
                .to_string(),
        ),
        (
            "max_conditions_no_directions",
            undirected
                .iter()
                .map(|t| t.rows)
                .max()
                .unwrap_or(0)
                .to_string(),
        ),
        (
            "max_support_level",
            members
                .iter()
                .map(|t| t.max_level)
                .max()
                .unwrap_or(0)
                .to_string(),
        ),
    ]
}

fn national(tally: &HashMap<String, Tally>, p: &Published, out: &mut Vec<Check>) {
    let n = tally.len();
    let with = tally.values().filter(|t| t.rows > 0).count();
    let directed = tally.values().filter(|t| t.directions > 0).count();
    for (metric, data) in [
        ("ccgs", n),
        ("fully_authorised", n - with),
        ("with_conditions", with),
        ("with_legal_directions", directed),
    ] {
        if let Some(v) = p.aggregate("all", metric) {
            push(
                out,
                format!("all {metric}"),
                v.to_string(),
                data.to_string(),
            );
        }
    }
}

fn regions(tally: &HashMap<String, Tally>, p: &Published, out: &mut Vec<Check>) {
    for region in REGIONS {
        let scope = region_scope(region);
        let members: Vec<&Tally> = tally.values().filter(|t| t.region == region).collect();
        let rows: u32 = members.iter().map(|t| t.rows).sum();
        let figures = [
            ("ccgs", "ccgs".to_string(), members.len().to_string()),
            (
                "ccgs_with_legal_directions",
                "ccgs_with_legal_directions".to_string(),
                members
                    .iter()
                    .filter(|t| t.directions > 0)
                    .count()
                    .to_string(),
            ),
            (
                "avg_conditions_per_ccg",
                "avg_conditions_per_ccg (rounded)".to_string(),
                format!("{}", (rows as f64 / members.len().max(1) as f64).round()),
            ),
            (
                "number_of_legal_directions",
                "number_of_legal_directions (directed condition rows)".to_string(),
                members
                    .iter()
                    .map(|t| t.directions)
                    .sum::<u32>()
                    .to_string(),
            ),
        ];
        for (metric, label, data) in figures {
            if let Some(v) = p.aggregate(&scope, metric) {
                push(out, format!("{scope} {label}"), v.to_string(), data);
            }
        }
    }
}

/// The check table as text, for the terminal.
pub fn table(checks: &[Check]) -> String {
    let width = |f: &dyn Fn(&Check) -> usize, min: usize| {
        checks.iter().map(f).max().unwrap_or(min).max(min)
    };
    let w = width(&|c| c.item.chars().count(), 4);
    let pw = width(&|c| c.published.chars().count(), 9);
    let dw = width(&|c| c.data.chars().count(), 4);
    let mut s = format!(
        "{:<w$}  {:>pw$}  {:>dw$}  status\n",
        "item", "published", "data"
    );
    for c in checks {
        s.push_str(&format!(
            "{:<w$}  {:>pw$}  {:>dw$}  {}\n",
            c.item,
            c.published,
            c.data,
            if c.ok { "ok" } else { "MISMATCH" }
        ));
    }
    let bad = checks.iter().filter(|c| !c.ok).count();
    s.push_str(&format!(
        "{} checks, {} ok, {} MISMATCH\n",
        checks.len(),
        checks.len() - bad,
        bad
    ));
    s
}
