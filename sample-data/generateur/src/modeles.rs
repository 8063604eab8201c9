//! Empty input templates for the partners (`modeles/`): the column names of
//! the ANEF layouts (APMN and MECS layouts for accompaniments and activity)
//! in row 1, frozen; a sheet `Aide` explaining each column; drop-down lists
//! for coded columns (inline when the list fits Excel's 255 characters, else
//! from a hidden sheet `Listes`); date formats on date columns.

use std::error::Error;

use rust_xlsxwriter::{
    DataValidation, DataValidationRule, ExcelDateTime, Format, FormatAlign, FormatBorder, Formula,
    Workbook, Worksheet, XlsxError,
};

use crate::copil::STATUTS;
use crate::formation::Theme;
use crate::output::Output;
use crate::personnel::Metier;
use crate::satisfaction::Public;

/// Last row (0-based) covered by the validations and column formats.
pub const LAST_ROW: u32 = 1999;

/// What a column holds.
#[derive(Clone, Debug)]
pub enum Kind {
    /// Free text.
    Text,
    /// A date (`jj/mm/aaaa`).
    Date,
    /// A month (`mm/aaaa`, first day of the month).
    Month,
    /// A whole number in `min..=max`.
    Integer(i32, i32),
    /// A decimal number in `min..=max`, shown with the number format.
    Decimal(f64, f64, &'static str),
    /// One value of a list.
    List(Vec<String>),
}

/// One column of a template.
#[derive(Clone, Debug)]
pub struct Column {
    /// Header, row 1.
    pub header: &'static str,
    /// Explanation (sheet `Aide` and input message, at most 255 characters).
    pub help: &'static str,
    /// Content.
    pub kind: Kind,
    /// Width.
    pub width: f64,
}

fn col(header: &'static str, help: &'static str, kind: Kind, width: f64) -> Column {
    Column {
        header,
        help,
        kind,
        width,
    }
}

fn list(values: &[&str]) -> Kind {
    Kind::List(values.iter().map(|s| s.to_string()).collect())
}

/// One data sheet of a template.
#[derive(Clone, Debug)]
pub struct SheetSpec {
    /// Sheet name.
    pub name: &'static str,
    /// Columns.
    pub columns: Vec<Column>,
}

/// One template file.
#[derive(Clone, Debug)]
pub struct Template {
    /// Path relative to the output directory.
    pub file: &'static str,
    /// Title (document properties and first line of `Aide`).
    pub title: &'static str,
    /// Data sheets.
    pub sheets: Vec<SheetSpec>,
}

/// Whether a list fits Excel's inline limit (255 characters, commas included).
pub fn fits_inline(values: &[String]) -> bool {
    let joined: usize = values.iter().map(|v| v.encode_utf16().count()).sum();
    joined + values.len().saturating_sub(1) <= 255
}

fn absences(header: &'static str, help: &'static str) -> Column {
    col(header, help, Kind::Integer(0, 366), 12.0)
}

/// Exit reasons of the accompaniments (APMN measures and placements).
const MOTIFS_FIN: [&str; 19] = [
    "Fin de mesure",
    "Non-renouvellement",
    "Mainlevée",
    "Fin de l'accord avec la famille",
    "Placement",
    "Déménagement hors département",
    "Transfert vers un autre service",
    "Retour en famille",
    "Orientation vers une autre MECS",
    "Orientation vers un lieu de vie",
    "Placement familial",
    "Mainlevée du placement",
    "Fin de l'accueil provisoire",
    "Orientation médico-sociale",
    "Fugue prolongée",
    "Majorité",
    "Fin de contrat jeune majeur",
    "Orientation vers un FJT",
    "Autre",
];

/// Service types, as the tool's vocabulary publishes them (`type_service`).
pub const SERVICE_TYPES: [&str; 32] = [
    "MECS",
    "AEMO",
    "AED",
    "AEMO / AED",
    "Placement familial",
    "Foyer de l'enfance",
    "Pouponnière",
    "Village d'enfants",
    "Lieu de vie",
    "Service d'accueil de jour",
    "Service d'investigation éducative",
    "Prévention spécialisée",
    "Centre maternel",
    "CEF",
    "CER",
    "DITEP",
    "ITEP",
    "IME",
    "IMPRO",
    "SESSAD",
    "CAMSP",
    "CMPP",
    "IEM",
    "SAVS",
    "SAMSAH",
    "ESAT",
    "MAS",
    "FAM",
    "Foyer de vie",
    "CHRS",
    "CADA",
    "MJAGBF",
];

/// Codes of the départements (`01`…`95` with `2A` and `2B`, then the overseas ones).
pub fn departements() -> Vec<String> {
    let mut out: Vec<String> = (1..=95)
        .flat_map(|n| match n {
            20 => vec!["2A".to_string(), "2B".to_string()],
            n => vec![format!("{n:02}")],
        })
        .collect();
    out.extend(["971", "972", "973", "974", "976"].map(String::from));
    out
}

/// The services directory: one row per service, capacities per year on their own sheet.
fn referentiel_services() -> Template {
    let finess = "Code FINESS de l'établissement ou du service (9 caractères), le même sur les deux feuilles et dans les fichiers d'activité.";
    Template {
        file: "modeles/modele-referentiel-services.xlsx",
        title: "Modèle — référentiel des services (une ligne par service ; les capacités par année)",
        sheets: vec![
            SheetSpec {
                name: "Services",
                columns: vec![
                    col("FINESS", finess, Kind::Text, 12.0),
                    col("Nom du service", "Nom usuel du service.", Kind::Text, 32.0),
                    col(
                        "Organisme gestionnaire",
                        "Association ou organisme qui gère le service.",
                        Kind::Text,
                        30.0,
                    ),
                    col(
                        "Type de service",
                        "Type du service, choisi dans la liste (MECS, AEMO, DITEP…).",
                        Kind::List(SERVICE_TYPES.iter().map(|s| s.to_string()).collect()),
                        26.0,
                    ),
                    col(
                        "Département",
                        "Code du département d'implantation (15, 63, 2A…).",
                        Kind::List(departements()),
                        12.0,
                    ),
                    col(
                        "Jours d'ouverture",
                        "Jours d'ouverture dans l'année d'un établissement (365 s'il ne ferme jamais, 210 pour un internat de semaine) ; vide pour un service de mesures.",
                        Kind::Integer(1, 366),
                        12.0,
                    ),
                ],
            },
            SheetSpec {
                name: "Capacités",
                columns: vec![
                    col("FINESS", finess, Kind::Text, 12.0),
                    col(
                        "Année",
                        "Année de la capacité : une ligne par service et par année (recopiez la ligne de l'année précédente quand la capacité ne change pas).",
                        Kind::Integer(2000, 2100),
                        8.0,
                    ),
                    col(
                        "Capacité autorisée",
                        "Capacité autorisée cette année-là : nombre de places (établissement) ou de mesures (service de milieu ouvert).",
                        Kind::Decimal(0.5, 100_000.0, "General"),
                        12.0,
                    ),
                    col(
                        "Unité",
                        "places (établissement) ou mesures (service de milieu ouvert).",
                        list(&["places", "mesures"]),
                        10.0,
                    ),
                ],
            },
        ],
    }
}

/// The seven templates.
pub fn templates() -> Vec<Template> {
    let date_help = "Date au format jj/mm/aaaa.";
    let metiers: Vec<String> = Metier::ALL.iter().map(|m| m.label().to_string()).collect();
    let themes: Vec<String> = Theme::ALL.iter().map(|t| t.label().to_string()).collect();
    let publics: Vec<String> = Public::ALL.iter().map(|p| p.key().to_string()).collect();
    let score = "Réponse de 1 (pas du tout satisfait) à 4 (très satisfait) ; vide si le questionnaire n'est pas revenu ou si la question est sans réponse.";
    vec![
        Template {
            file: "modeles/modele-personnel.xlsx",
            title: "Modèle — personnel (une ligne par salarié et par année)",
            sheets: vec![SheetSpec {
                name: "Personnel",
                columns: vec![
                    col(
                        "Matricule",
                        "Identifiant du salarié dans l'association, identique d'une année à l'autre et dans le plan de formation.",
                        Kind::Text,
                        11.0,
                    ),
                    col(
                        "Nom Prénom",
                        "Nom puis prénom du salarié (donnée directement identifiante : elle n'est pas transmise à l'observatoire).",
                        Kind::Text,
                        26.0,
                    ),
                    col(
                        "Année",
                        "Année civile décrite par la ligne (une ligne par salarié présent au moins un jour dans l'année).",
                        Kind::Integer(2000, 2100),
                        8.0,
                    ),
                    col(
                        "Fonction",
                        "Métier exercé, choisi dans la liste.",
                        Kind::List(metiers),
                        28.0,
                    ),
                    col(
                        "ETP moyen",
                        "Équivalent temps plein moyen sur l'année : quotité de travail × jours sous contrat dans l'année / jours de l'année (0,5 pour un mi-temps présent toute l'année).",
                        Kind::Decimal(0.0, 1.0, "0.00"),
                        10.0,
                    ),
                    col(
                        "Date d'entrée",
                        "Date d'embauche (début du contrat), même si elle est antérieure à l'année.",
                        Kind::Date,
                        12.0,
                    ),
                    col(
                        "Date de sortie",
                        "Dernier jour du contrat, seulement s'il tombe dans l'année de la ligne ; vide sinon.",
                        Kind::Date,
                        12.0,
                    ),
                    col("Contrat", "CDI ou CDD.", list(&["CDI", "CDD"]), 9.0),
                    absences(
                        "Jours maladie",
                        "Jours calendaires d'arrêt maladie dans l'année (vide = 0).",
                    ),
                    absences(
                        "Jours accident du travail",
                        "Jours calendaires d'arrêt pour accident du travail ou de trajet dans l'année (vide = 0).",
                    ),
                    absences(
                        "Jours maternité/paternité",
                        "Jours calendaires de congé maternité, paternité ou d'adoption dans l'année (vide = 0).",
                    ),
                    absences(
                        "Autres absences (jours)",
                        "Autres absences en jours calendaires : enfant malade, événements familiaux, congé sans solde (vide = 0). Les congés payés ne sont pas comptés.",
                    ),
                ],
            }],
        },
        Template {
            file: "modeles/modele-formation.xlsx",
            title: "Modèle — plan de formation (une ligne par formation demandée ou suivie)",
            sheets: vec![SheetSpec {
                name: "Formations",
                columns: vec![
                    col(
                        "Matricule",
                        "Matricule du salarié, le même que dans le fichier du personnel.",
                        Kind::Text,
                        11.0,
                    ),
                    col(
                        "Thème",
                        "Thème de la formation, choisi dans la liste.",
                        Kind::List(themes),
                        32.0,
                    ),
                    col("Organisme", "Organisme de formation.", Kind::Text, 36.0),
                    col(
                        "Date",
                        "Premier jour de la formation (ou date prévue si elle n'a pas eu lieu).",
                        Kind::Date,
                        12.0,
                    ),
                    col(
                        "Jours demandés",
                        "Nombre de journées demandées (0,5 pour une demi-journée).",
                        Kind::Decimal(0.0, 100.0, "0.0"),
                        10.0,
                    ),
                    col(
                        "Jours réalisés",
                        "Nombre de journées effectivement suivies ; 0 ou vide si la formation n'a pas eu lieu.",
                        Kind::Decimal(0.0, 100.0, "0.0"),
                        10.0,
                    ),
                    col(
                        "Inter-associatif (oui/non)",
                        "oui si la session relève du programme de formation commun de la charte interassociative.",
                        list(&["oui", "non"]),
                        14.0,
                    ),
                ],
            }],
        },
        Template {
            file: "modeles/modele-satisfaction.xlsx",
            title: "Modèle — questionnaires de satisfaction (une ligne par questionnaire envoyé)",
            sheets: vec![SheetSpec {
                name: "Envois",
                columns: vec![
                    col(
                        "N°",
                        "Numéro du questionnaire (année-numéro d'ordre, par exemple 2024-001).",
                        Kind::Text,
                        10.0,
                    ),
                    col(
                        "Destinataire (famille/jeune/partenaire)",
                        "À qui le questionnaire a été envoyé.",
                        Kind::List(publics),
                        16.0,
                    ),
                    col("Date d'envoi", date_help, Kind::Date, 12.0),
                    col(
                        "Retourné (x)",
                        "x si le questionnaire est revenu au service, vide sinon.",
                        list(&["x"]),
                        10.0,
                    ),
                    col("Q1 Accueil", score, Kind::Integer(1, 4), 9.0),
                    col("Q2 Écoute", score, Kind::Integer(1, 4), 9.0),
                    col("Q3 Information", score, Kind::Integer(1, 4), 11.0),
                    col("Q4 Accompagnement", score, Kind::Integer(1, 4), 14.0),
                    col("Q5 Satisfaction globale", score, Kind::Integer(1, 4), 12.0),
                ],
            }],
        },
        Template {
            file: "modeles/modele-plan-action.xlsx",
            title: "Modèle — plan d'action du COPIL qualité",
            sheets: vec![
                SheetSpec {
                    name: "Sous-actions",
                    columns: vec![
                        col(
                            "Fiche",
                            "Fiche action (par exemple « Fiche action 1 »).",
                            Kind::Text,
                            14.0,
                        ),
                        col(
                            "Objectif",
                            "Objectif(s) de la fiche action.",
                            Kind::Text,
                            50.0,
                        ),
                        col(
                            "Sous-action",
                            "Intitulé de la sous-action.",
                            Kind::Text,
                            70.0,
                        ),
                        col(
                            "Année",
                            "Année où la sous-action est programmée (une ligne par croix du calendrier).",
                            Kind::Integer(2000, 2100),
                            8.0,
                        ),
                        col(
                            "Statut",
                            "Avancement de la sous-action cette année-là.",
                            list(&STATUTS),
                            11.0,
                        ),
                    ],
                },
                SheetSpec {
                    name: "Indicateurs",
                    columns: vec![
                        col(
                            "Fiche",
                            "Fiche action (par exemple « Fiche action 1 »).",
                            Kind::Text,
                            14.0,
                        ),
                        col(
                            "Indicateur",
                            "Intitulé de l'indicateur de la fiche action.",
                            Kind::Text,
                            70.0,
                        ),
                        col(
                            "Type (suivi/résultat)",
                            "suivi ou résultat, comme dans la fiche action.",
                            list(&["suivi", "résultat"]),
                            12.0,
                        ),
                        col(
                            "Année",
                            "Année de la cible et de la valeur observée.",
                            Kind::Integer(2000, 2100),
                            8.0,
                        ),
                        col(
                            "Cible",
                            "Valeur visée pour l'année (nombre ; les pourcentages s'écrivent 75 pour 75 %).",
                            Kind::Decimal(-1.0e9, 1.0e9, "General"),
                            9.0,
                        ),
                        col(
                            "Valeur observée",
                            "Valeur constatée ; vide tant que l'année n'est pas close.",
                            Kind::Decimal(-1.0e9, 1.0e9, "General"),
                            10.0,
                        ),
                    ],
                },
            ],
        },
        Template {
            file: "modeles/modele-accompagnements.xlsx",
            title: "Modèle — accompagnements (une ligne par mesure ou par accueil)",
            sheets: vec![SheetSpec {
                name: "Mesures",
                columns: vec![
                    col(
                        "N° dossier",
                        "Numéro de dossier de l'enfant (le même pour ses mesures successives).",
                        Kind::Text,
                        11.0,
                    ),
                    col("NOM", "Nom de famille de l'enfant.", Kind::Text, 16.0),
                    col("Prénom", "Premier prénom de l'enfant.", Kind::Text, 16.0),
                    col(
                        "Né(e) le",
                        "Date de naissance de l'enfant (jj/mm/aaaa).",
                        Kind::Date,
                        12.0,
                    ),
                    col("Sexe", "F ou M.", list(&["F", "M"]), 6.0),
                    col(
                        "Nom de naissance de la mère",
                        "Nom de naissance de la mère ; NR si non renseigné.",
                        Kind::Text,
                        18.0,
                    ),
                    col(
                        "Type de mesure",
                        "Mesure ou statut de l'accueil : AED, AEMO, AEMO R (renforcée), OPP, Placement ASE, Accueil provisoire.",
                        list(&[
                            "AED",
                            "AEMO",
                            "AEMO R",
                            "OPP",
                            "Placement ASE",
                            "Accueil provisoire",
                        ]),
                        16.0,
                    ),
                    col(
                        "Cadre",
                        "Administratif ou Judiciaire.",
                        list(&["Administratif", "Judiciaire"]),
                        13.0,
                    ),
                    col(
                        "Date de début",
                        "Premier jour de la mesure ou jour d'admission.",
                        Kind::Date,
                        12.0,
                    ),
                    col(
                        "Date de fin",
                        "Dernier jour de la mesure ou jour de sortie ; vide si en cours.",
                        Kind::Date,
                        12.0,
                    ),
                    col(
                        "Motif de fin",
                        "Motif de fin de mesure ou de sortie, choisi dans la liste ; vide si en cours.",
                        list(&MOTIFS_FIN),
                        30.0,
                    ),
                    col(
                        "Commune",
                        "Commune de résidence de la famille.",
                        Kind::Text,
                        22.0,
                    ),
                ],
            }],
        },
        Template {
            file: "modeles/modele-activite.xlsx",
            title: "Modèle — activité mensuelle",
            sheets: vec![SheetSpec {
                name: "Activité mensuelle",
                columns: vec![
                    col(
                        "Mois",
                        "Premier jour du mois (01/01/2024 pour janvier 2024), affiché mm/aaaa.",
                        Kind::Month,
                        10.0,
                    ),
                    col(
                        "Journées réalisées",
                        "Journées de présence réalisées dans le mois (le jour de sortie n'est pas compté).",
                        Kind::Integer(0, 100_000),
                        12.0,
                    ),
                    col(
                        "Journées financées",
                        "Journées financées du mois (capacité × jours du mois × taux retenu par le financeur).",
                        Kind::Integer(0, 100_000),
                        12.0,
                    ),
                    col(
                        "Taux d'occupation",
                        "Journées réalisées / journées financées (0,95 = 95 %).",
                        Kind::Decimal(0.0, 5.0, "0.0%"),
                        12.0,
                    ),
                ],
            }],
        },
        referentiel_services(),
    ]
}

fn kind_values(kind: &Kind) -> String {
    match kind {
        Kind::Text => "texte libre".into(),
        Kind::Date => "date jj/mm/aaaa".into(),
        Kind::Month => "date (1er du mois), affichée mm/aaaa".into(),
        Kind::Integer(lo, hi) => format!("nombre entier de {lo} à {hi}"),
        Kind::Decimal(lo, _, _) if *lo < -1.0e8 => "nombre".into(),
        Kind::Decimal(lo, hi, _) => format!(
            "nombre de {} à {}",
            format!("{lo}").replace('.', ","),
            format!("{hi}").replace('.', ",")
        ),
        Kind::List(v) => format!("liste : {}", v.join(" ; ")),
    }
}

fn date_rule() -> Result<DataValidationRule<ExcelDateTime>, XlsxError> {
    Ok(DataValidationRule::Between(
        ExcelDateTime::from_ymd(1900, 1, 1)?,
        ExcelDateTime::from_ymd(2100, 12, 31)?,
    ))
}

/// Validation of a column (`list_ref`: range of its list in `Listes`, if any).
fn validation(c: &Column, list_ref: Option<&str>) -> Result<DataValidation, XlsxError> {
    let v = match &c.kind {
        Kind::Text => DataValidation::new().allow_any_value(),
        Kind::Date | Kind::Month => DataValidation::new().allow_date(date_rule()?),
        Kind::Integer(lo, hi) => {
            DataValidation::new().allow_whole_number(DataValidationRule::Between(*lo, *hi))
        }
        Kind::Decimal(lo, hi, _) => {
            DataValidation::new().allow_decimal_number(DataValidationRule::Between(*lo, *hi))
        }
        Kind::List(values) => match list_ref {
            Some(r) => DataValidation::new().allow_list_formula(Formula::new(r)),
            None => DataValidation::new().allow_list_strings(values)?,
        },
    };
    let v = v.set_input_message(c.help)?;
    let expected = match &c.kind {
        Kind::Text => return Ok(v),
        Kind::List(_) => "Choisissez une valeur de la liste déroulante.".to_string(),
        k => format!("Valeur attendue : {}.", kind_values(k)),
    };
    v.set_error_title("Valeur non permise")?
        .set_error_message(expected)
}

fn data_sheet(
    ws: &mut Worksheet,
    spec: &SheetSpec,
    list_refs: &[Option<String>],
    header: &Format,
    rows: &[Vec<String>],
) -> Result<(), XlsxError> {
    ws.set_name(spec.name)?;
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let month = Format::new().set_num_format("mm/yyyy");
    for (k, c) in spec.columns.iter().enumerate() {
        let k = k as u16;
        ws.write_string_with_format(0, k, c.header, header)?;
        ws.set_column_width(k, c.width)?;
        match &c.kind {
            Kind::Date => {
                ws.set_column_format(k, &day)?;
            }
            Kind::Month => {
                ws.set_column_format(k, &month)?;
            }
            Kind::Decimal(_, _, f) if *f != "General" => {
                ws.set_column_format(k, &Format::new().set_num_format(*f))?;
            }
            _ => {}
        }
        let v = validation(c, list_refs[k as usize].as_deref())?;
        ws.add_data_validation(1, k, LAST_ROW, k, &v)?;
    }
    ws.set_row_height(0, 30)?;
    ws.set_freeze_panes(1, 0)?;
    // Rows typed in (tests): numbers in number columns, text elsewhere.
    for (i, row) in rows.iter().enumerate() {
        let r = 1 + i as u32;
        for (k, (value, c)) in row.iter().zip(&spec.columns).enumerate() {
            let number = matches!(c.kind, Kind::Integer(..) | Kind::Decimal(..))
                .then(|| value.replace(',', ".").parse::<f64>().ok())
                .flatten();
            match number {
                _ if value.is_empty() => {}
                Some(x) => {
                    ws.write_number(r, k as u16, x)?;
                }
                None => {
                    ws.write_string(r, k as u16, value.as_str())?;
                }
            }
        }
    }
    Ok(())
}

/// Builds one template workbook.
pub fn workbook(t: &Template) -> Result<Vec<u8>, Box<dyn Error>> {
    filled(t, &[])
}

/// Builds one template workbook with rows typed in: `rows[k]` under the header of data
/// sheet `k` (for the tests that read a filled template with a pipeline).
pub fn filled(t: &Template, rows: &[Vec<Vec<String>>]) -> Result<Vec<u8>, Box<dyn Error>> {
    let mut wb = Workbook::new();
    wb.set_properties(&crate::doc_properties("Observatoire", t.title)?);
    let header = Format::new()
        .set_bold()
        .set_text_wrap()
        .set_align(FormatAlign::Center)
        .set_align(FormatAlign::VerticalCenter)
        .set_border(FormatBorder::Thin)
        .set_background_color("#DDEBF7");
    let wrap = Format::new().set_text_wrap().set_align(FormatAlign::Top);
    let bold = Format::new().set_bold().set_font_size(13);

    // Long lists go to the hidden sheet `Listes`, one column each.
    let mut long_lists: Vec<(&'static str, Vec<String>)> = Vec::new();
    let mut refs: Vec<Vec<Option<String>>> = Vec::new();
    for s in &t.sheets {
        let mut r = Vec::new();
        for c in &s.columns {
            match &c.kind {
                Kind::List(values) if !fits_inline(values) => {
                    let k = long_lists.len();
                    let letter = (b'A' + k as u8) as char;
                    r.push(Some(format!(
                        "=Listes!${letter}$2:${letter}${}",
                        values.len() + 1
                    )));
                    long_lists.push((c.header, values.clone()));
                }
                _ => r.push(None),
            }
        }
        refs.push(r);
    }

    for (k, (s, r)) in t.sheets.iter().zip(&refs).enumerate() {
        let ws = wb.add_worksheet();
        let typed = rows.get(k).map(Vec::as_slice).unwrap_or_default();
        data_sheet(ws, s, r, &header, typed)?;
    }

    let ws = wb.add_worksheet();
    ws.set_name("Aide")?;
    ws.write_string_with_format(0, 0, t.title, &bold)?;
    ws.write_string(
        1,
        0,
        "Une ligne par enregistrement, à partir de la ligne 2 ; ne renommez ni ne déplacez les colonnes. Les listes déroulantes donnent les valeurs permises.",
    )?;
    let heads = ["Feuille", "Colonne", "Explication", "Valeurs permises"];
    for (k, h) in heads.iter().enumerate() {
        ws.write_string_with_format(3, k as u16, *h, &header)?;
    }
    for (k, w) in [18.0, 30.0, 70.0, 50.0].iter().enumerate() {
        ws.set_column_width(k as u16, *w)?;
    }
    let mut row = 4u32;
    for s in &t.sheets {
        for c in &s.columns {
            ws.write_string_with_format(row, 0, s.name, &wrap)?;
            ws.write_string_with_format(row, 1, c.header, &wrap)?;
            ws.write_string_with_format(row, 2, c.help, &wrap)?;
            ws.write_string_with_format(row, 3, kind_values(&c.kind), &wrap)?;
            row += 1;
        }
    }
    ws.set_freeze_panes(4, 0)?;

    if !long_lists.is_empty() {
        let ws = wb.add_worksheet();
        ws.set_name("Listes")?;
        for (k, (name, values)) in long_lists.iter().enumerate() {
            let k = k as u16;
            ws.write_string_with_format(0, k, *name, &header)?;
            ws.set_column_width(k, 32)?;
            for (i, v) in values.iter().enumerate() {
                ws.write_string(1 + i as u32, k, v.as_str())?;
            }
        }
        ws.set_hidden(true);
    }
    Ok(wb.save_to_buffer()?)
}

/// Writes the seven templates.
pub fn write(out: &mut Output) -> Result<(), Box<dyn Error>> {
    for t in templates() {
        let bytes = workbook(&t)?;
        out.write(t.file, &bytes)?;
        for s in &t.sheets {
            out.count_rh(t.file, Some(s.name), 1, 0);
        }
    }
    Ok(())
}
