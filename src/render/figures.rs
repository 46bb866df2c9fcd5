//! What each chart of a run shows (one drawing function per `Chart`), taken from the findings
//! and the scored table, drawn by `charts.rs` into the output directory.

use crate::columns::{f64_slice, strings};
use crate::format::{fixed, p_text, times};
use crate::model::REGIONS;
use crate::render::chart::Chart;
use crate::render::charts::{self, Bar, Layout, Target};
use crate::stages::findings::Findings;
use crate::stages::funnel;
use crate::stages::score::Scored;
use crate::stats::Correlation;
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::Path;

/// The per-CCG columns the charts plot, in table order.
struct Points {
    score: Vec<f64>,
    region: Vec<String>,
    population: Vec<f64>,
    imd: Vec<f64>,
}

/// What several charts share, worked out once: the per-CCG points, the CSU bars, the footer.
pub struct Context {
    pts: Points,
    csu_bars: Vec<Bar>,
    note: String,
}

impl Context {
    pub fn new(f: &Findings, s: &Scored) -> Result<Context> {
        Ok(Context {
            pts: Points {
                score: f64_slice(&s.ccgs, "composite_score")?.to_vec(),
                region: strings(&s.ccgs, "region")?,
                population: f64_slice(&s.ccgs, "population")?.to_vec(),
                imd: f64_slice(&s.ccgs, "imd_score")?.to_vec(),
            },
            csu_bars: csu_bars(f, s)?,
            note: source_note(f),
        })
    }
}

/// A chart as report.html draws it: SVG in the desktop and the phone layout.
#[derive(Debug, Clone)]
pub struct Vector {
    pub desktop: String,
    pub phone: String,
}

/// Draw every chart this run draws into `dir` as PNG, and return each chart's SVG drawings for
/// report.html (none for a chart with a mark per CCG when the CCGs are too many: the page
/// embeds its PNG instead). Two threads take alternate charts (each chart is its own file, so
/// order does not matter).
pub fn draw_all(dir: &Path, f: &Findings, s: &Scored) -> Result<BTreeMap<&'static str, Vector>> {
    let ctx = Context::new(f, s)?;
    let even: Vec<Chart> = Chart::ALL.iter().step_by(2).copied().collect();
    let odd: Vec<Chart> = Chart::ALL.iter().skip(1).step_by(2).copied().collect();
    let run = |part: Vec<Chart>| -> Result<Vec<(&'static str, Vector)>> {
        let mut vectors = vec![];
        for c in part {
            c.draw_png(dir, f, &ctx)?;
            if let Some(v) = c.vector(f, &ctx)? {
                vectors.push((c.file(), v));
            }
        }
        Ok(vectors)
    };
    let (a, b) = std::thread::scope(|scope| {
        let other = scope.spawn(|| run(odd));
        (run(even), other.join().expect("chart thread"))
    });
    Ok(a?.into_iter().chain(b?).collect())
}

/// One chart drawn as SVG in a layout.
pub(super) fn svg(layout: Layout, draw: impl FnOnce(Target) -> Result<()>) -> Result<String> {
    let mut svg = String::new();
    draw(Target::Svg(layout, &mut svg))?;
    Ok(svg)
}

/// The footer of every chart built on the scores: source, reconstructed share, weights.
fn source_note(f: &Findings) -> String {
    let p = &f.provenance;
    format!(
        "Source: ccg-divide, reproducing The King's Fund (2013) 'Clinical commissioning groups: a north-south divide?'. \
         {} of {} CCGs ({:.0}%) rest wholly on reconstructed data{}; see report.html. Weights: {}.",
        p.ccgs_reconstructed,
        p.n_ccgs,
        100.0 * p.ccgs_reconstructed as f64 / p.n_ccgs.max(1) as f64,
        if p.calibrated_to_findings {
            ", calibrated to the published findings"
        } else {
            ""
        },
        f.weights.name
    )
}

