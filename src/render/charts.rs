//! The charts' drawings, with an embedded font (DejaVu Sans) so text renders identically on
//! machines without system fonts. Each chart draws on any plotters backend: as a PNG file in
//! the desktop layout (the files in `output/`, for slides) and as SVG in either layout (the
//! charts of report.html: vector, text as text). The phone layout is narrower with type at
//! least `PHONE_MIN_FONT`, so that at a 390-pixel-wide page every label stays readable.

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
/// The phone layout's drawing size (CSS pixels at 1:1): a 390-pixel page shows it at about
/// three quarters of its size.
pub const PHONE_WIDTH: u32 = 480;
pub const PHONE_HEIGHT: u32 = 640;
/// Smallest type of the phone layout, in plotters' units (an SVG font size of this over 1.24:
/// about 12.9 px, so about 9.8 px on a 390-pixel page).
pub const PHONE_MIN_FONT: u32 = 16;
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

/// How a chart is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// 1200 × 720, as the PNG files (and the wide page).
    Desktop,
    /// Narrow, larger type, the title wrapped and axis notes cut to their first words (the
    /// figure's caption says the rest): phones and paper.
    Phone,
}

impl Layout {
    /// A font size: as designed on the desktop, at least `PHONE_MIN_FONT` on a phone.
    fn font(self, size: u32) -> u32 {
        match self {
            Layout::Desktop => size,
            Layout::Phone => size.max(PHONE_MIN_FONT),
        }
    }
    /// A horizontal length designed for the desktop width, on this layout's width.
    fn across(self, px: u32) -> u32 {
        match self {
            Layout::Desktop => px,
            Layout::Phone => px * PHONE_WIDTH / WIDTH,
        }
    }
    /// An axis description: in full on the desktop, without its bracketed details on a phone.
    fn desc(self, text: &str) -> String {
        match self {
            Layout::Desktop => text.to_string(),
            Layout::Phone => text.split(" (").next().unwrap_or(text).to_string(),
        }
    }
    /// The vertical axis's description, drawn turned on the desktop; none on a phone, where
    /// `page` writes it level above the chart (turned text is hard to read on a small screen,
    /// and paper measures type by lines of text).
    fn y_desc(self, text: &str) -> String {
        match self {
            Layout::Desktop => text.to_string(),
            Layout::Phone => String::new(),
        }
    }
    /// A label of at most `chars` characters on a phone (cut with an ellipsis), as is on the
    /// desktop.
    fn fit(self, text: &str, chars: usize) -> String {
        if self == Layout::Desktop || text.chars().count() <= chars {
            return text.to_string();
        }
        let cut: String = text.chars().take(chars.saturating_sub(1)).collect();
        format!("{}\u{2026}", cut.trim_end())
    }
}

/// A region's name as a phone's axis has room for.
fn region_label(layout: Layout, name: &str) -> String {
    match (layout, name) {
        (Layout::Phone, "North of England") => "North".into(),
        (Layout::Phone, "Midlands and East of England") => "Midlands/East".into(),
        (Layout::Phone, "South of England") => "South".into(),
        _ => name.to_string(),
    }
}

/// Where a chart is drawn: a PNG file (desktop layout) or SVG text in a layout.
pub enum Target<'a> {
    Png(&'a Path),
    Svg(Layout, &'a mut String),
}

/// Run `$draw(root, layout)` on the target's backend (plotters' backends are distinct types,
/// so the drawing functions are generic and this picks one). `$phone_height` is the SVG
/// phone layout's height (charts with many rows are taller there).
macro_rules! on_target {
    ($to:expr, $phone_height:expr, $draw:expr) => {
        match $to {
            Target::Png(path) => {
                register_fonts();
                let mut rgb = vec![0u8; (WIDTH * HEIGHT * 3) as usize];
                $draw(
                    BitMapBackend::with_buffer(&mut rgb, (WIDTH, HEIGHT)).into_drawing_area(),
                    Layout::Desktop,
                )
                .and_then(|()| write_png(path, &rgb))
            }
            Target::Svg(layout, svg) => {
                register_fonts();
                let size = match layout {
                    Layout::Desktop => (WIDTH, HEIGHT),
                    Layout::Phone => (PHONE_WIDTH, $phone_height),
                };
                $draw(
                    SVGBackend::with_string(svg, size).into_drawing_area(),
                    layout,
                )
            }
        }
    };
}

/// Encode a desktop-sized RGB drawing as PNG, with the settings plotters' own encoder (the
/// `image` crate) used: its default, fast compression (png's fdeflate) and adaptive filtering
/// starting from Sub. Encoding here spares the build the `image` crate; the bytes are the same.
fn write_png(path: &Path, rgb: &[u8]) -> Result<()> {
    let file =
        std::fs::File::create(path).map_err(|e| anyhow!("cannot write {}: {e}", path.display()))?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), WIDTH, HEIGHT);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::FilterType::Sub);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let mut writer = encoder.write_header().map_err(err)?;
    writer.write_image_data(rgb).map_err(err)?;
    writer.finish().map_err(err)
}

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

