//! Training (charter article 4, the seed's fiche action « soutenir l'accès à la
//! formation », the ODPE's annual training review, CASF L226-3-1 5°), per year and
//! perimeter: staff trained per theme, share of staff trained in ESOPPE, days delivered
//! per theme and against days requested, inter-association sessions.

use polars::prelude::*;

use super::frame::{self, Fig, Perimeters, fields, k};
use super::{Directory, IndicatorDef, Inputs, Measure, Results, Secret};
use crate::error::Error;
use crate::pseudonymise::STAFF_PSEUDONYM;
use crate::tables::{Table, columns as col};
use crate::text::fold;

pub const TRAINED_BY_THEME: &str = "salaries_formes_par_theme";
pub const ESOPPE_SHARE: &str = "part_salaries_formes_esoppe";
pub const DAYS_BY_THEME: &str = "jours_formation_par_theme";
pub const COMPLETION: &str = "taux_realisation_formation";
pub const INTER_SESSIONS: &str = "sessions_inter_associatives";

const CHARTER: &str =
    "Charte de coopération inter-associative (article 4, programme commun de formation)";

pub const DEFINITIONS: [IndicatorDef; 5] = [
    IndicatorDef {
        id: TRAINED_BY_THEME,
        libelle: "Salariés formés, par thème",
        definition: "Salariés distincts ayant suivi au moins une journée de formation réalisée dans l'année, par thème (ESOPPE, analyse systémique, thèmes du programme commun de la charte).",
        numerateur: "salariés distincts formés sur le thème dans l'année",
        denominateur: "—",
        unite: "salariés",
        tables_sources: "formation",
        origine: "Projet de service APMN (indicateurs de la fiche action 3) ; bilan annuel des formations de l'ODPE (CASF L226-3-1 5°)",
        secret: Secret::count(Measure::persons("salaries_formes")),
    },
    IndicatorDef {
        id: ESOPPE_SHARE,
        libelle: "Part des salariés formés à ESOPPE",
        definition: "Salariés présents au 31/12 ayant suivi une formation ESOPPE réalisée cette année-là ou avant, rapportés aux salariés présents au 31/12.",
        numerateur: "salariés présents au 31/12 formés à ESOPPE (cumul)",
        denominateur: "salariés présents au 31/12",
        unite: "%",
        tables_sources: "formation, personnel",
        origine: "Projet de service APMN (« former tous les salariés à ESOPPE »)",
        secret: Secret::rate(
            Measure::persons("salaries_presents_formes_esoppe"),
            Measure::persons("salaries_presents_31_12"),
        ),
    },
    IndicatorDef {
        id: DAYS_BY_THEME,
        libelle: "Journées de formation réalisées, par thème",
        definition: "Somme des journées de formation réalisées dans l'année, par thème : le bilan annuel des formations continues.",
        numerateur: "journées réalisées",
        denominateur: "—",
        unite: "jours",
        tables_sources: "formation",
        origine: "Bilan annuel des formations de l'ODPE (CASF L226-3-1 5°)",
        secret: Secret::count(Measure::amount("jours_formation_realises")),
    },
    IndicatorDef {
        id: COMPLETION,
        libelle: "Taux de réalisation des formations demandées",
        definition: "Journées de formation réalisées rapportées aux journées demandées dans l'année.",
        numerateur: "journées réalisées",
        denominateur: "journées demandées",
        unite: "%",
        tables_sources: "formation",
        origine: "Projet de service APMN (« nombre de journées de formation demandées et dispensées »)",
        secret: Secret::rate(
            Measure::amount("jours_formation_realises"),
            Measure::amount("jours_formation_demandes"),
        ),
    },
    IndicatorDef {
        id: INTER_SESSIONS,
        libelle: "Sessions de formation inter-associatives",
        definition: "Sessions distinctes (thème, date) suivies dans l'année et marquées inter-associatives.",
        numerateur: "sessions inter-associatives distinctes",
        denominateur: "—",
        unite: "sessions",
        tables_sources: "formation",
        origine: CHARTER,
        secret: Secret::FREE,
    },
];

fn is_esoppe(theme: &str) -> bool {
    fold(theme).contains("ESOPPE")
}

