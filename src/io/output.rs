//! Atomic output: a run writes into a temporary directory beside the output directory and
//! swaps it into place only when everything has been written. A failed or killed run leaves
//! the previous outputs as they were.

use crate::error::OutputError;
use std::path::{Path, PathBuf};

pub struct Staging {
    final_dir: PathBuf,
    tmp: PathBuf,
    committed: bool,
}

fn out_err(path: &Path, e: impl std::fmt::Display) -> OutputError {
    OutputError {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// The hidden sibling names a run uses, e.g. `.output.tmp-1234` for `output/`.
fn sibling(final_dir: &Path, kind: &str, pid: u32) -> PathBuf {
    let name = final_dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "output".into());
    final_dir.with_file_name(format!(".{name}.{kind}-{pid}"))
}

impl Staging {
    /// Prepare a fresh temporary directory beside `final_dir`.
    pub fn new(final_dir: &Path) -> Result<Staging, OutputError> {
        let final_dir = if final_dir.is_absolute() {
            final_dir.to_path_buf()
        } else {
            std::env::current_dir()
                .map_err(|e| out_err(final_dir, e))?
                .join(final_dir)
        };
        let parent = final_dir
            .parent()
            .ok_or_else(|| out_err(&final_dir, "has no parent directory"))?;
        std::fs::create_dir_all(parent).map_err(|e| out_err(parent, e))?;
        if final_dir.exists() && !final_dir.is_dir() {
            return Err(out_err(&final_dir, "exists and is not a directory"));
        }
        remove_stale(&final_dir);
        let tmp = sibling(&final_dir, "tmp", std::process::id());
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| out_err(&tmp, e))?;
        }
        std::fs::create_dir(&tmp)
            .map_err(|e| out_err(&tmp, format!("cannot create temporary directory: {e}")))?;
        Ok(Staging {
            final_dir,
            tmp,
            committed: false,
        })
    }

    /// Where a file of this run should be written before commit.
    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.join(name)
    }

    /// Write a file of this run (`name` may name a subfolder, which is made).
    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> Result<(), OutputError> {
        let p = self.path(name);
        if let Some(dir) = p.parent().filter(|d| !d.exists()) {
            std::fs::create_dir_all(dir).map_err(|e| out_err(dir, e))?;
        }
        std::fs::write(&p, bytes).map_err(|e| out_err(&p, e))
    }

    /// A file written earlier in this run (charts, for the report to embed).
    pub fn read(&self, name: &str) -> Result<Vec<u8>, OutputError> {
        let p = self.path(name);
        std::fs::read(&p).map_err(|e| out_err(&p, e))
    }

    /// The names of the files written so far, sorted.
    pub fn file_names(&self) -> Result<Vec<String>, OutputError> {
        let mut files: Vec<String> = std::fs::read_dir(&self.tmp)
            .map_err(|e| out_err(&self.tmp, e))?
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        Ok(files)
    }

    /// Swap the finished directory into place.
    pub fn commit(mut self) -> Result<(), OutputError> {
        let old = sibling(&self.final_dir, "old", std::process::id());
        let had_previous = self.final_dir.exists();
        if had_previous {
            std::fs::rename(&self.final_dir, &old).map_err(|e| out_err(&self.final_dir, e))?;
        }
        if let Err(e) = std::fs::rename(&self.tmp, &self.final_dir) {
            if had_previous {
                let _ = std::fs::rename(&old, &self.final_dir);
            }
            return Err(out_err(&self.final_dir, e));
        }
        self.committed = true;
        if had_previous {
            let _ = std::fs::remove_dir_all(&old);
        }
        Ok(())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if !self.committed {
            let _ = std::fs::remove_dir_all(&self.tmp);
        }
    }
}

/// Clean up after runs that were killed (their process is gone): remove their temporary
/// directories, and if one died between the two renames of `commit`, when its `old-PID`
/// directory holds the only copy of the previous outputs, put that copy back first.
fn remove_stale(final_dir: &Path) {
    let (Some(parent), Some(name)) = (final_dir.parent(), final_dir.file_name()) else {
        return;
    };
    let prefix = format!(".{}.", name.to_string_lossy());
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    let mut dead: Vec<(String, PathBuf)> = entries
        .flatten()
        .filter_map(|entry| {
            let file = entry.file_name().to_string_lossy().into_owned();
            let rest = file.strip_prefix(&prefix)?.to_string();
            let pid = rest
                .rsplit('-')
                .next()
                .and_then(|p| p.parse::<u32>().ok())?;
            let alive = Path::new(&format!("/proc/{pid}")).exists();
            (!alive && (rest.starts_with("tmp-") || rest.starts_with("old-")))
                .then(|| (rest, entry.path()))
        })
        .collect();
    dead.sort();
    if !final_dir.exists() {
        if let Some((_, old)) = dead.iter().find(|(rest, _)| rest.starts_with("old-")) {
            let _ = std::fs::rename(old, final_dir);
        }
    }
    for (_, path) in dead {
        if path.exists() {
            let _ = std::fs::remove_dir_all(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_replaces_and_drop_discards() {
        let dir =
            std::env::temp_dir().join(format!("ccg-divide-staging-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("output");
        std::fs::create_dir(&out).unwrap();
        std::fs::write(out.join("old.txt"), "old").unwrap();

        // A run that fails before commit leaves the previous outputs alone.
        {
            let s = Staging::new(&out).unwrap();
            s.write("new.txt", "new").unwrap();
        }
        assert_eq!(std::fs::read_to_string(out.join("old.txt")).unwrap(), "old");
        assert!(!out.join("new.txt").exists());

        let s = Staging::new(&out).unwrap();
        s.write("new.txt", "new").unwrap();
        s.commit().unwrap();
        assert!(!out.join("old.txt").exists());
        assert_eq!(std::fs::read_to_string(out.join("new.txt")).unwrap(), "new");
        let leftovers: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(leftovers.len(), 1, "{leftovers:?}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_run_killed_between_the_renames_gets_its_previous_outputs_back() {
        let dir =
            std::env::temp_dir().join(format!("ccg-divide-stale-test-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let out = dir.join("output");
        // A dead run (no such pid) moved output/ aside and died before renaming its new one in.
        let dead_pid = u32::MAX - 7;
        let old = sibling(&out, "old", dead_pid);
        std::fs::create_dir(&old).unwrap();
        std::fs::write(old.join("findings.md"), "previous").unwrap();
        let tmp = sibling(&out, "tmp", dead_pid);
        std::fs::create_dir(&tmp).unwrap();
        std::fs::write(tmp.join("findings.md"), "half written").unwrap();

        let s = Staging::new(&out).unwrap();
        assert_eq!(
            std::fs::read_to_string(out.join("findings.md")).unwrap(),
            "previous"
        );
        assert!(!old.exists() && !tmp.exists());
        drop(s);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
