//! End-to-end tests of the `ccg-divide` binary on a small fixture whose figures were worked
//! out by hand (see the comments next to each number).

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::BIN;

use common::{snapshot, workspace};

fn analyse(data: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(BIN)
        .args(["analyse", "--data-dir"])
        .arg(data)
        .arg("--output-dir")
        .arg(out)
        .args(["--bootstrap", "300", "--permutations", "500"])
        .args(extra)
        .output()
        .unwrap()
}

#[test]
fn analyse_writes_every_output_with_hand_computed_findings() {
    let (dir, data) = workspace();
    let out = dir.path().join("output");
    let o = analyse(&data, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in common::OUTPUTS {
        assert!(out.join(f).is_file(), "missing {f}");
    }
    for f in common::OUTPUTS.iter().filter(|f| f.ends_with(".png")) {
        // Decoded in full (every row through the inflater), not just the header read.
        let file = std::fs::File::open(out.join(f)).unwrap();
        let mut reader = png::Decoder::new(std::io::BufReader::new(file))
            .read_info()
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        let mut pixels = vec![0; reader.output_buffer_size()];
        let frame = reader
            .next_frame(&mut pixels)
            .unwrap_or_else(|e| panic!("{f}: {e}"));
        assert_eq!((frame.width, frame.height), (1200, 720), "{f}");
    }

    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    let h = &j["headline"];
    // Scores with weights 1,2,4,8: N01 1, N02 0, M01 4+8 = 12, M02 3·2 = 6, L01 1+2 = 3, L02 4, S01 2+2 = 4, S02 0.
    assert_eq!(h["n_with_conditions"], 6);
    assert_eq!(h["share_with_conditions"], 0.75);
    // Region medians: North (0+1)/2, M&E (6+12)/2, London (3+4)/2, South (0+4)/2.
    assert_eq!(h["region_medians"], serde_json::json!([0.5, 9.0, 3.5, 2.0]));
    assert_eq!(h["median_ratio"], 18.0);
    assert_eq!(h["lowest_region"], 0);
    // H&E mean (12+6)/2 = 9 over North of England CSU mean (1+0)/2 = 0.5.
    assert_eq!(h["csu_ratio"], 18.0);
    // Spearman of the scores with population / IMD, computed independently (average ranks, Python).
    let close = |v: &serde_json::Value, x: f64| (v.as_f64().unwrap() - x).abs() < 1e-9;
    assert!(
        close(&h["size"]["r"], 0.44581549075848886),
        "{}",
        h["size"]["r"]
    );
    assert!(close(&h["deprivation"]["r"], -0.10844160586017297));
    assert!(close(&h["size_pearson"]["r"], 0.6523667480211451));
    // Verdicts: 75% is within 75–85%; rho not significant; 18x with North lowest; 18x is not > 30x.
    let reproduced: Vec<bool> = j["claims"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["reproduced"].as_bool().unwrap())
        .collect();
    assert_eq!(reproduced, vec![true, true, true, true, false]);
    // Provenance: M01, M02, L02, S01 have reconstructed rows; 6 of 11 rows reconstructed.
    assert_eq!(j["provenance"]["ccgs_reconstructed"], 4);
    assert_eq!(j["provenance"]["condition_rows_reconstructed"], 6);
    let md = std::fs::read_to_string(out.join("findings.md")).unwrap();
    assert!(
        md.contains("**4 of 8 CCGs (50.0%) rest wholly on reconstructed data**, and 4 (50.0%) at least in part.")
            && md.contains("The reconstruction was **not** calibrated to the published findings.")
            && md.contains("6 of 11 condition rows (54.5%)"),
        "{md}"
    );

    let regions = std::fs::read_to_string(out.join("region_summary.csv")).unwrap();
    assert!(
        regions.contains("Midlands and East of England,2,2,9,9,7.5,10.5,6,12,"),
        "{regions}"
    );
    let manifest = std::fs::read_to_string(out.join("inputs.sha256")).unwrap();
    assert_eq!(manifest.lines().count(), 3);
}

#[test]
fn reruns_are_byte_identical() {
    let (dir, data) = workspace();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    assert!(analyse(&data, &a, &[]).status.success());
    assert!(analyse(&data, &b, &[]).status.success());
    let (sa, sb) = (snapshot(&a), snapshot(&b));
    assert_eq!(sa.len(), common::OUTPUTS.len());
    assert_eq!(sb.len(), sa.len());
    for ((na, ba), (nb, bb)) in sa.iter().zip(&sb) {
        assert_eq!(na, nb);
        if na != "inputs.sha256" {
            assert!(ba == bb, "{na} differs between runs");
        }
    }
}

/// A broken input: what to change, and what the error must mention.
struct Bad {
    name: &'static str,
    file: &'static str,
    edit: fn(&str) -> String,
    expect: &'static [&'static str],
}