fn score_label(f: &Findings) -> String {
    format!("Composite score ({} weights)", f.weights.name)
}

pub(super) fn distribution(to: Target, f: &Findings, ctx: &Context) -> Result<()> {
    let (pts, note) = (&ctx.pts, ctx.note.as_str());
    let dist: Vec<(f64, String)> = pts
        .score
        .iter()
        .copied()
        .zip(pts.region.iter().cloned())
        .collect();
    charts::distribution(to, &dist, &score_label(f), note)
}

pub(super) fn region_medians(to: Target, f: &Findings, ctx: &Context) -> Result<()> {
    let note = ctx.note.as_str();
    let bars: Vec<Bar> = f
        .regions
        .iter()
        .map(|row| Bar {
            label: row.region.clone(),
            value: row.median,
            interval: Some(row.median_ci_95),
            colour: REGIONS
                .iter()
                .position(|x| *x == row.region)
                .map(|i| charts::REGION_COLOURS[i]),
        })
        .collect();
    charts::labelled_bars(
        to,
        &format!(
            "Median composite score by NHS CB region: highest {} the lowest",
            times(f.headline.median_ratio)
        ),
        &format!(
            "Median score (whiskers: bootstrap 95% interval, {} resamples)",
            f.intervals.resamples
        ),
        &bars,
        note,
    )
}

/// Mean per CSU, with intervals for the two compared CSUs.
fn csu_bars(f: &Findings, s: &Scored) -> Result<Vec<Bar>> {
    let names = strings(&s.csus, "csu")?;
    let means = f64_slice(&s.csus, "mean_score")?;
    let n = s.csus.column("n_ccgs")?.u32()?;
    let (a, b) = (&f.compare_csus.0, &f.compare_csus.1);
    Ok(names
        .iter()
        .enumerate()
        .map(|(i, name)| Bar {
            label: format!(
                "{} ({})",
                name.trim_start_matches("NHS "),
                n.get(i).unwrap_or(0)
            ),
            value: means[i],
            interval: if name == a {
                Some(f.intervals.csu_a_mean)
            } else if name == b {
                Some(f.intervals.csu_b_mean)
            } else {
                None
            },
            // The two compared CSUs stand out; in-house support is not a CSU, so it is grey.
            colour: if name == a || name == b {
                Some(charts::HIGHLIGHT)
            } else if name.eq_ignore_ascii_case("in-house") {
                Some(charts::MUTED)
            } else {
                None
            },
        })
        .collect())
}

pub(super) fn csu_scores(to: Target, f: &Findings, ctx: &Context) -> Result<()> {
    let (bars, note) = (&ctx.csu_bars, ctx.note.as_str());
    charts::horizontal_bars(
        to,
        &format!(
            "Mean composite score by CSU: {} vs {}, {}",
            short_csu(&f.compare_csus.0),
            short_csu(&f.compare_csus.1),
            times(f.headline.csu_ratio)
        ),
        "Mean composite score per CCG (CCGs in brackets; orange: the two compared, with bootstrap 95% intervals; grey: no CSU)",
        bars,
        note,
    )
}

pub(super) fn score_vs_population(to: Target, f: &Findings, ctx: &Context) -> Result<()> {
    let h = &f.headline;
    let x_label = "Registered population, April-June 2013 (log scale)";
    let axis = (
        "registered population",
        (&h.size, &h.size_pearson),
        x_label,
        true,
    );
    scatter(to, f, ctx, axis, &ctx.pts.population)
}

pub(super) fn score_vs_deprivation(to: Target, f: &Findings, ctx: &Context) -> Result<()> {
    let h = &f.headline;
    let x_label = "IMD 2010 score (higher = more deprived)";
    let axis = (
        "deprivation",
        (&h.deprivation, &h.deprivation_pearson),
        x_label,
        false,
    );
    scatter(to, f, ctx, axis, &ctx.pts.imd)
}

