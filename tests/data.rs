//! The embedded default data (issue: embedded default data): the reconstruction keeps every
//! published fact, meets every published aggregate for several seeds and both calibrations, is
//! deterministic per seed, the repo's data is exactly what `reconstruct` writes with the
//! documented seed, and `check-data` flags a hand-broken copy.
//!
//! The golden figures below are the published ones (BMJ, HSJ, Healthcare Leader), typed in from
//! the sources, and the checks are done here on the CSV files directly, not through the
//! program's own `check-data` (which is tested separately, at the end).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::BIN;

fn repo_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// A data dir holding the reference inputs (no conditions yet), ready for `reconstruct`.
fn inputs_copy() -> common::TempDir {
    let t = common::tempdir().unwrap();
    let src = repo_data();
    std::fs::copy(src.join("ccgs.csv"), t.path().join("ccgs.csv")).unwrap();
    std::fs::copy(src.join("weights.toml"), t.path().join("weights.toml")).unwrap();
    std::fs::create_dir(t.path().join("published")).unwrap();
    for f in std::fs::read_dir(src.join("published")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), t.path().join("published").join(f.file_name())).unwrap();
    }
    t
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn reconstruct(dir: &Path, seed: u64, calibrate: &str) {
    let d = dir.to_str().unwrap();
    let out = run(&[
        "reconstruct",
        "--data-dir",
        d,
        "--out-dir",
        d,
        "--seed",
        &seed.to_string(),
        "--calibrate",
        calibrate,
    ]);
    assert!(
        out.status.success(),
        "reconstruct seed {seed} {calibrate} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn records(path: &Path) -> Vec<BTreeMap<String, String>> {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            let rec = rec.unwrap();
            header
                .iter()
                .cloned()
                .zip(rec.iter().map(String::from))
                .collect()
        })
        .collect()
}

#[derive(Default, Debug)]
struct Ccg {
    region: String,
    wave: u8,
    rows: u32,
    directed_rows: u32,
    max_level: u8,
    /// (criterion, level, provenance)
    items: Vec<(String, u8, String)>,
}

fn load(dir: &Path) -> BTreeMap<String, Ccg> {
    let mut ccgs: BTreeMap<String, Ccg> = records(&dir.join("ccgs.csv"))
        .into_iter()
        .map(|r| {
            (
                r["ods_code"].clone(),
                Ccg {
                    region: r["region"].clone(),
                    ..Ccg::default()
                },
            )
        })
        .collect();
    // Official tables sit in the data dir itself; the shipped reconstruction in reconstructed/.
    let tables = if dir.join("conditions.csv").exists() {
        dir.to_path_buf()
    } else {
        dir.join("reconstructed")
    };
    for r in records(&tables.join("ccg_outcomes.csv")) {
        ccgs.get_mut(&r["ods_code"]).unwrap().wave = r["wave"].parse().unwrap();
    }
    for r in records(&tables.join("conditions.csv")) {
        let c = ccgs
            .get_mut(&r["ods_code"])
            .expect("condition for a known CCG");
        let level: u8 = r["support_level"].parse().unwrap();
        c.rows += 1;
        c.directed_rows += u32::from(r["legal_direction"] == "true");
        c.max_level = c.max_level.max(level);
        c.items
            .push((r["criterion"].clone(), level, r["provenance"].clone()));
    }
    ccgs
}

/// The 15 CCGs given legal directions at authorisation, as named in the wave reports.
const DIRECTED: [&str; 15] = [
    "03M", "03Q", "04G", "05F", "06N", "07G", "07V", "07X", "08M", "08W", "09F", "09L", "09W",
    "99E", "99K",
];

