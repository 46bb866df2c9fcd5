//! Reading a severity weights file (`weights.toml`) into `model::weights::Weights`, with errors
//! located by line and column.

use crate::error::InputError;
pub use crate::model::weights::Weights;
pub use crate::model::LEVELS;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

impl Weights {
    /// Parse a weights file:
    /// ```toml
    /// name = "doubling"
    /// legal_direction = 0
    /// [support_level]
    /// 1 = 1
    /// 2 = 2   # … up to 6
    /// ```
    pub fn parse(path: &Path, text: &str) -> Result<Weights, InputError> {
        let at = |span: std::ops::Range<usize>, message: String| {
            let (line, col) = line_col(text, span.start);
            InputError {
                file: path.to_path_buf(),
                sheet: None,
                line: Some(line),
                column: Some((col, String::new())),
                message,
            }
        };
        let file: WeightsFile = toml::from_str(text).map_err(|e| {
            at(
                e.span().unwrap_or(0..0),
                format!("invalid TOML: {}", e.message()),
            )
        })?;
        let number = |key: &str, v: &Spanned<f64>| -> Result<f64, InputError> {
            let x = *v.get_ref();
            if !x.is_finite() || x < 0.0 {
                return Err(at(
                    v.span(),
                    format!("weight '{key}' must be a non-negative number, found {x}"),
                ));
            }
            Ok(x)
        };
        let legal_direction = match &file.legal_direction {
            Some(v) => number("legal_direction", v)?,
            None => {
                return Err(InputError::file(
                    path,
                    "missing key 'legal_direction' (use 0 for no extra weight)",
                ))
            }
        };
        let Some(table) = &file.support_level else {
            return Err(InputError::file(
                path,
                "missing [support_level] table with weights for levels 1 to 6",
            ));
        };
        if let Some((key, v)) = table
            .iter()
            .find(|(k, _)| !matches!(k.parse::<usize>(), Ok(1..=LEVELS)))
        {
            return Err(at(
                v.span(),
                format!("unknown support level '{key}' in [support_level]; expected 1 to 6"),
            ));
        }
        let mut levels = [0.0; LEVELS];
        for (i, slot) in levels.iter_mut().enumerate() {
            let key = (i + 1).to_string();
            let v = table.get(&key).ok_or_else(|| {
                InputError::file(
                    path,
                    format!(
                        "[support_level] has no weight for level {key}; all of 1 to 6 are required"
                    ),
                )
            })?;
            *slot = number(&key, v)?;
        }
        refuse_all_zero(path, text, &levels, legal_direction)?;
        let name = file.name.unwrap_or_else(|| {
            path.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
        Ok(Weights {
            name,
            levels,
            legal_direction,
        })
    }

    /// Parse a weights file's bytes (UTF-8, an optional byte-order mark).
    pub fn parse_bytes(path: &Path, bytes: &[u8]) -> Result<Weights, InputError> {
        let text = std::str::from_utf8(bytes)
            .map_err(|_| InputError::file(path, "weights file is not valid UTF-8"))?;
        Weights::parse(path, text.trim_start_matches('\u{feff}'))
    }

    pub fn load(path: &Path) -> Result<Weights, InputError> {
        let bytes = std::fs::read(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => InputError::file(path, "weights file not found"),
            _ => InputError::file(path, format!("cannot read weights file: {e}")),
        })?;
        Weights::parse_bytes(path, &bytes)
    }
}

/// Every weight 0: every score would be 0 and no claim about scores could be judged.
fn refuse_all_zero(
    path: &Path,
    text: &str,
    levels: &[f64; LEVELS],
    legal_direction: f64,
) -> Result<(), InputError> {
    if levels.iter().any(|&w| w != 0.0) || legal_direction != 0.0 {
        return Ok(());
    }
    let line = text
        .lines()
        .position(|l| l.trim_start().starts_with("[support_level]"))
        .map(|i| i as u64 + 1)
        .unwrap_or(1);
    Err(InputError::at(
        path,
        line,
        "every weight is 0, so no condition would count and every score would be 0; \
         give at least one support level (or legal_direction) a positive weight",
    ))
}

/// weights.toml as written: unknown keys are errors, every value keeps its place in the file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WeightsFile {
    name: Option<String>,
    legal_direction: Option<Spanned<f64>>,
    support_level: Option<BTreeMap<String, Spanned<f64>>>,
}

fn line_col(text: &str, offset: usize) -> (u64, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u64 + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Weights, InputError> {
        Weights::parse(Path::new("w.toml"), s)
    }

    const GOOD: &str = "name = \"t\"\nlegal_direction = 2.5\n[support_level]\n1 = 1\n2 = 2\n3 = 3\n4 = 5\n5 = 8\n6 = 13\n";

    #[test]
    fn robustness_runs_five_schemes_besides_the_default_none_repeating_it() {
        let all = Weights::alternatives(&Weights::doubling());
        assert_eq!(all[0].name, "default (doubling)");
        let names: Vec<&str> = all[1..].iter().map(|w| w.name.as_str()).collect();
        assert_eq!(
            names,
            ["count", "linear", "squared", "directions-heavy"],
            "doubling is the default, so it is not repeated"
        );
        for (i, a) in all.iter().enumerate() {
            for b in &all[i + 1..] {
                assert!(a.levels != b.levels || a.legal_direction != b.legal_direction);
            }
        }
        // With another default, doubling comes back: five alternatives.
        let mut custom = Weights::doubling();
        custom.levels = [1.0, 1.0, 2.0, 3.0, 5.0, 8.0];
        assert_eq!(Weights::alternatives(&custom).len(), 6);
    }

    #[test]
    fn parses_and_round_trips() {
        let w = parse(GOOD).unwrap();
        assert_eq!(w.levels, [1.0, 2.0, 3.0, 5.0, 8.0, 13.0]);
        assert_eq!(w.legal_direction, 2.5);
        assert_eq!(parse(&w.to_toml()).unwrap(), w);
    }

    #[test]
    fn missing_level_and_negative_weight_are_errors() {
        let e = parse(&GOOD.replace("4 = 5\n", "")).unwrap_err();
        assert!(e.message.contains("level 4"), "{e}");
        let e = parse(&GOOD.replace("3 = 3", "3 = -1")).unwrap_err();
        assert!(e.message.contains("non-negative"), "{e}");
        assert_eq!(e.line, Some(6));
        let e = parse(&GOOD.replace("6 = 13", "6 = 13\n7 = 1")).unwrap_err();
        assert!(e.message.contains("unknown support level '7'"), "{e}");
    }

    #[test]
    fn weights_under_which_nothing_counts_are_an_error() {
        let zero =
            "legal_direction = 0\n[support_level]\n1 = 0\n2 = 0\n3 = 0\n4 = 0\n5 = 0\n6 = 0\n";
        let e = parse(zero).unwrap_err();
        assert_eq!(e.line, Some(2), "{e}");
        assert!(e.message.contains("every weight is 0"), "{e}");
        // Directions alone may carry the weight; NaN and infinite weights are refused.
        assert!(parse(&zero.replace("legal_direction = 0", "legal_direction = 1")).is_ok());
        for bad in ["nan", "inf", "-inf"] {
            let e = parse(&GOOD.replace("2 = 2", &format!("2 = {bad}"))).unwrap_err();
            assert_eq!(e.line, Some(5), "{bad}: {e}");
        }
    }

    #[test]
    fn bad_toml_is_located() {
        let e = parse("name = \nlegal_direction = 1").unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