const P: &str = "_salarie";
const WHO: &str = "_qui";
const THEME: &str = "_theme";
const ASKED: &str = "_demandes";
const DONE: &str = "_realises";

/// Per perimeter and year: staff trained and days delivered per theme, days requested
/// and delivered, distinct inter-association sessions, and the share of staff present
/// at 31/12 trained in ESOPPE — `group_by` plans over the training and staff lines
/// expanded to their perimeters.
pub fn compute(inputs: &Inputs, _settings: &super::Settings) -> Result<Results, Error> {
    let df = inputs.training;
    if df.height() == 0 {
        return Ok(Results::default());
    }
    let (first, last) = (*inputs.years.start(), *inputs.years.end());
    let in_period = |e: Expr| e.clone().gt_eq(lit(first)).and(e.lt_eq(lit(last)));
    let dir = Directory::from_services(inputs.services)?;
    let lines = with_themes(training_lines(df))?.cache();
    let mut found = frame::distinct(lines.clone(), col(k::SERVICE))?;
    if inputs.staff.height() > 0 {
        found.extend(frame::distinct(
            frame::canonical(inputs.staff, Table::Staff),
            frame::text(col::SERVICE),
        )?);
    }
    let perimeters = Perimeters::new(&dir, &found)?;
    let expanded = perimeters
        .expand(
            frame::to_ids(lines.clone().filter(in_period(col(k::YEAR))), P)
                .with_column(frame::who(P).alias(WHO)),
        )
        .cache();
    let mut parts = training_figures(expanded);
    if inputs.staff.height() > 0 {
        parts.push(esoppe_share(
            inputs.staff,
            first..=last,
            esoppe_since(lines),
            &perimeters,
        )?);
    }
    Ok(Results {
        rows: frame::rows(parts, &perimeters)?,
        notes: Vec::new(),
    })
}

/// The training lines with a service, a year and a theme.
fn training_lines(df: &DataFrame) -> LazyFrame {
    frame::canonical(df, Table::Training)
        .with_row_index(k::ROW, None)
        .select([
            col(k::ROW),
            frame::text(STAFF_PSEUDONYM).alias(P),
            frame::text(col::SERVICE).alias(k::SERVICE),
            frame::int(col::YEAR).alias(k::YEAR),
            frame::text(fields::THEME).alias(THEME),
            frame::day(fields::DATE).alias("_date"),
            frame::num(fields::DAYS_REQUESTED)
                .fill_null(lit(0.0))
                .alias(ASKED),
            frame::num(fields::DAYS_DELIVERED)
                .fill_null(lit(0.0))
                .alias(DONE),
            col(fields::INTER_ASSOCIATION)
                .cast(DataType::Boolean)
                .fill_null(lit(false))
                .alias("_inter"),
        ])
        .filter(
            col(k::SERVICE)
                .is_not_null()
                .and(col(k::YEAR).is_not_null())
                .and(col(THEME).is_not_null()),
        )
}

/// Adds to each line whether its theme is ESOPPE and one id per folded theme (sessions
/// are (theme, date)).
fn with_themes(lines: LazyFrame) -> Result<LazyFrame, Error> {
    let themes = frame::distinct(lines.clone(), col(THEME))?;
    let folded: Vec<String> = themes.iter().map(|t| fold(t)).collect();
    let mut ids: Vec<String> = folded.clone();
    ids.sort();
    ids.dedup();
    let fold_id: Vec<u32> = folded
        .iter()
        .map(|f| ids.binary_search(f).unwrap_or_default() as u32)
        .collect();
    let theme_table = DataFrame::new(
        themes.len(),
        vec![
            Column::new(THEME.into(), themes.clone()),
            Column::new(
                "_esoppe".into(),
                themes.iter().map(|t| is_esoppe(t)).collect::<Vec<bool>>(),
            ),
            Column::new("_theme_id".into(), fold_id),
        ],
    )?;
    Ok(frame::left_ordered_join(
        lines,
        theme_table.lazy(),
        &[THEME],
        JoinType::Left,
    ))
}

