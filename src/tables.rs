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
    /// One row per service and year: capacity, opening days, territory.
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
}

impl Table {
    pub const ALL: [Table; 8] = [
        Table::Services,
        Table::Accompaniments,
        Table::Activity,
        Table::Reference,
        Table::Staff,
        Table::Training,
        Table::Satisfaction,
        Table::ActionPlan,
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

use Kind::*;

/// `service` is filled from the source's `service` setting when no column is mapped.
pub const SERVICES: &[Field] = &[
    f(
        "service",
        Text,
        true,
        false,
        &["code service", "service", "finess", "code"],
        "code du service (FINESS si connu)",
    ),
    f(
        "nom_service",
        Text,
        false,
        false,
        &["nom du service", "nom", "libelle"],
        "nom du service",
    ),
    f(
        "organisation",
        Text,
        false,
        false,
        &["organisation", "association", "organisme gestionnaire"],
        "organisation gestionnaire",
    ),
    f(
        "type_service",
        Text,
        true,
        false,
        &["type", "type de service", "categorie"],
        "type (MECS, AEMO, DITEP…)",
    ),
    f(
        "secteur",
        Text,
        false,
        false,
        &["secteur"],
        "secteur (protection de l'enfance, médico-social, social)",
    ),
    f(
        "modalite",
        Text,
        false,
        false,
        &["modalite", "mode d'accueil"],
        "modalité (internat, milieu ouvert…)",
    ),
    f(
        "departement",
        Text,
        false,
        false,
        &["departement", "dep", "code departement"],
        "département d'implantation",
    ),
    f(
        "territoire",
        Text,
        false,
        false,
        &["territoire", "arrondissement", "secteur interne"],
        "territoire interne",
    ),
    f(
        "annee",
        Integer,
        true,
        false,
        &["annee", "exercice"],
        "année de l'autorisation",
    ),
    f(
        "capacite",
        Number,
        true,
        false,
        &[
            "capacite autorisee",
            "capacite",
            "places",
            "mesures autorisees",
        ],
        "capacité autorisée (places ou mesures)",
    ),
    f(
        "unite_capacite",
        Text,
        false,
        false,
        &["unite", "unite de capacite"],
        "unité de la capacité : places ou mesures",
    ),
    f(
        "jours_ouverture",
        Number,
        false,
        false,
        &[
            "jours d'ouverture",
            "jours ouverture",
            "nombre de jours d'ouverture",
        ],
        "jours d'ouverture dans l'année",
    ),
];

pub const ACCOMPANIMENTS: &[Field] = &[
    f(
        "numero_dossier",
        Text,
        false,
        true,
        &["n° dossier", "numero de dossier", "dossier"],
        "numéro de dossier interne",
    ),
    f(
        "nom",
        Text,
        false,
        true,
        &["nom", "nom de famille", "nom de l'enfant"],
        "nom de la personne",
    ),
    f(
        "prenom",
        Text,
        false,
        true,
        &["prenom", "prenoms", "prenom(s)"],
        "prénom",
    ),
    f(
        "date_naissance",
        Date,
        false,
        true,
        &[
            "date de naissance",
            "ne(e) le",
            "nee le",
            "date naiss",
            "date naiss.",
            "naissance",
        ],
        "date de naissance",
    ),
    f("sexe", Text, false, false, &["sexe", "genre"], "sexe"),
    f(
        "nom_mere",
        Text,
        false,
        true,
        &[
            "nom de la mere",
            "nom mere",
            "nom de naissance de la mere",
            "nom de famille de la mere",
        ],
        "nom de famille de la mère",
    ),
    f(
        "service",
        Text,
        true,
        false,
        &["code service", "service"],
        "code du service",
    ),
    f(
        "type_mesure",
        Text,
        false,
        false,
        &[
            "type de mesure",
            "mesure",
            "type accueil",
            "type d'accueil",
            "statut",
        ],
        "type de mesure ou d'accueil",
    ),
    f(
        "cadre",
        Text,
        false,
        false,
        &["cadre", "cadre juridique", "cadre legal"],
        "cadre : administratif ou judiciaire",
    ),
    f(
        "modalite",
        Text,
        false,
        false,
        &["modalite", "mode d'accompagnement"],
        "modalité d'accompagnement",
    ),
    f(
        "date_debut",
        Date,
        true,
        false,
        &[
            "date de debut",
            "debut",
            "date d'admission",
            "admission",
            "date entree",
            "date d'entree",
            "entree",
        ],
        "date de début (admission)",
    ),
    f(
        "date_fin",
        Date,
        false,
        false,
        &[
            "date de fin",
            "fin",
            "date de sortie",
            "sortie",
            "date sortie",
        ],
        "date de fin (vide si en cours)",
    ),
    f(
        "motif_sortie",
        Text,
        false,
        false,
        &["motif de fin", "motif de sortie", "motif sortie"],
        "motif de fin ou de sortie",
    ),
    f(
        "departement_residence",
        Text,
        false,
        false,
        &[
            "departement d'origine",
            "departement de residence",
            "dep. residence",
        ],
        "département de résidence",
    ),
    f(
        "notification_mdph",
        Bool,
        false,
        false,
        &["notification mdph", "mdph"],
        "notification MDPH",
    ),
    f(
        "mesure_ase",
        Bool,
        false,
        false,
        &["mesure ase en cours", "mesure ase", "ase"],
        "mesure de protection de l'enfance connue",
    ),
];

pub const ACTIVITY: &[Field] = &[
    f(
        "service",
        Text,
        true,
        false,
        &["code service", "service"],
        "code du service",
    ),
    f(
        "annee",
        Integer,
        false,
        false,
        &["annee", "exercice"],
        "année (déduite du mois s'il est une date)",
    ),
    f(
        "mois",
        Month,
        false,
        false,
        &["mois", "periode"],
        "mois (1–12, nom du mois ou date)",
    ),
    f(
        "journees_realisees",
        Number,
        false,
        false,
        &["journees realisees", "jours realises", "nombre de journees"],
        "journées réalisées",
    ),
    f(
        "journees_financees",
        Number,
        false,
        false,
        &[
            "journees financees",
            "journees theoriques",
            "journees prevues",
            "journees previsionnelles",
        ],
        "journées financées ou théoriques",
    ),
    f(
        "mesures_exercees",
        Number,
        false,
        false,
        &["mesures exercees", "nombre de mesures"],
        "mesures exercées (moyenne du mois)",
    ),
];

/// Reference rows are produced one per value column (see the pipeline's `mesures` or
/// `colonnes_larges`), so only the identifying columns of the territory are fields here.
pub const REFERENCE: &[Field] = &[
    f(
        "code_territoire",
        Text,
        true,
        false,
        &["code departement", "code territoire", "code"],
        "code du territoire",
    ),
    f(
        "libelle_territoire",
        Text,
        false,
        false,
        &["departement", "libelle", "territoire"],
        "libellé du territoire",
    ),
];

/// `salarie` is an identifier (matricule, name): replaced by a keyed pseudonym before
/// any indicator.
pub const STAFF: &[Field] = &[
    f(
        "salarie",
        Text,
        true,
        true,
        &["matricule", "identifiant", "salarie", "nom prenom", "nom"],
        "identifiant du salarié (matricule)",
    ),
    f(
        "service",
        Text,
        true,
        false,
        &["code service", "service"],
        "code du service",
    ),
    f(
        "annee",
        Integer,
        true,
        false,
        &["annee", "exercice"],
        "année",
    ),
    f(
        "metier",
        Text,
        false,
        false,
        &["fonction", "metier", "emploi", "poste"],
        "métier ou fonction",
    ),
    f(
        "etp",
        Number,
        true,
        false,
        &["etp", "etp moyen", "equivalent temps plein"],
        "équivalent temps plein moyen de l'année",
    ),
    f(
        "date_entree",
        Date,
        false,
        false,
        &["date d'entree", "entree", "date entree"],
        "date d'entrée dans le service",
    ),
    f(
        "date_sortie",
        Date,
        false,
        false,
        &["date de sortie", "sortie", "date sortie"],
        "date de sortie (vide si présent)",
    ),
    f(
        "type_contrat",
        Text,
        false,
        false,
        &["contrat", "type de contrat"],
        "type de contrat (CDI, CDD)",
    ),
    f(
        "absence_maladie",
        Number,
        false,
        false,
        &["jours maladie", "absences maladie"],
        "jours calendaires d'absence pour maladie",
    ),
    f(
        "absence_accident_travail",
        Number,
        false,
        false,
        &["jours accident du travail", "absences at"],
        "jours d'absence pour accident du travail ou maladie professionnelle",
    ),
    f(
        "absence_maternite",
        Number,
        false,
        false,
        &["jours maternite paternite", "absences maternite"],
        "jours d'absence pour maternité ou paternité",
    ),
    f(
        "absence_autres",
        Number,
        false,
        false,
        &[
            "autres absences (jours)",
            "absences autres",
            "autres absences",
        ],
        "autres jours d'absence (congés spéciaux…, hors congés payés)",
    ),
];

pub const TRAINING: &[Field] = &[
    f(
        "salarie",
        Text,
        true,
        true,
        &["matricule", "identifiant", "salarie"],
        "identifiant du salarié (matricule)",
    ),
    f(
        "service",
        Text,
        true,
        false,
        &["code service", "service"],
        "code du service",
    ),
    f(
        "theme",
        Text,
        true,
        false,
        &["theme", "formation", "intitule"],
        "thème (ESOPPE, analyse systémique…)",
    ),
    f(
        "organisme",
        Text,
        false,
        false,
        &["organisme", "organisme de formation"],
        "organisme de formation",
    ),
    f(
        "date",
        Date,
        false,
        false,
        &["date", "date de la formation", "date de debut"],
        "date de la formation",
    ),
    f(
        "annee",
        Integer,
        false,
        false,
        &["annee", "exercice"],
        "année (déduite de la date sinon)",
    ),
    f(
        "jours_demandes",
        Number,
        false,
        false,
        &["jours demandes", "nombre de jours demandes"],
        "jours de formation demandés",
    ),
    f(
        "jours_realises",
        Number,
        false,
        false,
        &["jours realises", "nombre de jours realises"],
        "jours de formation réalisés",
    ),
    f(
        "inter_associatif",
        Bool,
        false,
        false,
        &[
            "inter associatif",
            "inter-associatif (oui/non)",
            "session inter associative",
        ],
        "session inter-associative (programme commun de la charte)",
    ),
];

pub const SATISFACTION: &[Field] = &[
    f(
        "service",
        Text,
        true,
        false,
        &["code service", "service"],
        "code du service",
    ),
    f(
        "numero",
        Text,
        false,
        false,
        &["n", "numero", "n° questionnaire"],
        "numéro du questionnaire",
    ),
    f(
        "type_repondant",
        Text,
        true,
        false,
        &["destinataire", "public", "type de repondant", "repondant"],
        "type de répondant : famille, jeune, partenaire",
    ),
    f(
        "date_envoi",
        Date,
        false,
        false,
        &["date d'envoi", "envoye le", "date envoi"],
        "date d'envoi",
    ),
    f(
        "annee",
        Integer,
        false,
        false,
        &["annee"],
        "année (déduite de la date d'envoi sinon)",
    ),
    f(
        "retourne",
        Bool,
        false,
        false,
        &[
            "retourne",
            "retourne (x)",
            "reponse recue",
            "reponse recue (oui/non)",
        ],
        "questionnaire retourné",
    ),
    f(
        "question_1",
        Number,
        false,
        false,
        &[],
        "score à la question 1 (1 à 4)",
    ),
    f(
        "question_2",
        Number,
        false,
        false,
        &[],
        "score à la question 2 (1 à 4)",
    ),
    f(
        "question_3",
        Number,
        false,
        false,
        &[],
        "score à la question 3 (1 à 4)",
    ),
    f(
        "question_4",
        Number,
        false,
        false,
        &[],
        "score à la question 4 (1 à 4)",
    ),
    f(
        "question_5",
        Number,
        false,
        false,
        &[],
        "score à la question 5 (1 à 4)",
    ),
    f(
        "satisfaction_globale",
        Number,
        false,
        false,
        &["satisfaction globale", "note globale", "note globale /4"],
        "score de satisfaction globale (1 à 4)",
    ),
];

pub const ACTION_PLAN: &[Field] = &[
    f(
        "service",
        Text,
        false,
        false,
        &["code service", "service"],
        "code du service (sinon le plan vaut pour l'ensemble du réseau)",
    ),
    f(
        "fiche",
        Text,
        true,
        false,
        &["fiche", "fiche action"],
        "fiche action",
    ),
    f("objectif", Text, false, false, &["objectif"], "objectif"),
    f(
        "sous_action",
        Text,
        false,
        false,
        &["sous action", "sous-action"],
        "sous-action",
    ),
    f("annee", Integer, true, false, &["annee"], "année (N à N+4)"),
    f(
        "statut",
        Text,
        false,
        false,
        &["statut", "etat"],
        "statut : prévu, en cours, réalisé, reporté, abandonné",
    ),
    f(
        "indicateur",
        Text,
        false,
        false,
        &["indicateur"],
        "indicateur de suivi ou de résultat",
    ),
    f(
        "type_indicateur",
        Text,
        false,
        false,
        &["type", "type (suivi/resultat)", "type d'indicateur"],
        "type d'indicateur : suivi ou résultat",
    ),
    f(
        "cible",
        Number,
        false,
        false,
        &["cible", "valeur cible", "objectif chiffre"],
        "valeur cible",
    ),
    f(
        "valeur",
        Number,
        false,
        false,
        &["valeur observee", "valeur", "realise"],
        "valeur observée",
    ),
];

/// Plausible range of a numeric field, inclusive (`None`: any finite number). A value
/// outside is a validation issue: set aside, or the row rejected when the field is
/// required (docs/architecture.md, « Valeurs invraisemblables »). Capacities must be
/// positive: a capacity of 0 would make every rate infinite.
pub fn plausible_range(table: Table, field: &str) -> Option<(f64, f64)> {
    Some(match (table, field) {
        (_, "annee") => (1990.0, 2100.0),
        (Table::Services, "capacite") => (0.5, 100_000.0),
        (Table::Services, "jours_ouverture") => (1.0, 366.0),
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
