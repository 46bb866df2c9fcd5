//! report.html: the report's document (`sections/`) through a minijinja template
//! (`report.html`), with every chart inside the page so the one file works offline and when
//! emailed: as inline SVG in a desktop and a phone layout (vector, text as text), or as a PNG
//! data URI where a chart has too many marks for SVG. The environment escapes every value for
//! HTML; nothing here builds markup (the SVG comes from plotters, which escapes its text).

use crate::render::document::Document;
use anyhow::{anyhow, Context, Result};
use base64::Engine;
use minijinja::value::Serde;
use minijinja::{context, AutoEscape, Environment, UndefinedBehavior, Value};
use serde::Serialize;
use std::collections::BTreeMap;

const TEMPLATE: &str = include_str!("report.html");

/// A chart as the run drew it for the page.
pub enum Embed {
    /// PNG bytes.
    Png(Vec<u8>),
    /// SVG documents (`<svg …>…</svg>`) in the desktop and the phone layout.
    Svg { desktop: String, phone: String },
}

/// A chart as the page embeds it.
#[derive(Serialize, Default)]
struct Image {
    /// `data:image/png;base64,…` (the template marks it safe: the base64 alphabet cannot leave
    /// an attribute, and escaping its `/`s would only make the file larger); empty for SVG.
    src: String,
    width: u32,
    height: u32,
    /// The SVG drawings after their opening `<svg ` (the template puts its own attributes
    /// first), or None for a PNG.
    svg: Option<SvgPair>,
    /// Figures are numbered in reading order.
    number: usize,
}

#[derive(Serialize)]
struct SvgPair {
    desktop: String,
    phone: String,
}

/// Width and height from a PNG's header (IHDR), so the page reserves the space before drawing.
fn png_size(png: &[u8]) -> Option<(u32, u32)> {
    const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
    if png.len() < 24 || &png[..8] != SIGNATURE || &png[12..16] != b"IHDR" {
        return None;
    }
    let be = |i: usize| u32::from_be_bytes([png[i], png[i + 1], png[i + 2], png[i + 3]]);
    Some((be(16), be(20)))
}