/// First year each person was trained in ESOPPE (any year).
fn esoppe_since(lines: LazyFrame) -> LazyFrame {
    lines
        .filter(
            col(DONE)
                .gt(lit(0.0))
                .and(col("_esoppe"))
                .and(col(P).is_not_null()),
        )
        .group_by([col(P)])
        .agg([col(k::YEAR).min().alias("_depuis")])
}

/// Days and trained staff by theme, completion and inter-association sessions, per
/// perimeter and year.
fn training_figures(expanded: LazyFrame) -> Vec<LazyFrame> {
    // A session: (folded theme, date), as one integer (a null date is its own value).
    let session = col("_theme_id").cast(DataType::Int64) * lit(1i64 << 36)
        + (col("_date").cast(DataType::Int64) + lit(1i64 << 33)).fill_null(lit(0i64));
    let delivered = col(DONE).gt(lit(0.0));
    let key = [col(k::PERIMETER), col(k::YEAR)];
    let main = expanded
        .clone()
        .group_by(key.clone())
        .agg([
            col(ASKED).sum(),
            col(DONE).sum(),
            col(WHO)
                .filter(col(ASKED).gt(lit(0.0)))
                .n_unique()
                .alias("_demandeurs"),
            col(WHO)
                .filter(delivered.clone())
                .n_unique()
                .alias("_formes"),
            session
                .filter(delivered.clone().and(col("_inter")))
                .n_unique()
                .alias("_sessions"),
        ])
        .cache();
    let by_theme = expanded
        .filter(delivered)
        .group_by([col(k::PERIMETER), col(k::YEAR), col(THEME)])
        .agg([
            col(DONE).sum(),
            col(P)
                .filter(col(P).is_not_null())
                .n_unique()
                .alias("_formes"),
        ])
        .cache();
    vec![
        Fig::count(TRAINED_BY_THEME, "salariés", col("_formes"))
            .by("theme", col(THEME))
            .select(by_theme.clone().filter(col("_formes").gt(lit(0)))),
        Fig::count(DAYS_BY_THEME, "jours", col(DONE))
            .by("theme", col(THEME))
            .staff(Some(col("_formes")), None)
            .select(by_theme),
        Fig::ratio(COMPLETION, "%", col(DONE), col(ASKED))
            .staff(Some(col("_formes")), Some(col("_demandeurs")))
            .select(main.clone()),
        Fig::count(INTER_SESSIONS, "sessions", col("_sessions")).select(main),
    ]
}

/// Staff present at 31/12, per perimeter and year (from the staff table), and the share
/// of them trained in ESOPPE that year or before.
fn esoppe_share(
    st: &DataFrame,
    years: std::ops::RangeInclusive<i32>,
    esoppe_since: LazyFrame,
    perimeters: &Perimeters,
) -> Result<LazyFrame, Error> {
    let present = frame::left_ordered_join(
        frame::canonical(st, Table::Staff).select([
            frame::text(STAFF_PSEUDONYM).alias(P),
            frame::text(col::SERVICE).alias(k::SERVICE),
            frame::int(col::YEAR).alias(k::YEAR),
            frame::day(fields::ENTRY).alias("_entree"),
            frame::day(fields::EXIT).alias("_sortie"),
        ]),
        frame::year_table(years)?,
        &[k::YEAR],
        JoinType::Inner,
    )
    .filter(
        col(P)
            .is_not_null()
            .and(col(k::SERVICE).is_not_null())
            .and(
                col("_entree")
                    .is_null()
                    .or(col("_entree").lt_eq(col(k::DEC31))),
            )
            .and(
                col("_sortie")
                    .is_null()
                    .or(col("_sortie").gt_eq(col(k::DEC31))),
            ),
    )
    .join(
        esoppe_since,
        [col(P)],
        [col(P)],
        JoinArgs::new(JoinType::Left),
    );
    let share = perimeters
        .expand(present)
        .group_by([col(k::PERIMETER), col(k::YEAR)])
        .agg([
            col(P).n_unique().alias("_presents"),
            col(P)
                .filter(col("_depuis").lt_eq(col(k::YEAR)))
                .n_unique()
                .alias("_formes_esoppe"),
        ]);
    Ok(Fig::ratio(ESOPPE_SHARE, "%", col("_formes_esoppe"), col("_presents")).select(share))
}
