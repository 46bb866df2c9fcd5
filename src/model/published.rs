//! The published record (`data/published/`) as the stages see it: per-CCG facts, aggregates,
//! NHS England's later ratings and the sources cited. Read by `io::published`; nothing here is
//! reconstructed.

use crate::error::InputError;
use crate::model::InputFile;
use std::collections::BTreeSet;
use std::path::PathBuf;

pub const DIR: &str = "published";

#[derive(Debug, Clone)]
pub struct Aggregate {
    pub scope: String,
    pub metric: String,
    pub value: String,
    pub source_url: String,
}

/// A CCG's published authorisation outcome (from `outcomes.csv`).
#[derive(Debug, Clone)]
pub struct Outcome {
    pub ods_code: String,
    pub name: String,
    /// Exact initial number of conditions, when published.
    pub conditions: Option<u32>,
    pub legal_direction: bool,
    /// Highest support level published for the CCG.
    pub top_level: Option<u8>,
    /// Number of conditions known to be at level IV or above.
    pub level_iv_or_higher: Option<u32>,
    pub source_url: String,
}

/// A condition whose criterion (and perhaps level) is published.
#[derive(Debug, Clone)]
pub struct Itemised {
    pub ods_code: String,
    pub criterion: String,
    pub support_level: Option<u8>,
    pub legal_direction: bool,
    pub source_url: String,
}

#[derive(Debug, Clone)]
pub struct Fact {
    pub ods_code: String,
    pub fact: String,
    pub value: String,
    pub source_url: String,
}

#[derive(Debug, Clone)]
pub struct Published {
    pub dir: PathBuf,
    pub aggregates: Vec<Aggregate>,
    pub outcomes: Vec<Outcome>,
    pub itemised: Vec<Itemised>,
    pub facts: Vec<Fact>,
    /// NHS England's later ratings of CCGs (2015/16, 2016/17), their published totals, and the
    /// mergers between 2013 and then; empty when the files are absent.
    pub later: LaterRecord,
    /// Sources of the CSU assignments (`csu_evidence.csv`, optional), cited in the report.
    pub csu_evidence_sources: Vec<String>,
    /// The files read, with their SHA-256 (for the run's input manifest).
    pub files: Vec<InputFile>,
}

/// The sources one file of `data/published/` cites: its rows, and each address once, sorted.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct SourceFile {
    pub file: String,
    pub rows: usize,
    pub urls: Vec<String>,
}

impl SourceFile {
    pub(crate) fn new<'a>(file: &str, cited: impl Iterator<Item = &'a str>) -> Option<SourceFile> {
        let mut rows = 0;
        let mut urls: Vec<String> = cited
            .inspect(|_| rows += 1)
            .map(str::trim)
            .filter(|u| !u.is_empty())
            .map(String::from)
            .collect();
        urls.sort();
        urls.dedup();
        (rows > 0).then(|| SourceFile {
            file: file.into(),
            rows,
            urls,
        })
    }
}

/// The files every published folder holds, in the order `Published::load` reads them.
pub const REQUIRED: [&str; 4] = [AGGREGATES, OUTCOMES, ITEMISED, FACTS];
pub const AGGREGATES: &str = "aggregates.csv";
pub const OUTCOMES: &str = "outcomes.csv";
pub const ITEMISED: &str = "itemised_conditions.csv";
pub const FACTS: &str = "facts.csv";

