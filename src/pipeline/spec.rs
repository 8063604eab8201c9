//! The shape of a pipeline file as deserialised (`[pipeline]`, `[periode]`, `[sorties]`,
//! `[confidentialite]`, `[secret_statistique]`, `[controles]`, `[limites]`,
//! `[[sources]]`…), with the spans of the values that messages point at.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PipelineSpec {
    pub pipeline: Meta,
    pub periode: Period,
    #[serde(default)]
    pub sorties: Outputs,
    #[serde(default)]
    pub confidentialite: PrivacySpec,
    #[serde(default)]
    pub secret_statistique: DisclosureSpec,
    #[serde(default)]
    pub sources: Vec<SourceSpec>,
    /// Reading limits (`[limites]`), to raise for very large files.
    #[serde(default)]
    pub limites: LimitsSpec,
    /// Plausibility checks of the inputs (`[controles]`).
    #[serde(default)]
    pub controles: ChecksSpec,
    /// Indicator settings (`[indicateurs]`).
    #[serde(default)]
    pub indicateurs: IndicatorsSpec,
    /// Reports handed over to an audience (`[[rapports]]`), each written to
    /// `rapports/<nom>.html`.
    #[serde(default)]
    pub rapports: Vec<ReportSpec>,
}

/// One report declared in the pipeline (`[[rapports]]`): its kind, its perimeter (one
/// service, one organisation, or the whole network when neither is given), its file
/// stem and its addressee.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSpec {
    /// `activite`, `plaidoyer` or `copil`.
    #[serde(rename = "type")]
    pub kind: Spanned<String>,
    #[serde(default)]
    pub service: Option<Spanned<String>>,
    #[serde(default)]
    pub organisation: Option<Spanned<String>>,
    /// Output file stem (default derived from the kind and the perimeter).
    #[serde(default)]
    pub nom: Option<Spanned<String>>,
    /// Addressee shown in a banner (« Conseil départemental du Cantal »).
    #[serde(default)]
    pub destinataire: Option<String>,
}

/// Indicator settings (`[indicateurs]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IndicatorsSpec {
    /// Where a child counts in cross-sector figures by département: `service` (default)
    /// or `residence`.
    #[serde(default)]
    pub territoire_enfant: Option<Spanned<String>>,
}

/// Plausibility checks a pipeline may tune (`[controles]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ChecksSpec {
    /// Most measures of one person running at the same time in one service (default 3);
    /// beyond, the person's rows in that service are rejected as implausible.
    #[serde(default)]
    pub mesures_simultanees_max: Option<Spanned<usize>>,
}

/// Reading limits a pipeline may raise (`[limites]`); absent keys keep the defaults of
/// [`crate::settings::Limits`].
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    /// Largest input file, in MiB.
    #[serde(default)]
    pub taille_fichier_mo: Option<Spanned<u64>>,
    /// Largest used area of one sheet, in cells.
    #[serde(default)]
    pub cellules_par_feuille: Option<Spanned<u64>>,
    /// Largest decompressed size of a zipped workbook, in MiB.
    #[serde(default)]
    pub taille_decompressee_mo: Option<Spanned<u64>>,
    /// Largest number of shared strings of a workbook.
    #[serde(default)]
    pub chaines_partagees: Option<Spanned<u64>>,
    /// Longest text of one cell, in characters.
    #[serde(default)]
    pub caracteres_par_cellule: Option<Spanned<usize>>,
    /// Longest line of a CSV file, in KiB.
    #[serde(default)]
    pub longueur_ligne_ko: Option<Spanned<usize>>,
    /// Largest total text of one sheet once read, in MiB.
    #[serde(default)]
    pub texte_par_feuille_mo: Option<Spanned<u64>>,
    /// Memory of the isolated workbook reader, in MiB.
    #[serde(default)]
    pub memoire_lecture_mo: Option<Spanned<u64>>,
    /// Longest time of the isolated workbook reader over one file, in seconds.
    #[serde(default)]
    pub duree_lecture_s: Option<Spanned<u64>>,
}

/// Statistical confidentiality of the published figures (`[secret_statistique]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DisclosureSpec {
    /// No figure on fewer persons (default 11). Below 11 only for `diffusion = "interne"`.
    #[serde(default)]
    pub seuil: Option<Spanned<u32>>,
    /// Zeros are primary cells too (default: no, a zero counts no one).
    #[serde(default)]
    pub zeros_secrets: bool,
}

