//! Distinct persons of the persons family ([`super`]): per perimeter and year, all of
//! them and those present at 31/12, then by age band and by sex.

use polars::prelude::*;

use super::{BAND, P, PRESENT_, SEX};
use crate::error::Error;
use crate::indicators::frame::{self, Perimeters, k};

/// Distinct persons per perimeter and year: all of them (`actifs`) and those present at
/// 31/12 (`presents`), then by age band and by sex (`n`), each person counted with the
/// age band and sex of their first accompaniment in progress in the perimeter (in the
/// order of the table: the expansion keeps it, and `first()` keeps the order within a
/// group).
pub(super) struct People {
    pub(super) persons: DataFrame,
    pub(super) by_band: DataFrame,
    pub(super) by_sex: DataFrame,
}

impl People {
    /// Computed one year at a time: the expansion to perimeters multiplies the
    /// accompaniments by the perimeters of their service (five at most), and grouping
    /// the expanded rows of every year at once held 1,5 GB on a national network
    /// (docs/architecture.md, « Indicators in bounded memory »). Years are disjoint
    /// groups, so the counts are the same.
    pub(super) fn count(
        perimeters: &Perimeters,
        active: LazyFrame,
        years: std::ops::RangeInclusive<i32>,
    ) -> Result<People, Error> {
        // The five columns the counts read, once for every year.
        let active = active
            .select([
                col(k::SERVICE),
                col(k::YEAR),
                col(P),
                col(BAND),
                col(SEX),
                col(PRESENT_),
            ])
            .collect()?;
        let key = || vec![col(k::PERIMETER), col(k::YEAR)];
        let by = |c: &str| {
            let mut v = key();
            v.push(col(c));
            v
        };
        let (mut persons, mut by_band, mut by_sex) = (Vec::new(), Vec::new(), Vec::new());
        // A period without years still gives the frames their columns (and no row).
        let mut filters: Vec<Expr> = years.map(|y| col(k::YEAR).eq(lit(y))).collect();
        if filters.is_empty() {
            filters.push(lit(false));
        }
        // Within one year, a person of a perimeter is one integer key (`frame::pair`),
        // and the year is the same on every row: it is carried, not grouped on.
        for this_year in filters {
            let people = perimeters
                .expand(active.clone().lazy().filter(this_year))
                .group_by([frame::pair(col(k::PERIMETER), col(P)).alias(P)])
                .agg([
                    col(k::PERIMETER).first(),
                    col(k::YEAR).first(),
                    col(BAND).first(),
                    col(SEX).first(),
                    col(PRESENT_).any(true),
                ])
                .collect()?;
            persons.push(
                people
                    .clone()
                    .lazy()
                    .group_by([col(k::PERIMETER)])
                    .agg([
                        col(k::YEAR).first(),
                        len().cast(DataType::Int64).alias("actifs"),
                        col(PRESENT_).sum().cast(DataType::Int64).alias("presents"),
                    ])
                    .collect()?,
            );
            let n = |c: &str| {
                people
                    .clone()
                    .lazy()
                    .group_by([col(k::PERIMETER), col(c)])
                    .agg([col(k::YEAR).first(), len().cast(DataType::Int64).alias("n")])
                    .select(by(c).into_iter().chain([col("n")]).collect::<Vec<_>>())
                    .collect()
            };
            by_band.push(n(BAND)?);
            by_sex.push(n(SEX)?);
            // No walk of the allocator's lists here: what a year's plans free stays in
            // glibc's arenas for the next year's plans, and the walk after each family
            // gives it back. A walk a year cost 20–33 ms each and the pages faulted in
            // again, for a stage peak well under linkage's (docs/architecture.md,
            // « Benchmarks », fifteenth pass).
        }
        let stack = |parts: Vec<DataFrame>| -> Result<DataFrame, Error> {
            let lazy: Vec<LazyFrame> = parts.into_iter().map(DataFrame::lazy).collect();
            Ok(concat(lazy, UnionArgs::default())?.collect()?)
        };
        Ok(People {
            persons: stack(persons)?,
            by_band: stack(by_band)?,
            by_sex: stack(by_sex)?,
        })
    }
}
