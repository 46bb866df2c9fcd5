//! One table of input rules: every column of the inputs with a closed vocabulary (true/false,
//! support levels I–VI, waves, regions, CSU bases, provenance, evidence classes, later ratings,
//! relations) is held to one `Vocabulary` here, and every reader uses it: the fast reader of
//! `io::read` builds its polars expressions from it, the strict reader (and the reader of the
//! published record) checks each cell against it through `table::Cell::code`. `RULES` says which
//! column of which file is held to which vocabulary.
//!
//! A vocabulary maps each accepted spelling to a code (a number: the value itself for levels and
//! waves, 1 for true, an index into the model's list for named values), so both readers map a
//! spelling to the same value by construction.

use crate::io::files::{CCGS_FILE, CONDITIONS_FILE, OUTCOMES_FILE};
use crate::model::published::{
    ITEMISED, LATER_GROUPS, LATER_RATINGS, LATER_TOTALS, OUTCOMES, RATINGS,
};
use crate::model::{Evidence, CSU_BASES, REGIONS};

/// The accepted spellings of one column.
#[derive(Debug)]
pub struct Vocabulary {
    /// What an error says is expected; None: "one of: " and the usual spellings.
    pub expected: Option<&'static str>,
    /// Every spelling with the code it stands for; the first spelling of a code is its usual one.
    pub spellings: &'static [(&'static str, i32)],
    /// Whether letters match in any (ASCII) case: `True`, `TRUE` and `tRuE` as `true`.
    pub any_case: bool,
}

/// true/false: 1 for true, 0 for false.
pub const BOOLEAN: Vocabulary = Vocabulary {
    expected: Some("true or false"),
    spellings: &[
        ("true", 1),
        ("false", 0),
        ("yes", 1),
        ("no", 0),
        ("1", 1),
        ("0", 0),
    ],
    any_case: true,
};

/// Support levels as printed: digits, or Roman numerals as in the NHS CB tables; the code is
/// the level.
pub const SUPPORT_LEVEL: Vocabulary = Vocabulary {
    expected: Some("a support level 1 to 6 (or I to VI)"),
    spellings: &[
        ("1", 1),
        ("2", 2),
        ("3", 3),
        ("4", 4),
        ("5", 5),
        ("6", 6),
        ("i", 1),
        ("ii", 2),
        ("iii", 3),
        ("iv", 4),
        ("v", 5),
        ("vi", 6),
    ],
    any_case: true,
};

/// Authorisation waves 1–4; the code is the wave.
pub const WAVE: Vocabulary = closed(&[("1", 1), ("2", 2), ("3", 3), ("4", 4)]);

/// The four regions; the code is the index into `model::REGIONS` (the frame's `region_index`).
pub const REGION: Vocabulary = closed(&indexed(REGIONS));

/// How a CCG's CSU is known; the code is the index into `model::CSU_BASES`.
pub const CSU_BASIS: Vocabulary = closed(&indexed(CSU_BASES));

/// Whether a value is published or reconstructed: 1 for reconstructed (the condition frame's
/// `reconstructed` column).
pub const PROVENANCE: Vocabulary = closed(&[("published", 0), ("reconstructed", 1)]);

/// A CCG's evidence class; the code is the index into `Evidence::ALL`.
pub const EVIDENCE: Vocabulary = closed(&indexed(Evidence::ALL));

/// A later rating's category; the code is the index into `model::published::RATINGS`.
pub const RATING: Vocabulary = closed(&indexed(RATINGS));

/// How a group statement's count binds (`Relation`: exactly, at least, at most).
pub const RELATION: Vocabulary = closed(&[("exactly", 0), ("at_least", 1), ("at_most", 2)]);

/// A vocabulary of exact spellings, named in errors by listing them.
const fn closed(spellings: &'static [(&'static str, i32)]) -> Vocabulary {
    Vocabulary {
        expected: None,
        spellings,
        any_case: false,
    }
}

/// Each word with its index as its code.
const fn indexed<const N: usize>(words: [&'static str; N]) -> [(&'static str, i32); N] {
    let mut out = [("", 0); N];
    let mut i = 0;
    while i < N {
        out[i] = (words[i], i as i32);
        i += 1;
    }
    out
}

/// One column held to a vocabulary.
#[derive(Debug)]
pub struct Rule {
    pub file: &'static str,
    pub column: &'static str,
    pub vocabulary: &'static Vocabulary,
}

const fn rule(file: &'static str, column: &'static str, vocabulary: &'static Vocabulary) -> Rule {
    Rule {
        file,
        column,
        vocabulary,
    }
}

/// Every column of the inputs with a closed vocabulary (published files by their name inside
/// `published/`).
pub static RULES: [Rule; 21] = [
    rule(CCGS_FILE, "region", &REGION),
    rule(CCGS_FILE, "csu_basis", &CSU_BASIS),
    rule(CCGS_FILE, "wave", &WAVE),
    rule(CONDITIONS_FILE, "support_level", &SUPPORT_LEVEL),
    rule(CONDITIONS_FILE, "legal_direction", &BOOLEAN),
    rule(CONDITIONS_FILE, "provenance", &PROVENANCE),
    rule(OUTCOMES_FILE, "wave", &WAVE),
    rule(OUTCOMES_FILE, "wave_provenance", &PROVENANCE),
    rule(OUTCOMES_FILE, "legal_direction", &BOOLEAN),
    rule(OUTCOMES_FILE, "evidence", &EVIDENCE),
    rule(OUTCOMES, "legal_direction", &BOOLEAN),
    rule(OUTCOMES, "top_level", &SUPPORT_LEVEL),
    rule(ITEMISED, "support_level", &SUPPORT_LEVEL),
    rule(ITEMISED, "legal_direction", &BOOLEAN),
    rule(LATER_RATINGS, "rating", &RATING),
    rule(LATER_RATINGS, "special_measures", &BOOLEAN),
    rule(LATER_RATINGS, "derived", &BOOLEAN),
    rule(LATER_TOTALS, "derived", &BOOLEAN),
    rule(LATER_GROUPS, "rating", &RATING),
    rule(LATER_GROUPS, "relation", &RELATION),
    rule(LATER_GROUPS, "derived", &BOOLEAN),
];

