//! Stage 7: charts as PNG, with an embedded font (DejaVu Sans) so text renders identically
//! on machines without system fonts.

use crate::model::REGIONS;
use crate::stages::funnel::Funnel;
use anyhow::{anyhow, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;
use std::sync::Once;

const FONT: &str = "sans-serif";
pub const WIDTH: u32 = 1200;
pub const HEIGHT: u32 = 720;
/// Beyond this many CCGs the distribution chart samples the sorted scores at this many quantiles.
pub const MAX_BARS: usize = 1000;

/// Okabe–Ito colours (safe for colour-blind readers), one per region in `REGIONS` order.
pub const REGION_COLOURS: [RGBColor; 4] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
];
const GREY: RGBColor = RGBColor(90, 90, 90);
/// Bars singled out for comparison (Okabe–Ito vermillion) and bars that are not like the rest.
pub const HIGHLIGHT: RGBColor = RGBColor(213, 94, 0);
pub const MUTED: RGBColor = RGBColor(160, 160, 160);
const BAR: RGBColor = RGBColor(0, 114, 178);

fn register_fonts() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Both faces ship inside the binary (dejavu crate, Bitstream Vera/DejaVu licence).
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
        let _ = plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold());
    });
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("chart drawing failed: {e:?}")
}

/// A chart page: title area handled by plotters' caption; a footer carries the source note.
fn page<'a>(
    path: &'a Path,
    note: &str,
) -> Result<(
    DrawingArea<BitMapBackend<'a>, Shift>,
    DrawingArea<BitMapBackend<'a>, Shift>,
)> {
    register_fonts();
    let root = BitMapBackend::new(path, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(err)?;
    // The footer grows to fit the note (up to four lines) so no source text is cut off.
    let lines = wrap(note, 160);
    let n_lines = lines.len().clamp(1, 4) as u32;
    let (main, footer) = root.split_vertically(HEIGHT - 10 - 18 * n_lines);
    for (i, line) in lines.iter().take(4).enumerate() {
        footer
            .draw_text(
                line,
                &(FONT, 13).into_font().color(&GREY),
                (14, 6 + 18 * i as i32),
            )
            .map_err(err)?;
    }
    Ok((root, main))
}

fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let last = lines.last_mut().unwrap();
        if !last.is_empty() && last.len() + word.len() + 1 > width {
            lines.push(word.to_string());
        } else {
            if !last.is_empty() {
                last.push(' ');
            }
            last.push_str(word);
        }
    }
    lines
}

/// A chart on the page's main area: title, margins and label areas as every chart has them.
fn builder<'a, 'b>(
    main: &'a DrawingArea<BitMapBackend<'b>, Shift>,
    title: &str,
    x_label_area: u32,
    y_label_area: u32,
) -> ChartBuilder<'a, 'static, BitMapBackend<'b>> {
    let mut b = ChartBuilder::on(main);
    b.caption(title, title_style())
        .margin(16)
        .x_label_area_size(x_label_area)
        .y_label_area_size(y_label_area);
    b
}

/// The series legend, as every chart draws it.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
    font_size: u32,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .label_font((FONT, font_size))
        .draw()
        .map_err(err)
}

fn title_style() -> TextStyle<'static> {
    TextStyle::from((FONT, 24, FontStyle::Bold).into_font()).color(&BLACK)
}

