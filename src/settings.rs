//! Settings every stage reads (ground floor): the reading limits (`[limites]`), the
//! disclosure-control settings (`[secret]`) and the identity fields a linkage key can
//! combine. The pipeline file (`crate::pipeline`) builds them; stages only read them.

use serde::Serialize;

// ---- Reading limits -------------------------------------------------------------------
// How much a source may ask the tool to allocate or to work through, checked *before*
// the reading library allocates (docs/architecture.md, bounded reading). A pipeline can
// raise them in `[limites]`; the defaults fit one association's files and a national
// collection split into files of reasonable size.

/// Limits applied to every source file. Every limit that a file exceeds stops the reading
/// of that file with a French message naming the file and the limit (never a value read
/// from the file).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Largest input file, in bytes.
    pub file_bytes: u64,
    /// Largest used area of one sheet (rows × columns), in cells.
    pub cells_per_sheet: u64,
    /// Largest total decompressed size of the parts of a zipped workbook (xlsx, xlsm,
    /// xlsb, ods), in bytes.
    pub decompressed_bytes: u64,
    /// Largest number of shared strings a workbook may declare or hold.
    pub shared_strings: u64,
    /// Longest text of one cell, in characters (Excel's own limit is 32 767).
    pub cell_chars: usize,
    /// Longest line of a CSV file, in bytes.
    pub line_bytes: usize,
    /// Largest total text of one sheet once read (shared strings copied into every cell
    /// that uses them, repeated and merged cells unfolded), in bytes.
    pub sheet_text_bytes: u64,
    /// Memory a workbook reader may use when reading is isolated in a child process,
    /// in bytes (address-space limit of the child).
    pub reader_memory_bytes: u64,
    /// Longest time the isolated reader may take over one workbook, in seconds (a
    /// library caught in a loop must not hold the run forever).
    pub reader_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: 512 * MIB,
            cells_per_sheet: 20_000_000,
            decompressed_bytes: 2 * 1024 * MIB,
            shared_strings: 5_000_000,
            cell_chars: 32_767,
            line_bytes: 4 * MIB as usize,
            sheet_text_bytes: 1024 * MIB,
            reader_memory_bytes: 4 * 1024 * MIB,
            reader_seconds: 600,
        }
    }
}

/// One mebibyte.
pub const MIB: u64 = 1024 * 1024;

// ---- Disclosure control ---------------------------------------------------------------

/// The French rule for data on natural persons (DGFiP, health data): no figure on fewer
/// than 11 persons.
pub const DEFAULT_THRESHOLD: u32 = 11;

/// Who may read the outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    #[serde(rename = "publique")]
    /// Public outputs: the threshold is at least [`DEFAULT_THRESHOLD`].
    Public,
    /// A service's internal dashboard: the threshold may be lowered; every output says
    /// « diffusion interne ».
    #[serde(rename = "interne")]
    Internal,
    /// A director's report about its own services to their funding authority (Conseil
    /// départemental, ARS), which already knows each service's totals (capacity,
    /// measures, persons accompanied): the totals of a service (no breakdown) are
    /// published whatever their size; every breakdown of persons (age band, sex, legal
    /// frame, type of measure…) and every pooled perimeter keep the threshold, with
    /// primary and secondary suppression as for a public release. Every output names
    /// the addressee (« Document transmis à : … — ne pas rediffuser »).
    #[serde(rename = "autorite")]
    Authority,
}

impl Audience {
    /// From the pipeline's `diffusion` (`None` for an unknown word).
    pub fn from_setting(s: &str) -> Option<Audience> {
        Some(match s {
            "publique" => Audience::Public,
            "interne" => Audience::Internal,
            "autorite" | "autorité" => Audience::Authority,
            _ => return None,
        })
    }

    /// The banner of every output for this audience: `None` for a public release.
    /// `addressee` names the authority (required for [`Audience::Authority`]).
    pub fn banner(self, threshold: u32, addressee: Option<&str>) -> Option<String> {
        match self {
            Audience::Public => None,
            Audience::Internal => Some(format!(
                "DIFFUSION INTERNE — ne pas diffuser hors du service (seuil {threshold})"
            )),
            Audience::Authority => Some(format!(
                "Document transmis à : {} — ne pas rediffuser",
                addressee.unwrap_or("l'autorité de tarification")
            )),
        }
    }
}

/// Disclosure-control settings (`[secret]`).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct DisclosureSettings {
    pub threshold: u32,
    pub protect_zeros: bool,
    pub audience: Audience,
}

impl Default for DisclosureSettings {
    fn default() -> Self {
        DisclosureSettings {
            threshold: DEFAULT_THRESHOLD,
            protect_zeros: false,
            audience: Audience::Public,
        }
    }
}

// ---- Linkage keys ---------------------------------------------------------------------

/// The identity fields a key can combine.
pub const KEY_FIELDS: [&str; 7] = [
    "prenom",
    "nom",
    "nom_mere",
    "date_naissance",
    "mois_naissance",
    "annee_naissance",
    "sexe",
];

/// Length of a secret key, in bytes.
pub const KEY_BYTES: usize = 32;

// ---- Indicators -----------------------------------------------------------------------

