//! findings.md: the report's document (`sections/`) written as Markdown.

use crate::render::document::{Block, Document, Inline};

/// findings.md: the report's document as Markdown, for a terminal or an editor.
pub fn markdown(doc: &Document) -> String {
    let mut md = format!("# {}\n\n", doc.title);
    doc.banner.iter().for_each(|b| block(&mut md, b));
    for s in &doc.sections {
        md.push_str(&format!("## {}\n\n", s.title));
        s.blocks.iter().for_each(|b| block(&mut md, b));
    }
    // One newline at the end, not a blank line.
    let end = md.trim_end().len();
    md.truncate(end);
    md.push('\n');
    md
}

fn inlines(xs: &[Inline]) -> String {
    xs.iter()
        .map(|x| match x {
            Inline::Text { text } => text.clone(),
            Inline::Strong { text } | Inline::Verdict { text, .. } => format!("**{text}**"),
            Inline::Code { text } => format!("`{text}`"),
            Inline::Link { text, url } if text == url => format!("<{url}>"),
            Inline::Link { text, url } => format!("[{text}]({url})"),
        })
        .collect()
}

/// A table cell: a `|` inside would end the cell early.
fn cell(xs: &[Inline]) -> String {
    inlines(xs).replace('|', "\\|")
}

fn block(md: &mut String, b: &Block) {
    match b {
        Block::Paragraph { inlines: xs } => md.push_str(&inlines(xs)),
        Block::Subheading { text } => md.push_str(&format!("### {text}")),
        Block::Table {
            caption,
            header,
            rows,
            ..
        } => {
            md.push_str(&format!("*{caption}*\n\n"));
            md.push_str(&format!("| {} |\n", header.join(" | ")));
            md.push_str(&format!("|{}\n", "---|".repeat(header.len())));
            for row in rows {
                let cells: Vec<String> = row.iter().map(|c| cell(c)).collect();
                md.push_str(&format!("| {} |\n", cells.join(" | ")));
            }
            md.pop();
        }
        Block::List { ordered, items } => {
            let lines: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, x)| match ordered {
                    true => format!("{}. {}", i + 1, inlines(x)),
                    false => format!("- {}", inlines(x)),
                })
                .collect();
            md.push_str(&lines.join("\n"));
        }
        Block::Figure { file, alt, caption } => md.push_str(&format!(
            "![{}]({file})\n\n{}",
            alt.replace(['[', ']'], ""),
            inlines(caption)
        )),
    }
    md.push_str("\n\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::document::{para, table, text, Section};

    #[test]
    fn every_block_in_markdown() {
        let doc = Document {
            title: "T".into(),
            banner: vec![para("**Lead.** More.")],
            sections: vec![Section {
                id: "s".into(),
                title: "S".into(),
                blocks: vec![
                    table(
                        "c",
                        "Cap",
                        &["A", "B"],
                        vec![vec!["1".into(), "x|y".into()]],
                    ),
                    Block::List {
                        ordered: true,
                        items: vec![vec![text("one")], vec![text("two")]],
                    },
                    Block::Figure {
                        file: "a.png".into(),
                        alt: "Alt [1]".into(),
                        caption: vec![text("Cap.")],
                    },
                    Block::Paragraph {
                        inlines: vec![
                            Inline::Verdict {
                                text: "reproduced".into(),
                                class: "reproduced".into(),
                            },
                            crate::render::document::link("https://a.org", "https://a.org"),
                        ],
                    },
                ],
            }],
        };
        assert_eq!(
            markdown(&doc),
            "# T\n\n**Lead.** More.\n\n## S\n\n*Cap*\n\n| A | B |\n|---|---|\n| 1 | x\\|y |\n\n\
             1. one\n2. two\n\n![Alt 1](a.png)\n\nCap.\n\n**reproduced**<https://a.org>\n"
        );
    }
}
