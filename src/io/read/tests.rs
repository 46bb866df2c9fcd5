//! Both readers of `read` on the same bytes: the fast one (polars) and the strict one agree on
//! every value and on every located error, for every spelling `io::rules` accepts.

use super::*;
use crate::error::InputError;
use crate::io::rules::{self, Rule, Vocabulary, RULES};
use crate::model::{Evidence, Provenance};

const CCGS: &str = "ods_code,name,region,csu,csu_basis,population,imd_score,wave,note\n\
    N01,North One,North of England,C1,named,100000,30,1,a note\n\
    N02,\"North, Two\",North of England,C1,area,200000,25.5,,\n\
    L01,London One,London,C2,geography,250000,35,3,x\n";
const CONDITIONS: &str = "ods_code,criterion,support_level,legal_direction,provenance,source\n\
    N01,1.3B,1,false,published,\"a, source\"\n\
    N01,,4,true,reconstructed,x\n\
    L01,2.2A,2,false,published,\n";

/// Both readers on the same bytes: the fast path (from 0 bytes) and the strict one.
fn both(
    ccgs: &str,
    conditions: &str,
) -> [Result<(DataFrame, DataFrame, DataFrame), InputError>; 2] {
    [0, usize::MAX].map(|min| {
        let c = read_ccgs_from(Path::new("ccgs.csv"), ccgs.as_bytes(), min)?;
        let (rows, counts) =
            read_conditions_from(Path::new("conditions.csv"), conditions.as_bytes(), &c, min)?;
        Ok((c, rows, counts))
    })
}

