//! Typed errors of the library and the documented exit codes they map to. Messages are in
//! French and name a place (file, sheet, column, line) — never the content of a cell.

use std::fmt;

use crate::settings::KEY_BYTES;

/// Exit codes of the `observatoire` binary (documented in the README).
pub mod exit_code {
    /// Everything went well (bad cells, if any, are listed in the validation report).
    pub const SUCCESS: u8 = 0;
    /// Invalid input: pipeline file, missing or unreadable source, missing sheet or
    /// required column. Nothing was written.
    pub const INVALID_INPUT: u8 = 1;
    /// Command-line usage error (unknown option…), reported by the argument parser.
    pub const USAGE: u8 = 2;
    /// Internal or output error (disk full, permission denied…). Previous outputs are
    /// left untouched.
    pub const INTERNAL: u8 = 3;
    /// Disclosure control could not protect every figure (the audit found a suppressed
    /// figure that could be recomputed): nothing was written.
    pub const DISCLOSURE: u8 = 4;
    /// The run went to the end and wrote its outputs, but input rows or files were
    /// rejected (errors in the validation report): the figures leave them out.
    pub const REJECTED: u8 = 5;
}

/// Any error a run can end with.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
    #[error(transparent)]
    Source(#[from] SourceError),
    #[error(transparent)]
    Key(#[from] KeyError),
    /// An output folder the tool will not replace (it holds or is inside what the run
    /// reads, or files the tool did not write): the full French message.
    #[error("{0}")]
    ForeignOutputDir(String),
    #[error(
        "les extraits n'ont pas été pseudonymisés avec la même clé du collectif ni le même jeu de clés d'appariement ({0}) : les mêmes enfants n'y auraient pas les mêmes pseudonymes. Demandez aux partenaires de refaire leur extrait avec la clé et les cles_appariement du collectif"
    )]
    InconsistentExtracts(String),
    #[error("écriture des résultats impossible dans {path} : {detail}")]
    Output { path: String, detail: String },
    #[error(
        "secret statistique non garanti, rien n'a été publié : {0}. Signalez-le à l'équipe de l'observatoire avec le manifeste de la dernière exécution réussie"
    )]
    Disclosure(String),
    #[error("erreur interne : {0}")]
    Internal(String),
}

impl Error {
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Pipeline(_)
            | Error::Source(_)
            | Error::Key(_)
            | Error::ForeignOutputDir(_)
            | Error::InconsistentExtracts(_) => exit_code::INVALID_INPUT,
            Error::Output { .. } | Error::Internal(_) => exit_code::INTERNAL,
            Error::Disclosure(_) => exit_code::DISCLOSURE,
        }
    }

    pub fn output(path: &std::path::Path, e: impl fmt::Display) -> Error {
        Error::Output {
            path: path.display().to_string(),
            detail: e.to_string(),
        }
    }
}

impl From<polars::error::PolarsError> for Error {
    fn from(e: polars::error::PolarsError) -> Self {
        Error::Internal(format!("calcul sur les tables : {e}"))
    }
}

/// A problem in the pipeline file, located by line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PipelineError {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    pub message: String,
    /// What to write instead.
    pub hint: String,
}

impl fmt::Display for PipelineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "pipeline {}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ", ligne {l}")?;
            if let Some(c) = self.column {
                write!(f, ", colonne {c}")?;
            }
        }
        write!(f, " : {}. {}", self.message, self.hint)
    }
}

impl std::error::Error for PipelineError {}

/// A source that cannot be read at all. Bad cells are not errors: they go to the
/// validation report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceError {
    pub file: String,
    pub sheet: Option<String>,
    pub kind: SourceErrorKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceErrorKind {
    NotFound,
    NoFileMatches,
    UnsupportedFormat(String),
    PasswordProtected,
    Corrupt(String),
    TooLarge(String),
    /// The sheet a pipeline names is not in the workbook. Only counts are kept: sheet
    /// names are never listed (one sheet per child is a real layout).
    SheetNotFound {
        wanted: String,
        visible: usize,
        hidden: usize,
    },
    HeaderNotFound {
        searched_rows: usize,
    },
    MissingColumn {
        field: String,
        expected: Vec<String>,
    },
    /// The `service` a source gives for all its rows is not in the services table.
    UnknownService {
        code: String,
        line: Option<usize>,
    },
    /// A column the pipeline maps explicitly (`[sources.colonnes]`) is not in the header.
    MappedColumnAbsent(Box<MappedColumn>),
    Encoding(String),
    NotAnExtract(String),
    /// A file or sheet name read with `motif_fichier` / `motif_feuille` gives a value that
    /// cannot be used (an unknown service, a département that is not one, two different
    /// values), or no name of the source matches the patterns: the French reason.
    NamePattern(String),
}