/// Every CCG's score, sorted, one bar per CCG coloured by region.
pub fn distribution(
    path: &Path,
    scores: &[(f64, String)],
    y_label: &str,
    note: &str,
) -> Result<()> {
    let mut sorted: Vec<&(f64, String)> = scores.iter().collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then_with(|| a.1.cmp(&b.1)));
    // Large inputs: one bar per quantile rather than per organisation.
    let aggregated = sorted.len() > MAX_BARS;
    let bars: Vec<&(f64, String)> = if aggregated {
        (0..MAX_BARS)
            .map(|i| sorted[i * (sorted.len() - 1) / (MAX_BARS - 1)])
            .collect()
    } else {
        sorted
    };
    let n = bars.len();
    let ymax = bars.iter().map(|b| b.0).fold(1.0, f64::max) * 1.05;
    let (root, main) = page(path, note)?;
    let title = if scores.len() > MAX_BARS {
        format!(
            "Composite condition score, {} CCGs sorted (shown at {MAX_BARS} quantiles)",
            scores.len()
        )
    } else {
        format!(
            "Composite condition score of each of the {} CCGs, sorted",
            scores.len()
        )
    };
    let mut chart = builder(&main, &title, 44, 70)
        .build_cartesian_2d(0f64..n as f64, 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_label_formatter(&|v| format_axis(*v))
        .x_desc("CCGs, ranked from lowest to highest score")
        .y_desc(y_label)
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 14))
        .draw()
        .map_err(err)?;
    let bar = |i: usize, b: &(f64, String), colour: RGBColor| {
        Rectangle::new(
            [(i as f64 + 0.1, 0.0), (i as f64 + 0.9, b.0)],
            colour.filled(),
        )
    };
    if aggregated {
        // A quantile is not one CCG, so its bar has no region: one neutral colour, no legend.
        chart
            .draw_series(bars.iter().enumerate().map(|(i, b)| bar(i, b, BAR)))
            .map_err(err)?;
        root.present().map_err(err)?;
        return Ok(());
    }
    for (ri, region) in REGIONS.iter().enumerate() {
        let colour = REGION_COLOURS[ri];
        chart
            .draw_series(
                bars.iter()
                    .enumerate()
                    .filter(|(_, b)| b.1 == *region)
                    .map(|(i, b)| bar(i, b, colour)),
            )
            .map_err(err)?
            .label(*region)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft, 15)?;
    root.present().map_err(err)?;
    Ok(())
}

/// One bar per group with its value printed above, optional 95% interval as error bars.
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub interval: Option<(f64, f64)>,
    pub colour: Option<RGBColor>,
}

/// Vertical bars with value labels (region medians).
pub fn labelled_bars(
    path: &Path,
    title: &str,
    y_label: &str,
    bars: &[Bar],
    note: &str,
) -> Result<()> {
    let n = bars.len().max(1);
    let top = bars
        .iter()
        .map(|b| b.interval.map(|i| i.1).unwrap_or(b.value).max(b.value))
        .fold(1.0, f64::max)
        * 1.15;
    let (root, main) = page(path, note)?;
    let mut chart = builder(&main, title, 50, 70)
        .build_cartesian_2d((0..n - 1).into_segmented(), 0f64..top)
        .map_err(err)?;
    let labels: Vec<String> = bars.iter().map(|b| b.label.clone()).collect();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n)
        .y_label_formatter(&|v| format_axis(*v))
        .x_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .y_desc(y_label)
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 15))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let colour = b.colour.unwrap_or(BAR);
            let mut r = Rectangle::new(
                [
                    (SegmentValue::Exact(i), 0.0),
                    (SegmentValue::Exact(i + 1), b.value),
                ],
                colour.filled(),
            );
            r.set_margin(0, 0, 30, 30);
            r
        }))
        .map_err(err)?;
    chart
        .draw_series(bars.iter().enumerate().filter_map(|(i, b)| {
            b.interval.map(|(lo, hi)| {
                ErrorBar::new_vertical(
                    SegmentValue::CenterOf(i),
                    lo,
                    b.value,
                    hi,
                    BLACK.stroke_width(2),
                    16,
                )
            })
        }))
        .map_err(err)?;
    let value_style =
        TextStyle::from((FONT, 18).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    chart
        .draw_series(bars.iter().enumerate().map(|(i, b)| {
            let y = b.interval.map(|x| x.1).unwrap_or(b.value).max(b.value);
            Text::new(
                format_value(b.value),
                (SegmentValue::CenterOf(i), y + top * 0.01),
                value_style.clone(),
            )
        }))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Horizontal bars, sorted as given (CSU means), with optional interval whiskers.
pub fn horizontal_bars(
    path: &Path,
    title: &str,
    x_label: &str,
    bars: &[Bar],
    note: &str,
) -> Result<()> {
    let n = bars.len().max(1);
    let right = bars
        .iter()
        .map(|b| b.interval.map(|i| i.1).unwrap_or(b.value).max(b.value))
        .fold(1.0, f64::max)
        * 1.12;
    let (root, main) = page(path, note)?;
    let mut chart = builder(&main, title, 44, 330)
        .build_cartesian_2d(0f64..right, (0..n - 1).into_segmented())
        .map_err(err)?;
    // Highest first at the top: segment 0 is at the bottom, so reverse the order.
    let labels: Vec<String> = bars.iter().rev().map(|b| b.label.clone()).collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_formatter(&|v| format_axis(*v))
        .x_desc(x_label)
        .axis_desc_style((FONT, 16))
        .label_style((FONT, if n > 24 { 11 } else { 14 }))
        .draw()
        .map_err(err)?;
    chart
        .draw_series(bars.iter().rev().enumerate().map(|(i, b)| {
            let mut r = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (b.value, SegmentValue::Exact(i + 1)),
                ],
                b.colour.unwrap_or(BAR).filled(),
            );
            r.set_margin(3, 3, 0, 0);
            r
        }))
        .map_err(err)?;
    chart
        .draw_series(bars.iter().rev().enumerate().filter_map(|(i, b)| {
            b.interval.map(|(lo, hi)| {
                ErrorBar::new_horizontal(
                    SegmentValue::CenterOf(i),
                    lo,
                    b.value,
                    hi,
                    BLACK.stroke_width(1),
                    8,
                )
            })
        }))
        .map_err(err)?;
    let value_style =
        TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    chart
        .draw_series(bars.iter().rev().enumerate().map(|(i, b)| {
            let x = b.interval.map(|x| x.1).unwrap_or(b.value).max(b.value);
            Text::new(
                format_value(b.value),
                (x + right * 0.005, SegmentValue::CenterOf(i)),
                value_style.clone(),
            )
        }))
        .map_err(err)?;
    root.present().map_err(err)?;
    Ok(())
}