type Area<DB> = DrawingArea<DB, Shift>;

/// A chart page: the footer carries the source note; on a phone the title is drawn here,
/// wrapped (plotters' caption is one line), then the vertical axis's description, level, and
/// the main area starts below them.
fn page<DB: DrawingBackend>(
    root: Area<DB>,
    layout: Layout,
    title: &str,
    y_label: Option<&str>,
    note: &str,
) -> Result<(Area<DB>, Area<DB>)> {
    root.fill(&WHITE).map_err(err)?;
    let (height, width) = (root.dim_in_pixel().1, root.dim_in_pixel().0);
    // The footer grows to fit the note so no source text is cut off.
    let (chars, most, line, font) = match layout {
        Layout::Desktop => (160, 4, 18, 13),
        Layout::Phone => (62, 8, 20, layout.font(13)),
    };
    let lines = wrap(note, chars);
    let n_lines = lines.len().clamp(1, most) as u32;
    let (main, footer) = root.split_vertically(height - 10 - line * n_lines);
    for (i, text) in lines.iter().take(most).enumerate() {
        footer
            .draw_text(
                text,
                &(FONT, font).into_font().color(&GREY),
                (14, 6 + line as i32 * i as i32),
            )
            .map_err(err)?;
    }
    if layout == Layout::Desktop {
        return Ok((root, main));
    }
    let title_lines = wrap(title, ((width - 28) / 9) as usize);
    let n_title = title_lines.len().min(3) as u32;
    let axis = y_label.map(|y| format!("\u{2191} {}", layout.desc(y)));
    let (head, body) =
        main.split_vertically(10 + 24 * n_title + if axis.is_some() { 22 } else { 0 });
    for (i, text) in title_lines.iter().take(3).enumerate() {
        head.draw_text(text, &title_style(layout), (14, 8 + 24 * i as i32))
            .map_err(err)?;
    }
    if let Some(axis) = axis {
        head.draw_text(
            &axis,
            &(FONT, layout.font(16)).into_font().color(&BLACK),
            (14, 8 + 24 * n_title as i32),
        )
        .map_err(err)?;
    }
    Ok((root, body))
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

/// A chart on the page's main area: title (the desktop's; a phone's is above, from `page`),
/// margins and label areas as every chart has them.
fn builder<'a, 'b, DB: DrawingBackend>(
    main: &'a DrawingArea<DB, Shift>,
    layout: Layout,
    title: &str,
    x_label_area: u32,
    y_label_area: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut b = ChartBuilder::on(main);
    if layout == Layout::Desktop {
        b.caption(title, title_style(layout));
    }
    b.margin(if layout == Layout::Desktop { 16 } else { 8 })
        .x_label_area_size(x_label_area)
        .y_label_area_size(y_label_area);
    b
}

/// The series legend, as every chart draws it.
fn legend<'a, DB: DrawingBackend + 'a, CT: CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    layout: Layout,
    position: SeriesLabelPosition,
    font_size: u32,
) -> Result<()> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.9))
        .border_style(GREY)
        .label_font((FONT, layout.font(font_size)))
        .draw()
        .map_err(err)
}

fn title_style(layout: Layout) -> TextStyle<'static> {
    let size = match layout {
        Layout::Desktop => 24,
        Layout::Phone => 19,
    };
    TextStyle::from((FONT, size, FontStyle::Bold).into_font()).color(&BLACK)
}