fn same(a: &DataFrame, b: &DataFrame) -> bool {
    let sort = |d: &DataFrame| {
        d.sort(
            ["ods_code"],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .unwrap()
    };
    sort(a).equals_missing(&sort(b))
}

#[test]
fn fast_and_strict_readers_give_the_same_frames() {
    let variants = [
        (CCGS.to_string(), CONDITIONS.to_string()),
        // Roman numerals and yes/no: the fast path's second spelling pass.
        (
            CCGS.to_string(),
            CONDITIONS
                .replace(",1,false", ",I,no")
                .replace(",4,true", ",iv,YES"),
        ),
        // Padding and CRLF: the fast path declines; the strict reader trims.
        (
            CCGS.replace("North One", " North One ")
                .replace('\n', "\r\n"),
            CONDITIONS.to_string(),
        ),
    ];
    for (ccgs, conditions) in variants {
        let [fast, strict] = both(&ccgs, &conditions);
        let (fast, strict) = (fast.unwrap(), strict.unwrap());
        assert!(same(&fast.0, &strict.0), "ccgs\n{}\n{}", fast.0, strict.0);
        assert!(
            same(&fast.1, &strict.1),
            "conditions\n{}\n{}",
            fast.1,
            strict.1
        );
        assert!(same(&fast.2, &strict.2), "counts\n{}\n{}", fast.2, strict.2);
    }
    // The plain files and the Roman spellings really take the fast path.
    let c = read_ccgs_from(Path::new("ccgs.csv"), CCGS.as_bytes(), 0).unwrap();
    let raw = fast::frame(Path::new("ccgs.csv"), CCGS.as_bytes(), &CCG_SCHEMA, 0).unwrap();
    assert!(fast::typed_ccgs(&raw.unwrap()).unwrap().is_some());
    let roman = CONDITIONS.replace(",1,false", ",I,no");
    let raw = fast::frame(Path::new("c.csv"), roman.as_bytes(), &CONDITION_SCHEMA, 0).unwrap();
    assert!(fast::typed_conditions(&raw.unwrap(), &c).unwrap().is_some());
    let [fast, _] = both(CCGS, CONDITIONS);
    let (c, _, counts) = fast.unwrap();
    assert_eq!(
        crate::columns::strings(&c, "name").unwrap()[1],
        "North, Two"
    );
    assert_eq!(c.column("wave").unwrap().i32().unwrap().get(1), None);
    // N01: one level-I and one level-IV directed condition; L01 one level-II.
    let n01 = counts
        .clone()
        .lazy()
        .filter(col("ods_code").eq(lit("N01")))
        .collect()
        .unwrap();
    let get = |c: &str| n01.column(c).unwrap().u32().unwrap().get(0).unwrap();
    assert_eq!(
        [
            get("level_1"),
            get("level_4"),
            get("n_directions"),
            get("n_reconstructed")
        ],
        [1, 1, 1, 1]
    );
}

#[test]
fn the_fast_path_hands_bad_rows_to_the_strict_reader_for_a_located_error() {
    let cases = [
        (
            CONDITIONS.replace("L01,2.2A,2", "X99,2.2A,2"),
            4,
            "unknown CCG \"X99\"",
        ),
        (CONDITIONS.replace(",4,true", ",7,true"), 3, "support level"),
        (
            CONDITIONS.replace(",4,true", ",4,maybe"),
            3,
            "true or false",
        ),
        (
            CONDITIONS.replace("N01,,4", "N01,,4,true"),
            3,
            "expected 6 fields",
        ),
    ];
    for (conditions, line, message) in cases {
        let [fast, strict] = both(CCGS, &conditions);
        let (fast, strict) = (fast.unwrap_err(), strict.unwrap_err());
        assert_eq!(fast, strict);
        assert_eq!(fast.line, Some(line), "{fast}");
        assert!(fast.message.contains(message), "{fast}");
    }
    let bad_ccgs = CCGS.replace("200000", "lots");
    let [fast, _] = both(&bad_ccgs, CONDITIONS);
    let e = fast.unwrap_err();
    assert_eq!(
        (e.line, e.column.clone().map(|c| c.0)),
        (Some(3), Some(6)),
        "{e}"
    );
}

/// A row of each file that every reader accepts; a test puts other values in one column.
const CCG_HEADER: &str = "ods_code,name,region,csu,csu_basis,population,imd_score,wave";
const CCG_ROW: &str = "C,Name,London,C1,named,1000,10,2";
const CONDITION_HEADER: &str = "ods_code,criterion,support_level,legal_direction,provenance";
const CONDITION_ROW: &str = "C0,1.1A,3,false,published";
const OUTCOME_HEADER: &str =
    "ods_code,wave,wave_provenance,n_conditions,legal_direction,evidence,method";
const OUTCOME_ROW: &str = "C,2,published,1,false,published,m";

/// CSV text: `header`, then `row` once per value with the value in `column`, the ods_code
/// numbered C0, C1, ... when it is `C`.
fn csv(header: &str, row: &str, column: &str, values: &[String]) -> String {
    let at = header.split(',').position(|h| h == column);
    let rows = values.iter().enumerate().map(|(i, value)| {
        let fields: Vec<String> = row
            .split(',')
            .enumerate()
            .map(|(k, field)| match field {
                _ if Some(k) == at => value.clone(),
                "C" if k == 0 => format!("C{i}"),
                _ => field.to_string(),
            })
            .collect();
        fields.join(",")
    });
    std::iter::once(header.to_string())
        .chain(rows)
        .map(|line| line + "\n")
        .collect()
}

/// The 1-based position of a column in a header.
fn position(header: &str, column: &str) -> usize {
    1 + header.split(',').position(|h| h == column).unwrap()
}

/// The rules of one file.
fn rules_of(file: &str) -> Vec<&'static Rule> {
    RULES.iter().filter(|r| r.file == file).collect()
}

/// What a frame's column holds in each row, as a vocabulary's code: the number (a boolean as
/// 1 or 0), or the code of the spelling a text column holds.
fn codes(frame: &DataFrame, column: &str, vocabulary: &Vocabulary) -> Vec<Option<i32>> {
    let values = frame.column(column).unwrap();
    if values.dtype() == &DataType::String {
        let text = values.str().unwrap();
        return text
            .iter()
            .map(|s| s.and_then(|s| vocabulary.code(s)))
            .collect();
    }
    let numbers = values.cast(&DataType::Int32).unwrap();
    numbers.i32().unwrap().iter().collect()
}

/// The column of the CCG or condition frame that holds a rule's value.
fn frame_column(rule: &Rule) -> &'static str {
    match rule.column {
        "region" => "region_index",
        "provenance" => "reconstructed",
        column => column,
    }
}

