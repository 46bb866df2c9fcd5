//! The report as a document: a banner and sections of paragraphs, tables, lists and figures.
//! `sections/` builds it once from the findings value; `markdown.rs` renders it as findings.md
//! and `html.rs` as report.html, so the two always say the same thing with the same figures.
//!
//! Text is kept as text here: nothing is escaped or marked up for a format until a renderer
//! does it (the HTML template escapes every value).

use serde::Serialize;

/// A run of text with at most one kind of emphasis.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Inline {
    Text {
        text: String,
    },
    Strong {
        text: String,
    },
    /// File names, commands, option values.
    Code {
        text: String,
    },
    /// Only http(s) addresses become links (see `link`).
    Link {
        text: String,
        url: String,
    },
    /// A verdict label ("reproduced", …): a coloured badge in HTML, bold in Markdown.
    /// `class` is one of `VERDICT_CLASSES`.
    Verdict {
        text: String,
        class: String,
    },
}

/// The CSS classes a verdict badge may carry.
pub const VERDICT_CLASSES: [&str; 3] = ["reproduced", "not-reproduced", "cannot-be-assessed"];

/// A paragraph, table cell or list item.
pub type Inlines = Vec<Inline>;

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Block {
    Paragraph {
        inlines: Inlines,
    },
    /// A heading inside a section (`###` in Markdown, `<h3>` in HTML).
    Subheading {
        text: String,
    },
    /// `class` names the table for styling (e.g. "claims"); `header` labels each column, and
    /// narrow screens show it beside each cell.
    Table {
        class: String,
        /// What the table shows, in a few words (HTML: its caption and the scrolling wrapper's
        /// name; Markdown: an emphasised line above it).
        caption: String,
        header: Vec<String>,
        rows: Vec<Vec<Inlines>>,
    },
    List {
        ordered: bool,
        items: Vec<Inlines>,
    },
    /// A chart from the output directory with its caption (written from the numbers) and alt text.
    Figure {
        file: String,
        alt: String,
        caption: Inlines,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Section {
    /// Anchor for links and tests (`id` of the HTML section).
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Document {
    pub title: String,
    /// What a reader must know before any result: how much is reconstructed, and whether the
    /// reconstruction was calibrated to the findings.
    pub banner: Vec<Block>,
    pub sections: Vec<Section>,
}

impl Document {
    /// Every figure, in reading order.
    pub fn figures(&self) -> impl Iterator<Item = &str> {
        self.sections
            .iter()
            .flat_map(|s| &s.blocks)
            .filter_map(|b| match b {
                Block::Figure { file, .. } => Some(file.as_str()),
                _ => None,
            })
    }
}

/// Light markup for the prose of this crate's own sentences: `**strong**` and `` `code` ``.
/// Anything else, values from the data included, stays plain text (an unmatched marker too).
pub fn inlines(s: &str) -> Inlines {
    let mut out = Vec::new();
    let mut text = String::new();
    let mut rest = s;
    while !rest.is_empty() {
        let (marker, kind) = if rest.starts_with("**") {
            ("**", 0)
        } else if rest.starts_with('`') {
            ("`", 1)
        } else {
            let c = rest.chars().next().expect("non-empty");
            text.push(c);
            rest = &rest[c.len_utf8()..];
            continue;
        };
        let body = &rest[marker.len()..];
        match body.find(marker).filter(|&end| end > 0) {
            Some(end) => {
                if !text.is_empty() {
                    out.push(Inline::Text {
                        text: std::mem::take(&mut text),
                    });
                }
                let inner = body[..end].to_string();
                out.push(if kind == 0 {
                    Inline::Strong { text: inner }
                } else {
                    Inline::Code { text: inner }
                });
                rest = &body[end + marker.len()..];
            }
            None => {
                text.push_str(marker);
                rest = body;
            }
        }
    }
    if !text.is_empty() {
        out.push(Inline::Text { text });
    }
    out
}

/// A paragraph in light markup (see `inlines`).
pub fn para(s: &str) -> Block {
    Block::Paragraph {
        inlines: inlines(s),
    }
}

pub fn subheading(s: &str) -> Block {
    Block::Subheading { text: s.into() }
}

/// Plain text, no markup read.
pub fn text(s: impl Into<String>) -> Inline {
    Inline::Text { text: s.into() }
}

/// A link when `url` is an http(s) address, else the text alone (no `javascript:` or file
/// links can come from the data).
pub fn link(text_: impl Into<String>, url: &str) -> Inline {
    let url = url.trim();
    if url.starts_with("https://") || url.starts_with("http://") {
        Inline::Link {
            text: text_.into(),
            url: url.into(),
        }
    } else {
        text(text_)
    }
}

/// A table of plain-text cells (names from the data are never read as markup), with its
/// caption (unique in the document: screen readers list tables by it).
pub fn table(class: &str, caption: &str, header: &[&str], rows: Vec<Vec<String>>) -> Block {
    Block::Table {
        class: class.into(),
        caption: caption.into(),
        header: header.iter().map(|h| h.to_string()).collect(),
        rows: rows
            .into_iter()
            .map(|r| r.into_iter().map(|c| vec![text(c)]).collect())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Inline {
        text(s)
    }

    #[test]
    fn light_markup_reads_strong_and_code_only() {
        assert_eq!(
            inlines("a **b** c `d` e"),
            vec![
                t("a "),
                Inline::Strong { text: "b".into() },
                t(" c "),
                Inline::Code { text: "d".into() },
                t(" e")
            ]
        );
        // Unmatched or empty markers stay text; HTML stays text (the renderer escapes it).
        assert_eq!(inlines("2 ** 3"), vec![t("2 ** 3")]);
        assert_eq!(inlines("x `` y"), vec![t("x `` y")]);
        assert_eq!(
            inlines("<script>alert(1)</script>"),
            vec![t("<script>alert(1)</script>")]
        );
        assert_eq!(
            inlines("é **ü**"),
            vec![t("é "), Inline::Strong { text: "ü".into() }]
        );
        assert_eq!(inlines(""), vec![]);
    }

    #[test]
    fn only_web_addresses_become_links() {
        assert!(matches!(link("a", "https://x.org/a"), Inline::Link { .. }));
        assert!(matches!(link("a", " http://x.org "), Inline::Link { .. }));
        assert_eq!(link("a", "javascript:alert(1)"), t("a"));
        assert_eq!(link("a", "file:///etc/passwd"), t("a"));
    }
}