/// Keys, pseudonymisation and linkage settings (`[confidentialite]`).
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PrivacySpec {
    /// The collective's key file (pseudonyms made at the partners), relative to the
    /// pipeline file; or `cle_env`, the name of an environment variable holding it.
    #[serde(default)]
    pub cle: Option<String>,
    #[serde(default)]
    pub cle_env: Option<String>,
    /// The observatory's own key (re-keying before linkage).
    #[serde(default)]
    pub cle_observatoire: Option<String>,
    #[serde(default)]
    pub cle_observatoire_env: Option<String>,
    /// The public demonstration keys: only for `demonstration = true` on sample-data/.
    #[serde(default)]
    pub cle_demonstration: Option<Spanned<bool>>,
    /// Keys for stepwise linkage, strictest first; each a list of identity fields.
    #[serde(default)]
    pub cles_appariement: Option<Vec<Vec<Spanned<String>>>>,
    /// Fuzzy linkage on Bloom-filter encodings (default: yes).
    #[serde(default)]
    pub appariement_flou: Option<bool>,
    /// Dice threshold of fuzzy linkage (default 0,75).
    #[serde(default)]
    pub seuil_dice: Option<Spanned<f64>>,
    /// Lower bounds of age bands in years (default `[0, 3, 6, 11, 16, 18, 21]`).
    #[serde(default)]
    pub tranches_age: Option<Spanned<Vec<u32>>>,
    /// Territory level of the residence in the extract: `departement` (default),
    /// `region` or `aucun`.
    #[serde(default)]
    pub niveau_residence: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub nom: String,
    #[serde(default)]
    pub description: Option<String>,
    /// Synthetic demonstration data: every output says so visibly.
    #[serde(default)]
    pub demonstration: bool,
}

/// Reference period: calendar years `debut..=fin`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Period {
    pub debut: Spanned<i32>,
    pub fin: Spanned<i32>,
}

impl Period {
    pub fn years(&self) -> std::ops::RangeInclusive<i32> {
        *self.debut.get_ref()..=*self.fin.get_ref()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outputs {
    /// Output directory, relative to the pipeline file (overridden by `--sortie`).
    #[serde(default)]
    pub dossier: Option<String>,
    #[serde(default = "yes")]
    pub graphique: bool,
    #[serde(default = "yes")]
    pub rapport: bool,
    /// Who may read the outputs: `publique` (default) or `interne` (a service's own
    /// dashboard; every output then says « diffusion interne »).
    #[serde(default)]
    pub diffusion: Option<Spanned<String>>,
    /// Addressee named on every output of `diffusion = "autorite"` (« Document transmis
    /// à : … »): the Conseil départemental, the ARS.
    #[serde(default)]
    pub destinataire: Option<Spanned<String>>,
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            dossier: None,
            graphique: true,
            rapport: true,
            diffusion: None,
            destinataire: None,
        }
    }
}

fn yes() -> bool {
    true
}

/// One or more header texts for a canonical field.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Synonyms {
    One(String),
    Many(Vec<String>),
}

impl Synonyms {
    pub fn list(&self) -> Vec<String> {
        match self {
            Synonyms::One(s) => vec![s.clone()],
            Synonyms::Many(v) => v.clone(),
        }
    }
}

/// Sheet by name or by position (1 = first sheet).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum SheetSel {
    Position(usize),
    Name(String),
}

