//! Severity weights: how much a condition at each support level counts.

use crate::error::InputError;
use std::path::Path;

/// Support levels I–VI (I model document … IV team inserted; V functions removed; VI officer replaced).
pub const LEVELS: usize = 6;

#[derive(Debug, Clone, PartialEq)]
pub struct Weights {
    /// A short name for the scheme (recorded in every output).
    pub name: String,
    /// Weight of one condition at support level i+1.
    pub levels: [f64; LEVELS],
    /// Extra weight added to a condition backed by a legal direction.
    pub legal_direction: f64,
}

impl Weights {
    /// Doubling per level, no extra for directions: the project default (see data/README.md).
    pub fn doubling() -> Self {
        Weights {
            name: "doubling".into(),
            levels: [1.0, 2.0, 4.0, 8.0, 16.0, 32.0],
            legal_direction: 0.0,
        }
    }

    /// The schemes used by the robustness stage: the default first, then five others, leaving
    /// out any that has the default's weights (so every column is a different scheme).
    pub fn alternatives(default: &Weights) -> Vec<Weights> {
        let others = [
            Weights {
                name: "count".into(),
                levels: [1.0; LEVELS],
                legal_direction: 0.0,
            },
            Weights {
                name: "linear".into(),
                levels: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                legal_direction: 0.0,
            },
            Weights::doubling(),
            Weights {
                name: "squared".into(),
                levels: [1.0, 4.0, 9.0, 16.0, 25.0, 36.0],
                legal_direction: 0.0,
            },
            Weights {
                name: "directions-heavy".into(),
                levels: [1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
                legal_direction: 20.0,
            },
        ];
        let mut out = vec![Weights {
            name: format!("default ({})", default.name),
            ..default.clone()
        }];
        out.extend(others.into_iter().filter(|w| {
            w.levels != default.levels || w.legal_direction != default.legal_direction
        }));
        out
    }

    /// Parse a weights file:
    /// ```toml
    /// name = "doubling"
    /// legal_direction = 0
    /// [support_level]
    /// 1 = 1
    /// 2 = 2   # … up to 6
    /// ```
    pub fn parse(path: &Path, text: &str) -> Result<Weights, InputError> {
        let table: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((1, 1));
            InputError {
                file: path.to_path_buf(),
                line: Some(line),
                column: Some((col, String::new())),
                message: format!("invalid TOML: {}", e.message()),
            }
        })?;
        let locate = |key: &str| -> u64 {
            text.lines()
                .position(|l| {
                    let l = l.trim_start();
                    let l = l.strip_prefix('"').unwrap_or(l);
                    l.strip_prefix(key)
                        .is_some_and(|r| r.trim_start_matches('"').trim_start().starts_with('='))
                })
                .map(|i| i as u64 + 1)
                .unwrap_or(1)
        };
        let err = |key: &str, msg: String| InputError::at(path, locate(key), msg);
        for key in table.keys() {
            if !["name", "legal_direction", "support_level"].contains(&key.as_str()) {
                return Err(err(
                    key,
                    format!("unknown key '{key}'; expected name, legal_direction and a [support_level] table"),
                ));
            }
        }
        let number = |key: &str, v: &toml::Value| -> Result<f64, InputError> {
            let x = match v {
                toml::Value::Integer(i) => *i as f64,
                toml::Value::Float(f) => *f,
                other => {
                    return Err(err(
                        key,
                        format!("weight '{key}' must be a number, found {other}"),
                    ))
                }
            };
            if !x.is_finite() || x < 0.0 {
                return Err(err(
                    key,
                    format!("weight '{key}' must be a non-negative number, found {x}"),
                ));
            }
            Ok(x)
        };
        let name = match table.get("name") {
            Some(toml::Value::String(s)) => s.clone(),
            Some(_) => return Err(err("name", "'name' must be a string".into())),
            None => path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default(),
        };
        let legal_direction = match table.get("legal_direction") {
            Some(v) => number("legal_direction", v)?,
            None => {
                return Err(InputError::file(
                    path,
                    "missing key 'legal_direction' (use 0 for no extra weight)",
                ))
            }
        };
        let Some(toml::Value::Table(levels_table)) = table.get("support_level") else {
            return Err(InputError::file(
                path,
                "missing [support_level] table with weights for levels 1 to 6",
            ));
        };
        let mut levels = [0.0; LEVELS];
        for key in levels_table.keys() {
            if !matches!(key.parse::<usize>(), Ok(1..=LEVELS)) {
                return Err(err(
                    key,
                    format!("unknown support level '{key}' in [support_level]; expected 1 to 6"),
                ));
            }
        }
        for (i, slot) in levels.iter_mut().enumerate() {
            let key = (i + 1).to_string();
            let v = levels_table.get(&key).ok_or_else(|| {
                InputError::file(
                    path,
                    format!(
                        "[support_level] has no weight for level {key}; all of 1 to 6 are required"
                    ),
                )
            })?;
            *slot = number(&key, v)?;
        }
        Ok(Weights {
            name,
            levels,
            legal_direction,
        })
    }

    pub fn load(path: &Path) -> Result<Weights, InputError> {
        let text = std::fs::read_to_string(path).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => InputError::file(path, "weights file not found"),
            _ => InputError::file(path, format!("cannot read weights file: {e}")),
        })?;
        Weights::parse(path, &text)
    }

    /// The weights as TOML, as recorded alongside every run's outputs.
    pub fn to_toml(&self) -> String {
        let mut s = format!(
            "# Severity weights used for this run.\nname = {:?}\nlegal_direction = {}\n\n[support_level]\n",
            self.name, self.legal_direction
        );
        for (i, w) in self.levels.iter().enumerate() {
            s.push_str(&format!("{} = {}\n", i + 1, w));
        }
        s
    }
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
    fn bad_toml_is_located() {
        let e = parse("name = \nlegal_direction = 1").unwrap_err();
        assert_eq!(e.line, Some(1));
    }
}