/// A CCG file and a condition file with `values` in `rule`'s column (one row per value), the
/// other file of one usual row.
fn files(rule: &Rule, values: &[String]) -> (String, String) {
    let one = [String::new()];
    let file = |name: &str, header: &str, row: &str| match rule.file == name {
        true => csv(header, row, rule.column, values),
        false => csv(header, row, "", &one),
    };
    (
        file(CCGS_FILE, CCG_HEADER, CCG_ROW),
        file(CONDITIONS_FILE, CONDITION_HEADER, CONDITION_ROW),
    )
}

/// Both readers on `files`, each checked to read alike and the fast reader to take them
/// itself: the CCG and condition frames.
fn read_alike(rule: &Rule, values: &[String]) -> (DataFrame, DataFrame) {
    let (ccgs, conditions) = files(rule, values);
    let [fast, strict] = both(&ccgs, &conditions);
    let (fast, strict) = (fast.unwrap(), strict.unwrap());
    for (a, b) in [
        (&fast.0, &strict.0),
        (&fast.1, &strict.1),
        (&fast.2, &strict.2),
    ] {
        assert!(same(a, b), "{}\n{a}\n{b}", rule.column);
    }
    // The fast reader took them itself, without handing the file to the strict one.
    let raw = fast::frame(Path::new(CCGS_FILE), ccgs.as_bytes(), &CCG_SCHEMA, 0);
    assert!(fast::typed_ccgs(&raw.unwrap().unwrap()).unwrap().is_some());
    let raw = fast::frame(
        Path::new(CONDITIONS_FILE),
        conditions.as_bytes(),
        &CONDITION_SCHEMA,
        0,
    );
    let typed = fast::typed_conditions(&raw.unwrap().unwrap(), &fast.0).unwrap();
    assert!(typed.is_some(), "{}", rule.column);
    (fast.0, fast.1)
}

#[test]
fn every_spelling_the_rules_accept_is_read_alike_by_both_readers() {
    let rules = [rules_of(CCGS_FILE), rules_of(CONDITIONS_FILE)].concat();
    let columns: Vec<&str> = rules.iter().map(|r| r.column).collect();
    assert_eq!(
        columns,
        [
            "region",
            "csu_basis",
            "wave",
            "support_level",
            "legal_direction",
            "provenance"
        ]
    );
    for rule in rules {
        let accepted = rule.vocabulary.accepted();
        let values: Vec<String> = accepted.iter().map(|(s, _)| s.clone()).collect();
        let (ccgs, conditions) = read_alike(rule, &values);
        let frame = if rule.file == CCGS_FILE {
            ccgs
        } else {
            conditions
        };
        let read = codes(&frame, frame_column(rule), rule.vocabulary);
        let meant: Vec<Option<i32>> = accepted.iter().map(|&(_, code)| Some(code)).collect();
        assert_eq!(read, meant, "{}: {values:?}", rule.column);
    }
    // Every mix of case of true/false and of the Roman numerals, digits and yes/no among them.
    let booleans = rules::BOOLEAN.accepted();
    assert_eq!(booleans.len(), 62);
    assert!(["tRuE", "FALSE", "Yes", "nO", "1", "0"]
        .iter()
        .all(|s| booleans.iter().any(|(b, _)| b == s)));
    assert!(rules::SUPPORT_LEVEL
        .accepted()
        .iter()
        .any(|(s, c)| s == "iIi" && *c == 3));
}

/// One CCG per value with one condition each (directed where `directed`), and an outcome
/// table with the values in `column`: what `parse_outcomes` makes of it.
fn outcomes(
    column: &str,
    values: &[String],
    directed: &[bool],
) -> Result<Vec<CcgOutcome>, InputError> {
    let ccgs = csv(CCG_HEADER, CCG_ROW, "", values);
    let conditions: Vec<String> = directed.iter().map(|d| d.to_string()).collect();
    let conditions = csv(
        CONDITION_HEADER,
        "C,1.1A,3,false,published",
        "legal_direction",
        &conditions,
    );
    let [read, _] = both(&ccgs, &conditions);
    let (ccgs, _, counts) = read.unwrap();
    let text = csv(OUTCOME_HEADER, OUTCOME_ROW, column, values);
    let t = table::parse(Path::new(OUTCOMES_FILE), text.as_bytes(), &OUTCOME_SCHEMA)?;
    parse_outcomes(&t, &ccgs, &counts)
}