/// Every published fact and aggregate, checked on the files themselves.
fn assert_published_facts_hold(dir: &Path, label: &str) {
    let ccgs = load(dir);
    assert_eq!(ccgs.len(), 211, "{label}");

    // Per wave: CCGs, fully authorised, with conditions (incl. directed), directed.
    let published = [
        (34, 8, 26, 0),
        (67, 19, 48, 3),
        (62, 6, 56, 5),
        (48, 10, 38, 7),
    ];
    for (w, &(size, full, with, directed)) in published.iter().enumerate() {
        let members: Vec<&Ccg> = ccgs.values().filter(|c| c.wave as usize == w + 1).collect();
        let n_with = members.iter().filter(|c| c.rows > 0).count();
        let n_dir = members.iter().filter(|c| c.directed_rows > 0).count();
        assert_eq!(
            (members.len(), members.len() - n_with, n_with, n_dir),
            (size, full, with, directed),
            "{label}: wave {} totals",
            w + 1
        );
    }
    let wave = |w: u8| ccgs.values().filter(move |c| c.wave == w);
    // Wave 1: 1 to 14 conditions, levels I-III only, 9 CCGs with a level-III condition.
    assert_eq!(wave(1).map(|c| c.rows).max(), Some(14), "{label}");
    assert!(
        wave(1).all(|c| c.max_level <= 3),
        "{label}: wave 1 above level III"
    );
    assert_eq!(wave(1).filter(|c| c.max_level == 3).count(), 9, "{label}");
    // Wave 2: undirected CCGs have at most 22 conditions at levels I-III, 17 with level III;
    // Herts Valleys' 28 is the wave's maximum.
    let undirected2: Vec<&Ccg> = wave(2).filter(|c| c.directed_rows == 0).collect();
    assert_eq!(
        undirected2.iter().map(|c| c.rows).max(),
        Some(22),
        "{label}"
    );
    assert!(undirected2.iter().all(|c| c.max_level <= 3), "{label}");
    assert_eq!(
        undirected2.iter().filter(|c| c.max_level == 3).count(),
        17,
        "{label}"
    );
    assert_eq!(wave(2).map(|c| c.rows).max(), Some(28), "{label}");

    // National: 43 fully authorised, 168 with conditions, the 15 named CCGs directed, each
    // with a directed condition at level IV or above, and no one else directed.
    assert_eq!(ccgs.values().filter(|c| c.rows == 0).count(), 43, "{label}");
    let directed: BTreeSet<&str> = ccgs
        .iter()
        .filter(|(_, c)| c.directed_rows > 0)
        .map(|(k, _)| k.as_str())
        .collect();
    assert_eq!(directed, DIRECTED.into_iter().collect(), "{label}");
    for code in DIRECTED {
        assert!(ccgs[code].max_level >= 4, "{label}: {code} below level IV");
    }
    for c in ccgs.values() {
        for (_, level, _) in &c.items {
            assert!(
                *level < 4 || c.directed_rows > 0,
                "{label}: level IV+ without a direction"
            );
        }
    }
    // Directed CCGs by region: North 2, Midlands and East 5, London 4, South 4.
    let by_region = |r: &str| DIRECTED.iter().filter(|c| ccgs[**c].region == r).count();
    assert_eq!(
        [
            by_region("North of England"),
            by_region("Midlands and East of England"),
            by_region("London"),
            by_region("South of England")
        ],
        [2, 5, 4, 4],
        "{label}"
    );
    // Midlands and East: 61 CCGs averaging 6 conditions (366 in all), 15 directions.
    let me: Vec<&Ccg> = ccgs
        .values()
        .filter(|c| c.region == "Midlands and East of England")
        .collect();
    assert_eq!(me.len(), 61, "{label}");
    assert_eq!(me.iter().map(|c| c.rows).sum::<u32>(), 366, "{label}");
    assert_eq!(
        me.iter().map(|c| c.directed_rows).sum::<u32>(),
        15,
        "{label}"
    );

    // Every published per-CCG count, as the data files in data/published state it.
    let mut n_counts = 0;
    for o in records(&dir.join("published/outcomes.csv")) {
        let c = &ccgs[&o["ods_code"]];
        if !o["conditions"].is_empty() {
            n_counts += 1;
            assert_eq!(
                c.rows.to_string(),
                o["conditions"],
                "{label}: {} count",
                o["ods_code"]
            );
        }
        assert_eq!(
            c.directed_rows > 0,
            o["legal_direction"] == "true",
            "{label}: {}",
            o["ods_code"]
        );
        if !o["top_level"].is_empty() {
            assert_eq!(c.max_level.to_string(), o["top_level"], "{label}");
        }
    }
    assert_eq!(n_counts, 31, "published exact initial counts");
    // Hand-checked examples from the sources: Medway 24 with 3.1.1C at level IV; North East
    // Essex one level-I condition; Surrey Heath's seven named criteria.
    assert_eq!(ccgs["09W"].rows, 24);
    assert!(ccgs["09W"]
        .items
        .contains(&("3.1.1C".into(), 4, "published".into())));
    assert_eq!(
        ccgs["06T"].items,
        vec![(String::new(), 1, "published".into())]
    );
    let sh: BTreeSet<&str> = ccgs["10C"].items.iter().map(|i| i.0.as_str()).collect();
    assert_eq!(
        sh,
        ["1.3B", "4.2.1E", "4.2.3D", "5.3B", "5.3C", "6.4F", "6.4G"]
            .into_iter()
            .collect()
    );
    // Every itemised condition with a published level is kept as a published row.
    for it in records(&dir.join("published/itemised_conditions.csv")) {
        if it["support_level"].is_empty() {
            continue;
        }
        let want = (
            it["criterion"].clone(),
            it["support_level"].parse::<u8>().unwrap(),
            "published".to_string(),
        );
        assert!(
            ccgs[&it["ods_code"]].items.contains(&want),
            "{label}: {want:?} of {} lost",
            it["ods_code"]
        );
    }
    // The published waves are kept.
    for r in records(&dir.join("ccgs.csv")) {
        if !r["wave"].is_empty() {
            assert_eq!(
                ccgs[&r["ods_code"]].wave.to_string(),
                r["wave"],
                "{label}: wave of {}",
                r["ods_code"]
            );
        }
    }
}

