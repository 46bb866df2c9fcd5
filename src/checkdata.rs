//! `check-data`: every published fact and aggregate, the published value, the value in the
//! data, and whether they agree. Also run (as a warning) at the start of `analyse`.

use crate::ingest::{Inputs, REGIONS};
use crate::published::{region_scope, Published};
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq)]
pub struct Check {
    pub item: String,
    pub published: String,
    pub data: String,
    pub ok: bool,
}

#[derive(Default, Clone)]
struct Tally {
    rows: u32,
    directions: u32,
    max_level: u8,
    level_iv_plus: u32,
    criteria: Vec<(String, u8)>,
}

pub fn check(inputs: &Inputs, p: &Published) -> Vec<Check> {
    let mut out = Vec::new();
    let mut add = |item: String, published: String, data: String| {
        let ok = published == data;
        out.push(Check {
            item,
            published,
            data,
            ok,
        });
    };
    let mut tally: HashMap<&str, Tally> = HashMap::new();
    for c in &inputs.conditions {
        let t = tally.entry(c.ods_code.as_str()).or_default();
        t.rows += 1;
        t.directions += u32::from(c.legal_direction);
        t.max_level = t.max_level.max(c.support_level);
        t.level_iv_plus += u32::from(c.support_level >= 4);
        t.criteria.push((c.criterion.clone(), c.support_level));
    }
    let get = |code: &str| tally.get(code).cloned().unwrap_or_default();
    let name: HashMap<&str, &str> = inputs
        .ccgs
        .iter()
        .map(|c| (c.ods_code.as_str(), c.name.as_str()))
        .collect();

    // Per-CCG published facts.
    for o in &p.outcomes {
        let t = get(&o.ods_code);
        let who = format!(
            "{} {}",
            o.ods_code,
            name.get(o.ods_code.as_str())
                .unwrap_or(&"(not in ccgs.csv)")
        );
        if let Some(n) = o.conditions {
            add(
                format!("{who}: conditions"),
                n.to_string(),
                t.rows.to_string(),
            );
        }
        add(
            format!("{who}: legal direction"),
            o.legal_direction.to_string(),
            (t.directions > 0).to_string(),
        );
        if let Some(l) = o.top_level {
            add(
                format!("{who}: highest support level"),
                l.to_string(),
                t.max_level.to_string(),
            );
        }
        if let Some(k) = o.level_iv_or_higher {
            add(
                format!("{who}: conditions at level IV or above"),
                k.to_string(),
                t.level_iv_plus.to_string(),
            );
        }
    }
    for x in p.itemised.iter().filter(|x| !x.criterion.is_empty()) {
        let t = get(&x.ods_code);
        let found = t
            .criteria
            .iter()
            .find(|(c, l)| *c == x.criterion && x.support_level.is_none_or(|s| s == *l));
        let want = match x.support_level {
            Some(l) => format!("{} at level {l}", x.criterion),
            None => x.criterion.clone(),
        };
        add(
            format!("{}: criterion {}", x.ods_code, x.criterion),
            want.clone(),
            if found.is_some() {
                want
            } else {
                "missing".into()
            },
        );
    }

    // Waves: from ccg_outcomes.csv when present, else ccgs.csv.
    let wave: HashMap<&str, Option<u8>> = match &inputs.outcomes {
        Some(o) => o
            .iter()
            .map(|o| (o.ods_code.as_str(), Some(o.wave)))
            .collect(),
        None => inputs
            .ccgs
            .iter()
            .map(|c| (c.ods_code.as_str(), c.wave))
            .collect(),
    };
    if let Some(outcomes) = &inputs.outcomes {
        for c in inputs.ccgs.iter().filter(|c| c.wave.is_some()) {
            let data = outcomes
                .iter()
                .find(|o| o.ods_code == c.ods_code)
                .map(|o| o.wave.to_string())
                .unwrap_or_default();
            add(
                format!("{} {}: wave", c.ods_code, c.name),
                c.wave.unwrap().to_string(),
                data,
            );
        }
    }
    let unknown_waves = wave.values().filter(|w| w.is_none()).count();
    for w in 1..=4u8 {
        let scope = format!("wave{w}");
        let members: Vec<&str> = wave
            .iter()
            .filter(|(_, x)| **x == Some(w))
            .map(|(k, _)| *k)
            .collect();
        let n_dir = members.iter().filter(|m| get(m).directions > 0).count();
        let undirected: Vec<Tally> = members
            .iter()
            .map(|m| get(m))
            .filter(|t| t.directions == 0)
            .collect();
        let figures: Vec<(&str, String)> = vec![
            ("ccgs", members.len().to_string()),
            (
                "fully_authorised",
                members
                    .iter()
                    .filter(|m| get(m).rows == 0)
                    .count()
                    .to_string(),
            ),
            (
                "with_conditions",
                members
                    .iter()
                    .filter(|m| get(m).rows > 0)
                    .count()
                    .to_string(),
            ),
            (
                "with_conditions_no_directions",
                undirected.iter().filter(|t| t.rows > 0).count().to_string(),
            ),
            ("legal_directions", n_dir.to_string()),
            (
                "ccgs_with_level3",
                undirected
                    .iter()
                    .filter(|t| t.criteria.iter().any(|c| c.1 == 3))
                    .count()
                    .to_string(),
            ),
            (
                "max_conditions",
                members
                    .iter()
                    .map(|m| get(m).rows)
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
                    .map(|m| get(m).max_level)
                    .max()
                    .unwrap_or(0)
                    .to_string(),
            ),
        ];
        for (metric, data) in figures {
            if let Some(v) = p.aggregate(&scope, metric) {
                let data = if unknown_waves > 0 {
                    format!("n/a ({unknown_waves} CCGs without a wave)")
                } else {
                    data
                };
                add(format!("{scope} {metric}"), v.to_string(), data);
            }
        }
    }
    if let Some(v) = p.aggregate("wave2_no_directions", "max_support_level") {
        let data = wave
            .iter()
            .filter(|(_, x)| **x == Some(2))
            .map(|(k, _)| get(k))
            .filter(|t| t.directions == 0)
            .map(|t| t.max_level)
            .max()
            .unwrap_or(0);
        add(
            "wave2 (no directions) max_support_level".into(),
            v.to_string(),
            data.to_string(),
        );
    }

    // National totals.
    let n_with = inputs
        .ccgs
        .iter()
        .filter(|c| get(&c.ods_code).rows > 0)
        .count();
    let n_dir = inputs
        .ccgs
        .iter()
        .filter(|c| get(&c.ods_code).directions > 0)
        .count();
    for (metric, data) in [
        ("ccgs", inputs.ccgs.len()),
        ("fully_authorised", inputs.ccgs.len() - n_with),
        ("with_conditions", n_with),
        ("with_legal_directions", n_dir),
    ] {
        if let Some(v) = p.aggregate("all", metric) {
            add(format!("all {metric}"), v.to_string(), data.to_string());
        }
    }

    // Regions.
    for region in REGIONS {
        let scope = region_scope(region);
        let members: Vec<Tally> = inputs
            .ccgs
            .iter()
            .filter(|c| c.region == region)
            .map(|c| get(&c.ods_code))
            .collect();
        let rows: u32 = members.iter().map(|t| t.rows).sum();
        if let Some(v) = p.aggregate(&scope, "ccgs") {
            add(
                format!("{scope} ccgs"),
                v.to_string(),
                members.len().to_string(),
            );
        }
        if let Some(v) = p.aggregate(&scope, "ccgs_with_legal_directions") {
            add(
                format!("{scope} ccgs_with_legal_directions"),
                v.to_string(),
                members
                    .iter()
                    .filter(|t| t.directions > 0)
                    .count()
                    .to_string(),
            );
        }
        if let Some(v) = p.aggregate(&scope, "avg_conditions_per_ccg") {
            let avg = rows as f64 / members.len().max(1) as f64;
            add(
                format!("{scope} avg_conditions_per_ccg (rounded)"),
                v.to_string(),
                format!("{}", avg.round()),
            );
        }
        if let Some(v) = p.aggregate(&scope, "number_of_legal_directions") {
            add(
                format!("{scope} number_of_legal_directions (directed condition rows)"),
                v.to_string(),
                members
                    .iter()
                    .map(|t| t.directions)
                    .sum::<u32>()
                    .to_string(),
            );
        }
    }
    out
}

/// The check table as text, for the terminal.
pub fn table(checks: &[Check]) -> String {
    let w = checks
        .iter()
        .map(|c| c.item.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
    let pw = checks
        .iter()
        .map(|c| c.published.chars().count())
        .max()
        .unwrap_or(9)
        .max(9);
    let dw = checks
        .iter()
        .map(|c| c.data.chars().count())
        .max()
        .unwrap_or(4)
        .max(4);
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
