//! Cross-sector indicators (the collective's headline figures): the share of children
//! with a child-protection measure in the year who are also accompanied by a DITEP in
//! the year, and the share of DITEP children who have a child-protection measure in the
//! year — numerator and denominator, pooled, by département, by type of measure and by
//! age band, per year. They need linked persons (stage `link`).

use std::collections::BTreeSet;

use polars::prelude::*;

use super::frame::{self, UNKNOWN, fields, k};
use super::{IndicatorDef, IndicatorRow, Measure, Secret, columns as out};
use crate::error::Error;
use crate::pseudonymise::columns as pcol;
use crate::tables::{Table, columns as col};
use crate::text::fold;

/// The children followed both in child protection and by a DITEP, counted by the
/// départements of their child-protection services / of their DITEP (the same children
/// for the whole network).
pub const BOTH_FROM_PE_SIDE: &str = "enfants_pe_et_ditep_par_departement_pe";
pub const BOTH_FROM_DITEP_SIDE: &str = "enfants_pe_et_ditep_par_departement_ditep";

pub const PE_ALSO_DITEP: &str = "part_pe_accompagnes_ditep";
pub const DITEP_ALSO_PE: &str = "part_ditep_avec_mesure_pe";

pub const DEFINITIONS: [IndicatorDef; 2] = [
    IndicatorDef {
        id: PE_ALSO_DITEP,
        libelle: "Part des enfants suivis en protection de l'enfance également accompagnés par un DITEP",
        definition: "Parmi les enfants ayant au moins un jour de mesure ou d'accueil de protection de l'enfance dans l'année, part de ceux qui ont aussi au moins un jour d'accompagnement par un DITEP dans l'année. Les personnes sont reconnues d'un fichier à l'autre par appariement pseudonymisé (clés exactes, puis encodage flou).",
        numerateur: "enfants suivis en protection de l'enfance et accompagnés par un DITEP dans l'année",
        denominateur: "enfants suivis en protection de l'enfance dans l'année",
        unite: "%",
        tables_sources: "accompagnements (appariés), services",
        origine: "Charte de coopération inter-associative (article 4) ; enquête AIRe",
        secret: Secret::rate(
            Measure::persons(BOTH_FROM_PE_SIDE),
            Measure::persons("enfants_pe"),
        ),
    },
    IndicatorDef {
        id: DITEP_ALSO_PE,
        libelle: "Part des enfants accompagnés par un DITEP ayant une mesure de protection de l'enfance",
        definition: "Parmi les enfants ayant au moins un jour d'accompagnement par un DITEP dans l'année, part de ceux qui ont aussi au moins un jour de mesure ou d'accueil de protection de l'enfance dans l'année.",
        numerateur: "enfants accompagnés par un DITEP et suivis en protection de l'enfance dans l'année",
        denominateur: "enfants accompagnés par un DITEP dans l'année",
        unite: "%",
        tables_sources: "accompagnements (appariés), services",
        origine: "Enquête AIRe (38 %) ; charte de coopération inter-associative",
        secret: Secret::rate(
            Measure::persons(BOTH_FROM_DITEP_SIDE),
            Measure::persons("enfants_ditep"),
        ),
    },
];

/// The sector of a service, from the services table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sector {
    ChildProtection,
    Ditep,
    Other,
}

fn sector_of(secteur: Option<&str>, type_service: Option<&str>) -> Sector {
    let t = type_service.map(fold).unwrap_or_default();
    if t.contains("ITEP") {
        return Sector::Ditep;
    }
    let s = secteur.map(fold).unwrap_or_default();
    if s.starts_with("PROTECTION") {
        return Sector::ChildProtection;
    }
    if [
        "MECS",
        "AEMO",
        "AED",
        "PLACEMENT",
        "FOYER",
        "POUPONNIERE",
        "VILLAGE",
        "LIEU DE VIE",
    ]
    .iter()
    .any(|p| t.starts_with(p))
    {
        return Sector::ChildProtection;
    }
    Sector::Other
}