impl Vocabulary {
    /// The code a spelling stands for, if any (surrounding whitespace ignored: the strict reader
    /// trims every field, and the fast reader is never given a padded one).
    pub fn code(&self, value: &str) -> Option<i32> {
        let value = value.trim();
        self.spellings
            .iter()
            .find(|(s, _)| {
                if self.any_case {
                    value.eq_ignore_ascii_case(s)
                } else {
                    value == *s
                }
            })
            .map(|&(_, code)| code)
    }

    /// Each code with its usual spelling (the first listed), in order.
    pub fn usual(&self) -> Vec<(&'static str, i32)> {
        let mut out: Vec<(&'static str, i32)> = Vec::new();
        for &(spelling, code) in self.spellings {
            if !out.iter().any(|&(_, c)| c == code) {
                out.push((spelling, code));
            }
        }
        out
    }

    /// The usual spelling of a code (its first listed).
    pub fn word(&self, code: i32) -> &'static str {
        self.spellings
            .iter()
            .find(|&&(_, c)| c == code)
            .map(|&(s, _)| s)
            .unwrap_or_else(|| panic!("code {code} is not in the vocabulary"))
    }

    /// Every accepted spelling with its code: with `any_case`, every mix of upper and lower
    /// case of each listed spelling (what the fast reader compares with, having no case folding).
    pub fn accepted(&self) -> Vec<(String, i32)> {
        self.spellings
            .iter()
            .flat_map(|&(spelling, code)| {
                let variants = if self.any_case {
                    case_variants(spelling)
                } else {
                    vec![spelling.to_string()]
                };
                variants.into_iter().map(move |v| (v, code))
            })
            .collect()
    }

    /// The strict reader's complaint about a value outside the vocabulary.
    pub fn complaint(&self, value: &str) -> String {
        match self.expected {
            Some(what) => format!("expected {what}, found {value:?}"),
            None => {
                let words: Vec<&str> = self.usual().into_iter().map(|(s, _)| s).collect();
                format!("expected one of: {}; found {value:?}", words.join(" | "))
            }
        }
    }
}

/// Every mix of ASCII upper and lower case of a spelling (`no`: no, nO, No, NO).
fn case_variants(spelling: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    for c in spelling.chars() {
        let cases = [c.to_ascii_lowercase(), c.to_ascii_uppercase()];
        let cases = if cases[0] == cases[1] {
            &cases[..1]
        } else {
            &cases[..]
        };
        out = out
            .iter()
            .flat_map(|prefix| cases.iter().map(move |c| format!("{prefix}{c}")))
            .collect();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn support_levels_accept_digits_and_roman_numerals_only() {
        let parse = |s: &str| SUPPORT_LEVEL.code(s);
        assert_eq!(parse("1"), Some(1));
        assert_eq!(parse(" 3 "), Some(3));
        assert_eq!(parse("iv"), Some(4));
        assert_eq!(parse("V"), Some(5));
        assert_eq!(parse("VI"), Some(6));
        for bad in ["", "0", "7", "IIII", "VII", "3.0", "three"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn every_accepted_spelling_has_one_code_and_the_usual_ones_come_first() {
        for rule in &RULES {
            let v = rule.vocabulary;
            for (spelling, code) in v.accepted() {
                assert_eq!(
                    v.code(&spelling),
                    Some(code),
                    "{} {spelling:?}",
                    rule.column
                );
            }
            for (spelling, code) in v.usual() {
                assert_eq!(v.word(code), spelling);
            }
        }
        let booleans: Vec<String> = BOOLEAN.accepted().into_iter().map(|(s, _)| s).collect();
        // true 16, false 32, yes 8, no 4 mixes of case, and 1 and 0.
        assert_eq!(booleans.len(), 62);
        for s in ["tRuE", "FALSE", "Yes", "nO", "1", "0"] {
            assert!(booleans.iter().any(|b| b == s), "{s}");
        }
        assert_eq!(SUPPORT_LEVEL.accepted().len(), 6 + 2 + 4 + 8 + 4 + 2 + 4);
        assert_eq!(WAVE.accepted().len(), 4);
    }

    #[test]
    fn any_case_spellings_are_ascii_lowercase() {
        // Both readers fold ASCII case only (the fast one by listing every mix, the strict one
        // with `eq_ignore_ascii_case`), so a listed spelling must be ASCII, written in lower case.
        for rule in &RULES {
            for &(spelling, _) in rule.vocabulary.spellings {
                assert!(spelling.is_ascii(), "{spelling}");
                if rule.vocabulary.any_case {
                    assert_eq!(spelling, spelling.to_ascii_lowercase());
                }
            }
        }
    }

    #[test]
    fn complaints_name_what_is_expected() {
        assert_eq!(
            BOOLEAN.complaint("maybe"),
            "expected true or false, found \"maybe\""
        );
        assert_eq!(
            WAVE.complaint("5"),
            "expected one of: 1 | 2 | 3 | 4; found \"5\""
        );
    }
}
