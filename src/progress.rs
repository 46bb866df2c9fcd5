//! Progress of the long stages (resampling, reconstructions), reported to whoever asked: the
//! library never prints; the command line draws bars when stderr is a terminal.

use std::sync::Arc;

type Report = dyn Fn(&'static str, u64, u64) + Send + Sync;

/// A sink for (stage, steps just done, total steps). The default reports nowhere.
#[derive(Clone, Default)]
pub struct Progress(Option<Arc<Report>>);

impl Progress {
    pub fn new(report: impl Fn(&'static str, u64, u64) + Send + Sync + 'static) -> Progress {
        Progress(Some(Arc::new(report)))
    }

    /// `done` more steps of `total` in `stage`.
    pub fn advance(&self, stage: &'static str, done: u64, total: u64) {
        if let Some(report) = &self.0 {
            report(stage, done, total);
        }
    }
}

impl std::fmt::Debug for Progress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Progress(on)"
        } else {
            "Progress(off)"
        })
    }
}

/// How many steps a kernel does between two reports (cheap enough to ignore either way).
pub const EVERY: usize = 500;