/// The family entry point of the registry.
pub fn compute_family(
    inputs: &super::Inputs,
    settings: &super::Settings,
) -> Result<super::Results, Error> {
    if inputs.persons.height() == 0 || inputs.persons.column(col::PERSON).is_err() {
        return Ok(super::Results::default());
    }
    let rows = compute_by(
        inputs.services,
        inputs.persons,
        inputs.years.clone(),
        inputs.age_bands,
        settings.child_territory,
    )?;
    let mut notes = Vec::new();
    if !rows.is_empty() {
        notes.push(format!(
            "Parts intersectorielles par département : chaque enfant y est compté selon le {}.",
            settings.child_territory.describe()
        ));
    }
    for (id, other) in [
        (
            PE_ALSO_DITEP,
            "aucun accompagnement par un service de type DITEP ou ITEP",
        ),
        (
            DITEP_ALSO_PE,
            "aucune mesure d'un service de protection de l'enfance",
        ),
    ] {
        let years: BTreeSet<i32> = rows
            .iter()
            .filter(|r| r.indicateur == id && r.numerateur.is_none())
            .map(|r| r.periode)
            .collect();
        if !years.is_empty() {
            notes.push(format!(
                "{} : non calculable en {} — les données lues ne comptent {other} cette année-là (source absente ?) ; la part n'est pas de 0 %, elle est inconnue.",
                super::definition(id).map_or(id, |d| d.libelle),
                years
                    .iter()
                    .map(|y| y.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    }
    Ok(super::Results { rows, notes })
}

/// Both shares for every year, pooled and broken down, by the département of the
/// services.
pub fn compute(
    services: &DataFrame,
    linked: &DataFrame,
    years: std::ops::RangeInclusive<i32>,
    age_bounds: &[u32],
) -> Result<Vec<IndicatorRow>, Error> {
    compute_by(
        services,
        linked,
        years,
        age_bounds,
        super::ChildTerritory::Service,
    )
}

const P: &str = "_personne";
const SECTOR: &str = "_secteur";
const DEP: &str = "_departement";
const TYPE: &str = "_type";
const BAND: &str = "_tranche";
const BIRTH: &str = "_annee_naissance";
const RESIDENCE: &str = "_residence";
const PE: &str = "_pe";
const DITEP: &str = "_ditep";
/// A child in a year, one integer (`frame::pair` of the year and the person).
const CHILD_YEAR: &str = "_enfant_annee";
/// A birth year in a year, the key of the age band table.
const BIRTH_AND_YEAR: &str = "_naissance_annee";
const PE_CODE: i32 = 1;
const DITEP_CODE: i32 = 2;

/// Both shares for every year, pooled and broken down, a child counting in the
/// départements `territory` says. Per year, each child's sectors, départements, measure
/// types and age band come from `group_by` plans over their accompaniments in progress;
/// each cell is then a count of children (`len`) and of those also followed by the other
/// sector (`sum`).
pub fn compute_by(
    services: &DataFrame,
    linked: &DataFrame,
    years: std::ops::RangeInclusive<i32>,
    age_bounds: &[u32],
    territory: super::ChildTerritory,
) -> Result<Vec<IndicatorRow>, Error> {
    let records = accompaniment_records(linked, territory);
    let bands = super::persons::age_band_table(
        &frame::distinct_int(records.clone(), col(BIRTH))?,
        years.clone(),
        age_bounds,
        BAND,
    )?;
    let records = frame::person_ids(records, P, linked);
    // Accompaniments in progress in the year, of a service of the services table, in
    // the order of the table.
    let yearly = frame::left_ordered_join(
        frame::per_year(records, years.clone())?
            .filter(frame::days_in_year(col("_debut"), col("_fin")).gt(lit(0i64))),
        service_sectors(services)?,
        &[k::SERVICE],
        JoinType::Inner,
    )
    .cache();
    // Whether each sector has any accompaniment in the year: without one, a share of
    // children "also followed" by it cannot be computed (it is not 0).
    let any = yearly.clone().group_by([col(k::YEAR)]).agg([
        col(SECTOR).eq(lit(PE_CODE)).any(true).alias(PE_KNOWN),
        col(SECTOR).eq(lit(DITEP_CODE)).any(true).alias(DITEP_KNOWN),
    ]);
    // A child in a year, and a birth year in a year, are each one integer key
    // (`frame::pair`): grouped, deduplicated and joined on as they are, where two key
    // columns are first encoded row by row.
    let birth_and_year = || frame::pair(col(BIRTH), col(k::YEAR));
    let rows = frame::left_ordered_join(
        yearly
            .filter(col(P).is_not_null())
            .with_column(birth_and_year().alias(BIRTH_AND_YEAR)),
        bands.select([birth_and_year().alias(BIRTH_AND_YEAR), col(BAND)]),
        &[BIRTH_AND_YEAR],
        JoinType::Left,
    )
    .with_column(frame::pair(col(k::YEAR), col(P)).alias(CHILD_YEAR))
    .cache();
    // Each child once per year: their sectors and first known age band.
    let children = rows
        .clone()
        .group_by([col(CHILD_YEAR)])
        .agg([
            col(k::YEAR).first(),
            col(SECTOR).eq(lit(PE_CODE)).any(true).alias(PE),
            col(SECTOR).eq(lit(DITEP_CODE)).any(true).alias(DITEP),
            col(BAND).drop_nulls().first().alias(BAND),
        ])
        .cache();
    let pe_types = rows
        .clone()
        .filter(col(SECTOR).eq(lit(PE_CODE)))
        .select([col(CHILD_YEAR), col(TYPE)])
        .unique(None, UniqueKeepStrategy::Any);
    let banded = |side: &str| {
        children
            .clone()
            .filter(col(side).and(col(BAND).is_not_null()))
    };
    let (pe, ditep) = (&PE_SIDE, &DITEP_SIDE);
    let cells = |s, by| cells(s, &children, &any, by);
    let parts = vec![
        cells(pe, By::All),
        cells(pe, By::Territory(territories(&rows, territory, PE_CODE)?)),
        cells(pe, By::Children("type_mesure", pe_types, TYPE)),
        cells(pe, By::Band(banded(PE))),
        cells(ditep, By::All),
        cells(
            ditep,
            By::Territory(territories(&rows, territory, DITEP_CODE)?),
        ),
        cells(ditep, By::Band(banded(DITEP))),
    ];
    let df = concat(parts, UnionArgs::default())?.collect()?;
    let mut rows = frame::to_rows(&df)?;
    frame::sort(&mut rows);
    Ok(rows)
}

/// service → (sector, département): the last row of each service in the services
/// table; the sector rule runs once per service.
fn service_sectors(services: &DataFrame) -> Result<LazyFrame, Error> {
    let last = |e: Expr, name: &str| {
        e.sort_by([col(k::ROW)], SortMultipleOptions::default())
            .last()
            .alias(name)
    };
    let df = frame::canonical(services, Table::Services)
        .with_row_index(k::ROW, None)
        .with_column(frame::text(col::SERVICE).alias(k::SERVICE))
        .filter(col(k::SERVICE).is_not_null())
        .group_by([col(k::SERVICE)])
        .agg([
            last(frame::text(fields::SECTOR), "secteur"),
            last(frame::text(col::SERVICE_TYPE), "type"),
            last(frame::text(col::DEPARTMENT), DEP),
        ])
        .collect()?;
    let sect = df.column("secteur")?.str()?.clone();
    let typ = df.column("type")?.str()?.clone();
    let sectors: Vec<i32> = sect
        .iter()
        .zip(typ.iter())
        .map(|(s, t)| match sector_of(s, t) {
            Sector::ChildProtection => PE_CODE,
            Sector::Ditep => DITEP_CODE,
            Sector::Other => 0,
        })
        .collect();
    let mut df = df.select([k::SERVICE, DEP])?;
    df.with_column(Column::new(SECTOR.into(), sectors))?;
    Ok(df.lazy())
}

/// The accompaniments of the linked table with a service and a start: person, service,
/// period, measure type, birth year and (when children count where they live) residence.
fn accompaniment_records(linked: &DataFrame, territory: super::ChildTerritory) -> LazyFrame {
    let residence = match territory {
        super::ChildTerritory::Service => lit(Null {}).cast(DataType::String),
        super::ChildTerritory::Residence => frame::text(pcol::RESIDENCE),
    };
    frame::canonical(linked, Table::Accompaniments)
        .select([
            frame::person(col::PERSON).alias(P),
            frame::text(col::SERVICE).alias(k::SERVICE),
            frame::day(col::START).alias("_debut"),
            frame::day(col::END).alias("_fin"),
            frame::text(fields::MEASURE_TYPE)
                .fill_null(lit(UNKNOWN))
                .alias(TYPE),
            frame::int(pcol::BIRTH_YEAR).alias(BIRTH),
            residence.alias(RESIDENCE),
        ])
        .filter(
            col(k::SERVICE)
                .is_not_null()
                .and(col("_debut").is_not_null()),
        )
}

/// The territories of a child on one side (`code`): the départements of their services
/// on that side, or the départements of residence any of their records of the year give
/// (« non renseigné » if none does).
fn territories(
    rows: &LazyFrame,
    territory: super::ChildTerritory,
    code: i32,
) -> Result<LazyFrame, Error> {
    Ok(match territory {
        super::ChildTerritory::Service => rows
            .clone()
            .filter(col(SECTOR).eq(lit(code)).and(col(DEP).is_not_null()))
            .select([col(CHILD_YEAR), col(DEP)])
            .unique(None, UniqueKeepStrategy::Any),
        super::ChildTerritory::Residence => {
            let known = rows
                .clone()
                .filter(col(RESIDENCE).is_not_null())
                .select([col(CHILD_YEAR), col(RESIDENCE).alias(DEP)])
                .unique(None, UniqueKeepStrategy::Any);
            let unknown = rows
                .clone()
                .group_by([col(CHILD_YEAR)])
                .agg([col(RESIDENCE).is_not_null().any(true).alias("_connu")])
                .filter(col("_connu").not())
                .select([col(CHILD_YEAR), lit(UNKNOWN).alias(DEP)]);
            concat([known, unknown], UnionArgs::default())?
        }
    })
}

/// One share: the children of `side`, those of them also followed by `other`, and the
/// per-year flag `known` saying whether `other` has any accompaniment at all.
struct Side {
    id: &'static str,
    side: &'static str,
    other: &'static str,
    known: &'static str,
}

/// Whether the year has any child-protection / DITEP accompaniment at all.
const PE_KNOWN: &str = "_pe_connu";
const DITEP_KNOWN: &str = "_ditep_connu";

const PE_SIDE: Side = Side {
    id: PE_ALSO_DITEP,
    side: PE,
    other: DITEP,
    known: DITEP_KNOWN,
};
const DITEP_SIDE: Side = Side {
    id: DITEP_ALSO_PE,
    side: DITEP,
    other: PE,
    known: PE_KNOWN,
};

/// The breakdown of one cell family.
enum By {
    /// Pooled, per year.
    All,
    /// Per département: (child in a year, `DEP`) rows joined to the children.
    Territory(LazyFrame),
    /// Per value of a column of (child in a year, value) rows joined to the children.
    Children(&'static str, LazyFrame, &'static str),
    /// Per age band: the children already filtered to a known band.
    Band(LazyFrame),
}

/// One cell family: children of `s.side` (per value of `by`), and those of them also
/// followed by `s.other`.
fn cells(s: &Side, children: &LazyFrame, any: &LazyFrame, by: By) -> LazyFrame {
    let base = children.clone().filter(col(s.side));
    let join =
        |values| frame::left_ordered_join(values, base.clone(), &[CHILD_YEAR], JoinType::Inner);
    let (lf, group, level, territory, modality) = match by {
        By::All => (base.clone(), vec![col(k::YEAR)], "ensemble", None, None),
        By::Territory(values) => (
            join(values),
            vec![col(k::YEAR), col(DEP)],
            "departement",
            Some(DEP),
            None,
        ),
        By::Children(dim, values, c) => (
            join(values),
            vec![col(k::YEAR), col(c)],
            "ensemble",
            None,
            Some((dim, c)),
        ),
        By::Band(values) => (
            values,
            vec![col(k::YEAR), col(BAND)],
            "ensemble",
            None,
            Some(("tranche_age", BAND)),
        ),
    };
    let agg = lf
        .group_by(group)
        .agg([
            len().cast(DataType::Float64).alias("_den"),
            col(s.other).sum().cast(DataType::Float64).alias("_num"),
        ])
        .join(
            any.clone(),
            [col(k::YEAR)],
            [col(k::YEAR)],
            JoinArgs::new(JoinType::Left),
        )
        .with_column(
            when(col(s.known).fill_null(lit(false)))
                .then(col("_num"))
                .otherwise(lit(Null {}).cast(DataType::Float64))
                .alias("_num"),
        );
    let null_text = || lit(Null {}).cast(DataType::String);
    agg.select([
        lit(s.id).alias(out::INDICATOR),
        col(k::YEAR).cast(DataType::Int32).alias(out::PERIOD),
        lit(level).alias(out::LEVEL),
        territory.map_or_else(null_text, col).alias(out::TERRITORY),
        null_text().alias(out::ORGANISATION),
        null_text().alias(out::SERVICE),
        null_text().alias(out::SERVICE_NAME),
        modality
            .map_or_else(null_text, |(d, _)| lit(d))
            .alias(out::BREAKDOWN),
        modality
            .map_or_else(null_text, |(_, c)| col(c))
            .alias(out::BREAKDOWN_VALUE),
        col("_num").alias(out::NUMERATOR),
        col("_den").alias(out::DENOMINATOR),
        frame::ratio(col("_num"), col("_den")).alias(out::VALUE),
        lit("%").alias(out::UNIT),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sectors() {
        assert_eq!(
            sector_of(Some("Protection de l'enfance"), Some("AEMO")),
            Sector::ChildProtection
        );
        assert_eq!(
            sector_of(Some("Médico-social"), Some("DITEP")),
            Sector::Ditep
        );
        assert_eq!(sector_of(None, Some("MECS")), Sector::ChildProtection);
        assert_eq!(sector_of(Some("Médico-social"), Some("IME")), Sector::Other);
    }

    #[test]
    fn a_share_is_unknown_when_the_other_sector_has_no_data() {
        let services = polars::df![
            "service" => ["AEMO-T"],
            "type_service" => ["AEMO"],
            "departement" => ["15"],
        ]
        .unwrap();
        let day = crate::indicators::activity::day_number(2021, 3, 1);
        let linked = polars::df![
            "personne" => ["a"],
            "service" => ["AEMO-T"],
            "date_debut" => [day],
            "date_fin" => [None::<i32>],
            "annee_naissance" => [2010],
        ]
        .unwrap();
        let rows = compute(&services, &linked, 2021..=2021, &[0, 18]).unwrap();
        let pooled = rows
            .iter()
            .find(|r| {
                r.indicateur == PE_ALSO_DITEP
                    && r.niveau_territoire == "ensemble"
                    && r.ventilation.is_none()
            })
            .map(|r| (r.numerateur, r.denominateur));
        // No DITEP accompaniment at all: not 0 %, unknown.
        assert_eq!(pooled, Some((None, Some(1.0))));
    }

    #[test]
    fn by_department_of_service_or_of_residence() {
        use crate::indicators::ChildTerritory;
        let services = polars::df![
            "service" => ["AEMO-T", "DITEP-T"],
            "type_service" => ["AEMO", "DITEP"],
            "departement" => ["15", "63"],
        ]
        .unwrap();
        let day = crate::indicators::activity::day_number(2021, 3, 1);
        // a: AEMO (lives in 03) and DITEP (record without residence); b: AEMO, no
        // residence anywhere; c: DITEP, lives in 63.
        let linked = polars::df![
            "personne" => ["a", "b", "c", "a"],
            "service" => ["AEMO-T", "AEMO-T", "DITEP-T", "DITEP-T"],
            "date_debut" => [day; 4],
            "date_fin" => [None::<i32>; 4],
            "annee_naissance" => [2010; 4],
            "territoire_residence" => [Some("03"), None, Some("63"), None],
        ]
        .unwrap();
        let cell = |rows: &[IndicatorRow], id: &str, code: &str| {
            rows.iter()
                .find(|r| r.indicateur == id && r.code_territoire.as_deref() == Some(code))
                .map(|r| (r.numerateur, r.denominateur))
        };
        let by = |t| compute_by(&services, &linked, 2021..=2021, &[0, 18], t).unwrap();
        let service = by(ChildTerritory::Service);
        assert_eq!(
            cell(&service, PE_ALSO_DITEP, "15"),
            Some((Some(1.0), Some(2.0)))
        );
        assert_eq!(
            cell(&service, DITEP_ALSO_PE, "63"),
            Some((Some(1.0), Some(2.0)))
        );
        let residence = by(ChildTerritory::Residence);
        assert_eq!(cell(&residence, PE_ALSO_DITEP, "15"), None);
        assert_eq!(
            cell(&residence, PE_ALSO_DITEP, "03"),
            Some((Some(1.0), Some(1.0)))
        );
        // Never dropped: b counts in the « non renseigné » line.
        assert_eq!(
            cell(&residence, PE_ALSO_DITEP, UNKNOWN),
            Some((Some(0.0), Some(1.0)))
        );
        // a lives in 03 on the DITEP side too (residence is the child's, not the record's).
        assert_eq!(
            cell(&residence, DITEP_ALSO_PE, "03"),
            Some((Some(1.0), Some(1.0)))
        );
        assert_eq!(
            cell(&residence, DITEP_ALSO_PE, "63"),
            Some((Some(0.0), Some(1.0)))
        );
    }
}