/// A point per CCG: x against score, coloured by region, log-scaled x when asked.
pub struct Scatter<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    pub log_x: bool,
}

pub fn scatter(
    path: &Path,
    spec: &Scatter,
    points: &[(f64, f64, String)],
    note: &str,
) -> Result<()> {
    let (xmin, xmax) = points
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
            (lo.min(p.0), hi.max(p.0))
        });
    let (xmin, xmax) = if xmin.is_finite() {
        (xmin, xmax)
    } else {
        (1.0, 2.0)
    };
    let ymax = points.iter().map(|p| p.1).fold(1.0, f64::max) * 1.05;
    let (root, main) = page(path, note)?;
    let mut builder = builder(&main, spec.title, 50, 70);
    // Small inputs get full-size markers; huge ones get dots so the cloud stays readable.
    let radius = if points.len() > 5000 { 1 } else { 4 };
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            chart
                .configure_mesh()
                .x_desc(spec.x_label)
                .y_desc(spec.y_label)
                .axis_desc_style((FONT, 16))
                .label_style((FONT, 14))
                .x_label_formatter(&|v| format_axis(*v))
                .y_label_formatter(&|v| format_axis(*v))
                .draw()
                .map_err(err)?;
            for (ri, region) in REGIONS.iter().enumerate() {
                let colour = REGION_COLOURS[ri];
                chart
                    .draw_series(
                        points
                            .iter()
                            .filter(|p| p.2 == *region)
                            .map(|p| Circle::new((p.0, p.1), radius, colour.mix(0.75).filled())),
                    )
                    .map_err(err)?
                    .label(*region)
                    .legend(move |(x, y)| Circle::new((x + 7, y), 5, colour.filled()));
            }
            legend(&mut chart, SeriesLabelPosition::UpperRight, 15)?;
        }};
    }
    if spec.log_x {
        body!(builder
            .build_cartesian_2d((xmin * 0.9..xmax * 1.1).log_scale(), 0f64..ymax)
            .map_err(err)?);
    } else {
        let pad = (xmax - xmin).max(1.0) * 0.03;
        body!(builder
            .build_cartesian_2d(xmin - pad..xmax + pad, 0f64..ymax)
            .map_err(err)?);
    }
    root.present().map_err(err)?;
    Ok(())
}

