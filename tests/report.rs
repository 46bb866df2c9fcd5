//! report.html read with a real HTML parser (html5ever, as browsers parse): every section in
//! order, every claim row and verdict, every chart (the embedded bytes are the PNG files'),
//! no external resource, values from the data escaped. The browser check is
//! scripts/check-report.sh (CI); these need no browser.

mod common;

use base64::Engine;
use html5ever::tendril::TendrilSink;
use markup5ever_rcdom::{Handle, NodeData, RcDom};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::BIN;
const SCRIPT: &str = "<script>alert(1)</script>";

fn analyse(data: &Path, out: &Path, extra: &[&str]) {
    let o = Command::new(BIN)
        .args(["analyse", "--data-dir"])
        .arg(data)
        .arg("--output-dir")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

// ---- a small DOM toolkit over html5ever's reference tree ----

/// The document tree; a page the HTML parser has to repair (a parse error: stray or unclosed
/// tags, bad nesting, no doctype, standards mode lost) fails the test.
fn parse(path: &Path) -> Handle {
    let html = std::fs::read_to_string(path).unwrap();
    let mut opts = html5ever::ParseOpts::default();
    opts.tree_builder.exact_errors = true;
    let dom = html5ever::parse_document(RcDom::default(), opts).one(html);
    assert_eq!(*dom.errors.borrow(), Vec::<std::borrow::Cow<str>>::new());
    assert_eq!(
        dom.quirks_mode.get(),
        html5ever::tree_builder::QuirksMode::NoQuirks
    );
    dom.document
}

/// Every element under `h`, in document order.
fn elements(h: &Handle) -> Vec<Handle> {
    let mut out = vec![];
    for c in h.children.borrow().iter() {
        if matches!(c.data, NodeData::Element { .. }) {
            out.push(c.clone());
        }
        out.extend(elements(c));
    }
    out
}

fn name(h: &Handle) -> String {
    match &h.data {
        NodeData::Element { name, .. } => name.local.to_string(),
        _ => String::new(),
    }
}

fn attr(h: &Handle, key: &str) -> Option<String> {
    match &h.data {
        NodeData::Element { attrs, .. } => attrs
            .borrow()
            .iter()
            .find(|a| &*a.name.local == key)
            .map(|a| a.value.to_string()),
        _ => None,
    }
}

/// The text a reader sees (all text under `h`, whitespace collapsed).
fn text(h: &Handle) -> String {
    fn walk(h: &Handle, out: &mut String) {
        if let NodeData::Text { contents } = &h.data {
            out.push_str(&contents.borrow());
        }
        for c in h.children.borrow().iter() {
            walk(c, out);
        }
    }
    let mut s = String::new();
    walk(h, &mut s);
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn by_name(h: &Handle, tag: &str) -> Vec<Handle> {
    elements(h).into_iter().filter(|e| name(e) == tag).collect()
}

fn by_id(h: &Handle, id: &str) -> Handle {
    elements(h)
        .into_iter()
        .find(|e| attr(e, "id").as_deref() == Some(id))
        .unwrap_or_else(|| panic!("no element with id {id}"))
}

/// A table row's cells, header cells (`th`) and data cells (`td`) alike, in order.
fn cells(row: &Handle) -> Vec<Handle> {
    row.children
        .borrow()
        .iter()
        .filter(|c| ["td", "th"].contains(&name(c).as_str()))
        .cloned()
        .collect()
}

fn has_class(h: &Handle, class: &str) -> bool {
    attr(h, "class").is_some_and(|c| c.split(' ').any(|x| x == class))
}

fn json(out: &Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(out.join("findings.json")).unwrap()).unwrap()
}

fn pngs(out: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".png"))
        .collect();
    v.sort();
    v
}