/// Header row: `"auto"`, a row number (1-based), or two rows `[4, 5]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum HeaderSel {
    Row(usize),
    Rows(Vec<usize>),
    Auto(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSpec {
    /// Human-readable name, shown in reports.
    #[serde(default)]
    pub nom: Option<String>,
    /// Path or glob (`*.xlsx`), relative to the pipeline file.
    pub fichier: Spanned<String>,
    /// One sheet. Default: the first visible sheet.
    #[serde(default)]
    pub feuille: Option<Spanned<SheetSel>>,
    /// Several sheets by name (e.g. one per year); `["*"]` for all visible sheets.
    #[serde(default)]
    pub feuilles: Option<Spanned<Vec<String>>>,
    #[serde(default)]
    pub ligne_entete: Option<Spanned<HeaderSel>>,
    pub table: Spanned<String>,
    #[serde(default)]
    pub organisation: Option<String>,
    #[serde(default)]
    pub service: Option<String>,
    /// Canonical field → header text(s) in this file.
    #[serde(default)]
    pub colonnes: BTreeMap<Spanned<String>, Synonyms>,
    /// Canonical field → { value in the file → canonical value }.
    #[serde(default)]
    pub valeurs: BTreeMap<Spanned<String>, BTreeMap<String, String>>,
    /// The sheet's name is the year (`annee`) of its rows: one sheet per year.
    #[serde(default)]
    pub annee_depuis_feuille: bool,
    /// Pattern(s) of the file names (`"suivi-{departement}.xlsx"`): the part written
    /// `{service}`, `{annee}` or `{departement}` gives that value to the file's rows; a
    /// file of the glob that matches no pattern is reported and not read.
    #[serde(default)]
    pub motif_fichier: Option<Spanned<Synonyms>>,
    /// Pattern(s) of the sheet names (`"Entrées {annee}"`, `"{service}"`), as
    /// `motif_fichier`; without `feuille`/`feuilles`, every visible sheet is looked at.
    #[serde(default)]
    pub motif_feuille: Option<Spanned<Synonyms>>,
    /// Factors applied to numeric fields, e.g. `{ etp = 0.01 }` when ETP are written as
    /// percentages.
    #[serde(default)]
    pub facteurs: BTreeMap<Spanned<String>, f64>,
    /// Text starting a row that is a total or a note, not data (default: `total`).
    #[serde(default)]
    pub lignes_total: Option<Vec<String>>,
    #[serde(default)]
    pub csv: Option<CsvSpec>,
    #[serde(default)]
    pub reference: Option<ReferenceSpec>,
    /// Read past blank rows: a table in several blocks separated by blank rows (the
    /// overseas départements below the metropolitan ones, for instance). By default the
    /// table ends at its first blank row and what lies below is counted, not read.
    #[serde(default)]
    pub lire_apres_lignes_vides: bool,
    /// Texts meaning « not ended yet » in an end date (`date_fin`, `date_sortie`), added
    /// to the default list (`en cours`, `encore présent`, `-`, `/`…): README « Fins
    /// ouvertes ».
    #[serde(default)]
    pub fins_ouvertes: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CsvSpec {
    /// `"auto"` (default), `"utf-8"` or `"windows-1252"`.
    #[serde(default)]
    pub encodage: Option<Spanned<String>>,
    /// `";"`, `","`, tab; default: detected.
    #[serde(default)]
    pub separateur: Option<Spanned<String>>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferenceSpec {
    /// Publisher, e.g. `DREES`, `INSEE`.
    pub source: String,
    /// Territory level of the rows: `departement` (default) or `region`, read with the
    /// territory table of [`crate::territory`] (a row of another level — a total, a
    /// région among départements, a collectivité d'outre-mer — is set aside and
    /// reported); any other level keeps its codes as written.
    #[serde(default = "default_level")]
    pub niveau: String,
    /// Year the figures describe, or `"feuille"` to read it from the sheet name.
    pub periode: Spanned<PeriodSel>,
    /// Variable name → header text(s): each becomes one reference row per territory.
    #[serde(default)]
    pub mesures: BTreeMap<String, Synonyms>,
    /// Wide tables (INSEE): every other column with a value becomes a row. A column
    /// whose header names a code or a label (`Code région`, `Libellé`…) or that holds
    /// text is never a value column; a column whose header is a year gives that year
    /// as the period of its values.
    #[serde(default)]
    pub colonnes_larges: Option<WideSpec>,
    /// Kept for older pipelines: with `niveau = "departement"`, rows that are not
    /// départements are always set aside (and reported).
    #[serde(default)]
    pub codes_departement_seulement: bool,
}

fn default_level() -> String {
    "departement".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PeriodSel {
    Year(i32),
    FromSheet(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WideSpec {
    /// Variable name given to every value column.
    pub variable: String,
    /// Header texts (normalised) of columns to leave out, e.g. `["Total"]`.
    #[serde(default)]
    pub exclure: Vec<String>,
}
