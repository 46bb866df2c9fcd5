//! Synthetic inputs for benchmarks: N organisations across the four regions and a few dozen
//! CSUs, about ten conditions each, in the same file formats as the real data.

use anyhow::Result;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::io::Write;
use std::path::Path;

/// Write ccgs.csv, conditions.csv and weights.toml for `n` synthetic organisations into `dir`.
/// Returns the number of condition rows.
pub fn write(dir: &Path, n: usize, seed: u64) -> Result<usize> {
    std::fs::create_dir_all(dir)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let n_csu = (20 + n / 1000).min(40);
    let mut ccgs = std::io::BufWriter::new(std::fs::File::create(dir.join("ccgs.csv"))?);
    let mut conds = std::io::BufWriter::new(std::fs::File::create(dir.join("conditions.csv"))?);
    writeln!(
        ccgs,
        "ods_code,name,region,csu,csu_basis,population,imd_score,wave"
    )?;
    writeln!(
        conds,
        "ods_code,criterion,support_level,legal_direction,provenance,source"
    )?;
    let mut rows = 0;
    for i in 0..n {
        let region = crate::model::REGIONS[rng.gen_range(0..4)];
        let csu = rng.gen_range(0..n_csu);
        writeln!(
            ccgs,
            "S{i:07},Synthetic organisation {i},{region},Synthetic CSU {csu:02},geography,{},{:.2},{}",
            rng.gen_range(50_000..1_000_000),
            rng.gen_range(5.0..50.0),
            rng.gen_range(1..=4)
        )?;
        // 0–20 conditions, mean 10.
        let k = rng.gen_range(0..=20);
        let directed = rng.gen_bool(0.01);
        for j in 0..k {
            let level = if directed && j == 0 {
                4
            } else {
                rng.gen_range(1..=3)
            };
            writeln!(
                conds,
                "S{i:07},{}.{}A,{level},{},reconstructed,synthetic (seed {seed})",
                rng.gen_range(1..=6),
                rng.gen_range(1..=4),
                directed && j == 0
            )?;
            rows += 1;
        }
    }
    ccgs.flush()?;
    conds.flush()?;
    std::fs::write(
        dir.join("weights.toml"),
        "name = \"doubling\"\nlegal_direction = 0\n[support_level]\n1 = 1\n2 = 2\n3 = 4\n4 = 8\n5 = 16\n6 = 32\n",
    )?;
    Ok(rows)
}
