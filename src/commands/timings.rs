//! What `analyse --timings FILE` writes: its stage timings and peak memory, read by the benchmark
//! harness (`benches/bench.rs`, run with `cargo bench`), which runs `analyse` as a child process.

use serde::{Deserialize, Serialize};

/// What an `analyse --timings FILE` child writes.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ChildReport {
    pub stages: Vec<(String, f64)>,
    pub peak_rss_kib: u64,
}

/// Peak resident memory of this process (Linux: VmHWM), in KiB; 0 when unknown.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}
