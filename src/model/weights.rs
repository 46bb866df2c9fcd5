//! Severity weights: how much a condition at each support level counts (read by
//! `io::weights`).

use crate::model::LEVELS;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Weights {
    /// A short name for the scheme (recorded in every output).
    pub name: String,
    /// Weight of one condition at support level i+1.
    #[serde(rename = "support_level")]
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

    /// The level weights as "1/2/4/8/16/32", for tables.
    pub fn levels_text(&self) -> String {
        self.levels
            .iter()
            .map(|x| crate::format::num(*x))
            .collect::<Vec<_>>()
            .join("/")
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

    /// The weights as TOML, as recorded alongside every run's outputs (whole numbers written
    /// as integers, as people write them).
    pub fn to_toml(&self) -> String {
        let number = |x: f64| {
            if x.fract() == 0.0 && x.abs() < 1e15 {
                toml::Value::Integer(x as i64)
            } else {
                toml::Value::Float(x)
            }
        };
        let levels: toml::Table = self
            .levels
            .iter()
            .enumerate()
            .map(|(i, w)| ((i + 1).to_string(), number(*w)))
            .collect();
        // A struct, so the keys keep the order people read them in.
        #[derive(Serialize)]
        struct Written {
            name: String,
            legal_direction: toml::Value,
            support_level: toml::Table,
        }
        let file = Written {
            name: self.name.clone(),
            legal_direction: number(self.legal_direction),
            support_level: levels,
        };
        let body = toml::to_string(&file).expect("weights serialise to TOML");
        format!("# Severity weights used for this run.\n{body}")
    }
}