/// Checks every report must pass, whatever the data.
fn check_report(out: &Path) -> Handle {
    let doc = parse(&out.join("report.html"));
    let f = json(out);
    let all = elements(&doc);

    // Self-contained: nothing to fetch, nothing to run.
    for e in &all {
        let tag = name(e);
        assert!(
            !["script", "link", "iframe", "object", "embed", "base", "frame"]
                .contains(&tag.as_str()),
            "<{tag}> in the report"
        );
        assert!(attr(e, "srcset").is_none() && attr(e, "style").is_none());
        if let Some(src) = attr(e, "src") {
            assert!(src.starts_with("data:image/png;base64,"), "src {src:.60}");
        }
        if let Some(href) = attr(e, "href") {
            assert!(
                href.starts_with('#')
                    || href.starts_with("https://")
                    || href.starts_with("http://"),
                "href {href}"
            );
        }
    }
    for style in by_name(&doc, "style") {
        let css = text(&style);
        assert!(!css.contains("url(") && !css.contains("@import"), "{css}");
    }
    // Web links only in the methods section's source lists.
    let methods = by_id(&doc, "methods");
    let method_links: Vec<Handle> = by_name(&methods, "a");
    for a in by_name(&doc, "a") {
        let href = attr(&a, "href").unwrap_or_default();
        if !href.starts_with('#') {
            assert!(
                method_links.iter().any(|m| std::rc::Rc::ptr_eq(m, &a)),
                "web link outside the sources: {href}"
            );
            assert_eq!(text(&a), href, "a source link shows its address");
        }
    }

    // Title, then the banner before any result.
    assert_eq!(
        text(&by_name(&doc, "title")[0]),
        f["title"].as_str().unwrap()
    );
    let banner = by_id(&doc, "banner");
    let p = &f["provenance"];
    let banner_text = text(&banner);
    let wholly = p["ccgs_reconstructed"].as_u64().unwrap();
    if wholly > 0 {
        assert!(
            banner_text.starts_with(&format!(
                "{wholly} of {} CCGs",
                p["n_ccgs"].as_u64().unwrap()
            )),
            "{banner_text}"
        );
        let calibrated = if p["calibrated_to_findings"].as_bool().unwrap() {
            "The reconstruction was calibrated to the published findings"
        } else {
            "The reconstruction was not calibrated to the published findings"
        };
        assert!(banner_text.contains(calibrated), "{banner_text}");
    }
    let position = |h: &Handle| all.iter().position(|e| std::rc::Rc::ptr_eq(e, h)).unwrap();
    let claims = by_id(&doc, "claims");
    assert!(position(&banner) < position(&claims));

    // The same sections as findings.md, in the same order (one document, two renderings).
    let md = std::fs::read_to_string(out.join("findings.md")).unwrap();
    let md_titles: Vec<&str> = md.lines().filter_map(|l| l.strip_prefix("## ")).collect();
    let main = &by_name(&doc, "main")[0];
    let h2: Vec<String> = by_name(main, "h2").iter().map(text).collect();
    assert_eq!(h2, md_titles);
    for required in [
        "The published claims",
        "Regions",
        "Region, area team or CSU?",
        "CSUs",
        "Robustness to the severity weighting",
        "Evidence from published facts alone",
        "Reconstruction sensitivity",
        "Methods and data",
    ] {
        assert!(
            h2.iter().any(|t| t == required),
            "{required} missing: {h2:?}"
        );
    }

    // Every claim: a row with its figure and its verdict as a labelled badge.
    let rows = by_name(&by_name(&claims, "tbody")[0], "tr");
    let json_claims = f["claims"].as_array().unwrap();
    assert_eq!(rows.len(), json_claims.len());
    assert_eq!(rows.len(), 5);
    for (row, c) in rows.iter().zip(json_claims) {
        let cells = cells(row);
        assert_eq!(text(&cells[1]), c["statement"].as_str().unwrap());
        assert_eq!(text(&cells[2]), c["published"].as_str().unwrap());
        assert_eq!(text(&cells[3]), c["ours"].as_str().unwrap());
        assert_eq!(attr(&cells[3], "data-label").as_deref(), Some("Ours"));
        let p_value = match c["p_value"].as_f64() {
            None => "–".to_string(),
            Some(p) if p < 0.001 => "p < 0.001".to_string(),
            Some(p) => format!("p = {p:.3}"),
        };
        assert_eq!(text(&cells[5]), p_value);
        // "–" when there is no interval or an end is undefined (null in findings.json).
        let interval = &c["interval_95"];
        let undefined = interval.is_null() || interval[0].is_null() || interval[1].is_null();
        assert_eq!(text(&cells[4]) == "–", undefined, "{interval}");
        let share = |key: &str| format!("{:.1}%", 100.0 * c[key].as_f64().unwrap());
        assert!(text(&cells[8]).starts_with(&share("reconstructed_ccg_share")));
        assert!(text(&cells[9]).starts_with(&share("reconstructed_row_share")));
        let seeds = f["sensitivity"]["seeds"].as_array().map(Vec::len);
        let holds = match (c["sensitivity_share"].as_f64(), seeds) {
            (Some(x), Some(n)) => format!("{} of {n} seeds", (x * n as f64).round()),
            _ => "not run".into(),
        };
        assert_eq!(text(&cells[10]), holds);
        let badge = by_name(&cells[6], "span");
        assert_eq!(badge.len(), 1, "one badge per verdict");
        let verdict = c["verdict"].as_str().unwrap();
        let record = c["published_record"]["status"].as_str();
        // The badge's words: the verdict, and for a claim the record does not settle, on
        // reconstructed data, what the record says (never a plain green badge on it).
        let words = match (verdict, record) {
            ("reproduced", Some("settled")) => "reproduced".to_string(),
            ("reproduced", Some(s)) if c["reconstructed_ccg_share"].as_f64().unwrap() > 0.0 => {
                format!(
                    "reproduced on reconstructed data; {} in the published record",
                    s.replace('_', " ")
                )
            }
            ("reproduced", None) if c["reconstructed_ccg_share"].as_f64().unwrap() > 0.0 => {
                "reproduced on reconstructed data; not bounded by the published record".into()
            }
            (v, _) => v.replace('_', " "),
        };
        assert_eq!(text(&badge[0]), words, "the label, not colour alone");
        assert_eq!(c["verdict_words"].as_str(), Some(words.as_str()));
        let class = if words == "reproduced" || verdict != "reproduced" {
            verdict.replace('_', "-")
        } else {
            "reproduced-open".into()
        };
        assert!(
            has_class(&badge[0], "badge") && has_class(&badge[0], &class),
            "{class}"
        );
        // The record's cell: its status as a labelled badge and the range, or "not bounded".
        match record {
            Some(status) => {
                let b = by_name(&cells[7], "span");
                assert_eq!(text(&b[0]), status.replace('_', " "));
                assert!(has_class(
                    &b[0],
                    &format!("record-{}", status.replace('_', "-"))
                ));
                let range = c["published_record"]["range"].as_str().unwrap();
                assert_eq!(
                    text(&cells[7]),
                    format!("{} {range}", status.replace('_', " "))
                );
            }
            None => assert_eq!(text(&cells[7]), "not bounded"),
        }
    }

    // Every chart the run drew, with a caption and alt text: drawn as SVG in both layouts
    // (text as text), or its PNG embedded byte for byte.
    let figures = by_name(&doc, "figure");
    let mut shown = vec![];
    for fig in &figures {
        let caption = text(&by_name(fig, "figcaption")[0]);
        let file = caption
            .split_once(" (")
            .and_then(|(_, rest)| rest.split_once(')'))
            .map(|(f, _)| f.to_string())
            .unwrap_or_else(|| panic!("caption names no file: {caption}"));
        let (imgs, svgs) = (by_name(fig, "img"), by_name(fig, "svg"));
        let alt = if let [img] = imgs.as_slice() {
            assert!(svgs.is_empty(), "{file}: a PNG or SVG, not both");
            let src = attr(img, "src").unwrap();
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(src.trim_start_matches("data:image/png;base64,"))
                .unwrap();
            assert!(
                bytes == std::fs::read(out.join(&file)).unwrap(),
                "{file} embedded differs from the file"
            );
            attr(img, "alt").unwrap()
        } else {
            assert!(imgs.is_empty(), "{file}: at most one image");
            assert_eq!(svgs.len(), 2, "{file}: a desktop and a phone drawing");
            for (svg, (class, width)) in svgs
                .iter()
                .zip([("chart-desktop", "1200"), ("chart-phone", "480")])
            {
                assert!(has_class(svg, class), "{file}: {class}");
                assert_eq!(attr(svg, "width").as_deref(), Some(width), "{file}");
                assert_eq!(attr(svg, "role").as_deref(), Some("group"), "{file}");
                assert_eq!(attr(svg, "aria-label"), attr(&svgs[0], "aria-label"));
                // Text as text: the labels are in the page, not pixels.
                let texts = by_name(svg, "text");
                assert!(texts.len() >= 5, "{file} {class}: {} texts", texts.len());
            }
            attr(&svgs[0], "aria-label").unwrap()
        };
        assert!(alt.len() > 40, "{file}: alt text");
        assert!(caption.len() > file.len() + 40, "{file}: caption {caption}");
        shown.push(file);
    }
    shown.sort();
    assert_eq!(shown, pngs(out), "every chart, once");

    // Every table: a caption of its own, the scrolling wrapper a focusable region named by it
    // (keyboard users can scroll it), and each row led by its header cell.
    let mut captions = std::collections::BTreeSet::new();
    let tables = by_name(&doc, "table");
    assert!(!tables.is_empty());
    for t in &tables {
        let caption = text(&by_name(t, "caption")[0]);
        assert!(caption.len() > 10, "caption {caption:?}");
        assert!(
            captions.insert(caption.clone()),
            "two tables captioned {caption:?}"
        );
        let wrap = all
            .iter()
            .find(|e| {
                e.children
                    .borrow()
                    .iter()
                    .any(|c| std::rc::Rc::ptr_eq(c, t))
            })
            .expect("a wrapper");
        assert!(has_class(wrap, "table-wrap"));
        assert_eq!(attr(wrap, "role").as_deref(), Some("region"));
        assert_eq!(attr(wrap, "tabindex").as_deref(), Some("0"));
        assert_eq!(attr(wrap, "aria-label"), Some(caption.clone()));
        for row in by_name(&by_name(t, "tbody")[0], "tr") {
            let first = &cells(&row)[0];
            assert_eq!(name(first), "th", "{caption}: row header");
            assert_eq!(attr(first, "scope").as_deref(), Some("row"));
        }
    }

    // Methods: the command with the seed, and every input's SHA-256.
    let methods_text = text(&methods);
    assert!(
        methods_text.contains(&format!("--seed {}", f["seed"])),
        "{methods_text}"
    );
    let inputs = by_name(&methods, "table")
        .into_iter()
        .find(|t| has_class(t, "inputs"))
        .expect("the inputs table");
    let rows: Vec<String> = by_name(&by_name(&inputs, "tbody")[0], "tr")
        .iter()
        .map(|r| {
            let cells = cells(r);
            format!("{}  {}", text(&cells[1]), text(&cells[0]))
        })
        .collect();
    let manifest = std::fs::read_to_string(out.join("inputs.sha256")).unwrap();
    assert_eq!(rows, manifest.lines().collect::<Vec<_>>());
    doc
}