impl Published {
    /// Every source address the published files cite, file by file (in the order read).
    pub fn sources(&self) -> Vec<SourceFile> {
        let l = &self.later;
        [
            SourceFile::new(
                "aggregates.csv",
                self.aggregates.iter().map(|x| x.source_url.as_str()),
            ),
            SourceFile::new(
                "outcomes.csv",
                self.outcomes.iter().map(|x| x.source_url.as_str()),
            ),
            SourceFile::new(
                "itemised_conditions.csv",
                self.itemised.iter().map(|x| x.source_url.as_str()),
            ),
            SourceFile::new(
                "facts.csv",
                self.facts.iter().map(|x| x.source_url.as_str()),
            ),
            SourceFile::new(
                LATER_RATINGS,
                l.ratings.iter().map(|x| x.source_url.as_str()),
            ),
            SourceFile::new(LATER_TOTALS, l.totals.iter().map(|x| x.source_url.as_str())),
            SourceFile::new(MERGERS, l.mergers.iter().map(|x| x.source_url.as_str())),
            SourceFile::new(LATER_GROUPS, l.groups.iter().map(|x| x.source_url.as_str())),
            SourceFile::new(
                CSU_EVIDENCE,
                self.csu_evidence_sources.iter().map(String::as_str),
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// An integer aggregate by scope and metric.
    pub fn aggregate(&self, scope: &str, metric: &str) -> Option<u32> {
        self.aggregates
            .iter()
            .find(|a| a.scope == scope && a.metric == metric)
            .and_then(|a| a.value.trim().parse().ok())
    }

    /// Like `aggregate`, but an error when the figure is missing.
    pub fn require(&self, scope: &str, metric: &str) -> Result<u32, InputError> {
        self.aggregate(scope, metric).ok_or_else(|| {
            InputError::file(
                &self.dir.join("aggregates.csv"),
                format!("missing integer aggregate scope={scope} metric={metric}"),
            )
        })
    }

    pub fn outcome(&self, ods: &str) -> Option<&Outcome> {
        self.outcomes.iter().find(|o| o.ods_code == ods)
    }

    /// CCGs having a fact with this name and value "1".
    pub fn ccgs_with_fact(&self, fact: &str) -> BTreeSet<String> {
        self.facts
            .iter()
            .filter(|f| f.fact == fact && f.value.trim() == "1")
            .map(|f| f.ods_code.clone())
            .collect()
    }
}

/// The scope name used in aggregates.csv for a region.
pub fn region_scope(region: &str) -> String {
    format!("region_{}", region.to_lowercase().replace(' ', "_"))
}

pub const CSU_EVIDENCE: &str = "csu_evidence.csv";

pub const LATER_RATINGS: &str = "later_ratings.csv";
pub const LATER_TOTALS: &str = "later_rating_totals.csv";
pub const MERGERS: &str = "ccg_mergers.csv";
pub const LATER_GROUPS: &str = "later_rating_groups.csv";
/// The four categories of NHS England's ratings, best first.
pub const RATINGS: [&str; 4] = ["outstanding", "good", "requires_improvement", "inadequate"];

/// One CCG's rating in one year, as a source states it.
#[derive(Debug, Clone)]
pub struct LaterRating {
    pub year: String,
    pub ccg_name: String,
    /// The 2013 CCGs it covers (several for a CCG formed by merger).
    pub ods_codes: Vec<String>,
    pub rating: String,
    pub special_measures: Option<bool>,
    /// The rating or its year is read from a source that does not state it directly (a
    /// "fourth year running", two sources combined, an unlabelled table).
    pub derived: bool,
    pub source_url: String,
    /// Line in later_ratings.csv (for check-data).
    pub line: u64,
}

/// A published national total of one rating category in one year (`all`: CCGs rated;
/// `outstanding+good`: the two together, where no source splits them).
#[derive(Debug, Clone)]
pub struct RatingTotal {
    pub year: String,
    pub rating: String,
    pub total: u32,
    /// Derived from what a source states (percentages of a known total), not stated.
    pub derived: bool,
    pub source_url: String,
    /// Line in later_rating_totals.csv.
    pub line: u64,
}

impl RatingTotal {
    /// The categories it counts (indices into `RATINGS`); empty for `all`.
    pub fn categories(&self) -> Vec<usize> {
        self.rating
            .split('+')
            .filter_map(|r| RATINGS.iter().position(|x| *x == r))
            .collect()
    }
}

/// How a statement's count binds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    Exactly,
    AtLeast,
    AtMost,
}

/// A published count of CCGs in one rating category within a stated group ("the only CCG in
/// Greater Manchester rated outstanding"). `ods_codes` is empty when the source does not say
/// which CCGs the group holds: such a statement is kept for the record but cannot be checked.
#[derive(Debug, Clone)]
pub struct GroupStatement {
    pub year: String,
    pub rating: String,
    pub group: String,
    pub ods_codes: Vec<String>,
    pub count: u32,
    pub relation: Relation,
    pub derived: bool,
    pub source_url: String,
    /// Line in later_rating_groups.csv.
    pub line: u64,
}

impl GroupStatement {
    /// The statement's count as an inclusive range.
    pub fn range(&self) -> (u32, u32) {
        match self.relation {
            Relation::Exactly => (self.count, self.count),
            Relation::AtLeast => (self.count, u32::MAX),
            Relation::AtMost => (0, self.count),
        }
    }
}

/// A merger of 2013 CCGs into one body, from a date (YYYY-MM-DD).
#[derive(Debug, Clone)]
pub struct Merger {
    pub effective: String,
    pub merged_name: String,
    pub ods_codes: Vec<String>,
    pub source_url: String,
}

#[derive(Debug, Clone, Default)]
pub struct LaterRecord {
    pub ratings: Vec<LaterRating>,
    pub totals: Vec<RatingTotal>,
    pub mergers: Vec<Merger>,
    /// Published counts within stated groups (`later_rating_groups.csv`, optional).
    pub groups: Vec<GroupStatement>,
}