/// (Long because plotters draws by a sequence of builder calls: axes, four limit lines, the
/// centre line, points by region, legend; split up, each piece would need the chart context
/// and its generic coordinate type passed around.)
pub fn funnel(
    path: &Path,
    title: &str,
    x_label: &str,
    y_label: &str,
    f: &Funnel,
    note: &str,
) -> Result<()> {
    let xmin = f
        .points
        .iter()
        .map(|p| p.0)
        .fold(f64::INFINITY, f64::min)
        .min(f.limits.first().map(|l| l.0).unwrap_or(1.0));
    let xmax = f
        .points
        .iter()
        .map(|p| p.0)
        .fold(0.0, f64::max)
        .max(f.limits.last().map(|l| l.0).unwrap_or(2.0));
    let ymax = f
        .points
        .iter()
        .map(|p| p.1)
        .chain(f.limits.iter().map(|l| l.4))
        .fold(1.0, f64::max)
        * 1.05;
    let (root, main) = page(path, note)?;
    let mut chart = builder(&main, title, 50, 70)
        .build_cartesian_2d((xmin * 0.95..xmax * 1.05).log_scale(), 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 14))
        .x_label_formatter(&|v| format_axis(*v))
        .y_label_formatter(&|v| format_axis(*v))
        .draw()
        .map_err(err)?;
    let centre = f.centre;
    chart
        .draw_series(LineSeries::new(
            [(xmin * 0.95, centre), (xmax * 1.05, centre)],
            BLACK.stroke_width(2),
        ))
        .map_err(err)?
        .label(format!("overall mean {}", format_value(centre)))
        .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK.stroke_width(2)));
    let l95 = RGBColor(213, 94, 0);
    let l998 = RGBColor(120, 120, 120);
    for (lo, hi, colour, label) in [
        (1usize, 2usize, l95, "95% limits"),
        (3, 4, l998, "99.8% limits"),
    ] {
        let pick = |l: &(f64, f64, f64, f64, f64), k: usize| match k {
            1 => l.1,
            2 => l.2,
            3 => l.3,
            _ => l.4,
        };
        chart
            .draw_series(LineSeries::new(
                f.limits.iter().map(|l| (l.0, pick(l, hi))),
                colour.stroke_width(2),
            ))
            .map_err(err)?
            .label(label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(2)));
        chart
            .draw_series(LineSeries::new(
                f.limits.iter().map(|l| (l.0, pick(l, lo).max(0.0))),
                colour.stroke_width(2),
            ))
            .map_err(err)?;
    }
    let radius = if f.points.len() > 5000 { 1 } else { 4 };
    for (ri, region) in REGIONS.iter().enumerate() {
        let colour = REGION_COLOURS[ri];
        chart
            .draw_series(
                f.points
                    .iter()
                    .filter(|p| p.2 == *region)
                    .map(|p| Circle::new((p.0, p.1), radius, colour.mix(0.75).filled())),
            )
            .map_err(err)?
            .label(*region)
            .legend(move |(x, y)| Circle::new((x + 7, y), 5, colour.filled()));
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, 14)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Grouped bars: for each group label, one bar per series (directions by region, reviews).
/// (Long for the same reason as `funnel`.)
pub fn grouped_bars(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(String, Vec<f64>)],
    note: &str,
) -> Result<()> {
    let exact: Vec<(String, Vec<(f64, f64)>)> = series
        .iter()
        .map(|(name, v)| (name.clone(), v.iter().map(|&x| (x, x)).collect()))
        .collect();
    range_bars(path, title, y_label, groups, &exact, note)
}