#[test]
fn the_report_on_the_fixture_reads_top_to_bottom() {
    let (dir, data) = common::workspace();
    let out = dir.path().join("output");
    analyse(
        &data,
        &out,
        &["--bootstrap", "200", "--permutations", "200"],
    );
    let doc = check_report(&out);
    // The fixture's hand-worked figures (tests/cli.rs) as the report shows them.
    let claims = by_id(&doc, "claims");
    let first = &by_name(&by_name(&claims, "tbody")[0], "tr")[0];
    assert_eq!(text(&cells(first)[3]), "6 of 8 (75.0%)");
    // Captions from the hand-worked figures (tests/cli.rs): scores N01 1, N02 0, M01 12, M02 6,
    // L01 3, L02 4, S01 4, S02 0; medians North 0.5, M&E 9, London 3.5, South 2.
    let regions = text(&by_id(&doc, "regions"));
    for caption in [
        "6 of 8 CCGs (75.0%) had at least one condition; the other 2 score 0. Regional medians run \
         from 0.5 in North of England to 9 in Midlands and East of England.",
        "North of England has the lowest median (0.5, 95% interval",
        "and Midlands and East of England the highest (9): 18x.",
    ] {
        assert!(regions.contains(caption), "{caption} | {regions}");
    }
    let csus = text(&by_id(&doc, "csus"));
    assert!(
        csus.contains("CCGs served by NHS Hertfordshire and Essex CSU averaged 18x the score of those served by NHS North of England CSU"),
        "{csus}"
    );
    // The command reproduces this run: data dir and the non-default resampling counts.
    let methods = text(&by_id(&doc, "methods"));
    let command = format!(
        "cargo run --release -- analyse --data-dir {} --seed 2013 --bootstrap 200 --permutations 200",
        data.display()
    );
    assert!(methods.contains(&command), "{methods}");
}

