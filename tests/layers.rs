//! The crate's layers point only down, and no file imports another that imports it back.
//!
//! Layers, top to bottom: `main`, `commands` and `pipeline` (the entry points); `io` (reading
//! and writing files), `stages` (the computations) and `render` (charts and documents); `model`,
//! `stats`, `format`, `columns`, `error`, `progress` (domain types and helpers). Within the middle
//! layer `render` may use `stages` (it presents their results); `io`, `stages` and `render` may
//! not otherwise use each other, and nothing below reaches up. Test-only code (files declared
//! under `#[cfg(test)]`, and everything after a file's `#[cfg(test)]`) is exempt: tests may load
//! data with `io`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level module a path under src/ belongs to.
fn top(rel: &Path) -> String {
    let first = rel
        .components()
        .next()
        .unwrap()
        .as_os_str()
        .to_string_lossy()
        .to_string();
    first.trim_end_matches(".rs").to_string()
}

fn layer(module: &str) -> u8 {
    match module {
        "main" | "cli" | "commands" | "pipeline" | "lib" => 0,
        "io" | "stages" | "render" => 1,
        _ => 2,
    }
}

fn allowed(from: &str, to: &str) -> bool {
    if from == to {
        return true;
    }
    match (layer(from), layer(to)) {
        // Entry points call each other (a command runs the pipeline); helpers use helpers.
        (0, 0) | (2, 2) => to != "main",
        (1, 1) => from == "render" && to == "stages",
        (lf, lt) => lf < lt,
    }
}

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Module files declared test-only (`#[cfg(test)]` on the line before `mod x;`).
fn test_only_files(src: &Path, files: &[PathBuf]) -> BTreeSet<PathBuf> {
    let mut out = BTreeSet::new();
    for f in files {
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for w in lines.windows(2) {
            let decl = w[1].trim();
            if w[0].trim() == "#[cfg(test)]" && decl.contains("mod ") && decl.ends_with(';') {
                let name = decl.trim_end_matches(';').rsplit(' ').next().unwrap();
                let dir =
                    if f.file_name().unwrap() == "mod.rs" || f.file_name().unwrap() == "lib.rs" {
                        f.parent().unwrap().to_path_buf()
                    } else {
                        f.with_extension("")
                    };
                out.insert(dir.join(format!("{name}.rs")));
                out.insert(dir.join(name).join("mod.rs"));
            }
        }
    }
    let _ = src;
    out
}

/// The file a `crate::a::b::…` path names, if any (the longest prefix that is a file).
fn target(src: &Path, path: &[&str]) -> Option<PathBuf> {
    for n in (1..=path.len()).rev() {
        let rel: PathBuf = path[..n].iter().collect();
        for cand in [
            src.join(&rel).with_extension("rs"),
            src.join(&rel).join("mod.rs"),
        ] {
            if cand.is_file() {
                return Some(cand);
            }
        }
    }
    None
}

/// A file without its test-only items: each `#[cfg(test)]` and the item after it (a `mod x;`
/// line, or a block up to its matching closing brace).
fn without_tests(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "#[cfg(test)]" {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut depth = 0i32;
        for item in lines.by_ref() {
            depth += item.matches('{').count() as i32 - item.matches('}').count() as i32;
            if depth <= 0 && (item.contains('}') || item.trim_end().ends_with(';')) {
                break;
            }
        }
    }
    out
}

/// Every `crate::…` path in the non-test part of a file, as segments.
fn crate_paths(text: &str) -> Vec<Vec<String>> {
    let body = without_tests(text);
    let mut out = vec![];
    for line in body.lines().filter(|l| !l.trim_start().starts_with("//")) {
        let mut rest = line;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + "crate::".len()..];
            let segs: Vec<String> = tail
                .split("::")
                .map(|s| {
                    s.chars()
                        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                        .collect::<String>()
                })
                .take_while(|s| !s.is_empty())
                .collect();
            out.push(segs);
            rest = tail;
        }
    }
    out
}

#[test]
fn layers_point_down_and_no_file_imports_its_importer() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = vec![];
    rs_files(&src, &mut files);
    files.sort();
    let exempt = test_only_files(&src, &files);
    let mut bad = vec![];
    let mut edges: BTreeMap<PathBuf, BTreeSet<PathBuf>> = BTreeMap::new();
    for f in files.iter().filter(|f| !exempt.contains(*f)) {
        let rel = f.strip_prefix(&src).unwrap();
        let from = top(rel);
        let text = std::fs::read_to_string(f).unwrap();
        for segs in crate_paths(&text) {
            let Some(first) = segs.first() else { continue };
            if !allowed(&from, first) {
                bad.push(format!("{} uses crate::{}", rel.display(), segs.join("::")));
            }
            let refs: Vec<&str> = segs.iter().map(String::as_str).collect();
            if let Some(t) = target(&src, &refs) {
                if &t != f {
                    edges.entry(f.clone()).or_default().insert(t);
                }
            }
        }
    }
    // Two files that import each other.
    for (a, targets) in &edges {
        for b in targets {
            if a < b && edges.get(b).is_some_and(|t| t.contains(a)) {
                bad.push(format!(
                    "{} and {} import each other",
                    a.strip_prefix(&src).unwrap().display(),
                    b.strip_prefix(&src).unwrap().display()
                ));
            }
        }
    }
    bad.sort();
    bad.dedup();
    assert!(
        bad.is_empty(),
        "{} import(s) against the layers:\n{}",
        bad.len(),
        bad.join("\n")
    );
    // The check saw the crate: every layer has files.
    assert!(files.len() > 40, "{} files", files.len());
}

/// The rule and the path reader themselves, on cases small enough to list.
#[test]
fn the_rule_and_the_reader_by_hand() {
    for (from, to, ok) in [
        ("stages", "io", false),
        ("io", "stages", false),
        ("render", "stages", true),
        ("stages", "render", false),
        ("model", "stages", false),
        ("stats", "format", true),
        ("pipeline", "render", true),
        ("commands", "pipeline", true),
        ("io", "model", true),
        ("format", "main", false),
    ] {
        assert_eq!(allowed(from, to), ok, "{from} -> {to}");
    }
    let text = "use crate::io::weights::Weights;\n// crate::render::x in a comment\nlet a = crate::stats::holm(&p);\n#[cfg(test)]\nuse crate::io::read::load;\n#[cfg(test)]\nmod tests {\n    fn f() {\n        crate::io::x();\n    }\n}\nfn after() { crate::format::num(1.0); }\n";
    assert_eq!(
        crate_paths(text),
        vec![
            vec!["io".to_string(), "weights".into(), "Weights".into()],
            vec!["stats".to_string(), "holm".into()],
            vec!["format".to_string(), "num".into()],
        ]
    );
}