#[test]
fn repo_data_keeps_every_published_fact() {
    assert_published_facts_hold(&repo_data(), "repo data");
}

#[test]
fn every_aggregate_holds_for_several_seeds_and_both_calibrations() {
    for calibrate in ["published-findings", "none"] {
        for seed in [1, 7, 99] {
            let t = inputs_copy();
            reconstruct(t.path(), seed, calibrate);
            assert_published_facts_hold(t.path(), &format!("seed {seed} {calibrate}"));
            // The program's own checker agrees.
            let out = run(&["check-data", "--data-dir", t.path().to_str().unwrap()]);
            let text = String::from_utf8_lossy(&out.stdout);
            assert!(out.status.success(), "seed {seed} {calibrate}:\n{text}");
            assert!(text.contains(" 0 MISMATCH"), "{text}");
        }
    }
}

#[test]
fn repo_data_is_exactly_what_reconstruct_writes_with_the_documented_seed() {
    let t = inputs_copy();
    reconstruct(t.path(), 2013, "published-findings");
    for f in ["conditions.csv", "ccg_outcomes.csv"] {
        let ours = std::fs::read(t.path().join(f)).unwrap();
        let repo = std::fs::read(repo_data().join("reconstructed").join(f)).unwrap();
        assert!(
            ours == repo,
            "data/reconstructed/{f} differs from `reconstruct --seed 2013`: regenerate it (see data/README.md)"
        );
    }
}

#[test]
fn reconstruction_is_deterministic_per_seed() {
    for calibrate in ["published-findings", "none"] {
        let a = inputs_copy();
        let b = inputs_copy();
        let c = inputs_copy();
        reconstruct(a.path(), 5, calibrate);
        reconstruct(b.path(), 5, calibrate);
        reconstruct(c.path(), 6, calibrate);
        let read = |d: &common::TempDir| std::fs::read(d.path().join("conditions.csv")).unwrap();
        assert_eq!(
            read(&a),
            read(&b),
            "{calibrate}: same seed, different bytes"
        );
        assert_ne!(read(&a), read(&c), "{calibrate}: seed has no effect");
    }
}