#[test]
fn every_spelling_the_rules_accept_is_read_from_the_outcome_table() {
    // ccg_outcomes.csv has one reader, the strict one.
    for rule in rules_of(OUTCOMES_FILE) {
        let accepted = rule.vocabulary.accepted();
        let values: Vec<String> = accepted.iter().map(|(s, _)| s.clone()).collect();
        let directed: Vec<bool> = accepted
            .iter()
            .map(|&(_, code)| rule.column == "legal_direction" && code == 1)
            .collect();
        let read = outcomes(rule.column, &values, &directed).unwrap();
        for (o, (spelling, code)) in read.iter().zip(&accepted) {
            let value = match rule.column {
                "wave" => i32::from(o.wave),
                "wave_provenance" => i32::from(o.wave_provenance == Provenance::Reconstructed),
                "legal_direction" => i32::from(o.legal_direction),
                "evidence" => Evidence::ALL
                    .iter()
                    .position(|e| *e == o.evidence.as_str())
                    .unwrap() as i32,
                other => panic!("no check for {other}"),
            };
            assert_eq!(value, *code, "{}: {spelling:?}", rule.column);
        }
    }
}

/// Spellings outside a vocabulary: a usual one with a letter more, with a leading zero or plus
/// sign (a number's cast would take 01 and +1 as 1), nothing, and for a vocabulary of one case,
/// a usual one in capitals.
fn outside(vocabulary: &Vocabulary) -> Vec<String> {
    let usual = vocabulary.usual();
    let first = usual[0].0;
    let mut bad = vec![
        format!("{first}x"),
        format!("0{first}"),
        format!("+{first}"),
        String::new(),
    ];
    if !vocabulary.any_case {
        bad.push(usual.last().unwrap().0.to_uppercase());
    }
    bad.retain(|b| vocabulary.code(b).is_none());
    bad
}

/// Checks that `e` refuses `bad` in `rule`'s column on line 3 (the second data row), by the
/// rule's complaint.
fn assert_refused(e: &InputError, rule: &Rule, header: &str, bad: &str) {
    assert_eq!(e.file, Path::new(rule.file));
    let at = (e.line, e.column.clone().map(|c| c.0));
    let column = position(header, rule.column);
    assert_eq!(at, (Some(3), Some(column)), "{bad:?}: {e}");
    assert_eq!(e.message, rule.vocabulary.complaint(bad), "{e}");
}

#[test]
fn a_spelling_outside_the_rules_is_refused_by_both_readers_at_its_line_and_column() {
    let rules = [rules_of(CCGS_FILE), rules_of(CONDITIONS_FILE)].concat();
    for rule in rules {
        for bad in outside(rule.vocabulary) {
            if bad.is_empty() && rule.column == "wave" {
                continue; // an empty wave is no wave
            }
            let good = rule.vocabulary.usual()[0].0.to_string();
            let (ccgs, conditions) = files(rule, &[good, bad.clone()]);
            let [fast, strict] = both(&ccgs, &conditions);
            let (fast, strict) = (fast.unwrap_err(), strict.unwrap_err());
            assert_eq!(fast, strict);
            let header = match rule.file {
                CCGS_FILE => CCG_HEADER,
                _ => CONDITION_HEADER,
            };
            assert_refused(&fast, rule, header, &bad);
        }
    }
}

#[test]
fn a_spelling_outside_the_rules_is_refused_in_the_outcome_table_at_its_line_and_column() {
    for rule in rules_of(OUTCOMES_FILE) {
        for bad in outside(rule.vocabulary) {
            let good = rule.vocabulary.usual()[0].0.to_string();
            let directed = [rule.column == "legal_direction" && good == "true", false];
            let e = outcomes(rule.column, &[good, bad.clone()], &directed).unwrap_err();
            assert_refused(&e, rule, OUTCOME_HEADER, &bad);
        }
    }
}
