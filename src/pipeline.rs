//! Pipeline files (`pipelines/*.toml`): what a run reads, how columns map onto the
//! canonical tables, and what it writes. Owns parsing, validation and the French error
//! messages that point at a line and column and say what to write instead.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::error::PipelineError;
use crate::tables::Table;

/// A parsed, validated pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The pipeline file itself.
    pub path: PathBuf,
    /// Directory relative paths are resolved against (the pipeline file's directory).
    pub base_dir: PathBuf,
    /// Raw text, kept for the manifest's hash.
    pub text: String,
    pub spec: PipelineSpec,
}

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
/// [`crate::ingest::limits::Limits`].
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
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            dossier: None,
            graphique: true,
            rapport: true,
            diffusion: None,
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

impl Pipeline {
    /// Reads and validates a pipeline file.
    pub fn load(path: &Path) -> Result<Pipeline, PipelineError> {
        let text = std::fs::read_to_string(path).map_err(|e| PipelineError {
            file: path.display().to_string(),
            line: None,
            column: None,
            message: format!("impossible de lire le fichier pipeline ({e})"),
            hint: "vérifiez le chemin donné à la commande".into(),
        })?;
        Self::parse(path, text)
    }

    pub fn parse(path: &Path, text: String) -> Result<Pipeline, PipelineError> {
        let spec: PipelineSpec = toml::from_str(&text).map_err(|e| {
            let (line, column) = e.span().map(|s| line_col(&text, s.start)).unzip();
            let (message, hint) = translate_toml_error(e.message());
            PipelineError {
                file: path.display().to_string(),
                line,
                column,
                message,
                hint,
            }
        })?;
        let base_dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        let p = Pipeline {
            path: path.to_path_buf(),
            base_dir,
            text,
            spec,
        };
        p.validate()?;
        Ok(p)
    }

    fn err_at(&self, span: std::ops::Range<usize>, message: String, hint: String) -> PipelineError {
        let (line, column) = line_col(&self.text, span.start);
        PipelineError {
            file: self.path.display().to_string(),
            line: Some(line),
            column: Some(column),
            message,
            hint,
        }
    }

    /// Reading limits of the run: the defaults, raised by `[limites]`.
    pub fn limits(&self) -> crate::ingest::limits::Limits {
        use crate::ingest::limits::{Limits, MIB};
        let d = Limits::default();
        let l = &self.spec.limites;
        Limits {
            file_bytes: l
                .taille_fichier_mo
                .as_ref()
                .map_or(d.file_bytes, |v| v.get_ref().saturating_mul(MIB)),
            cells_per_sheet: l
                .cellules_par_feuille
                .as_ref()
                .map_or(d.cells_per_sheet, |v| *v.get_ref()),
            decompressed_bytes: l
                .taille_decompressee_mo
                .as_ref()
                .map_or(d.decompressed_bytes, |v| v.get_ref().saturating_mul(MIB)),
            shared_strings: l
                .chaines_partagees
                .as_ref()
                .map_or(d.shared_strings, |v| *v.get_ref()),
            cell_chars: l
                .caracteres_par_cellule
                .as_ref()
                .map_or(d.cell_chars, |v| *v.get_ref()),
            line_bytes: l
                .longueur_ligne_ko
                .as_ref()
                .map_or(d.line_bytes, |v| v.get_ref().saturating_mul(1024)),
            sheet_text_bytes: l
                .texte_par_feuille_mo
                .as_ref()
                .map_or(d.sheet_text_bytes, |v| v.get_ref().saturating_mul(MIB)),
            reader_memory_bytes: l
                .memoire_lecture_mo
                .as_ref()
                .map_or(d.reader_memory_bytes, |v| v.get_ref().saturating_mul(MIB)),
            reader_seconds: l
                .duree_lecture_s
                .as_ref()
                .map_or(d.reader_seconds, |v| *v.get_ref()),
        }
    }

    /// Disclosure control settings of the run.
    /// Settings of the indicators stage (`[indicateurs]`).
    pub fn indicator_settings(&self) -> crate::indicators::Settings {
        crate::indicators::Settings {
            child_territory: self
                .spec
                .indicateurs
                .territoire_enfant
                .as_ref()
                .and_then(|t| crate::indicators::ChildTerritory::from_setting(t.get_ref()))
                .unwrap_or_default(),
        }
    }