/// The page for `doc`; `charts` gives each figure's drawing by file name.
pub fn report_html(doc: &Document, charts: &BTreeMap<String, Embed>) -> Result<String> {
    let mut images = BTreeMap::new();
    for (i, file) in doc.figures().enumerate() {
        let chart = charts
            .get(file)
            .ok_or_else(|| anyhow!("report.html: chart {file} was not drawn"))?;
        let image = match chart {
            Embed::Png(png) => {
                let (width, height) =
                    png_size(png).ok_or_else(|| anyhow!("report.html: {file} is not a PNG"))?;
                Image {
                    src: format!(
                        "data:image/png;base64,{}",
                        base64::engine::general_purpose::STANDARD.encode(png)
                    ),
                    width,
                    height,
                    ..Image::default()
                }
            }
            Embed::Svg { desktop, phone } => {
                let open = |svg: &str| {
                    svg.strip_prefix("<svg ")
                        .map(str::to_string)
                        .ok_or_else(|| anyhow!("report.html: {file} is not an SVG document"))
                };
                Image {
                    svg: Some(SvgPair {
                        desktop: open(desktop)?,
                        phone: open(phone)?,
                    }),
                    ..Image::default()
                }
            }
        };
        images.insert(
            file.to_string(),
            Image {
                number: i + 1,
                ..image
            },
        );
    }
    let mut env = Environment::new();
    env.set_auto_escape_callback(|_| AutoEscape::Html);
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_syntax(
        minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .expect("default delimiters"),
    );
    env.add_template("report.html", TEMPLATE)
        .context("report.html template")?;
    let html = env
        .get_template("report.html")?
        .render(context! {
            doc => Value::from(Serde(doc)),
            images => Value::from(Serde(&images)),
            version => env!("CARGO_PKG_VERSION"),
        })
        .context("rendering report.html")?;
    Ok(html)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::document::{para, table, text, Block, Inline, Section};

    /// A 1×1 PNG (the smallest valid file), for the figure path.
    fn tiny_png() -> Vec<u8> {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
        png.extend(3u32.to_be_bytes());
        png.extend(2u32.to_be_bytes());
        png.extend([8, 2, 0, 0, 0, 0, 0, 0, 0]);
        png
    }

    fn doc(name: &str) -> Document {
        Document {
            title: format!("Report on {name}"),
            banner: vec![para("**Lead.**")],
            sections: vec![Section {
                id: "s".into(),
                title: "Section".into(),
                blocks: vec![
                    table(
                        "claims",
                        "Claims & verdicts",
                        &["CCG", "Verdict"],
                        vec![vec![name.into(), "x".into()]],
                    ),
                    Block::Paragraph {
                        inlines: vec![
                            text(name),
                            Inline::Verdict {
                                text: "reproduced".into(),
                                class: "reproduced".into(),
                            },
                            crate::render::document::link("a", "https://x.org/?a=1&b=\"2\""),
                            crate::render::document::link("b", "javascript:alert(1)"),
                        ],
                    },
                    Block::Figure {
                        file: "a.png".into(),
                        alt: format!("alt {name}"),
                        caption: vec![text(name)],
                    },
                ],
            }],
        }
    }

    #[test]
    fn values_are_escaped_and_charts_embedded() {
        let charts = BTreeMap::from([("a.png".to_string(), Embed::Png(tiny_png()))]);
        let html = report_html(&doc("<script>alert(1)</script>"), &charts).unwrap();
        assert!(!html.contains("<script"), "{html}");
        // <title>, <h1>, table cell, paragraph, alt attribute, caption: each escaped.
        assert_eq!(
            html.matches("&lt;script&gt;alert(1)&lt;").count(),
            6,
            "{html}"
        );
        assert!(html.contains(r#"<span class="badge reproduced">reproduced</span>"#));
        // The table: a caption naming its scrolling wrapper (a focusable region), and the
        // first cell of each row as the row's header.
        assert!(html.contains(
            r#"<div class="table-wrap" role="region" tabindex="0" aria-label="Claims &amp; verdicts">"#
        ), "{html}");
        assert!(
            html.contains("<caption>Claims &amp; verdicts</caption>"),
            "{html}"
        );
        assert!(
            html.contains(r#"<th scope="row" data-label="CCG">&lt;script&gt;"#),
            "{html}"
        );
        assert!(
            html.contains(r#"href="https:&#x2f;&#x2f;x.org&#x2f;?a=1&amp;b=&quot;2&quot;""#),
            "{html}"
        );
        assert!(!html.contains("javascript:"));
        assert!(html.contains(r#"<img src="data:image/png;base64,iVBORw0KGgo"#));
        assert!(html.contains(r#"width="3" height="2""#));
        assert!(html.starts_with("<!DOCTYPE html>"), "{}", &html[..80]);
    }

    #[test]
    fn vector_charts_are_inline_in_both_layouts_named_by_their_alt_text() {
        let svg = |w: u32| {
            format!(
                r#"<svg width="{w}" height="2" viewBox="0 0 {w} 2" xmlns="http://www.w3.org/2000/svg">
<text x="0" y="0">A &amp; B</text>
</svg>
"#
            )
        };
        let charts = BTreeMap::from([(
            "a.png".to_string(),
            Embed::Svg {
                desktop: svg(1200),
                phone: svg(480),
            },
        )]);
        let html = report_html(&doc("<b>"), &charts).unwrap();
        assert!(!html.contains("<img"), "{html}");
        assert!(!html.contains("<b>"), "the alt text is escaped");
        for (class, width) in [("chart-desktop", 1200), ("chart-phone", 480)] {
            let open = format!(
                r#"<svg class="chart {class}" role="group" aria-label="alt &lt;b&gt;" width="{width}""#
            );
            assert_eq!(html.matches(&open).count(), 1, "{open} in {html}");
        }
        // The drawings' own text, as plotters escaped it, is text in the page.
        assert_eq!(html.matches("A &amp; B</text>").count(), 2);
        let err = report_html(
            &doc("x"),
            &BTreeMap::from([(
                "a.png".to_string(),
                Embed::Svg {
                    desktop: "<png>".into(),
                    phone: svg(480),
                },
            )]),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("a.png is not an SVG document"),
            "{err}"
        );
    }

    #[test]
    fn a_missing_chart_is_an_error_not_a_broken_image() {
        let err = report_html(&doc("x"), &BTreeMap::new()).unwrap_err();
        assert!(err.to_string().contains("a.png was not drawn"), "{err}");
    }

    #[test]
    fn png_size_reads_the_header() {
        assert_eq!(png_size(&tiny_png()), Some((3, 2)));
        assert_eq!(png_size(b"GIF89a"), None);
    }
}
