//! Every chart a run can draw, as one type: each chart's file name, whether this run draws it,
//! its drawing (`figures`) and its caption and alt text (`captions`) are found from here.
//! Adding a chart: a variant, its line in each match below, a drawing and a caption function.

use crate::render::document::{text, Block};
use crate::render::{captions, figures};
use crate::stages::findings::Findings;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Chart {
    Distribution,
    RegionMedians,
    CsuScores,
    ScoreVsPopulation,
    ScoreVsDeprivation,
    FunnelPopulation,
    DirectionsByRegion,
    LaterRatingsByRegion,
    AreaTeamMedians,
    Bounds,
}

impl Chart {
    /// Every chart, in drawing order.
    pub const ALL: [Chart; 10] = [
        Chart::Distribution,
        Chart::RegionMedians,
        Chart::CsuScores,
        Chart::ScoreVsPopulation,
        Chart::ScoreVsDeprivation,
        Chart::FunnelPopulation,
        Chart::DirectionsByRegion,
        Chart::LaterRatingsByRegion,
        Chart::AreaTeamMedians,
        Chart::Bounds,
    ];

    /// The file it is written to, in the output directory.
    pub fn file(self) -> &'static str {
        match self {
            Chart::Distribution => "distribution.png",
            Chart::RegionMedians => "region_medians.png",
            Chart::CsuScores => "csu_scores.png",
            Chart::ScoreVsPopulation => "score_vs_population.png",
            Chart::ScoreVsDeprivation => "score_vs_deprivation.png",
            Chart::FunnelPopulation => "funnel_population.png",
            Chart::DirectionsByRegion => "directions_by_region.png",
            Chart::LaterRatingsByRegion => "later_ratings_by_region.png",
            Chart::AreaTeamMedians => "area_team_medians.png",
            Chart::Bounds => "bounds.png",
        }
    }

    /// Whether this run draws it: four charts need published facts or area teams.
    pub fn drawn(self, f: &Findings) -> bool {
        match self {
            Chart::DirectionsByRegion => f.published_only.is_some(),
            Chart::LaterRatingsByRegion => f
                .later_ratings
                .as_ref()
                .is_some_and(|l| !l.ranges.is_empty()),
            Chart::AreaTeamMedians => f.area_teams.is_some(),
            Chart::Bounds => f.record.is_some(),
            _ => true,
        }
    }

    /// (alt text, caption in light markup), or None when the run does not draw it.
    pub fn caption(self, f: &Findings) -> Option<(String, String)> {
        if !self.drawn(f) {
            return None;
        }
        match self {
            Chart::Distribution => captions::distribution(f),
            Chart::RegionMedians => captions::region_medians(f),
            Chart::CsuScores => captions::csu_scores(f),
            Chart::ScoreVsPopulation => captions::score_vs_population(f),
            Chart::ScoreVsDeprivation => captions::score_vs_deprivation(f),
            Chart::FunnelPopulation => captions::funnel_population(f),
            Chart::DirectionsByRegion => captions::directions_by_region(f),
            Chart::LaterRatingsByRegion => captions::later_ratings_by_region(f),
            Chart::AreaTeamMedians => captions::area_team_medians(f),
            Chart::Bounds => captions::bounds(f),
        }
    }

    /// The chart as a figure of the document (alt text, caption), or None when not drawn.
    pub fn figure(self, f: &Findings) -> Option<Block> {
        self.caption(f).map(|(alt, caption)| Block::Figure {
            file: self.file().into(),
            alt,
            // Captions carry names from the data: plain text, never read as markup.
            caption: vec![text(caption)],
        })
    }

    /// Draw it into `dir` (nothing when the run does not draw it).
    pub fn draw(
        self,
        dir: &std::path::Path,
        f: &Findings,
        ctx: &figures::Context,
    ) -> anyhow::Result<()> {
        if !self.drawn(f) {
            return Ok(());
        }
        let path = dir.join(self.file());
        match self {
            Chart::Distribution => figures::distribution(&path, f, ctx),
            Chart::RegionMedians => figures::region_medians(&path, f, ctx),
            Chart::CsuScores => figures::csu_scores(&path, f, ctx),
            Chart::ScoreVsPopulation => figures::score_vs_population(&path, f, ctx),
            Chart::ScoreVsDeprivation => figures::score_vs_deprivation(&path, f, ctx),
            Chart::FunnelPopulation => figures::funnel_plot(&path, f, ctx),
            Chart::DirectionsByRegion => figures::directions(&path, f),
            Chart::LaterRatingsByRegion => figures::later_ratings(&path, f),
            Chart::AreaTeamMedians => figures::area_team_medians(&path, f, ctx),
            Chart::Bounds => figures::bounds(&path, f),
        }
    }
}
