//! The canonical tables: the contract between stages (docs/architecture.md §3). Owns the list of
//! tables, their fields (name, kind, whether required or identifying, default header
//! synonyms) and the column names of the DataFrames each stage hands to the next.
//!
//! Field names are French snake_case identifiers because users write them in pipeline
//! files; they are stable.

/// The kind of value a canonical field holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text or a code (trimmed, inner whitespace collapsed).
    Text,
    /// A calendar date.
    Date,
    /// A whole number (years, days).
    Integer,
    /// Any number (counts that may be estimated, capacities, days).
    Number,
    /// Yes / no.
    Bool,
    /// A month: 1–12, a French month name, or a date (which also gives the year).
    Month,
}

/// A canonical table a source can feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// One row per service and year: capacity, opening days, territory. With a
    /// `capacites` source, one row per service (a directory) is enough: ingest joins the
    /// capacities onto it (docs/architecture.md, « Capacités »).
    Services,
    /// One row per person per measure or admission (identity fields until pseudonymised).
    Accompaniments,
    /// Aggregated activity: journées per service and month or year.
    Activity,
    /// Public context figures (DREES, INSEE) in long format.
    Reference,
    /// One row per employee per year: job, ETP, entry and exit, absences by motif.
    Staff,
    /// One row per training taken or requested.
    Training,
    /// One row per satisfaction questionnaire sent.
    Satisfaction,
    /// COPIL qualité action plan: sub-actions per year and their status; indicators with
    /// target and observed value.
    ActionPlan,
    /// One row per service and year: the authorised capacity, kept apart from the
    /// services directory as directories are kept; joined onto `services` by ingest.
    Capacities,
}

impl Table {
    pub const ALL: [Table; 9] = [
        Table::Services,
        Table::Accompaniments,
        Table::Activity,
        Table::Reference,
        Table::Staff,
        Table::Training,
        Table::Satisfaction,
        Table::ActionPlan,
        Table::Capacities,
    ];

    /// Identifier used in pipeline files.
    pub fn id(self) -> &'static str {
        match self {
            Table::Services => "services",
            Table::Accompaniments => "accompagnements",
            Table::Activity => "activite",
            Table::Reference => "reference",
            Table::Staff => "personnel",
            Table::Training => "formation",
            Table::Satisfaction => "satisfaction",
            Table::ActionPlan => "plan_action",
            Table::Capacities => "capacites",
        }
    }

    pub fn from_id(id: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.id() == id)
    }

    pub fn fields(self) -> &'static [Field] {
        match self {
            Table::Services => SERVICES,
            Table::Accompaniments => ACCOMPANIMENTS,
            Table::Activity => ACTIVITY,
            Table::Reference => REFERENCE,
            Table::Staff => STAFF,
            Table::Training => TRAINING,
            Table::Satisfaction => SATISFACTION,
            Table::ActionPlan => ACTION_PLAN,
            Table::Capacities => CAPACITIES,
        }
    }

    pub fn field(self, name: &str) -> Option<&'static Field> {
        self.fields().iter().find(|f| f.name == name)
    }
}

/// One canonical field.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub name: &'static str,
    pub kind: Kind,
    /// A row without this value is rejected.
    pub required: bool,
    /// Direct identifier: its value is never shown in any message, log or output.
    pub identifying: bool,
    /// Header texts recognised without configuration (compared after normalisation).
    pub synonyms: &'static [&'static str],
    /// French description for documentation and messages.
    pub label: &'static str,
}

const fn f(
    name: &'static str,
    kind: Kind,
    required: bool,
    identifying: bool,
    synonyms: &'static [&'static str],
    label: &'static str,
) -> Field {
    Field {
        name,
        kind,
        required,
        identifying,
        synonyms,
        label,
    }
}

mod fields_people;
mod fields_staff;

pub use fields_people::{ACCOMPANIMENTS, ACTIVITY, CAPACITIES, REFERENCE, SERVICES};
pub use fields_staff::{ACTION_PLAN, SATISFACTION, STAFF, TRAINING};

/// Plausible range of a numeric field, inclusive (`None`: any finite number). A value
/// outside is a validation issue: set aside, or the row rejected when the field is
/// required (docs/architecture.md, « Valeurs invraisemblables »). Capacities must be
/// positive: a capacity of 0 would make every rate infinite.
pub fn plausible_range(table: Table, field: &str) -> Option<(f64, f64)> {
    Some(match (table, field) {
        (_, "annee") => (1990.0, 2100.0),
        (Table::Services | Table::Capacities, "capacite") => (0.5, 100_000.0),
        (Table::Services | Table::Capacities, "jours_ouverture") => (1.0, 366.0),
        (Table::Activity, "journees_realisees" | "journees_financees") => (0.0, 10_000_000.0),
        (Table::Activity, "mesures_exercees") => (0.0, 1_000_000.0),
        (Table::Staff, "etp") => (0.0, 1.5),
        (
            Table::Staff,
            "absence_maladie" | "absence_accident_travail" | "absence_maternite" | "absence_autres",
        ) => (0.0, 366.0),
        (Table::Training, "jours_demandes" | "jours_realises") => (0.0, 366.0),
        (
            Table::Satisfaction,
            "question_1"
            | "question_2"
            | "question_3"
            | "question_4"
            | "question_5"
            | "satisfaction_globale",
        ) => (1.0, 4.0),
        (Table::ActionPlan, "cible" | "valeur") => (-1e9, 1e9),
        _ => return None,
    })
}

/// Earliest plausible year of a date field: event dates of the activity start in 1990;
/// birth dates and staff entry dates may be older. Every date must be before the end of
/// the year after the later of the period's end and today.
pub fn earliest_year(table: Table, field: &str) -> i32 {
    match (table, field) {
        (Table::Accompaniments, "date_naissance") => 1900,
        (Table::Staff, "date_entree" | "date_sortie") => 1950,
        _ => 1990,
    }
}

/// Column names of the canonical DataFrames (the in-memory contract).
pub mod columns {
    pub const SOURCE: &str = "source";
    pub const ORGANISATION: &str = "organisation";
    pub const SERVICE: &str = "service";
    /// Pseudonymous person key, added by the pseudonymisation stage.
    pub const PERSON: &str = "personne";
    pub const YEAR: &str = "annee";
    pub const MONTH: &str = "mois";
    pub const START: &str = "date_debut";
    pub const END: &str = "date_fin";
    pub const CAPACITY: &str = "capacite";
    pub const CAPACITY_UNIT: &str = "unite_capacite";
    pub const OPENING_DAYS: &str = "jours_ouverture";
    pub const SERVICE_TYPE: &str = "type_service";
    pub const SERVICE_NAME: &str = "nom_service";
    pub const DEPARTMENT: &str = "departement";
    pub const DAYS_DONE: &str = "journees_realisees";
    pub const DAYS_FUNDED: &str = "journees_financees";
    pub const REF_SOURCE: &str = "source_reference";
    pub const REF_VARIABLE: &str = "variable";
    pub const REF_PERIOD: &str = "periode";
    pub const REF_LEVEL: &str = "niveau_territoire";
    pub const REF_CODE: &str = "code_territoire";
    pub const REF_LABEL: &str = "libelle_territoire";
    pub const REF_DIM1: &str = "dimension_1";
    pub const REF_DIM2: &str = "dimension_2";
    pub const REF_VALUE: &str = "valeur";
}

#[cfg(test)]
mod tests;