/// As `grouped_bars`, each value a range: a bar where the range is one value, an open box
/// from the least to the most where it is not, so a range never passes for a measurement.
pub fn range_bars(
    path: &Path,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(String, Vec<(f64, f64)>)],
    note: &str,
) -> Result<()> {
    let n = groups.len().max(1);
    let k = series.len().max(1);
    let top = series
        .iter()
        .flat_map(|s| s.1.iter().map(|r| r.1))
        .fold(0.0, f64::max)
        .max(0.01)
        * 1.6; // headroom so the legend sits above the bars
    let (root, main) = page(path, note)?;
    let mut chart = builder(&main, title, 50, 70)
        .build_cartesian_2d(0f64..n as f64, 0f64..top)
        .map_err(err)?;
    let labels = groups.to_vec();
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(n * 2 + 1)
        .x_label_formatter(&|v| {
            let i = v.floor() as usize;
            if (v - i as f64 - 0.5).abs() < 1e-6 {
                labels.get(i).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        })
        // Counts: label whole numbers only.
        .y_label_formatter(&|v| {
            if (v - v.round()).abs() < 1e-9 {
                format!("{}", v.round() as i64)
            } else {
                String::new()
            }
        })
        .y_desc(y_label)
        .axis_desc_style((FONT, 16))
        .label_style((FONT, 15))
        .draw()
        .map_err(err)?;
    // The regions' colours first, so a region looks the same on every chart.
    let palette = [
        REGION_COLOURS[0],
        REGION_COLOURS[1],
        REGION_COLOURS[2],
        REGION_COLOURS[3],
        RGBColor(86, 180, 233),
    ];
    let width = 0.8 / k as f64;
    let value_style =
        TextStyle::from((FONT, 13).into_font()).pos(Pos::new(HPos::Center, VPos::Bottom));
    for (si, (name, values)) in series.iter().enumerate() {
        let colour = palette[si % palette.len()];
        let x0 = |g: usize| g as f64 + 0.1 + si as f64 * width;
        let is_bar = |r: &(f64, f64)| (r.1 - r.0).abs() < 1e-12;
        let bars = || values.iter().enumerate().filter(|(_, r)| is_bar(r));
        chart
            .draw_series(bars().map(|(g, r)| {
                Rectangle::new([(x0(g), 0.0), (x0(g) + width * 0.92, r.1)], colour.filled())
            }))
            .map_err(err)?
            .label(name.as_str())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], colour.filled()));
        for (g, r) in values.iter().enumerate().filter(|(_, r)| !is_bar(r)) {
            let corners = [(x0(g), r.0), (x0(g) + width * 0.92, r.1)];
            chart
                .draw_series([
                    Rectangle::new(corners, colour.mix(0.25).filled()),
                    Rectangle::new(corners, colour.stroke_width(2)),
                ])
                .map_err(err)?;
        }
        // Values on bars only: a range's ends are in the caption and the tables (two numbers
        // per box would overlap their neighbours').
        chart
            .draw_series(bars().map(|(g, r)| {
                Text::new(
                    format_value(r.1),
                    (x0(g) + width * 0.46, r.1 + top * 0.01),
                    value_style.clone(),
                )
            }))
            .map_err(err)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperRight, 14)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Values on charts: whole numbers plainly, others to one or two decimals.
pub fn format_value(v: f64) -> String {
    if !v.is_finite() {
        "n/a".into()
    } else if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round() as i64)
    } else {
        crate::format::approx(v)
    }
}

fn format_axis(v: f64) -> String {
    if v >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if v >= 1e3 {
        format!("{:.0}k", v / 1e3)
    } else {
        format_value(v)
    }
}

/// One row of the bounds chart: a claim's figure over every dataset consistent with the
/// published record.
pub struct RangeRow {
    pub label: String,
    /// On a log axis (the ratios).
    pub log: bool,
    /// (lowest, highest) under published facts only, and with the reconstruction's assumptions;
    /// an infinite highest runs to the edge.
    pub published_only: (f64, f64),
    pub with_assumptions: (f64, f64),
    /// Where the claim's test draws its line.
    pub thresholds: Vec<f64>,
    /// This run's figure, and each untuned reconstruction's.
    pub ours: f64,
    pub untuned: Vec<f64>,
}

