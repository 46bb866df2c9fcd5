//! Each chart's caption and alt text, written from the numbers it shows, so a reader (or a
//! screen reader) gets the point without reading the picture. One function per chart, named as
//! its `Chart` variant; `Chart::caption` picks it.

use crate::format::{approx, ci, fixed, num, p_text, pct, times};
use crate::model::REGIONS;
use crate::stages::findings::Findings;
use crate::stats::Correlation;

/// Each region's median, for alt text: "North of England 3, …".
fn medians(f: &Findings) -> String {
    f.regions
        .iter()
        .map(|r| format!("{} {}", r.region, num(r.median)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The regions with the lowest and the highest median.
fn ends(f: &Findings) -> (&'static str, &'static str) {
    let h = &f.headline;
    (REGIONS[h.lowest_region], REGIONS[h.highest_region])
}

/// `distribution.png`.
pub(super) fn distribution(f: &Findings) -> Option<(String, String)> {
    let h = &f.headline;
    let (lowest, highest) = ends(f);
    Some((
        format!(
            "Bar chart: every CCG's composite score, sorted, one bar per CCG coloured by region. \
             {} of {} CCGs score above 0. Regional medians: {}.",
            h.n_with_conditions,
            h.n_ccgs,
            medians(f)
        ),
        format!(
            "Every CCG's score, sorted. {} of {} CCGs ({}) had at least one condition; the other {} \
             score 0. Regional medians run from {} in {lowest} to {} in {highest}.",
            h.n_with_conditions,
            h.n_ccgs,
            pct(h.share_with_conditions),
            h.n_ccgs - h.n_with_conditions,
            num(h.region_medians[h.lowest_region]),
            num(h.region_medians[h.highest_region]),
        ),
    ))
}

/// `region_medians.png`.
pub(super) fn region_medians(f: &Findings) -> Option<(String, String)> {
    let h = &f.headline;
    let (lowest, highest) = ends(f);
    Some((
        format!(
            "Bar chart of the median composite score per region with 95% intervals: {}.",
            medians(f)
        ),
        format!(
            "{lowest} has the lowest median ({}, 95% interval {}) and {highest} the highest ({}): \
             {}. The North had the lowest median in {} of {} bootstrap resamples.",
            num(h.region_medians[h.lowest_region]),
            ci(f.intervals.region_median[h.lowest_region]),
            num(h.region_medians[h.highest_region]),
            times(h.median_ratio),
            pct(f.intervals.north_lowest_share),
            f.intervals.resamples
        ),
    ))
}

/// `csu_scores.png`.
pub(super) fn csu_scores(f: &Findings) -> Option<(String, String)> {
    let h = &f.headline;
    Some((
        format!(
            "Horizontal bar chart of the mean composite score per CSU. {}: {} over {} CCGs; {}: {} over {} CCGs.",
            f.compare_csus.0,
            approx(h.csu_a_mean),
            h.csu_a_n,
            f.compare_csus.1,
            approx(h.csu_b_mean),
            h.csu_b_n
        ),
        format!(
            "Mean score per CSU. CCGs served by {} averaged {} the score of those served by {} \
             (95% interval {}); the two are highlighted.",
            f.compare_csus.0,
            times(h.csu_ratio),
            f.compare_csus.1,
            ci(f.intervals.csu_ratio)
        ),
    ))
}

/// `score_vs_population.png`.
pub(super) fn score_vs_population(f: &Findings) -> Option<(String, String)> {
    let h = &f.headline;
    Some(scatter(
        "registered population (log scale)",
        "size",
        &h.size,
        "larger",
    ))
}

/// `score_vs_deprivation.png`.
pub(super) fn score_vs_deprivation(f: &Findings) -> Option<(String, String)> {
    let h = &f.headline;
    Some(scatter(
        "the IMD 2010 deprivation score",
        "deprivation",
        &h.deprivation,
        "more deprived",
    ))
}

/// `funnel_population.png`.
pub(super) fn funnel_population(f: &Findings) -> Option<(String, String)> {
    let h = &f.headline;
    Some({
        let ((a95, b95), (a998, b998)) = f.funnel_outside;
        (
            format!(
                "Funnel plot of score against registered population with 95% and 99.8% limits; \
                 {} CCGs outside the 95% limits, {} outside the 99.8% limits.",
                a95 + b95,
                a998 + b998
            ),
            format!(
                "{} CCGs sit outside the 95% limits ({a95} above, {b95} below; about {} expected \
                 above by chance) and {} outside the 99.8% limits ({a998} above, {b998} below).",
                a95 + b95,
                approx(0.025 * h.n_ccgs as f64),
                a998 + b998
            ),
        )
    })
}

/// `directions_by_region.png`.
pub(super) fn directions_by_region(f: &Findings) -> Option<(String, String)> {
    Some({
        let po = f.published_only.as_ref()?;
        let (label, total, by) = po.reviews.first()?;
        let counts: Vec<String> = REGIONS
            .iter()
            .zip(by)
            .map(|(r, n)| format!("{r} {n}"))
            .collect();
        (
            format!(
                "Grouped bar chart of CCGs under legal directions by region at each published review; \
                 {label}: {}.",
                counts.join(", ")
            ),
            format!(
                "Published facts only. {label}: {total} CCGs under legal directions ({}); Fisher's \
                 exact test, North vs the rest at authorisation: {}.",
                counts.join(", "),
                p_text(po.fisher_p_north_vs_rest)
            ),
        )
    })
}

/// `later_ratings_by_region.png`.
pub(super) fn later_ratings_by_region(f: &Findings) -> Option<(String, String)> {
    Some({
        let l = f.later_ratings.as_ref()?;
        let share = |(lo, hi): (usize, usize), of: usize| {
            if lo == hi {
                format!("{lo} of {of}")
            } else {
                format!("{lo} to {hi} of {of}")
            }
        };
        let parts: Vec<String> = l
            .ranges
            .iter()
            .map(|c| {
                let shares: Vec<String> = (0..4)
                    .map(|k| format!("{} {}", REGIONS[k], share(c.region_range[k], c.rated[k])))
                    .collect();
                format!(
                    "{} {}: {}",
                    c.year,
                    c.rating.replace('_', " "),
                    shares.join(", ")
                )
            })
            .collect();
        (
            format!(
                "Chart of the share of each region's CCGs in each later rating category: a bar \
                 where every CCG in the category is named, a box spanning every placement of the \
                 unnamed CCGs where not. {}.",
                parts.join("; ")
            ),
            format!(
                "Published ratings only; boxes are exact ranges over every placement the \
                 published totals and group statements allow. {}.",
                parts.join("; ")
            ),
        )
    })
}

/// `bounds.png`.
pub(super) fn bounds(f: &Findings) -> Option<(String, String)> {
    Some({
        let words: Vec<String> = f
            .claims
            .iter()
            .enumerate()
            .map(|(k, c)| match &c.published_record {
                Some(r) => format!(
                    "claim {} {} ({})",
                    k + 1,
                    r.status.replace('_', " "),
                    r.range
                ),
                None => format!("claim {} not bounded", k + 1),
            })
            .collect();
        (
            format!(
                "Range chart, one row per claim: the lowest to highest value of the claim's figure over every dataset \
                 consistent with the published record, as bands for the two assumption sets, with the claim's threshold, \
                 this run's figure and each untuned reconstruction's. {}.",
                words.join("; ")
            ),
            format!(
                "What the published record allows. Each row is a claim's figure over every dataset that agrees with every \
                 published fact (light: published facts only; dark: with the reconstruction's assumptions); the red line is \
                 where the claim's test draws its line, the diamond this run, the circles the untuned reconstructions. {}.",
                words.join("; ")
            ),
        )
    })
}

/// `area_team_medians.png`.
pub(super) fn area_team_medians(f: &Findings) -> Option<(String, String)> {
    Some({
        let a = f.area_teams.as_ref()?;
        let finite = || a.teams.iter().filter(|t| t.median_score.is_finite());
        let low = finite()
            .map(|t| t.median_score)
            .fold(f64::INFINITY, f64::min);
        let high = finite()
            .map(|t| t.median_score)
            .fold(f64::NEG_INFINITY, f64::max);
        // Every team at the extreme, named (several often share a median of 0).
        let at = |m: f64| -> Option<String> {
            let names: Vec<String> = finite()
                .filter(|t| t.median_score == m)
                .map(|t| format!("{} ({})", t.name, t.region))
                .collect();
            (!names.is_empty()).then(|| names.join(", "))
        };
        let (lows, highs) = (at(low)?, at(high)?);
        (
            format!(
                "Horizontal bar chart of the median score of each of {} area teams, coloured by \
                 region; from {} to {}.",
                a.teams.len(),
                num(low),
                num(high)
            ),
            format!(
                "Area team medians run from {} in {lows} to {} in {highs}.",
                num(low),
                num(high)
            ),
        )
    })
}

/// (alt text, caption) of a scatter of score against `x` (`short`: the caption's name for it).
fn scatter(x: &str, short: &str, rank: &Correlation, higher_x: &str) -> (String, String) {
    (
        format!(
            "Scatter plot of composite score against {x}, one point per CCG coloured by region; \
             Spearman rho {}.",
            fixed(rank.r, 2)
        ),
        format!(
            "Score against {short}: Spearman rho = {}, {}: {}.",
            fixed(rank.r, 3),
            p_text(rank.p_value),
            relation(rank.r, rank.p_value, higher_x)
        ),
    )
}

/// A correlation in words: significant at 5% or not, and its direction.
fn relation(r: f64, p: f64, higher_x: &str) -> String {
    if !r.is_finite() || !p.is_finite() {
        return "undefined (the scores or the other measure do not vary)".into();
    }
    let direction = if r < 0.0 { "lower" } else { "higher" };
    if p < 0.05 {
        format!("{higher_x} CCGs scored significantly {direction}")
    } else {
        format!("no significant relation ({higher_x} CCGs scored slightly {direction}, not significant at 5%)")
    }
}

#[cfg(test)]
mod tests {
    use super::relation;

    #[test]
    fn correlations_in_words() {
        assert_eq!(
            relation(-0.13, 0.061, "more deprived"),
            "no significant relation (more deprived CCGs scored slightly lower, not significant at 5%)"
        );
        assert_eq!(
            relation(0.4, 0.001, "larger"),
            "larger CCGs scored significantly higher"
        );
        assert!(relation(f64::NAN, f64::NAN, "larger").starts_with("undefined"));
    }
}