/// Score against `x`: (what, (rank, linear correlation), x label, log x).
fn scatter(
    to: Target,
    f: &Findings,
    ctx: &Context,
    (what, (rank, linear), x_label, log_x): (&str, (&Correlation, &Correlation), &str, bool),
    x: &[f64],
) -> Result<()> {
    let pts = &ctx.pts;
    let points: Vec<(f64, f64, String)> = x
        .iter()
        .zip(&pts.score)
        .zip(&pts.region)
        .map(|((a, b), c)| (*a, *b, c.clone()))
        .collect();
    charts::scatter(
        to,
        &charts::Scatter {
            title: &format!(
                "Score vs {what}: Spearman rho = {} ({}), Pearson r = {}",
                fixed(rank.r, 2),
                p_text(rank.p_value),
                fixed(linear.r, 2)
            ),
            x_label,
            y_label: &score_label(f),
            log_x,
        },
        &points,
        &ctx.note,
    )
}

pub(super) fn funnel_plot(to: Target, f: &Findings, ctx: &Context) -> Result<()> {
    let (pts, note) = (&ctx.pts, ctx.note.as_str());
    charts::funnel(
        to,
        "Funnel plot: score against CCG size, with control limits",
        "Registered population (log scale)",
        &score_label(f),
        &funnel::funnel(&pts.population, &pts.score, &pts.region),
        &format!("{note} Limits: overall mean ± z·SD·sqrt(mean population / population), z = 1.96 and 3.09."),
    )
}

/// Directions by region at each review (published facts only; drawn only when they exist).
pub(super) fn directions(to: Target, f: &Findings) -> Result<()> {
    let Some(po) = &f.published_only else {
        return Ok(());
    };
    let groups: Vec<String> = po.reviews.iter().map(|x| x.0.clone()).collect();
    let series: Vec<(String, Vec<f64>)> = REGIONS
        .iter()
        .enumerate()
        .map(|(ri, name)| {
            (
                name.to_string(),
                po.reviews.iter().map(|x| x.2[ri] as f64).collect(),
            )
        })
        .collect();
    charts::grouped_bars(
        to,
        "CCGs under legal directions by region, at authorisation and each published review",
        "CCGs under legal directions (named in sources)",
        &groups,
        &series,
        "Source: published facts only (data/published/facts.csv: BMJ, HSJ, Healthcare Leader, Pulse); no reconstruction involved.",
    )
}

/// Share of each region's rated CCGs in each later rating category (published facts only): a
/// bar where the category is named in full, the exact range over every placement of the
/// unnamed CCGs (a box) where it is not.
pub(super) fn later_ratings(to: Target, f: &Findings) -> Result<()> {
    let Some(l) = f.later_ratings.as_ref().filter(|l| !l.ranges.is_empty()) else {
        return Ok(());
    };
    let short = |rating: &str| match rating {
        "outstanding" => "outst.",
        "good" => "good",
        "requires_improvement" => "RI",
        _ => "inad.",
    };
    let groups: Vec<String> = l
        .ranges
        .iter()
        .map(|c| {
            format!(
                "{} {}",
                c.year.get(2..).unwrap_or(&c.year),
                short(&c.rating)
            )
        })
        .collect();
    let series: Vec<(String, Vec<(f64, f64)>)> = REGIONS
        .iter()
        .enumerate()
        .map(|(ri, name)| {
            (
                name.to_string(),
                l.ranges
                    .iter()
                    .map(|c| {
                        let of = |k: usize| 100.0 * k as f64 / c.rated[ri].max(1) as f64;
                        (of(c.region_range[ri].0), of(c.region_range[ri].1))
                    })
                    .collect(),
            )
        })
        .collect();
    charts::range_bars(
        to,
        "NHS England's later ratings: share of each 2013 region's CCGs in each category",
        "% of the region's rated CCGs (bar: every CCG named; box: every placement of the unnamed)",
        &groups,
        &series,
        "Source: published facts only (data/published/later_ratings.csv and totals: HSJ and others, a source on every row); no reconstruction involved.",
    )
}

