//! Every chart a run can draw, as one type: each chart's file name, whether this run draws it,
//! its drawing (`figures`) and its caption and alt text (`captions`) are found from here.
//! Adding a chart: a variant, its line in each match below, a drawing and a caption function.

use crate::render::charts::{Layout, Target};
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

    /// Draw it on a target (nothing when the run does not draw it).
    pub fn draw(self, to: Target, f: &Findings, ctx: &figures::Context) -> anyhow::Result<()> {
        if !self.drawn(f) {
            return Ok(());
        }
        match self {
            Chart::Distribution => figures::distribution(to, f, ctx),
            Chart::RegionMedians => figures::region_medians(to, f, ctx),
            Chart::CsuScores => figures::csu_scores(to, f, ctx),
            Chart::ScoreVsPopulation => figures::score_vs_population(to, f, ctx),
            Chart::ScoreVsDeprivation => figures::score_vs_deprivation(to, f, ctx),
            Chart::FunnelPopulation => figures::funnel_plot(to, f, ctx),
            Chart::DirectionsByRegion => figures::directions(to, f),
            Chart::LaterRatingsByRegion => figures::later_ratings(to, f),
            Chart::AreaTeamMedians => figures::area_team_medians(to, f, ctx),
            Chart::Bounds => figures::bounds(to, f),
        }
    }

    /// Draw it into `dir` as its PNG file (nothing when the run does not draw it).
    pub fn draw_png(
        self,
        dir: &std::path::Path,
        f: &Findings,
        ctx: &figures::Context,
    ) -> anyhow::Result<()> {
        self.draw(Target::Png(&dir.join(self.file())), f, ctx)
    }

    /// Charts with one mark per CCG: vector drawings of them grow with the CCGs.
    pub fn mark_per_ccg(self) -> bool {
        matches!(
            self,
            Chart::ScoreVsPopulation | Chart::ScoreVsDeprivation | Chart::FunnelPopulation
        )
    }

    /// Its SVG drawings for report.html, or None when the run does not draw it or it has a
    /// mark per CCG and more than `MAX_VECTOR_MARKS` CCGs (the page keeps the PNG, so a
    /// synthetic 100,000-CCG report stays the size it was).
    pub fn vector(
        self,
        f: &Findings,
        ctx: &figures::Context,
    ) -> anyhow::Result<Option<figures::Vector>> {
        if !self.drawn(f) || (self.mark_per_ccg() && f.headline.n_ccgs > MAX_VECTOR_MARKS) {
            return Ok(None);
        }
        Ok(Some(figures::Vector {
            desktop: figures::svg(Layout::Desktop, |to| self.draw(to, f, ctx))?,
            phone: figures::svg(Layout::Phone, |to| self.draw(to, f, ctx))?,
        }))
    }
}

/// Beyond this many CCGs, charts with a mark per CCG are embedded in report.html as PNG.
pub const MAX_VECTOR_MARKS: usize = 2000;