fn bad_inputs() -> Vec<Bad> {
    vec![
        Bad {
            name: "missing ccgs file",
            file: "ccgs.csv",
            edit: |_| "\u{0}DELETE".into(),
            expect: &["ccgs.csv", "file not found"],
        },
        Bad {
            name: "empty file",
            file: "ccgs.csv",
            edit: |_| String::new(),
            expect: &["ccgs.csv", "empty"],
        },
        Bad {
            name: "header only",
            file: "ccgs.csv",
            edit: |s| s.lines().next().unwrap().to_string() + "\n",
            expect: &["ccgs.csv", "line 2", "no data rows"],
        },
        Bad {
            name: "missing column",
            file: "ccgs.csv",
            edit: |s| drop_column(s, 5),
            expect: &["ccgs.csv", "line 1", "missing required column 'population'"],
        },
        Bad {
            name: "misspelt column",
            file: "ccgs.csv",
            edit: |s| s.replacen("imd_score", "imd_scor", 1),
            expect: &["ccgs.csv", "line 1", "column 7", "did you mean 'imd_score'"],
        },
        Bad {
            name: "extra field in a row",
            file: "ccgs.csv",
            edit: |s| s.replacen("100000,30,1", "100000,30,1,extra", 1),
            expect: &["ccgs.csv", "line 2", "expected 8 fields", "found 9"],
        },
        Bad {
            name: "non-numeric population",
            file: "ccgs.csv",
            edit: |s| s.replacen("200000", "lots", 1),
            expect: &["ccgs.csv", "line 3", "column 6 (population)", "\"lots\""],
        },
        Bad {
            name: "negative population",
            file: "ccgs.csv",
            edit: |s| s.replacen("200000", "-5", 1),
            expect: &[
                "ccgs.csv",
                "line 3",
                "column 6 (population)",
                "non-negative whole number",
            ],
        },
        Bad {
            name: "negative deprivation",
            file: "ccgs.csv",
            edit: |s| s.replacen("200000,25", "200000,-25", 1),
            expect: &["ccgs.csv", "line 3", "column 7 (imd_score)", "non-negative"],
        },
        Bad {
            name: "unknown region",
            file: "ccgs.csv",
            edit: |s| s.replacen("South of England", "Wessex", 1),
            expect: &["ccgs.csv", "line 8", "column 3 (region)", "Wessex"],
        },
        Bad {
            name: "duplicate ods_code",
            file: "ccgs.csv",
            edit: |s| s.replacen("N02,", "N01,", 1),
            expect: &[
                "ccgs.csv",
                "line 3",
                "column 1 (ods_code)",
                "duplicate",
                "line 2",
            ],
        },
        Bad {
            name: "bad wave",
            file: "ccgs.csv",
            edit: |s| s.replacen("100000,30,1", "100000,30,7", 1),
            expect: &["ccgs.csv", "line 2", "column 8 (wave)"],
        },
        Bad {
            name: "truncated last line",
            file: "conditions.csv",
            edit: |s| s.trim_end().to_string() + "\nS01,,2",
            expect: &["conditions.csv", "line 13", "truncated"],
        },
        Bad {
            name: "unknown support level",
            file: "conditions.csv",
            edit: |s| s.replacen("N01,1.3B,1,", "N01,1.3B,7,", 1),
            expect: &[
                "conditions.csv",
                "line 2",
                "column 3 (support_level)",
                "\"7\"",
            ],
        },
        Bad {
            name: "negative support level",
            file: "conditions.csv",
            edit: |s| s.replacen("N01,1.3B,1,", "N01,1.3B,-1,", 1),
            expect: &["conditions.csv", "line 2", "column 3 (support_level)"],
        },
        Bad {
            name: "orphan condition",
            file: "conditions.csv",
            edit: |s| s.to_string() + "X99,,1,false,published,x\n",
            expect: &[
                "conditions.csv",
                "line 13",
                "column 1 (ods_code)",
                "unknown CCG \"X99\"",
            ],
        },
        Bad {
            name: "bad boolean",
            file: "conditions.csv",
            edit: |s| s.replacen("4,true", "4,maybe", 1),
            expect: &[
                "conditions.csv",
                "line 3",
                "column 4 (legal_direction)",
                "true or false",
            ],
        },
        Bad {
            name: "bad provenance",
            file: "conditions.csv",
            edit: |s| s.replacen("published,fixture", "guessed,fixture", 1),
            expect: &[
                "conditions.csv",
                "line 2",
                "column 5 (provenance)",
                "guessed",
            ],
        },
        Bad {
            name: "unclosed quote",
            file: "conditions.csv",
            edit: |s| s.replacen("N01,1.3B", "N01,\"1.3B", 1),
            expect: &["conditions.csv"],
        },
        Bad {
            name: "weights: missing level",
            file: "weights.toml",
            edit: |s| s.replace("4 = 8\n", ""),
            expect: &["weights.toml", "level 4"],
        },
        Bad {
            name: "weights: negative",
            file: "weights.toml",
            edit: |s| s.replace("3 = 4", "3 = -4"),
            expect: &["weights.toml", "line 6", "non-negative"],
        },
        Bad {
            name: "weights: not TOML",
            file: "weights.toml",
            edit: |s| s.replace("name = ", "name = = "),
            expect: &["weights.toml", "line 1", "invalid TOML"],
        },
        Bad {
            name: "weights: all zero",
            file: "weights.toml",
            edit: |s| {
                s.lines()
                    .map(|l| match l.split_once(" = ") {
                        Some((k, _)) if k.parse::<u8>().is_ok() => format!("{k} = 0\n"),
                        _ => format!("{l}\n"),
                    })
                    .collect()
            },
            expect: &["weights.toml", "line 3", "every weight is 0"],
        },
        Bad {
            name: "weights: not a number",
            file: "weights.toml",
            edit: |s| s.replace("3 = 4", "3 = nan"),
            expect: &["weights.toml", "line 6", "non-negative number"],
        },
        Bad {
            name: "weights: unknown key",
            file: "weights.toml",
            edit: |s| s.to_string() + "7 = 1\n",
            expect: &["weights.toml", "unknown support level '7'"],
        },
    ]
}