#[test]
fn names_from_the_data_render_as_text() {
    let (dir, data) = common::workspace();
    let ccgs = std::fs::read_to_string(data.join("ccgs.csv")).unwrap();
    // A CSU and a CCG named like a script (quoted: the name holds no comma, but be safe).
    let ccgs = ccgs
        .replace("NHS Hertfordshire and Essex CSU", SCRIPT)
        .replace("North One CCG", SCRIPT);
    std::fs::write(data.join("ccgs.csv"), ccgs).unwrap();
    let out = dir.path().join("output");
    analyse(
        &data,
        &out,
        &[
            "--bootstrap",
            "50",
            "--permutations",
            "50",
            "--csu-a",
            SCRIPT,
        ],
    );
    let doc = check_report(&out);
    // No script element anywhere (check_report), and the name is there as text: in the claim
    // and in the CSU section.
    let claims = text(&by_id(&doc, "claims"));
    assert!(
        claims.contains(&format!("CCGs served by {SCRIPT} had")),
        "{claims}"
    );
    assert!(text(&by_id(&doc, "csus")).starts_with(&format!("CSUs {SCRIPT} vs")));
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(!html.contains("<script"), "unescaped");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;"));
}

#[test]
fn the_report_on_the_default_data_cites_every_published_source() {
    let repo = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let tmp = common::tempdir().unwrap();
    let out = tmp.path().join("output");
    analyse(&repo.join("data"), &out, &common::QUICK);
    let doc = check_report(&out);
    // Every source_url cell of every CSV in data/published/, read here with the csv crate.
    let methods = by_id(&doc, "methods");
    let links: Vec<String> = by_name(&methods, "a")
        .iter()
        .filter_map(|a| attr(a, "href"))
        .collect();
    let mut cited = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(repo.join("data/published"))
        .unwrap()
        .flatten()
    {
        if entry.path().extension().is_some_and(|e| e == "csv") {
            let mut r = csv::Reader::from_path(entry.path()).unwrap();
            let Some(col) = r.headers().unwrap().iter().position(|h| h == "source_url") else {
                continue;
            };
            for rec in r.records() {
                cited.insert(rec.unwrap()[col].trim().to_string());
            }
        }
    }
    assert!(cited.len() > 50, "{}", cited.len());
    for url in &cited {
        assert!(links.contains(url), "{url} is not linked");
    }
    // Captions from the numbers: the funnel's counts are findings.json's.
    let f = json(&out);
    let o = &f["funnel_outside"];
    let (a95, b95) = (o[0][0].as_u64().unwrap(), o[0][1].as_u64().unwrap());
    let size = text(&by_id(&doc, "size"));
    assert!(
        size.contains(&format!(
            "{} CCGs sit outside the 95% limits ({a95} above, {b95} below",
            a95 + b95
        )),
        "{size}"
    );
    // The later ratings and the area teams, which the fixture lacks.
    for id in ["later-ratings", "structure"] {
        assert!(
            !by_name(&by_id(&doc, id), "figure").is_empty(),
            "{id} has its chart"
        );
    }
}