#[test]
fn check_data_flags_a_hand_broken_copy() {
    let t = inputs_copy();
    reconstruct(t.path(), 2013, "published-findings");
    let dir = t.path().to_str().unwrap();
    assert!(run(&["check-data", "--data-dir", dir]).status.success());
    // Drop one of Medway's 24 conditions (a row that is not its directed one).
    let path = t.path().join("conditions.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut dropped = false;
    let broken: String = text
        .lines()
        .filter(|l| {
            if !dropped && l.starts_with("09W,") && l.contains(",false,") {
                dropped = true;
                return false;
            }
            true
        })
        .map(|l| format!("{l}\n"))
        .collect();
    assert!(dropped);
    std::fs::write(&path, broken).unwrap();

    // ccg_outcomes.csv still says 24: ingest itself refuses, naming file, line and column.
    let out = run(&["check-data", "--data-dir", dir]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("ccg_outcomes.csv: line ") && stderr.contains("09W"),
        "{stderr}"
    );

    // Break the outcome table consistently too: now check-data's table shows the mismatch.
    let outcomes = t.path().join("ccg_outcomes.csv");
    let text = std::fs::read_to_string(&outcomes).unwrap();
    let fixed: String = text
        .lines()
        .map(|l| {
            let mut f: Vec<String> = l.split(',').map(String::from).collect();
            if f[0] == "09W" {
                assert_eq!(f[3], "24");
                f[3] = "23".into();
            }
            format!("{}\n", f.join(","))
        })
        .collect();
    std::fs::write(&outcomes, fixed).unwrap();
    let out = run(&["check-data", "--data-dir", dir]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    let flagged: Vec<&str> = stdout.lines().filter(|l| l.contains("MISMATCH")).collect();
    assert!(
        flagged
            .iter()
            .any(|l| l.contains("09W") && l.contains("24") && l.contains("23")),
        "{stdout}"
    );
    // Midlands and East is untouched, so its average still checks out.
    assert!(!flagged.iter().any(|l| l.contains("midlands")), "{stdout}");
}

#[test]
fn published_only_evidence_matches_hand_computed_fisher_tests() {
    let out_dir = common::tempdir().unwrap();
    let out = run(&[
        "analyse",
        "--data-dir",
        repo_data().to_str().unwrap(),
        "--output-dir",
        out_dir.path().join("out").to_str().unwrap(),
        "--bootstrap",
        "100",
        "--permutations",
        "100",
        "--sensitivity-seeds",
        "0",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out_dir.path().join("out/findings.json")).unwrap())
            .unwrap();
    // The manifest lists the published facts too (a rerun must notice when they change).
    let manifest = std::fs::read_to_string(out_dir.path().join("out/inputs.sha256")).unwrap();
    for f in [
        "ccgs.csv",
        "conditions.csv",
        "weights.toml",
        "published/aggregates.csv",
        "published/facts.csv",
    ] {
        assert!(
            manifest.lines().any(|l| l.ends_with(f)),
            "{f} missing from\n{manifest}"
        );
    }
    let po = &json["published_only"];
    // May 2014: 19 CCGs still conditional, none in the North (68 CCGs) → 0/68 vs 19/143.
    // Two-sided Fisher by hand (hypergeometric, N = 211, K = 19, n = 68): only tables no more
    // likely than k = 0 count, P(k = 0) = C(192,68)/C(211,68) = 0.000533300 (python math.comb).
    let c = &po["conditional_may2014"];
    assert_eq!(c["north_conditional"], 0);
    assert_eq!(c["north_ccgs"], 68);
    assert_eq!(c["rest_conditional"], 19);
    assert_eq!(c["rest_ccgs"], 143);
    let p = c["fisher_p"].as_f64().unwrap();
    assert!((p - 0.000_533_300_0).abs() < 1e-8, "{p}");
    // Directions at authorisation: North 2 of 68 vs the rest 13 of 143; two-sided Fisher by
    // hand = 0.15164 (sum of hypergeometric probabilities <= P(k = 2), N = 211, K = 15, n = 68).
    let p = po["fisher_p_north_vs_rest"].as_f64().unwrap();
    assert!((p - 0.151_638_5).abs() < 1e-6, "{p}");
}

/// check-data on a hand-broken copy: exit 3; its table (stdout) for the rows it flags.
fn check_data_fails(dir: &str) -> String {
    let out = run(&["check-data", "--data-dir", dir]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(3), "{stdout}");
    stdout
}

#[test]
fn check_data_flags_a_hand_broken_later_ratings_file() {
    let t = inputs_copy();
    reconstruct(t.path(), 2013, "published-findings");
    let dir = t.path().to_str().unwrap();
    let ok = run(&["check-data", "--data-dir", dir]);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
    // The published 2015/16 totals: 26 inadequate, all named (HSJ); Newcastle Gateshead (00F,
    // 00G, 00H merged in April 2015) rated outstanding. Break the file three ways.
    let path = t.path().join("published/later_ratings.csv");
    let mut text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(
        text.lines()
            .filter(|l| l.starts_with("2015/16,") && l.contains(",inadequate,"))
            .count(),
        26
    );
    text.push_str("2015/16,NHS Darlington CCG,00C,inadequate,,,https://example.org/a,\n");
    text.push_str("2016/17,Nowhere CCG,ZZZ,good,,,https://example.org/b,\n");
    text.push_str("2015/16,NHS Newcastle West CCG,00G,good,,,https://example.org/c,\n");
    std::fs::write(&path, text).unwrap();
    let stdout = check_data_fails(dir);
    let flagged: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with("  MISMATCH"))
        .collect();
    assert!(
        flagged
            .iter()
            .any(|l| l.contains("2015/16 inadequate: CCGs named")
                && l.contains("26")
                && l.contains("27")),
        "{stdout}"
    );
    assert!(
        flagged.iter().any(|l| l.contains("unknown ZZZ")),
        "{stdout}"
    );
    assert!(
        flagged
            .iter()
            .any(|l| l.contains("2015/16: 00G rated once")),
        "{stdout}"
    );
    // 27 named inadequate CCGs against 26 published also leave no placement of the rest.
    assert!(
        flagged.iter().any(|l| l.contains(
            "later ratings 2015/16: the named CCGs, totals and group statements fit together"
        )),
        "{stdout}"
    );
    // 00F, 00G and 00H all counted twice.
    assert_eq!(flagged.len(), 6, "{stdout}");
}

/// Group statements that contradict the named rows, or each other through the totals: exit 3
/// from check-data naming the rows, and warnings (not a stop) in analyse.
#[test]
fn check_data_flags_contradictory_later_rating_statements() {
    let t = inputs_copy();
    reconstruct(t.path(), 2013, "published-findings");
    let dir = t.path().to_str().unwrap();
    let path = t.path().join("published/later_rating_groups.csv");
    let text = std::fs::read_to_string(&path).unwrap();
    let data_rows = text.lines().count() - 1;
    // Greater Manchester had exactly one outstanding CCG in 2015/16 (Salford, named there):
    // say none.
    let gm = ";02A;02H,1,exactly,";
    assert!(text.contains(gm), "the Greater Manchester statement");
    let mut text = text.replace(gm, ";02A;02H,0,exactly,");
    // Darlington, Durham Dales and North Durham are named good in 2017/18: "at least one of
    // them inadequate" cannot hold.
    text.push_str(
        "2017/18,inadequate,three named good,00C;00D;00J,1,at_least,,https://example.org/d,q,\n",
    );
    // Seven 2017/18 outstanding CCGs are named, of 20: "at least 14 of these 30 unnamed ones"
    // fits the named rows but not the total (13 left).
    let named_1718: Vec<String> = records(&t.path().join("published/later_ratings.csv"))
        .into_iter()
        .filter(|r| r["year"] == "2017/18")
        .flat_map(|r| {
            r["ods_codes"]
                .split(';')
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .collect();
    let thirty: Vec<String> = records(&t.path().join("ccgs.csv"))
        .into_iter()
        .map(|r| r["ods_code"].clone())
        .filter(|c| !named_1718.contains(c) && !["00W", "01M", "01N"].contains(&c.as_str()))
        .take(30)
        .collect();
    assert_eq!(thirty.len(), 30);
    text.push_str(&format!(
        "2017/18,outstanding,thirty unnamed,{},14,at_least,,https://example.org/e,q,\n",
        thirty.join(";")
    ));
    std::fs::write(&path, text).unwrap();
    let stdout = check_data_fails(dir);
    let flagged: Vec<&str> = stdout
        .lines()
        .filter(|l| l.ends_with("  MISMATCH"))
        .collect();
    let has = |needle: &str| flagged.iter().any(|l| l.contains(needle));
    assert!(
        has("later_rating_groups.csv line 2 (2015/16 outstanding") && has("exactly 0"),
        "{stdout}"
    );
    assert!(
        has(&format!(
            "later_rating_groups.csv line {} (2017/18 inadequate: three named good)",
            data_rows + 2
        )) && has("at least 1"),
        "{stdout}"
    );
    for year in ["2015/16", "2017/18"] {
        assert!(
            has(&format!(
                "later ratings {year}: the named CCGs, totals and group statements fit together"
            )),
            "{year}: {stdout}"
        );
    }
    // The thirty-CCG statement fits its own rows; only the year as a whole fails.
    assert!(!has("thirty unnamed"), "{stdout}");
    assert_eq!(flagged.len(), 4, "{stdout}");
    // analyse goes on, with the same rows as warnings.
    let out = run(&[
        "analyse",
        "--data-dir",
        dir,
        "--output-dir",
        t.path().join("out").to_str().unwrap(),
        "--quiet",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("later_rating_groups.csv line 2") && stderr.contains("fit together"),
        "{stderr}"
    );
}

#[test]
fn calibration_is_recorded_reported_and_marked_stale_when_inputs_change() {
    let t = inputs_copy();
    reconstruct(t.path(), 2013, "published-findings");
    let dir = t.path().to_str().unwrap();
    let o = run(&[
        "calibration",
        "--data-dir",
        dir,
        "--seeds",
        "6",
        "--permutations",
        "40",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let rec: serde_json::Value =
        serde_json::from_slice(&std::fs::read(t.path().join("calibration.json")).unwrap()).unwrap();
    assert_eq!(rec["seeds"], 6);
    let rows = rec["rejections"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for r in rows {
        let (rejected, runs) = (r[1].as_u64().unwrap(), r[2].as_u64().unwrap());
        assert!(rejected <= runs && runs <= 6, "{r}");
    }
    let analyse = |out: &str| {
        let out = t.path().join(out);
        let o = run(&[
            "analyse",
            "--data-dir",
            dir,
            "--output-dir",
            out.to_str().unwrap(),
            "--bootstrap",
            "20",
            "--permutations",
            "20",
            "--sensitivity-seeds",
            "0",
        ]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read_to_string(out.join("findings.md")).unwrap()
    };
    let md = analyse("a");
    assert!(
        md.contains("On 6 reconstructions with no regional or CSU effect"),
        "{md}"
    );
    assert!(md.contains("--seeds 6 --permutations 40"), "{md}");
    assert!(!md.contains("**stale**"), "{md}");
    // Other weights: the recorded rates no longer describe these inputs.
    let w = t.path().join("weights.toml");
    let text = std::fs::read_to_string(&w).unwrap();
    std::fs::write(
        &w,
        text.replace("legal_direction = 0", "legal_direction = 1"),
    )
    .unwrap();
    assert!(analyse("b").contains("**stale**"));
    // The weights back; then a published fact file changes (a note only): stale again, since
    // the reconstructions rest on those facts.
    std::fs::write(&w, &text).unwrap();
    assert!(!analyse("c").contains("**stale**"));
    let agg = t.path().join("published/aggregates.csv");
    let facts = std::fs::read_to_string(&agg).unwrap();
    assert!(facts.contains("35 assessed"));
    std::fs::write(&agg, facts.replacen("35 assessed", "35 were assessed", 1)).unwrap();
    assert!(analyse("d").contains("**stale**"));
}

#[test]
fn reruns_on_the_default_data_are_byte_identical() {
    // The fixture's sums are exact; the real data's are not, so an unordered sum (a hash map's
    // iteration order) would show here as a difference in the last digits.
    let out = common::tempdir().unwrap();
    let snapshot = |name: &str| {
        let dir = out.path().join(name);
        let data = repo_data();
        let mut args = vec![
            "analyse",
            "--data-dir",
            data.to_str().unwrap(),
            "--output-dir",
            dir.to_str().unwrap(),
        ];
        args.extend(common::QUICK);
        let o = run(&args);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        common::snapshot(&dir)
    };
    let (a, b, c) = (snapshot("a"), snapshot("b"), snapshot("c"));
    assert!(a.len() >= 20, "{}", a.len());
    let names = |s: &[(String, Vec<u8>)]| s.iter().map(|x| x.0.clone()).collect::<Vec<_>>();
    assert!(
        names(&a) == names(&b) && names(&a) == names(&c),
        "{:?}",
        names(&a)
    );
    assert_eq!((b.len(), c.len()), (a.len(), a.len()));
    for ((name, x), ((_, y), (_, z))) in a.iter().zip(b.iter().zip(&c)) {
        assert!(x == y && x == z, "{name} differs between runs");
    }
}

#[test]
fn reconstruct_and_check_data_read_ccgs_as_analysts_save_it() {
    // The reference ccgs.csv with a curly apostrophe in a name, once in UTF-8 and once as
    // Excel on Windows saves it (Windows-1252, 0x92): reconstruct writes the same bytes from
    // both and says how it read the second; check-data reads it too.
    let utf8 = inputs_copy();
    let cp1252 = inputs_copy();
    let name = |t: &common::TempDir| {
        let text = std::fs::read_to_string(t.path().join("ccgs.csv")).unwrap();
        assert!(
            text.contains("NHS St Helens CCG"),
            "the reference names St Helens"
        );
        text.replace("NHS St Helens CCG", "NHS St Helen\u{2019}s CCG")
    };
    std::fs::write(utf8.path().join("ccgs.csv"), name(&utf8)).unwrap();
    std::fs::write(
        cp1252.path().join("ccgs.csv"),
        common::to_cp1252(&name(&cp1252)),
    )
    .unwrap();
    let mut notes = vec![];
    for t in [&utf8, &cp1252] {
        let d = t.path().to_str().unwrap();
        let o = run(&["reconstruct", "--data-dir", d, "--out-dir", d]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        notes.push(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    assert!(!notes[0].contains("note:"), "{}", notes[0]);
    assert!(
        notes[1].contains("ccgs.csv: read as Windows-1252"),
        "{}",
        notes[1]
    );
    for f in ["conditions.csv", "ccg_outcomes.csv"] {
        assert!(
            std::fs::read(utf8.path().join(f)).unwrap()
                == std::fs::read(cp1252.path().join(f)).unwrap(),
            "{f} differs"
        );
    }
    let o = run(&["check-data", "--data-dir", cp1252.path().to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stdout));
    assert!(String::from_utf8_lossy(&o.stderr).contains("ccgs.csv: read as Windows-1252"));
}
