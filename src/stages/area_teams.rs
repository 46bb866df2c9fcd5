//! Region or area team? The NHS CB assessed CCGs through 27 area teams inside its four
//! regions: the median score of each area team, and the regional ratio recomputed leaving out
//! each area team in turn, show whether a few area teams carry the regional difference.

use crate::columns::strings;
use crate::stages::headline::{median_spread, regional_medians};
use crate::stages::score::region_summary;
use polars::prelude::*;
use serde::Serialize;
use std::collections::HashMap;

#[derive(Debug, Clone, Serialize)]
pub struct AreaTeam {
    pub region: String,
    pub area_team: String,
    pub name: String,
    pub n_ccgs: u32,
    pub median_score: f64,
    pub mean_score: f64,
    /// The highest regional median over the lowest, with this area team's CCGs left out.
    pub regional_ratio_without: f64,
    /// The lowest region with this area team left out.
    pub lowest_region_without: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct AreaTeams {
    pub regional_ratio: f64,
    /// By region, then median score (highest first).
    pub teams: Vec<AreaTeam>,
}

impl AreaTeams {
    /// The area team without which the regional ratio is smallest: the one carrying most of
    /// the regional difference.
    pub fn carrying_most(&self) -> Option<&AreaTeam> {
        self.teams.iter().min_by(|a, b| {
            a.regional_ratio_without
                .total_cmp(&b.regional_ratio_without)
                .then(a.area_team.cmp(&b.area_team))
        })
    }

    /// The smallest and largest regional ratio leaving out one area team (undefined ratios
    /// skipped; infinite when without some team a region's median is 0).
    pub fn ratio_range(&self) -> (f64, f64) {
        self.teams
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), t| {
                (
                    l.min(t.regional_ratio_without),
                    h.max(t.regional_ratio_without),
                )
            })
    }
}

/// Per area team, from the scored table (None when the CCGs carry no area team). `names`
/// maps codes to names (the code stands in where a name is missing).
pub fn area_teams(
    scored: &DataFrame,
    names: &HashMap<String, String>,
) -> PolarsResult<Option<AreaTeams>> {
    if strings(scored, "area_team")?.iter().all(String::is_empty) {
        return Ok(None);
    }
    let summary = scored
        .clone()
        .lazy()
        .group_by([col("region"), col("area_team")])
        .agg([
            len().cast(DataType::UInt32).alias("n_ccgs"),
            col("composite_score").median().alias("median_score"),
            col("composite_score").mean().alias("mean_score"),
        ])
        .sort(
            ["region", "median_score", "area_team"],
            SortMultipleOptions::default().with_order_descending_multi([false, true, false]),
        )
        .collect()?;
    let ratio_of = |frame: &DataFrame| -> PolarsResult<(usize, f64)> {
        let (n, medians) = regional_medians(&region_summary(frame)?)?;
        let (lo, _, ratio) = median_spread(&medians, &n);
        Ok((lo, ratio))
    };
    let (_, regional_ratio) = ratio_of(scored)?;
    let (regions, codes) = (
        strings(&summary, "region")?,
        strings(&summary, "area_team")?,
    );
    let n = summary.column("n_ccgs")?.u32()?;
    let (median, mean) = (
        summary.column("median_score")?.f64()?,
        summary.column("mean_score")?.f64()?,
    );
    let mut teams = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let without = scored
            .clone()
            .lazy()
            .filter(col("area_team").neq(lit(code.as_str())))
            .collect()?;
        let (lo, ratio) = ratio_of(&without)?;
        teams.push(AreaTeam {
            region: regions[i].clone(),
            area_team: code.clone(),
            name: names.get(code).cloned().unwrap_or_else(|| code.clone()),
            n_ccgs: n.get(i).unwrap_or(0),
            median_score: median.get(i).unwrap_or(f64::NAN),
            mean_score: mean.get(i).unwrap_or(f64::NAN),
            regional_ratio_without: ratio,
            lowest_region_without: crate::model::REGIONS[lo].to_string(),
        });
    }
    Ok(Some(AreaTeams {
        regional_ratio,
        teams,
    }))
}

/// area_team_summary.csv.
pub fn summary_csv(a: &AreaTeams) -> anyhow::Result<String> {
    use crate::format::num;
    let mut w = crate::format::CsvText::new([
        "region",
        "area_team",
        "area_team_name",
        "n_ccgs",
        "median_score",
        "mean_score",
        "regional_ratio_without",
        "lowest_region_without",
    ])?;
    for t in &a.teams {
        w.row([
            t.region.clone(),
            t.area_team.clone(),
            t.name.clone(),
            t.n_ccgs.to_string(),
            num(t.median_score),
            num(t.mean_score),
            num(t.regional_ratio_without),
            t.lowest_region_without.clone(),
        ])?;
    }
    w.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::weights::Weights;
    use crate::model::REGIONS;
    use crate::stages::fixtures::{ccg, level_ones, table};
    use crate::stages::score::scored;

    /// Two CCGs per area team, two teams per region. Scores (count weights) are 2 everywhere
    /// but in area team S1 of the South, whose two CCGs score 20: by construction that one team
    /// carries the whole regional difference.
    fn fixture() -> DataFrame {
        let (mut ccgs, mut conditions) = (vec![], vec![]);
        for (r, region) in REGIONS.iter().enumerate() {
            for t in 0..2 {
                let team = format!("{}{}", ["N", "M", "L", "S"][r], t + 1);
                for k in 0..2 {
                    let code = format!("{team}-{k}");
                    ccgs.push(ccg(&code, region, "C", &team, 1000, 1.0));
                    conditions.extend(level_ones(&code, if team == "S1" { 20 } else { 2 }));
                }
            }
        }
        let w = Weights {
            name: "count".into(),
            levels: [1.0; 6],
            legal_direction: 0.0,
        };
        scored(&table(&ccgs, &conditions), &w).unwrap()
    }

    #[test]
    fn one_area_team_carrying_the_regional_difference_is_found() {
        let names: HashMap<String, String> = [("S1".to_string(), "South One".to_string())].into();
        let a = area_teams(&fixture(), &names).unwrap().unwrap();
        // South median: scores 2, 2, 20, 20 → 11; every other region 2 → ratio 5.5.
        assert_eq!(a.regional_ratio, 5.5);
        assert_eq!(a.teams.len(), 8);
        let s1 = a.teams.iter().find(|t| t.area_team == "S1").unwrap();
        assert_eq!(
            (s1.name.as_str(), s1.n_ccgs, s1.median_score),
            ("South One", 2, 20.0)
        );
        // Without S1 every region's median is 2: ratio 1.
        assert_eq!(s1.regional_ratio_without, 1.0);
        // Without S2 the South is 20, 20 → median 20: ratio 10. Others leave it at 5.5.
        let s2 = a.teams.iter().find(|t| t.area_team == "S2").unwrap();
        assert_eq!(s2.regional_ratio_without, 10.0);
        for t in a.teams.iter().filter(|t| !t.area_team.starts_with('S')) {
            assert_eq!(t.regional_ratio_without, 5.5, "{}", t.area_team);
        }
        assert_eq!(a.carrying_most().unwrap().area_team, "S1");
        // Sorted by region name, then by median, highest first.
        assert_eq!(a.teams[0].region, "London");
        let south: Vec<&str> = a
            .teams
            .iter()
            .filter(|t| t.region == "South of England")
            .map(|t| t.area_team.as_str())
            .collect();
        assert_eq!(south, ["S1", "S2"]);
    }
}