/// Where a mapped column was looked for, and what was found instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedColumn {
    pub field: String,
    pub wanted: Vec<String>,
    /// Line of the mapping in the pipeline file.
    pub line: Option<usize>,
    /// 1-based header row(s) searched.
    pub header_rows: Vec<usize>,
    /// Header texts found (headers, never data cells), shortened.
    pub found: Vec<String>,
    pub suggestion: Option<String>,
}

impl fmt::Display for SourceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "fichier {}", self.file)?;
        if let Some(s) = &self.sheet {
            write!(f, ", feuille « {s} »")?;
        }
        write!(f, " : {}", self.kind)
    }
}

/// The reason alone, without the place (for the validation report, which has its own
/// file and sheet columns).
impl fmt::Display for SourceErrorKind {
    // Long function: one arm per error variant; the French messages read best side by side.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SourceErrorKind::NotFound => write!(
                f,
                "fichier introuvable. Vérifiez le chemin dans le pipeline (il est relatif au dossier du fichier pipeline)."
            ),
            SourceErrorKind::NoFileMatches => write!(
                f,
                "aucun fichier ne correspond à ce motif. Vérifiez le chemin et les caractères * du motif."
            ),
            SourceErrorKind::UnsupportedFormat(ext) => write!(
                f,
                "format « {ext} » non pris en charge. Enregistrez le fichier en .xlsx, .xls, .ods ou .csv."
            ),
            SourceErrorKind::PasswordProtected => write!(
                f,
                "le classeur est protégé par un mot de passe. Ouvrez-le, enregistrez une copie sans mot de passe (Fichier > Informations > Protéger le classeur) et indiquez cette copie dans le pipeline."
            ),
            SourceErrorKind::Corrupt(detail) => write!(
                f,
                "le fichier est illisible ou endommagé ({detail}). Ouvrez-le dans Excel ou LibreOffice et réenregistrez-le au format .xlsx."
            ),
            SourceErrorKind::TooLarge(detail) => write!(
                f,
                "le fichier dépasse les limites de lecture ({detail}). Supprimez les lignes et colonnes vides en fin de feuille, ou découpez le fichier."
            ),
            SourceErrorKind::SheetNotFound {
                wanted,
                visible,
                hidden,
            } => {
                write!(f, "la feuille « {wanted} » est introuvable. ")?;
                match (visible, hidden) {
                    (0, 0) => write!(f, "Le classeur ne contient aucune feuille.")?,
                    (0, h) => write!(
                        f,
                        "Le classeur ne contient aucune feuille visible ({h} masquée(s)) : affichez la feuille à lire dans Excel, ou indiquez sa position avec feuille = <numéro>."
                    )?,
                    (v, 0) => write!(f, "Le classeur contient {v} feuille(s) visible(s).")?,
                    (v, h) => write!(
                        f,
                        "Le classeur contient {v} feuille(s) visible(s) et {h} masquée(s)."
                    )?,
                }
                write!(
                    f,
                    " Les noms des feuilles ne sont pas affichés (ils peuvent désigner des personnes). Corrigez la clé feuille du pipeline : nom exact de l'onglet, ou sa position (feuille = 1 pour le premier onglet)."
                )
            }
            SourceErrorKind::HeaderNotFound { searched_rows } => write!(
                f,
                "aucune ligne d'en-tête reconnue dans les {searched_rows} premières lignes. Indiquez ligne_entete = <numéro de ligne> dans le pipeline, et les noms de vos colonnes dans [sources.colonnes]."
            ),
            SourceErrorKind::MissingColumn { field, expected } => write!(
                f,
                "colonne obligatoire « {field} » introuvable (en-têtes reconnus : {}). Ajoutez le nom exact de votre colonne dans [sources.colonnes], par exemple {field} = [\"Nom de votre colonne\"].",
                expected
                    .iter()
                    .map(|s| format!("« {s} »"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            SourceErrorKind::UnknownService { code, line } => write!(
                f,
                "le service « {code} » que le pipeline donne à cette source{} n'est pas dans la table services : ses lignes ne pourraient être rattachées ni à un type ni à un territoire. Corrigez le code, ou ajoutez le service au référentiel des services.",
                line.map(|l| format!(" (ligne {l})")).unwrap_or_default()
            ),
            SourceErrorKind::MappedColumnAbsent(m) => {
                let MappedColumn {
                    field,
                    wanted,
                    line,
                    header_rows,
                    found,
                    suggestion,
                } = &**m;
                write!(
                    f,
                    "la colonne {} indiquée pour le champ « {field} »{} est introuvable dans l'en-tête (ligne{} {}). En-têtes trouvés : {}.",
                    wanted
                        .iter()
                        .map(|s| format!("« {s} »"))
                        .collect::<Vec<_>>()
                        .join(" ou "),
                    line.map(|l| format!(" (pipeline, ligne {l})"))
                        .unwrap_or_default(),
                    if header_rows.len() > 1 { "s" } else { "" },
                    header_rows
                        .iter()
                        .map(|r| r.to_string())
                        .collect::<Vec<_>>()
                        .join(" et "),
                    if found.is_empty() {
                        "aucun en-tête reconnu sur cette ligne (est-ce bien la ligne d'en-tête ? sinon indiquez ligne_entete)".to_string()
                    } else {
                        found
                            .iter()
                            .map(|s| format!("« {s} »"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                )?;
                match suggestion {
                    Some(s) => write!(
                        f,
                        " Voulez-vous dire « {s} » ? Corrigez le nom dans [sources.colonnes] (il doit être celui de l'en-tête, aux accents et majuscules près), ou retirez la ligne si la colonne n'existe pas dans ce fichier."
                    ),
                    None => write!(
                        f,
                        " Corrigez le nom dans [sources.colonnes] (il doit être celui de l'en-tête, aux accents et majuscules près), ou retirez la ligne si la colonne n'existe pas dans ce fichier."
                    ),
                }
            }
            SourceErrorKind::NotAnExtract(detail) => write!(
                f,
                "ce fichier Parquet n'est pas un extrait de l'observatoire ({detail}). Transmettez le dossier extrait/ produit par « observatoire partenaire »."
            ),
            SourceErrorKind::NamePattern(detail) => write!(f, "{detail}"),
            SourceErrorKind::Encoding(detail) => write!(
                f,
                "encodage du texte illisible ({detail}). Enregistrez le CSV en UTF-8, ou indiquez encodage = \"windows-1252\" dans [sources.csv]."
            ),
        }
    }
}

impl std::error::Error for SourceError {}

/// Why a key cannot be used (French messages, never the key itself).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error(
        "clé introuvable : {0}. Créez-la avec « observatoire cle creer {0} » ou indiquez son chemin dans [confidentialite]"
    )]
    Missing(String),
    #[error(
        "aucune clé indiquée pour {0} : écrivez [confidentialite] {0} = \"chemin/vers/la.cle\" dans le pipeline (clé créée par « observatoire cle creer »), ou définissez la variable d'environnement {1}"
    )]
    NotConfigured(String, String),
    #[error("la variable d'environnement {0} est vide ou absente")]
    MissingEnv(String),
    #[error(
        "clé trop courte dans {0} : {1} octets, {KEY_BYTES} octets (64 caractères hexadécimaux) sont exigés. Recréez-la avec « observatoire cle creer »"
    )]
    TooShort(String, usize),
    #[error("clé illisible dans {0} : 64 caractères hexadécimaux (0-9, a-f) sont attendus")]
    NotHex(String),
    #[error(
        "la clé {0} est lisible par d'autres utilisateurs (droits {1:o}) : restreignez-la avec « chmod 600 {0} »"
    )]
    Readable(String, u32),
    #[error(
        "la clé de démonstration n'est permise que pour un pipeline de démonstration (demonstration = true) dont toutes les sources sont dans sample-data/"
    )]
    DemoNotAllowed,
    #[error("le fichier de clé {0} existe déjà : il n'est jamais écrasé (choisissez un autre nom)")]
    Exists(String),
    #[error(
        "le dossier {0} n'existe pas : créez-le d'abord (la clé n'est jamais écrite dans un dossier créé d'office, où une faute de frappe la cacherait)"
    )]
    MissingFolder(String),
    #[error("création de la clé impossible ({0})")]
    Io(String),
}
