//! What `ccg-divide rerun` decides, without printing: whether the inputs changed since the last
//! successful run of `analyse`, and what a run changed in the findings (the news cron mails).

use crate::io::read::{sha256_hex, InputPaths};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The manifest `analyse` writes on success: `<sha256>  <path>` per input read, in read order.
pub const MANIFEST: &str = "inputs.sha256";
/// The findings a rerun compares before and after.
pub const FINDINGS: &str = "findings.json";
/// Written beside the outputs when a rerun changed a claim's verdict or figure.
pub const CHANGES: &str = "changes.md";

/// `Ok` when the last successful run (its manifest in `output_dir`) read exactly the files
/// `analyse` would read now and every one still has the recorded hash; else why to run.
pub fn inputs_unchanged(
    data_dir: &Path,
    weights: Option<&Path>,
    output_dir: &Path,
) -> Result<(), String> {
    let manifest = output_dir.join(MANIFEST);
    let Ok(text) = std::fs::read_to_string(&manifest) else {
        return Err(format!(
            "no previous successful run ({} missing)",
            manifest.display()
        ));
    };
    let findings = output_dir.join(FINDINGS);
    if !findings.is_file() {
        return Err(format!(
            "previous output incomplete ({} missing)",
            findings.display()
        ));
    }
    let mut listed = Vec::new();
    for (i, line) in text.lines().enumerate() {
        match line.split_once("  ") {
            Some((hash, path)) if hash.len() == 64 => listed.push((hash, PathBuf::from(path))),
            _ => {
                return Err(format!(
                    "{} line {} is not `<sha256>  <path>`",
                    manifest.display(),
                    i + 1
                ))
            }
        }
    }
    let now = InputPaths::of(data_dir, weights).list();
    if let Some(p) = now.iter().find(|p| !listed.iter().any(|(_, l)| l == *p)) {
        return Err(format!("last successful run did not read {}", p.display()));
    }
    if let Some((_, p)) = listed.iter().find(|(_, l)| !now.contains(l)) {
        return Err(format!(
            "last successful run read {}, which is no input now",
            p.display()
        ));
    }
    let changed: Vec<String> = listed
        .iter()
        .filter_map(|(hash, path)| match std::fs::read(path) {
            Ok(bytes) if sha256_hex(&bytes) == *hash => None,
            Ok(_) => Some(format!("{} changed", path.display())),
            Err(e) => Some(format!("{} cannot be read ({e})", path.display())),
        })
        .collect();
    if changed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "inputs changed since last successful run: {}",
            changed.join("; ")
        ))
    }
}

/// One claim's verdict or headline figure, before and after a run.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub claim: String,
    /// "verdict" or "figure".
    pub what: &'static str,
    pub before: String,
    pub after: String,
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {} → {}",
            self.claim, self.what, self.before, self.after
        )
    }
}

/// What changed between two findings.json: each claim's verdict and headline figure (`ours`),
/// claims that appeared or went away included.
pub fn changes(before: &Value, after: &Value) -> Vec<Change> {
    // (id, [verdict, figure]) per claim, in findings order.
    let claims = |v: &Value| -> Vec<(String, [String; 2])> {
        v["claims"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|c| (text(&c["id"]), [verdict(c), text(&c["ours"])]))
            .collect()
    };
    let (old, new) = (claims(before), claims(after));
    let mut ids: Vec<&String> = new.iter().map(|c| &c.0).collect();
    ids.extend(
        old.iter()
            .map(|c| &c.0)
            .filter(|id| !new.iter().any(|c| &c.0 == *id)),
    );
    let mut out = Vec::new();
    for id in ids {
        let find = |v: &[(String, [String; 2])]| v.iter().find(|c| &c.0 == id).map(|c| c.1.clone());
        let absent = || "(no such claim)".to_string();
        let (b, a) = (find(&old), find(&new));
        for (i, what) in ["verdict", "figure"].into_iter().enumerate() {
            let before = b.as_ref().map_or_else(absent, |b| b[i].clone());
            let after = a.as_ref().map_or_else(absent, |a| a[i].clone());
            if before != after {
                out.push(Change {
                    claim: id.clone(),
                    what,
                    before,
                    after,
                });
            }
        }
    }
    out
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The verdict in words when findings.json has them, else as recorded.
fn verdict(claim: &Value) -> String {
    match &claim["verdict_words"] {
        Value::String(s) => s.clone(),
        _ => text(&claim["verdict"]),
    }
}

/// `changes.md`: the changes as a table, with when the run ended.
pub fn changes_markdown(changes: &[Change], when: &str) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut md = format!(
        "# What the last rerun changed\n\n\
         Claims whose verdict or headline figure differ from the previous run's findings.json \
         (rerun ended {when}).\n\n\
         | claim | what | before | after |\n|---|---|---|---|\n"
    );
    for c in changes {
        md.push_str(&format!(
            "| {} | {} | {} | {} |\n",
            cell(&c.claim),
            c.what,
            cell(&c.before),
            cell(&c.after)
        ));
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_name_verdicts_and_figures_that_differ_and_nothing_else() {
        let before = json!({"claims": [
            {"id": "a", "verdict": "reproduced", "verdict_words": "reproduced", "ours": "4x"},
            {"id": "b", "verdict": "reproduced", "ours": "1"},
            {"id": "gone", "verdict": "reproduced", "ours": "2"},
        ]});
        let after = json!({"claims": [
            {"id": "a", "verdict": "not_reproduced", "verdict_words": "NOT reproduced", "ours": "1.5x"},
            {"id": "b", "verdict": "reproduced", "ours": "1"},
            {"id": "new", "verdict": "reproduced", "ours": "3"},
        ]});
        let c: Vec<String> = changes(&before, &after)
            .iter()
            .map(|c| c.to_string())
            .collect();
        assert_eq!(
            c,
            [
                "a verdict: reproduced → NOT reproduced",
                "a figure: 4x → 1.5x",
                "new verdict: (no such claim) → reproduced",
                "new figure: (no such claim) → 3",
                "gone verdict: reproduced → (no such claim)",
                "gone figure: 2 → (no such claim)",
            ]
        );
        assert!(changes(&before, &before).is_empty());
        let md = changes_markdown(&changes(&before, &after), "2026-01-01T00:00:00Z");
        assert!(md.contains("| a | figure | 4x | 1.5x |"), "{md}");
    }
}
