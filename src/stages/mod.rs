//! The pure stages of `analyse` (their order is `pipeline::compute`), the published record's
//! bounds (`bounds/`), and the seeded reconstruction they share with the `reconstruct` command.

pub mod adjusted;
pub mod area_teams;
pub mod bounds;
pub mod counts;
pub mod csu_within_region;
pub mod data_checks;
pub mod decomposition;
pub mod findings;
#[cfg(test)]
pub(crate) mod fixtures;
pub mod funnel;
pub mod groups;
pub mod headline;
pub mod later_ratings;
pub mod median_sampler;
pub mod published_only;
pub mod reconstruct;
pub mod resample;
pub mod robustness;
pub mod score;
pub mod sensitivity;
pub mod significance;
