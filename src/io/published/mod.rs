//! The published record (`data/published/`): per-CCG facts, aggregates, and the machine-readable
//! distillations that `reconstruct` and `check-data` use. Nothing here is reconstructed.
//!
//! This module knows which files a folder holds (`Files`) and puts `Published` together;
//! `record_2013` reads the record of the 2013 authorisation (aggregates, outcomes, itemised
//! conditions, facts, CSU evidence) and `later_ratings` NHS England's later ratings, their
//! totals, the mergers and the group statements. Every closed vocabulary is checked against
//! `io::rules`.

mod later_ratings;
mod record_2013;

use crate::error::InputError;
use crate::io::files::InputFile;
use crate::io::table::{self, Schema};
pub use crate::model::published::*;
use std::path::{Path, PathBuf};

/// Which of the optional published files a folder holds: `load` reads by it, and `list` names
/// every file `load` reads, in its order (for `io::read::InputPaths`).
pub struct Files {
    pub later: bool,
    pub later_groups: bool,
    pub csu_evidence: bool,
}

impl Files {
    pub fn of(dir: &Path) -> Files {
        let later = dir.join(LATER_RATINGS).exists();
        Files {
            later,
            later_groups: later && dir.join(LATER_GROUPS).exists(),
            csu_evidence: dir.join(CSU_EVIDENCE).exists(),
        }
    }

    pub fn list(&self, dir: &Path) -> Vec<PathBuf> {
        let later: &[&str] = match (self.later, self.later_groups) {
            (false, _) => &[],
            (true, false) => &[LATER_RATINGS, LATER_TOTALS, MERGERS],
            (true, true) => &[LATER_RATINGS, LATER_TOTALS, MERGERS, LATER_GROUPS],
        };
        let evidence: &[&str] = if self.csu_evidence {
            &[CSU_EVIDENCE]
        } else {
            &[]
        };
        REQUIRED
            .iter()
            .chain(later)
            .chain(evidence)
            .map(|name| dir.join(name))
            .collect()
    }
}

impl Published {
    /// Load `DATA_DIR/published/` if it exists (a user's own official tables may come without it).
    pub fn load_if_present(data_dir: &Path) -> Result<Option<Published>, InputError> {
        let dir = data_dir.join(DIR);
        if !dir.is_dir() {
            return Ok(None);
        }
        Published::load(&dir).map(Some)
    }

    pub fn load(dir: &Path) -> Result<Published, InputError> {
        let which = Files::of(dir);
        let mut files = Vec::new();
        let aggregates = record_2013::load_aggregates(dir, &mut files)?;
        let outcomes = record_2013::load_outcomes(dir, &mut files)?;
        let itemised = record_2013::load_itemised(dir, &mut files)?;
        let facts = record_2013::load_facts(dir, &mut files)?;
        let later = if which.later {
            later_ratings::load_later(dir, which.later_groups, &mut files)?
        } else {
            LaterRecord::default()
        };
        let csu_evidence_sources = if which.csu_evidence {
            record_2013::load_csu_evidence(dir, &mut files)?
        } else {
            vec![]
        };
        Ok(Published {
            dir: dir.to_path_buf(),
            aggregates,
            outcomes,
            itemised,
            facts,
            later,
            csu_evidence_sources,
            files,
        })
    }
}

/// Read one published file whole against its schema, recording its hash.
fn read_table(
    files: &mut Vec<InputFile>,
    path: &Path,
    schema: &Schema,
) -> Result<table::Table, InputError> {
    crate::io::files::read_hashed(path, files, |p, bytes| table::parse(p, bytes, schema))
}