fn drop_column(s: &str, col: usize) -> String {
    s.lines()
        .map(|l| {
            let mut f: Vec<&str> = l.split(',').collect();
            f.remove(col);
            f.join(",")
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn bad_inputs_fail_clearly_and_leave_outputs_untouched() {
    let (dir, data) = workspace();
    let out = dir.path().join("output");
    assert!(analyse(&data, &out, &[]).status.success());
    let before = snapshot(&out);
    let cases = bad_inputs();
    assert!(cases.len() >= 20);
    for case in cases {
        let path = data.join(case.file);
        let original = std::fs::read_to_string(&path).unwrap();
        let edited = (case.edit)(&original);
        if edited == "\u{0}DELETE" {
            std::fs::remove_file(&path).unwrap();
        } else {
            assert_ne!(edited, original, "{}: the edit changed nothing", case.name);
            std::fs::write(&path, edited).unwrap();
        }
        let o = analyse(&data, &out, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(3), "{}: {err}", case.name);
        for e in case.expect {
            assert!(err.contains(e), "{}: expected {e:?} in {err}", case.name);
        }
        assert_eq!(snapshot(&out), before, "{}: outputs changed", case.name);
        std::fs::write(&path, original).unwrap();
    }
    // Nothing left behind beside the output directory.
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn bom_and_crlf_are_accepted_with_identical_results() {
    let (dir, data) = workspace();
    let plain = dir.path().join("plain");
    assert!(analyse(&data, &plain, &[]).status.success());
    for f in ["ccgs.csv", "conditions.csv"] {
        let s = std::fs::read_to_string(data.join(f)).unwrap();
        std::fs::write(data.join(f), format!("\u{feff}{}", s.replace('\n', "\r\n"))).unwrap();
    }
    let dos = dir.path().join("dos");
    let o = analyse(&data, &dos, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        std::fs::read(plain.join("findings.json")).unwrap(),
        std::fs::read(dos.join("findings.json")).unwrap()
    );
}

#[test]
fn unwritable_output_is_exit_4_and_usage_error_is_exit_2() {
    let (dir, data) = workspace();
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let o = analyse(&data, &file.join("output"), &[]);
    assert_eq!(
        o.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(String::from_utf8_lossy(&o.stderr).contains("cannot write output"));
    let o = Command::new(BIN)
        .args(["analyse", "--no-such-flag"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = Command::new(BIN).arg("--help").output().unwrap();
    assert!(o.status.success());
    assert!(String::from_utf8_lossy(&o.stdout).contains("Exit codes"));
    // The benchmark harness is not in the installed binary (`cargo bench` runs it).
    let o = Command::new(BIN).arg("bench").output().unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "bench is no command of ccg-divide"
    );
}

#[test]
fn a_killed_run_leaves_the_previous_outputs_intact() {
    let (dir, data) = workspace();
    let out = dir.path().join("output");
    assert!(analyse(&data, &out, &[]).status.success());
    let before = snapshot(&out);
    // A run slow enough to kill midway (many permutations), then SIGKILL.
    let mut child = Command::new(BIN)
        .args(["analyse", "--data-dir"])
        .arg(&data)
        .arg("--output-dir")
        .arg(&out)
        .args(["--permutations", "200000000"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(400));
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(snapshot(&out), before);
    // The next run clears the dead run's temporary directory and succeeds.
    assert!(analyse(&data, &out, &[]).status.success());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
}

#[test]
fn large_inputs_take_the_fast_reader_and_still_locate_errors() {
    // 20,000 organisations, about 200,000 condition rows (over 1 MiB: the polars reader).
    let dir = common::tempdir().unwrap();
    let data = dir.path().join("data");
    let o = Command::new(BIN)
        .args(["synth", "--n", "20000", "--out"])
        .arg(&data)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let conditions = data.join("conditions.csv");
    assert!(std::fs::metadata(&conditions).unwrap().len() > 1 << 20);
    // Counted straight from the file: CCGs with at least one condition row.
    let mut with: std::collections::HashSet<String> = Default::default();
    let mut rows = 0;
    for r in csv::Reader::from_path(&conditions).unwrap().records() {
        with.insert(r.unwrap()[0].to_string());
        rows += 1;
    }
    let out = dir.path().join("out");
    let o = analyse(&data, &out, &["--sensitivity-seeds", "0"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("findings.json")).unwrap()).unwrap();
    assert_eq!(j["headline"]["n_ccgs"], 20000);
    assert_eq!(j["headline"]["n_with_conditions"], with.len());
    assert_eq!(j["provenance"]["condition_rows"], rows);
    // At this scale the three charts with a mark per CCG (two scatters, the funnel) stay
    // bitmaps in report.html, so the page does not grow with the CCGs; the rest are SVG (the
    // distribution at its quantiles), a desktop and a phone drawing each.
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert_eq!(html.matches("<img src=\"data:image/png;base64,").count(), 3);
    let figures = html.matches("<figure id=").count();
    assert!(figures >= 4, "{figures} figures");
    assert_eq!(
        html.matches("<svg class=\"chart chart-desktop\"").count(),
        figures - 3
    );
    assert_eq!(
        html.matches("<svg class=\"chart chart-phone\"").count(),
        figures - 3
    );
    assert!(html.len() < 3 << 20, "report.html is {} bytes", html.len());
    // A condition for an unknown CCG on the last line: the strict reader names it.
    let mut text = std::fs::read_to_string(&conditions).unwrap();
    text.push_str("X99,1.1A,2,false,reconstructed,x\n");
    std::fs::write(&conditions, text).unwrap();
    let o = analyse(&data, &out, &["--sensitivity-seeds", "0"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(3), "{err}");
    let line = format!("line {}", rows + 2);
    for want in [
        "conditions.csv",
        line.as_str(),
        "column 1 (ods_code)",
        "unknown CCG \"X99\"",
    ] {
        assert!(err.contains(want), "expected {want:?} in {err}");
    }
}

#[test]
fn the_area_team_section_names_the_team_carrying_the_difference() {
    // The fixture with one area team per CCG. Region medians 0.5, 9, 3.5, 2 (ratio 18). Left
    // out in turn (by hand): NA → North 0, ratio infinite; NB → North 1, ratio 9; MA → 12;
    // MB → 24; LA, LB, SB → 18; SA → South 0, infinite. Smallest without NB: 9x, North lowest.
    let (dir, data) = workspace();
    let ccgs = std::fs::read_to_string(data.join("ccgs.csv")).unwrap();
    let teams = ["area_team", "NA", "NB", "MA", "MB", "LA", "LB", "SA", "SB"];
    assert_eq!(ccgs.lines().count(), teams.len());
    let with_teams: String = ccgs
        .lines()
        .zip(teams)
        .map(|(l, t)| format!("{l},{t}\n"))
        .collect();
    std::fs::write(data.join("ccgs.csv"), with_teams).unwrap();
    let out = dir.path().join("out");
    let o = analyse(&data, &out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let md = std::fs::read_to_string(out.join("findings.md")).unwrap();
    assert!(
        md.contains("It falls furthest without NB (North of England, 1 CCGs, median 0): 9x, with North of England lowest."),
        "{md}"
    );
    assert!(
        md.contains("ranges from 9x to infinity (without some area team a region's median is 0)"),
        "{md}"
    );
    let table = std::fs::read_to_string(out.join("area_team_summary.csv")).unwrap();
    assert!(
        table.contains("Midlands and East of England,MB,MB,1,6,6,24,North of England"),
        "{table}"
    );
    assert!(out.join("area_team_medians.png").is_file());
}