/// Where a child counts in figures by département: the département of their service, or
/// the département where they live (the observatory convention).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ChildTerritory {
    /// The département of the service that accompanies the child (default: every record
    /// has one, and figures by département add up with those of the services).
    #[default]
    Service,
    /// The child's département of residence (`territoire_residence` of the extract); a
    /// child whose records give none counts in a « non renseigné » line.
    Residence,
}

impl ChildTerritory {
    /// From the pipeline setting `[indicateurs] territoire_enfant`.
    pub fn from_setting(s: &str) -> Option<ChildTerritory> {
        match s {
            "service" => Some(ChildTerritory::Service),
            "residence" | "résidence" => Some(ChildTerritory::Residence),
            _ => None,
        }
    }

    /// French phrase for definitions and notes.
    pub fn describe(self) -> &'static str {
        match self {
            ChildTerritory::Service => "département du service qui accompagne l'enfant",
            ChildTerritory::Residence => {
                "département de résidence de l'enfant (« non renseigné » quand ses dossiers ne l'indiquent pas)"
            }
        }
    }
}

/// Settings of the indicators stage (`[indicateurs]`).
#[derive(Debug, Clone, Copy, Default)]
pub struct IndicatorSettings {
    pub child_territory: ChildTerritory,
}

// ---- Ingest checks --------------------------------------------------------------------

/// Checks of plausibility a pipeline can tune (`[controles]`).
#[derive(Debug, Clone)]
pub struct Checks {
    /// More simultaneous measures of one person in one service than this is implausible.
    pub max_simultaneous: usize,
    /// Latest plausible date: 31/12 of the year after the later of the period's end and
    /// the current year.
    pub latest_date: chrono::NaiveDate,
}

// ---- Pseudonymisation -----------------------------------------------------------------

/// Lower bounds of the default age bands, in years.
pub const DEFAULT_AGE_BANDS: [u32; 7] = [0, 3, 6, 11, 16, 18, 21];

/// Territory level residences are reduced to before leaving a partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidenceLevel {
    Department,
    Region,
    /// Residence dropped altogether.
    None,
}

/// The default key set: D226-3-4, then a looser key for files without the mother's name.
pub fn default_key_set() -> Vec<Vec<String>> {
    vec![
        vec!["prenom".into(), "mois_naissance".into(), "nom_mere".into()],
        vec![
            "nom".into(),
            "prenom".into(),
            "date_naissance".into(),
            "sexe".into(),
        ],
    ]
}

/// Settings of pseudonymisation.
#[derive(Debug, Clone)]
pub struct PseudonymiseSettings {
    pub key_set: Vec<Vec<String>>,
    /// Age bands: lower bounds in years, e.g. `[0, 3, 6, 11, 16, 18, 21]`.
    pub age_bands: Vec<u32>,
    /// Ages are computed at 31/12 of this year.
    pub reference_year: i32,
    /// Territory level the residence is reduced to.
    pub residence_level: ResidenceLevel,
    /// Free-text fields kept because the pipeline maps them to codes: only these
    /// canonical values pass; any other text is dropped.
    pub coded_values: std::collections::BTreeMap<String, std::collections::BTreeSet<String>>,
}

impl PseudonymiseSettings {
    /// Defaults: D226-3-4 key set, default age bands, residence by département.
    pub fn new(reference_year: i32) -> PseudonymiseSettings {
        PseudonymiseSettings {
            key_set: default_key_set(),
            age_bands: DEFAULT_AGE_BANDS.to_vec(),
            reference_year,
            residence_level: ResidenceLevel::Department,
            coded_values: Default::default(),
        }
    }
}

/// Free-text fields of the accompaniments kept only as one of the codes the pipeline maps
/// them to (`[sources.valeurs.motif_sortie]`).
pub const FREE_TEXT_FIELDS: [&str; 1] = ["motif_sortie"];

// ---- Linkage --------------------------------------------------------------------------

/// Settings of the linkage.
#[derive(Debug, Clone)]
pub struct LinkSettings {
    pub fuzzy: bool,
    /// Minimum Dice similarity for a fuzzy link.
    pub threshold: f64,
    /// Minimum Dice similarity for an exact-key link to be accepted.
    pub verification: f64,
}

impl Default for LinkSettings {
    fn default() -> Self {
        LinkSettings {
            fuzzy: true,
            threshold: 0.70,
            verification: 0.75,
        }
    }
}

// ---- All the settings of a run --------------------------------------------------------

/// Every setting of a run, built once from the pipeline file (`Pipeline::parse`) and read
/// by every stage. (`Default` is only the value a pipeline holds while it is validated.)
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub limits: Limits,
    pub checks: Checks,
    pub pseudonymise: PseudonymiseSettings,
    pub link: LinkSettings,
    pub disclosure: DisclosureSettings,
    pub indicators: IndicatorSettings,
}

impl Default for Checks {
    fn default() -> Self {
        Checks {
            max_simultaneous: 3,
            latest_date: chrono::NaiveDate::MAX,
        }
    }
}

impl Default for PseudonymiseSettings {
    fn default() -> Self {
        PseudonymiseSettings::new(0)
    }
}