/// Every CCG's score, sorted, one bar per CCG coloured by region.
pub fn distribution(to: Target, scores: &[(f64, String)], y_label: &str, note: &str) -> Result<()> {
    on_target!(to, PHONE_HEIGHT, |root, layout| distribution_on(
        root, layout, scores, y_label, note
    ))
}

fn distribution_on<DB: DrawingBackend>(
    root: Area<DB>,
    layout: Layout,
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
    let (root, main) = page(root, layout, &title, Some(y_label), note)?;
    let mut chart = builder(&main, layout, &title, 44, layout.across(70).max(60))
        .build_cartesian_2d(0f64..n as f64, 0f64..ymax)
        .map_err(err)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .x_labels(0)
        .y_label_formatter(&|v| format_axis(*v))
        .x_desc(layout.desc("CCGs, ranked from lowest to highest score"))
        .y_desc(layout.y_desc(y_label))
        .axis_desc_style((FONT, layout.font(16)))
        .label_style((FONT, layout.font(14)))
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
    legend(&mut chart, layout, SeriesLabelPosition::UpperLeft, 15)?;
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
    to: Target,
    title: &str,
    y_label: &str,
    bars: &[Bar],
    note: &str,
) -> Result<()> {
    on_target!(to, PHONE_HEIGHT, |root, layout| match layout {
        // A phone has no room for the groups' names side by side: bars lie down instead.
        Layout::Phone => horizontal_bars_on(root, layout, title, y_label, bars, note),
        Layout::Desktop => labelled_bars_on(root, layout, title, y_label, bars, note),
    })
}

/// The highest value or interval end among the bars, at least 1 (the scale's end before room
/// is left above it).
fn highest(bars: &[Bar]) -> f64 {
    bars.iter()
        .map(|b| b.interval.map(|i| i.1).unwrap_or(b.value).max(b.value))
        .fold(1.0, f64::max)
}

fn labelled_bars_on<DB: DrawingBackend>(
    root: Area<DB>,
    layout: Layout,
    title: &str,
    y_label: &str,
    bars: &[Bar],
    note: &str,
) -> Result<()> {
    let n = bars.len().max(1);
    let top = highest(bars) * 1.15;
    let (root, main) = page(root, layout, title, Some(y_label), note)?;
    let mut chart = builder(&main, layout, title, 50, 70)
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
        .y_desc(layout.y_desc(y_label))
        .axis_desc_style((FONT, layout.font(16)))
        .label_style((FONT, layout.font(15)))
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
    to: Target,
    title: &str,
    x_label: &str,
    bars: &[Bar],
    note: &str,
) -> Result<()> {
    // On a phone each bar gets a line of type.
    let phone_height = PHONE_HEIGHT.max(220 + 22 * bars.len() as u32);
    on_target!(to, phone_height, |root, layout| horizontal_bars_on(
        root, layout, title, x_label, bars, note
    ))
}

// Long because: one drawing of bars lying down, its scale, labels and note in order.
fn horizontal_bars_on<DB: DrawingBackend>(
    root: Area<DB>,
    layout: Layout,
    title: &str,
    x_label: &str,
    bars: &[Bar],
    note: &str,
) -> Result<()> {
    let n = bars.len().max(1);
    let right = highest(bars) * 1.12;
    let (root, main) = page(root, layout, title, None, note)?;
    let label_area = match layout {
        Layout::Desktop => 330,
        Layout::Phone => 190,
    };
    let mut chart = builder(&main, layout, title, 44, label_area)
        .build_cartesian_2d(0f64..right, (0..n - 1).into_segmented())
        .map_err(err)?;
    // Highest first at the top: segment 0 is at the bottom, so reverse the order.
    let labels: Vec<String> = bars
        .iter()
        .rev()
        .map(|b| layout.fit(&region_label(layout, &b.label), 25))
        .collect();
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels.get(*i).cloned().unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_formatter(&|v| format_axis(*v))
        .x_labels(if layout == Layout::Phone { 5 } else { 11 })
        .x_desc(layout.desc(x_label))
        .axis_desc_style((FONT, layout.font(16)))
        .label_style((FONT, layout.font(if n > 24 { 11 } else { 14 })))
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
    let value_style = TextStyle::from((FONT, layout.font(13)).into_font())
        .pos(Pos::new(HPos::Left, VPos::Center));
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
    to: Target,
    spec: &Scatter,
    points: &[(f64, f64, String)],
    note: &str,
) -> Result<()> {
    on_target!(to, PHONE_HEIGHT, |root, layout| scatter_on(
        root, layout, spec, points, note
    ))
}