/// Each claim's figure over every dataset consistent with the published record (drawn when the
/// data directory has published facts).
pub(super) fn bounds(to: Target, f: &Findings) -> Result<()> {
    let Some(r) = &f.record else { return Ok(()) };
    use crate::stages::bounds::{headline_figure, Assumptions};
    let h = &f.headline;
    let ours = h.claim_figures();
    let r_crit = crate::stats::critical_correlation(h.n_ccgs);
    let thresholds = [
        vec![0.75, 0.85],
        vec![-r_crit, r_crit],
        vec![r_crit],
        vec![crate::stages::headline::SPREAD_AT_LEAST],
        vec![crate::stages::headline::CSU_RATIO_OVER],
    ];
    let names = [
        "1. share with conditions (75% to 85%)",
        "2. rho, score vs size (significant beyond the lines)",
        "3. rho, score vs deprivation (significantly positive right of the line)",
        "4. highest / lowest regional median (log; at least 3)",
        "5. CSU mean ratio (log; over 30)",
    ];
    let ends = |a: Assumptions, k: usize| -> (f64, f64) {
        r.claim(a, crate::stages::headline::CLAIMS[k])
            .and_then(headline_figure)
            .map_or((f64::NAN, f64::NAN), |fig| {
                let v = |e: &crate::stages::bounds::End| {
                    if e.value.is_nan() {
                        e.proved
                    } else {
                        e.value
                    }
                };
                (v(&fig.min), v(&fig.max))
            })
    };
    let rows: Vec<charts::RangeRow> = (0..5)
        .map(|k| charts::RangeRow {
            label: names[k].to_string(),
            log: k >= 3,
            published_only: ends(Assumptions::PublishedOnly, k),
            with_assumptions: ends(Assumptions::Reconstruction, k),
            thresholds: thresholds[k].clone(),
            ours: ours[k],
            untuned: f
                .sensitivity
                .as_ref()
                .map_or(vec![], |s| s.figures.iter().map(|x| x[k]).collect()),
        })
        .collect();
    charts::ranges(
        to,
        &format!("Each claim's figure over every dataset consistent with the record ({} weights)", f.weights.name),
        &rows,
        "Source: published facts only (data/published/) and the rules of the authorisation process; each end is attained by a dataset in output/witnesses/. Marks: this run and the untuned reconstructions of the sensitivity stage.",
    )
}

/// Median score per area team, by region (drawn only when the CCGs carry area teams).
pub(super) fn area_team_medians(to: Target, f: &Findings, ctx: &Context) -> Result<()> {
    let note = ctx.note.as_str();
    let Some(a) = &f.area_teams else {
        return Ok(());
    };
    let bars: Vec<Bar> = a
        .teams
        .iter()
        .map(|t| Bar {
            label: format!("{} ({})", t.name, t.n_ccgs),
            value: t.median_score,
            interval: None,
            colour: REGIONS
                .iter()
                .position(|r| *r == t.region)
                .map(|i| charts::REGION_COLOURS[i]),
        })
        .collect();
    charts::horizontal_bars(
        to,
        &format!(
            "Median score by NHS CB area team: regional ratio {}, from {} to {} leaving one out",
            times(a.regional_ratio),
            times(a.ratio_range().0),
            times(a.ratio_range().1),
        ),
        "Median composite score of the area team's CCGs (CCGs in brackets; colour: region as in the other charts)",
        &bars,
        note,
    )
}

/// "NHS Hertfordshire and Essex CSU" → "Hertfordshire and Essex", for chart titles.
fn short_csu(name: &str) -> &str {
    let name = name.strip_prefix("NHS ").unwrap_or(name);
    name.strip_suffix(" CSU").unwrap_or(name)
}