    pub fn disclosure_settings(&self) -> crate::disclosure::Settings {
        use crate::disclosure::{Audience, DEFAULT_THRESHOLD, Settings};
        let audience = match self
            .spec
            .sorties
            .diffusion
            .as_ref()
            .map(|d| d.get_ref().as_str())
        {
            Some("interne") => Audience::Internal,
            _ => Audience::Public,
        };
        Settings {
            threshold: self
                .spec
                .secret_statistique
                .seuil
                .as_ref()
                .map_or(DEFAULT_THRESHOLD, |t| *t.get_ref()),
            protect_zeros: self.spec.secret_statistique.zeros_secrets,
            audience,
        }
    }

    fn validate(&self) -> Result<(), PipelineError> {
        let per = &self.spec.periode;
        if !(1990..=2100).contains(per.debut.get_ref())
            || !(1990..=2100).contains(per.fin.get_ref())
        {
            return Err(self.err_at(
                per.debut.span(),
                "année de période hors limites".into(),
                "écrivez des années entre 1990 et 2100, par exemple debut = 2020".into(),
            ));
        }
        if per.debut.get_ref() > per.fin.get_ref() {
            return Err(self.err_at(
                per.fin.span(),
                "la fin de la période précède son début".into(),
                format!(
                    "écrivez fin = {} ou une année postérieure",
                    per.debut.get_ref()
                ),
            ));
        }
        if let Some(d) = &self.spec.sorties.diffusion
            && !["publique", "interne"].contains(&d.get_ref().as_str())
        {
            return Err(self.err_at(
                d.span(),
                format!("diffusion « {} » inconnue", d.get_ref()),
                "écrivez diffusion = \"publique\" ou diffusion = \"interne\"".into(),
            ));
        }
        if let Some(t) = &self.spec.secret_statistique.seuil {
            let n = *t.get_ref();
            if n == 0 {
                return Err(self.err_at(
                    t.span(),
                    "le seuil du secret statistique doit être d'au moins 1 personne".into(),
                    format!("écrivez seuil = {}", crate::disclosure::DEFAULT_THRESHOLD),
                ));
            }
            if n < crate::disclosure::DEFAULT_THRESHOLD
                && self.disclosure_settings().audience != crate::disclosure::Audience::Internal
            {
                return Err(self.err_at(
                    t.span(),
                    format!(
                        "un seuil de {n} personnes est inférieur à la règle de {} pour une diffusion publique",
                        crate::disclosure::DEFAULT_THRESHOLD
                    ),
                    format!(
                        "écrivez seuil = {} ou plus ; pour le tableau de bord interne d'un service, ajoutez diffusion = \"interne\" dans [sorties]",
                        crate::disclosure::DEFAULT_THRESHOLD
                    ),
                ));
            }
        }
        let conf = &self.spec.confidentialite;
        if let Some(keys) = &conf.cles_appariement {
            for k in keys.iter().flatten() {
                if !crate::pseudonymise::KEY_FIELDS.contains(&k.get_ref().as_str()) {
                    return Err(self.err_at(
                        k.span(),
                        format!(
                            "champ d'identité « {} » inconnu dans cles_appariement",
                            k.get_ref()
                        ),
                        format!(
                            "champs possibles : {}{}",
                            crate::pseudonymise::KEY_FIELDS.join(", "),
                            suggest(k.get_ref(), &crate::pseudonymise::KEY_FIELDS)
                        ),
                    ));
                }
            }
        }
        if let Some(t) = &conf.seuil_dice
            && !(0.5..=1.0).contains(t.get_ref())
        {
            return Err(self.err_at(
                t.span(),
                "seuil_dice hors limites".into(),
                "écrivez un seuil entre 0.5 et 1.0, par exemple seuil_dice = 0.75".into(),
            ));
        }
        if let Some(b) = &conf.tranches_age
            && (b.get_ref().is_empty() || b.get_ref().windows(2).any(|w| w[0] >= w[1]))
        {
            return Err(self.err_at(
                b.span(),
                "tranches_age doit être une liste croissante de bornes inférieures".into(),
                "par exemple tranches_age = [0, 3, 6, 11, 16, 18, 21]".into(),
            ));
        }
        if let Some(n) = &conf.niveau_residence
            && !["departement", "region", "aucun"].contains(&n.get_ref().as_str())
        {
            return Err(self.err_at(
                n.span(),
                format!("niveau_residence « {} » inconnu", n.get_ref()),
                "écrivez niveau_residence = \"departement\", \"region\" ou \"aucun\"".into(),
            ));
        }
        if let Some(t) = &self.spec.indicateurs.territoire_enfant {
            match crate::indicators::ChildTerritory::from_setting(t.get_ref()) {
                None => {
                    return Err(self.err_at(
                        t.span(),
                        format!("territoire_enfant « {} » inconnu", t.get_ref()),
                        "écrivez territoire_enfant = \"service\" ou \"residence\"".into(),
                    ));
                }
                Some(crate::indicators::ChildTerritory::Residence)
                    if conf
                        .niveau_residence
                        .as_ref()
                        .is_some_and(|n| n.get_ref() != "departement") =>
                {
                    return Err(self.err_at(
                        t.span(),
                        "territoire_enfant = \"residence\" compte les enfants par département de résidence, que l'extrait ne garde pas avec ce niveau_residence".into(),
                        "écrivez niveau_residence = \"departement\" (ou retirez-le), ou territoire_enfant = \"service\"".into(),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(d) = &conf.cle_demonstration
            && *d.get_ref()
        {
            let in_sample = self.spec.sources.iter().all(|s| {
                Path::new(s.fichier.get_ref())
                    .components()
                    .any(|c| c.as_os_str() == "sample-data")
            });
            if !self.spec.pipeline.demonstration || !in_sample {
                return Err(self.err_at(
                    d.span(),
                    "la clé de démonstration est publique : elle n'est permise que pour les données fictives de sample-data/".into(),
                    "retirez cle_demonstration et indiquez cle = \"chemin/vers/la.cle\" (créée par « observatoire cle creer »)".into(),
                ));
            }
        }
        for src in &self.spec.sources {
            let Some(table) = Table::from_id(src.table.get_ref()) else {
                let ids: Vec<&str> = Table::ALL.iter().map(|t| t.id()).collect();
                return Err(self.err_at(
                    src.table.span(),
                    format!("table canonique inconnue « {} »", src.table.get_ref()),
                    format!(
                        "tables possibles : {}{}",
                        ids.join(", "),
                        suggest(src.table.get_ref(), &ids)
                    ),
                ));
            };
            for key in src
                .colonnes
                .keys()
                .chain(src.valeurs.keys())
                .chain(src.facteurs.keys())
            {
                if table.field(key.get_ref()).is_none() {
                    let names: Vec<&str> = table.fields().iter().map(|f| f.name).collect();
                    return Err(self.err_at(
                        key.span(),
                        format!(
                            "champ « {} » inconnu pour la table {}",
                            key.get_ref(),
                            table.id()
                        ),
                        format!(
                            "champs possibles : {}{}",
                            names.join(", "),
                            suggest(key.get_ref(), &names)
                        ),
                    ));
                }
            }
            if let Some(h) = &src.ligne_entete {
                let ok = match h.get_ref() {
                    HeaderSel::Row(n) => *n >= 1,
                    HeaderSel::Rows(v) => (1..=2).contains(&v.len()) && v.iter().all(|n| *n >= 1),
                    HeaderSel::Auto(s) => s == "auto",
                };
                if !ok {
                    return Err(self.err_at(
                        h.span(),
                        "valeur de ligne_entete invalide".into(),
                        "écrivez ligne_entete = \"auto\", un numéro de ligne (ligne_entete = 5) ou deux lignes consécutives (ligne_entete = [4, 5])".into(),
                    ));
                }
            }
            if src.feuille.is_some() && src.feuilles.is_some() {
                return Err(self.err_at(
                    src.table.span(),
                    "feuille et feuilles sont toutes deux indiquées".into(),
                    "gardez une seule des deux clés".into(),
                ));
            }
            match (table, &src.reference) {
                (Table::Reference, None) => {
                    return Err(self.err_at(
                        src.table.span(),
                        "une source de table reference doit avoir une section [sources.reference]".into(),
                        "ajoutez [sources.reference] avec source, periode et mesures ou colonnes_larges".into(),
                    ));
                }
                (Table::Reference, Some(r)) => {
                    if r.mesures.is_empty() == r.colonnes_larges.is_none() {
                        return Err(self.err_at(
                            src.table.span(),
                            "la section [sources.reference] doit indiquer soit mesures, soit colonnes_larges".into(),
                            "ajoutez [sources.reference.mesures] (une variable par colonne) ou [sources.reference.colonnes_larges]".into(),
                        ));
                    }
                    if let PeriodSel::FromSheet(s) = r.periode.get_ref()
                        && s != "feuille"
                    {
                        return Err(self.err_at(
                            r.periode.span(),
                            format!("periode « {s} » invalide"),
                            "écrivez une année (periode = 2020) ou periode = \"feuille\" quand chaque feuille porte le nom de son année".into(),
                        ));
                    }
                }
                (_, Some(_)) => {
                    return Err(self.err_at(
                        src.table.span(),
                        "la section [sources.reference] ne vaut que pour table = \"reference\""
                            .into(),
                        "retirez-la ou changez la table".into(),
                    ));
                }
                _ => {}
            }
            if let Some(csv) = &src.csv {
                if let Some(e) = &csv.encodage
                    && !["auto", "utf-8", "windows-1252"].contains(&e.get_ref().as_str())
                {
                    return Err(self.err_at(
                        e.span(),
                        format!("encodage « {} » non pris en charge", e.get_ref()),
                        "écrivez encodage = \"auto\", \"utf-8\" ou \"windows-1252\"".into(),
                    ));
                }
                if let Some(s) = &csv.separateur
                    && ![";", ",", "\t", "|"].contains(&s.get_ref().as_str())
                {
                    return Err(self.err_at(
                        s.span(),
                        format!("séparateur « {} » non pris en charge", s.get_ref()),
                        "écrivez separateur = \";\", \",\", \"|\" ou \"\\t\"".into(),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Resolves a path written in the pipeline file.
    pub fn resolve(&self, p: &str) -> PathBuf {
        let path = Path::new(p);
        if path.is_absolute() {
            path.to_path_buf()
        } else {
            self.base_dir.join(path)
        }
    }
}

/// 1-based line and column of a byte offset.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before
        .rsplit('\n')
        .next()
        .map(|l| l.chars().count())
        .unwrap_or(0)
        + 1;
    (line, col)
}

/// Turns the TOML parser's English message into French, with a hint.
fn translate_toml_error(msg: &str) -> (String, String) {
    let msg = msg.trim();
    if let Some(rest) = msg.strip_prefix("unknown field `") {
        let (field, tail) = rest.split_once('`').unwrap_or((rest, ""));
        let expected: Vec<&str> = tail
            .split('`')
            .enumerate()
            .filter(|(i, _)| i % 2 == 1)
            .map(|(_, s)| s)
            .collect();
        let hint = if expected.is_empty() {
            "retirez cette clé".to_string()
        } else {
            format!(
                "clés possibles ici : {}{}",
                expected.join(", "),
                suggest(field, &expected)
            )
        };
        return (format!("clé inconnue « {field} »"), hint);
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let field = rest.split('`').next().unwrap_or(rest);
        return (
            format!("clé obligatoire « {field} » manquante"),
            format!("ajoutez {field} = … dans cette section (voir le pipeline de démonstration)"),
        );
    }
    if msg.starts_with("invalid type") {
        return (
            format!("type de valeur inattendu ({msg})"),
            "vérifiez les guillemets : un texte s'écrit entre \"…\", un nombre sans guillemets, une liste entre […]".into(),
        );
    }
    if msg.contains("data did not match any variant") {
        return (
            "valeur de forme inattendue".into(),
            "vérifiez l'exemple de cette clé dans le README (texte, nombre ou liste)".into(),
        );
    }
    if msg.contains("duplicate key") {
        return (
            "clé en double".into(),
            "chaque clé ne peut apparaître qu'une fois par section".into(),
        );
    }
    (
        format!("syntaxe TOML invalide ({msg})"),
        "vérifiez les guillemets, les crochets des sections et le signe = de chaque ligne".into(),
    )
}

/// ` ; vouliez-vous écrire « x » ?` when a candidate is close to `word`.
fn suggest(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| format!(" ; vouliez-vous écrire « {c} » ?"))
        .unwrap_or_default()
}

pub fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = r#"
[pipeline]
nom = "Essai"

[periode]
debut = 2020
fin = 2022

[[sources]]
fichier = "a.xlsx"
table = "accompagnements"
service = "S1"
[sources.colonnes]
date_debut = ["Entrée", "Date d'entrée"]
"#;

    #[test]
    fn parses_a_minimal_pipeline() {
        let p = Pipeline::parse(Path::new("dir/p.toml"), MINIMAL.into()).unwrap();
        assert_eq!(p.spec.periode.years(), 2020..=2022);
        assert_eq!(p.spec.sources.len(), 1);
        assert_eq!(p.resolve("a.xlsx"), Path::new("dir/a.xlsx"));
    }

    #[test]
    fn child_territory_setting() {
        use crate::indicators::ChildTerritory;
        let p = Pipeline::parse(Path::new("p.toml"), MINIMAL.into()).unwrap();
        assert_eq!(
            p.indicator_settings().child_territory,
            ChildTerritory::Service
        );
        let with = |extra: &str| format!("{MINIMAL}\n{extra}");
        let p = Pipeline::parse(
            Path::new("p.toml"),
            with("[indicateurs]\nterritoire_enfant = \"residence\"\n"),
        )
        .unwrap();
        assert_eq!(
            p.indicator_settings().child_territory,
            ChildTerritory::Residence
        );
        let e = Pipeline::parse(
            Path::new("p.toml"),
            with("[indicateurs]\nterritoire_enfant = \"commune\"\n"),
        )
        .unwrap_err();
        assert!(e.hint.contains("residence"), "{}", e.hint);
        let e = Pipeline::parse(
            Path::new("p.toml"),
            with("[confidentialite]\nniveau_residence = \"region\"\n[indicateurs]\nterritoire_enfant = \"residence\"\n"),
        )
        .unwrap_err();
        assert!(e.hint.contains("niveau_residence"), "{}", e.hint);
    }

    #[test]
    fn unknown_key_points_at_line_and_suggests() {
        let text = MINIMAL.replace(
            "fichier = \"a.xlsx\"",
            "fichier = \"a.xlsx\"\nfeuile = \"X\"",
        );
        let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
        assert_eq!(e.line, Some(11));
        assert!(e.message.contains("feuile"), "{}", e.message);
        assert!(e.hint.contains("« feuille »"), "{}", e.hint);
    }

    #[test]
    fn unknown_table_and_field_are_located() {
        let text = MINIMAL.replace("\"accompagnements\"", "\"accompagnement\"");
        let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
        assert_eq!(e.line, Some(11));
        assert!(e.hint.contains("« accompagnements »"), "{}", e.hint);

        let text = MINIMAL.replace("date_debut =", "date_debutt =");
        let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
        assert_eq!(e.line, Some(14));
        assert_eq!(e.column, Some(1));
        assert!(e.hint.contains("« date_debut »"), "{}", e.hint);
    }

    #[test]
    fn bad_period_and_missing_key() {
        let text = MINIMAL.replace("fin = 2022", "fin = 2019");
        let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
        assert_eq!(e.line, Some(7));
        let text = MINIMAL.replace("nom = \"Essai\"", "");
        let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
        assert!(e.message.contains("« nom »"), "{}", e.message);
        let text = MINIMAL.replace("debut = 2020", "debut = 2020\ndebut = 2021");
        let e = Pipeline::parse(Path::new("p.toml"), text).unwrap_err();
        assert!(e.line.is_some());
    }
}