fn scatter_on<DB: DrawingBackend>(
    root: Area<DB>,
    layout: Layout,
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
    let (root, main) = page(root, layout, spec.title, Some(spec.y_label), note)?;
    let mut builder = builder(&main, layout, spec.title, 50, layout.across(70).max(60));
    // Small inputs get full-size markers; huge ones get dots so the cloud stays readable.
    let radius = if points.len() > 5000 { 1 } else { 4 };
    macro_rules! body {
        ($chart:expr) => {{
            let mut chart = $chart;
            let mut mesh = chart.configure_mesh();
            mesh.x_desc(layout.desc(spec.x_label))
                .y_desc(layout.y_desc(spec.y_label))
                .axis_desc_style((FONT, layout.font(16)))
                .label_style((FONT, layout.font(14)))
                .x_label_formatter(&|v| format_axis(*v))
                .y_label_formatter(&|v| format_axis(*v));
            if layout == Layout::Phone {
                mesh.x_labels(5);
            }
            mesh.draw().map_err(err)?;
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
            legend(&mut chart, layout, SeriesLabelPosition::UpperRight, 15)?;
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

pub fn funnel(
    to: Target,
    title: &str,
    x_label: &str,
    y_label: &str,
    f: &Funnel,
    note: &str,
) -> Result<()> {
    on_target!(to, PHONE_HEIGHT, |root, layout| funnel_on(
        root, layout, title, x_label, y_label, f, note
    ))
}

// Long because: plotters draws by one chart context's calls in turn (axes, limits, points, legend).
fn funnel_on<DB: DrawingBackend>(
    root: Area<DB>,
    layout: Layout,
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
    let (root, main) = page(root, layout, title, Some(y_label), note)?;
    let mut chart = builder(&main, layout, title, 50, layout.across(70).max(60))
        .build_cartesian_2d((xmin * 0.95..xmax * 1.05).log_scale(), 0f64..ymax)
        .map_err(err)?;
    let mut mesh = chart.configure_mesh();
    mesh.x_desc(layout.desc(x_label))
        .y_desc(layout.y_desc(y_label))
        .axis_desc_style((FONT, layout.font(16)))
        .label_style((FONT, layout.font(14)))
        .x_label_formatter(&|v| format_axis(*v))
        .y_label_formatter(&|v| format_axis(*v));
    if layout == Layout::Phone {
        mesh.x_labels(5);
    }
    mesh.draw().map_err(err)?;
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
    legend(&mut chart, layout, SeriesLabelPosition::UpperRight, 14)?;
    root.present().map_err(err)?;
    Ok(())
}

/// Grouped bars: for each group label, one bar per series (directions by region, reviews).
pub fn grouped_bars(
    to: Target,
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
    range_bars(to, title, y_label, groups, &exact, note)
}

/// As `grouped_bars`, each value a range: a bar where the range is one value, an open box
/// from the least to the most where it is not, so a range never passes for a measurement.
pub fn range_bars(
    to: Target,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(String, Vec<(f64, f64)>)],
    note: &str,
) -> Result<()> {
    // On a phone the groups run down the page, a bar of type's height per series.
    let phone_height =
        PHONE_HEIGHT.max(300 + groups.len() as u32 * (16 * series.len() as u32 + 14));
    on_target!(to, phone_height, |root, layout| match layout {
        Layout::Desktop => range_bars_on(root, layout, title, y_label, groups, series, note),
        Layout::Phone => range_bars_across(root, layout, title, y_label, groups, series, note),
    })
}

/// The largest upper end of any series' range (at least 0.01, so an axis has a length).
fn largest_end(series: &[(String, Vec<(f64, f64)>)]) -> f64 {
    series
        .iter()
        .flat_map(|s| s.1.iter().map(|r| r.1))
        .fold(0.0, f64::max)
        .max(0.01)
}

/// The regions' colours first, so a region looks the same on every chart.
const SERIES_COLOURS: [RGBColor; 5] = [
    REGION_COLOURS[0],
    REGION_COLOURS[1],
    REGION_COLOURS[2],
    REGION_COLOURS[3],
    RGBColor(86, 180, 233),
];

/// The phone's form of `range_bars`: groups down the page, each with a bar (or a range's box)
/// per series lying across, and the series' key above (a phone has no room for the groups'
/// names side by side).
// Long because: plotters draws by one chart context's calls in turn (key, axes, bars, boxes, values).
fn range_bars_across<DB: DrawingBackend>(
    root: Area<DB>,
    layout: Layout,
    title: &str,
    value_label: &str,
    groups: &[String],
    series: &[(String, Vec<(f64, f64)>)],
    note: &str,
) -> Result<()> {
    let n = groups.len().max(1);
    let k = series.len().max(1);
    let right = largest_end(series) * 1.18; // room for the values after the bars
    let (root, main) = page(root, layout, title, None, note)?;
    let key_rows = k.div_ceil(2) as u32;
    let (key, body) = main.split_vertically(8 + 22 * key_rows);
    for (si, (name, _)) in series.iter().enumerate() {
        let colour = SERIES_COLOURS[si % SERIES_COLOURS.len()];
        let (x, y) = (14 + 220 * (si % 2) as i32, 6 + 22 * (si / 2) as i32);
        key.draw(&Rectangle::new(
            [(x, y + 2), (x + 14, y + 16)],
            colour.filled(),
        ))
        .map_err(err)?;
        key.draw_text(
            &region_label(layout, name),
            &(FONT, layout.font(14)).into_font().color(&BLACK),
            (x + 20, y + 2),
        )
        .map_err(err)?;
    }
    let labels: Vec<String> = groups
        .iter()
        .map(|g| layout.fit(&layout.desc(g), 20))
        .collect();
    let mut chart = ChartBuilder::on(&body)
        .margin(8)
        .margin_right(16)
        .x_label_area_size(50)
        .y_label_area_size(150)
        .build_cartesian_2d(0f64..right, 0f64..n as f64)
        .map_err(err)?;
    // Group g's band runs from n - 1 - g to n - g: the first group at the top.
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n * 2 + 1)
        .y_label_formatter(&|v| {
            let band = v.floor();
            if (v - band - 0.5).abs() < 1e-6 && band >= 0.0 {
                labels
                    .get(n - 1 - band as usize)
                    .cloned()
                    .unwrap_or_default()
            } else {
                String::new()
            }
        })
        .x_labels(5)
        .x_label_formatter(&|v| format_axis(*v))
        .x_desc(layout.desc(value_label))
        .axis_desc_style((FONT, layout.font(16)))
        .label_style((FONT, layout.font(15)))
        .draw()
        .map_err(err)?;
    let height = 0.8 / k as f64;
    let value_style = TextStyle::from((FONT, layout.font(13)).into_font())
        .pos(Pos::new(HPos::Left, VPos::Center));
    for (si, (_, values)) in series.iter().enumerate() {
        let colour = SERIES_COLOURS[si % SERIES_COLOURS.len()];
        // Series in the key's order from the top of each band.
        let y0 = |g: usize| (n - 1 - g) as f64 + 0.9 - (si + 1) as f64 * height;
        for (g, r) in values.iter().enumerate() {
            let corners = [(r.0, y0(g)), (r.1, y0(g) + height * 0.92)];
            if (r.1 - r.0).abs() < 1e-12 {
                chart
                    .draw_series([Rectangle::new([(0.0, y0(g)), corners[1]], colour.filled())])
                    .map_err(err)?;
                chart
                    .draw_series([Text::new(
                        format_value(r.1),
                        (r.1 + right * 0.01, y0(g) + height * 0.46),
                        value_style.clone(),
                    )])
                    .map_err(err)?;
            } else {
                chart
                    .draw_series([
                        Rectangle::new(corners, colour.mix(0.25).filled()),
                        Rectangle::new(corners, colour.stroke_width(2)),
                    ])
                    .map_err(err)?;
            }
        }
    }
    root.present().map_err(err)?;
    Ok(())
}

// Long because: plotters draws by one chart context's calls in turn (axes, bars, boxes, legend).
fn range_bars_on<DB: DrawingBackend>(
    root: Area<DB>,
    layout: Layout,
    title: &str,
    y_label: &str,
    groups: &[String],
    series: &[(String, Vec<(f64, f64)>)],
    note: &str,
) -> Result<()> {
    let n = groups.len().max(1);
    let k = series.len().max(1);
    let top = largest_end(series) * 1.6; // headroom so the legend sits above the bars
    let (root, main) = page(root, layout, title, Some(y_label), note)?;
    let mut chart = builder(&main, layout, title, 50, layout.across(70).max(56))
        .build_cartesian_2d(0f64..n as f64, 0f64..top)
        .map_err(err)?;
    let labels: Vec<String> = groups.iter().map(|g| region_label(layout, g)).collect();
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
        .y_desc(layout.y_desc(y_label))
        .axis_desc_style((FONT, layout.font(16)))
        .label_style((FONT, layout.font(15)))
        .draw()
        .map_err(err)?;
    let palette = SERIES_COLOURS;
    let width = 0.8 / k as f64;
    let value_style = TextStyle::from((FONT, layout.font(13)).into_font())
        .pos(Pos::new(HPos::Center, VPos::Bottom));
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
            .label(region_label(layout, name))
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
    legend(&mut chart, layout, SeriesLabelPosition::UpperRight, 14)?;
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
pub fn ranges(to: Target, title: &str, rows: &[RangeRow], note: &str) -> Result<()> {
    // On a phone each row's label sits above its strip: about 120 pixels a row.
    let phone_height = PHONE_HEIGHT.max(330 + 120 * rows.len() as u32);
    on_target!(to, phone_height, |root, layout| ranges_on(
        root, layout, title, rows, note
    ))
}

// Long because: each strip is drawn in one pass on its own coordinates (label, axis, bands, marks).
fn ranges_on<DB: DrawingBackend>(
    root: Area<DB>,
    layout: Layout,
    title: &str,
    rows: &[RangeRow],
    note: &str,
) -> Result<()> {
    let (root, main) = page(root, layout, title, None, note)?;
    let main = match layout {
        Layout::Desktop => main.titled(title, title_style(layout)).map_err(err)?,
        Layout::Phone => main,
    };
    const KEY: &str = "Light band: published facts only. Dark band: with the reconstruction's assumptions. Red line: the claim's threshold. \u{25c6} this run, \u{25cb} untuned reconstructions.";
    let key_lines = match layout {
        Layout::Desktop => vec![KEY.to_string()],
        Layout::Phone => wrap(KEY, 60),
    };
    let (key, body) = main.split_vertically(10 + 20 * key_lines.len() as u32);
    for (i, line) in key_lines.iter().enumerate() {
        key.draw_text(
            line,
            &(FONT, layout.font(14)).into_font().color(&GREY),
            (16, 6 + 20 * i as i32),
        )
        .map_err(err)?;
    }
    let strips = body.split_evenly((rows.len().max(1), 1));
    for (row, strip) in rows.iter().zip(strips.iter()) {
        let (label_area, plot) = match layout {
            Layout::Desktop => strip.split_horizontally(300),
            Layout::Phone => strip.split_vertically(46),
        };
        let (chars, line_height) = match layout {
            Layout::Desktop => (34, 18),
            Layout::Phone => (60, 20),
        };
        for (i, line) in wrap(&row.label, chars).iter().take(3).enumerate() {
            label_area
                .draw_text(
                    line,
                    &(FONT, layout.font(15)).into_font().color(&BLACK),
                    (
                        16,
                        if layout == Layout::Desktop { 14 } else { 4 } + line_height * i as i32,
                    ),
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
        let ticks = match (row.log, layout) {
            (true, _) => (x1 - x0) as usize + 1,
            (false, Layout::Desktop) => 8,
            (false, Layout::Phone) => 5,
        };
        let mut chart = ChartBuilder::on(&plot)
            .margin_right(24)
            .margin_left(if layout == Layout::Desktop { 0 } else { 22 })
            .margin_top(6)
            .x_label_area_size(if layout == Layout::Desktop { 26 } else { 24 })
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
            .label_style((FONT, layout.font(13)))
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
                        (
                            x1 - (x1 - x0)
                                * if layout == Layout::Desktop {
                                    0.16
                                } else {
                                    0.42
                                },
                            (y0 + y1) / 2.0,
                        ),
                        TextStyle::from((FONT, layout.font(13)).into_font())
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