/// One strip per figure: the consistent range as two bands (published facts only, light; with
/// the reconstruction's assumptions, dark), the claim's threshold as a red line, this run's
/// figure as a black diamond and each untuned reconstruction as a grey circle.
pub fn ranges(path: &Path, title: &str, rows: &[RangeRow], note: &str) -> Result<()> {
    let (root, main) = page(path, note)?;
    let main = main.titled(title, title_style()).map_err(err)?;
    let (key, body) = main.split_vertically(30);
    key.draw_text(
        "Light band: published facts only. Dark band: with the reconstruction's assumptions. Red line: the claim's threshold. \u{25c6} this run, \u{25cb} untuned reconstructions.",
        &(FONT, 14).into_font().color(&GREY),
        (16, 6),
    )
    .map_err(err)?;
    let strips = body.split_evenly((rows.len().max(1), 1));
    for (row, strip) in rows.iter().zip(strips.iter()) {
        let (label_area, plot) = strip.split_horizontally(300);
        for (i, line) in wrap(&row.label, 34).iter().take(3).enumerate() {
            label_area
                .draw_text(
                    line,
                    &(FONT, 15).into_font().color(&BLACK),
                    (16, 14 + 18 * i as i32),
                )
                .map_err(err)?;
        }
        let t = |v: f64| if row.log { v.log10() } else { v };
        let finite: Vec<f64> = [
            row.published_only.0,
            row.published_only.1,
            row.with_assumptions.0,
            row.with_assumptions.1,
            row.ours,
        ]
        .into_iter()
        .chain(row.thresholds.iter().copied())
        .chain(row.untuned.iter().copied())
        .filter(|v| v.is_finite() && (!row.log || *v > 0.0))
        .map(t)
        .collect();
        let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let pad = ((hi - lo) * 0.08).max(if row.log { 0.3 } else { 0.05 });
        // A log axis spans whole decades, so its ticks fall on 0.1, 1, 10, ...
        let (x0, x1) = if row.log {
            ((lo - 0.2).floor(), (hi + 0.2).ceil())
        } else {
            (lo - pad, hi + pad)
        };
        let ticks = if row.log { (x1 - x0) as usize + 1 } else { 8 };
        let mut chart = ChartBuilder::on(&plot)
            .margin_right(24)
            .margin_top(6)
            .x_label_area_size(26)
            .build_cartesian_2d(x0..x1, 0f64..1f64)
            .map_err(err)?;
        let log = row.log;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .disable_y_axis()
            .x_labels(ticks)
            .x_label_formatter(&|v| {
                if log {
                    format_axis(10f64.powf(*v))
                } else {
                    format_value(*v)
                }
            })
            .label_style((FONT, 13))
            .draw()
            .map_err(err)?;
        let clamp = |v: f64| {
            if v.is_infinite() {
                if v > 0.0 {
                    x1
                } else {
                    x0
                }
            } else if row.log && v <= 0.0 {
                x0
            } else {
                t(v).clamp(x0, x1)
            }
        };
        for ((a, b), (y0, y1), colour) in [
            (row.published_only, (0.55, 0.9), RGBColor(170, 206, 235)),
            (row.with_assumptions, (0.1, 0.45), RGBColor(0, 114, 178)),
        ] {
            if a.is_nan() || b.is_nan() {
                continue;
            }
            chart
                .draw_series(std::iter::once(Rectangle::new(
                    [
                        (clamp(a), y0),
                        (clamp(b).max(clamp(a) + (x1 - x0) * 0.004), y1),
                    ],
                    colour.filled(),
                )))
                .map_err(err)?;
            if b.is_infinite() {
                chart
                    .draw_series(std::iter::once(Text::new(
                        "unbounded \u{2192}",
                        (x1 - (x1 - x0) * 0.16, (y0 + y1) / 2.0),
                        TextStyle::from((FONT, 13).into_font())
                            .pos(Pos::new(HPos::Left, VPos::Center)),
                    )))
                    .map_err(err)?;
            }
        }
        for &th in &row.thresholds {
            chart
                .draw_series(std::iter::once(PathElement::new(
                    vec![(clamp(th), 0.0), (clamp(th), 1.0)],
                    RGBColor(180, 35, 24).stroke_width(2),
                )))
                .map_err(err)?;
        }
        chart
            .draw_series(
                row.untuned
                    .iter()
                    .filter(|v| v.is_finite())
                    .map(|&v| Circle::new((clamp(v), 0.5), 5, GREY.stroke_width(1))),
            )
            .map_err(err)?;
        if row.ours.is_finite() {
            let (x, y) = (clamp(row.ours), 0.5);
            chart
                .draw_series(std::iter::once(Polygon::new(
                    vec![
                        (x, y + 0.22),
                        (x + (x1 - x0) * 0.008, y),
                        (x, y - 0.22),
                        (x - (x1 - x0) * 0.008, y),
                    ],
                    BLACK.filled(),
                )))
                .map_err(err)?;
        }
    }
    root.present().map_err(err)?;
    Ok(())
}
