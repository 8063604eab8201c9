//! The terms of every closed vocabulary: canonical label and the spellings met in
//! partners' files.

use super::{Term, t};

/// Types of measure or admission (accompagnements.type_mesure).
pub const MEASURE_TYPES: &[Term] = &[
    t(
        "AED",
        &[
            "aide educative a domicile",
            "action educative a domicile",
            "aed administrative",
        ],
    ),
    t("AED renforcée", &["aed r", "aedr", "aed renforce"]),
    t(
        "AEMO",
        &[
            "action educative en milieu ouvert",
            "assistance educative en milieu ouvert",
            "aemo judiciaire",
            "mesure aemo",
        ],
    ),
    t(
        "AEMO renforcée",
        &["aemo r", "aemor", "aemo renforce", "aemo intensive"],
    ),
    t(
        "AEMO avec hébergement",
        &[
            "aemo h",
            "aemoh",
            "aemo hebergement",
            "aemo avec hebergement",
        ],
    ),
    t(
        "MJAGBF",
        &["mesure judiciaire d'aide a la gestion du budget familial"],
    ),
    t(
        "MJIE",
        &[
            "mesure judiciaire d'investigation educative",
            "investigation",
            "enquete sociale",
        ],
    ),
    t(
        "OPP",
        &["ordonnance de placement provisoire", "placement provisoire"],
    ),
    t(
        "Placement ASE",
        &[
            "placement",
            "placement judiciaire",
            "confie a l'ase",
            "confiee a l'ase",
            "placement ase (juge)",
            "placement ase juge",
        ],
    ),
    t("Placement direct", &["placement direct par le juge"]),
    t(
        "Placement familial",
        &["accueil familial", "famille d'accueil"],
    ),
    t(
        "Accueil provisoire",
        &["ap", "accueil provisoire mineur", "ap mineur"],
    ),
    t(
        "Accueil provisoire jeune majeur",
        &[
            "apjm",
            "contrat jeune majeur",
            "jeune majeur",
            "ap jeune majeur",
            "accompagnement jeune majeur",
        ],
    ),
    t(
        "Délégation d'autorité parentale",
        &["dap", "delegation de l'autorite parentale"],
    ),
    t("Tutelle", &["tutelle d'etat", "tutelle departementale"]),
    t("Pupille de l'État", &["pupille", "pupille de l'etat"]),
    t("Accueil de jour", &["accueil de jour educatif"]),
    t("Accueil d'urgence", &["urgence", "mise a l'abri"]),
    t(
        "Accompagnement femme enceinte",
        &[
            "femme enceinte",
            "accompagnement mere enfant",
            "accueil mere enfant",
        ],
    ),
    t(
        "Accompagnement DITEP",
        &["ditep", "itep", "accompagnement itep", "notification ditep"],
    ),
    t("Accompagnement SESSAD", &["sessad"]),
    t("Accompagnement IME", &["ime"]),
    t(
        "Internat",
        &["hebergement", "internat complet", "accueil en internat"],
    ),
    t("Semi-internat", &["semi internat", "demi internat"]),
    t("Externat", &[]),
    t("Prévention spécialisée", &["prevention"]),
];

/// Legal frame (accompagnements.cadre).
pub const LEGAL_FRAMES: &[Term] = &[
    t(
        "administratif",
        &[
            "administrative",
            "adm",
            "admin",
            "contractuel",
            "protection administrative",
        ],
    ),
    t(
        "judiciaire",
        &[
            "jud",
            "judiciaire (juge des enfants)",
            "protection judiciaire",
        ],
    ),
    t(
        "médico-social",
        &["medico social", "notification mdph", "mdph", "cdaph"],
    ),
];

/// Sex as written in files (accompagnements.sexe); the pseudonymisation stage reduces it
/// to F / M.
pub const SEXES: &[Term] = &[
    t(
        "F",
        &["feminin", "femme", "fille", "f.", "2", "madame", "mme"],
    ),
    t(
        "M",
        &[
            "masculin", "homme", "garcon", "g", "m.", "1", "monsieur", "h",
        ],
    ),
];

/// Modality of accompaniment or of a service (accompagnements.modalite, services.modalite).
pub const MODALITIES: &[Term] = &[
    t(
        "internat",
        &["hebergement", "internat complet", "accueil en internat"],
    ),
    t("semi-internat", &["semi internat", "demi internat"]),
    t("externat", &[]),
    t(
        "milieu ouvert",
        &["mo", "en milieu ouvert", "domicile", "a domicile"],
    ),
    t("accueil de jour", &["jour", "accueil de jour"]),
    t(
        "placement familial",
        &[
            "accueil familial",
            "famille d'accueil",
            "assistant familial",
        ],
    ),
    t(
        "hébergement diversifié",
        &[
            "appartement",
            "studio",
            "logement diversifie",
            "hebergement diversifie",
        ],
    ),
    t("ambulatoire", &["consultation", "suivi ambulatoire"]),
    t("accueil séquentiel", &["sequentiel", "accueil sequentiel"]),
    t("internat de semaine", &["internat semaine"]),
];

/// Types of establishment or service (services.type_service).
pub const SERVICE_TYPES: &[Term] = &[
    t(
        "MECS",
        &["maison d'enfants a caractere social", "maison d'enfants"],
    ),
    t("AEMO", &["service aemo", "service d'aemo", "milieu ouvert"]),
    t("AED", &["service aed", "service d'aed"]),
    t("AEMO / AED", &["aemo aed", "service aemo aed", "aed aemo"]),
    t(
        "Placement familial",
        &["service de placement familial", "spf", "accueil familial"],
    ),
    t(
        "Foyer de l'enfance",
        &["foyer departemental de l'enfance", "fde"],
    ),
    t("Pouponnière", &["pouponniere a caractere social"]),
    t("Village d'enfants", &["villages d'enfants"]),
    t(
        "Lieu de vie",
        &[
            "lieu de vie et d'accueil",
            "lva",
            "lieu de vie et d'accueil (lva)",
        ],
    ),
    t(
        "Service d'accueil de jour",
        &["accueil de jour", "saj", "saje"],
    ),
    t(
        "Service d'investigation éducative",
        &["sie", "service d'investigation educative"],
    ),
    t("Prévention spécialisée", &["club de prevention"]),
    t("Centre maternel", &["centre parental"]),
    t("CEF", &["centre educatif ferme"]),
    t("CER", &["centre educatif renforce"]),
    t("DITEP", &["dispositif itep"]),
    t("ITEP", &["institut therapeutique educatif et pedagogique"]),
    t("IME", &["institut medico educatif"]),
    t("IMPRO", &["institut medico professionnel"]),
    t(
        "SESSAD",
        &["service d'education speciale et de soins a domicile"],
    ),
    t("CAMSP", &[]),
    t("CMPP", &[]),
    t("IEM", &["institut d'education motrice"]),
    t("SAVS", &[]),
    t("SAMSAH", &[]),
    t("ESAT", &[]),
    t("MAS", &["maison d'accueil specialisee"]),
    t("FAM", &["foyer d'accueil medicalise", "eam"]),
    t("Foyer de vie", &["foyer occupationnel"]),
    t("CHRS", &["centre d'hebergement et de reinsertion sociale"]),
    t("CADA", &[]),
    t("MJAGBF", &["service mjagbf"]),
];

/// Sectors (services.secteur).
pub const SECTORS: &[Term] = &[
    t(
        "Protection de l'enfance",
        &[
            "protection de l'enfance",
            "ase",
            "aide sociale a l'enfance",
            "pe",
        ],
    ),
    t(
        "Médico-social",
        &["medico social", "handicap", "secteur medico social"],
    ),
    t(
        "Social",
        &["secteur social", "insertion", "inclusion sociale"],
    ),
];

/// Units of an authorised capacity (services.unite_capacite).
pub const CAPACITY_UNITS: &[Term] = &[
    t("places", &["place", "lits", "lit"]),
    t("mesures", &["mesure"]),
];

/// Jobs (personnel.metier). The social-work jobs of the indicators
/// (`indicators::hr::is_social_worker`) come first.
pub const JOBS: &[Term] = &[
    t(
        "Éducateur spécialisé",
        &[
            "educatrice specialisee",
            "educateur",
            "educatrice",
            "es",
            "educateur specialise (es)",
        ],
    ),
    t(
        "Moniteur-éducateur",
        &["monitrice educatrice", "moniteur educateur", "me"],
    ),
    t(
        "Éducateur technique spécialisé",
        &[
            "educatrice technique specialisee",
            "ets",
            "educateur technique",
        ],
    ),
    t(
        "Éducateur de jeunes enfants",
        &["educatrice de jeunes enfants", "eje"],
    ),
    t(
        "Assistant de service social",
        &[
            "assistante de service social",
            "assistant social",
            "assistante sociale",
            "ass",
        ],
    ),
    t(
        "Conseiller en économie sociale et familiale",
        &["conseillere en economie sociale et familiale", "cesf"],
    ),
    t(
        "Technicien de l'intervention sociale et familiale",
        &[
            "technicienne de l'intervention sociale et familiale",
            "tisf",
        ],
    ),
    t(
        "Assistant familial",
        &["assistante familiale", "famille d'accueil"],
    ),
    t("Psychologue", &["neuropsychologue"]),
    t(
        "Coordinateur",
        &[
            "coordinatrice",
            "coordinateur de parcours",
            "coordinatrice de parcours",
        ],
    ),
    t(
        "Puériculteur",
        &[
            "puericultrice",
            "infirmiere puericultrice",
            "auxiliaire de puericulture",
        ],
    ),
    t("Psychiatre", &["medecin psychiatre", "pedopsychiatre"]),
    t("Médecin", &["medecin generaliste"]),
    t("Infirmier", &["infirmiere", "ide"]),
    t("Aide-soignant", &["aide soignante", "aide soignant"]),
    t(
        "Accompagnant éducatif et social",
        &[
            "accompagnante educative et sociale",
            "aes",
            "amp",
            "aide medico psychologique",
        ],
    ),
    t("Orthophoniste", &[]),
    t("Psychomotricien", &["psychomotricienne"]),
    t("Ergothérapeute", &[]),
    t(
        "Enseignant",
        &[
            "enseignante",
            "professeur des ecoles",
            "enseignant specialise",
        ],
    ),
    t(
        "Chef de service",
        &[
            "cheffe de service",
            "chef de service educatif",
            "cadre intermediaire",
        ],
    ),
    t(
        "Directeur",
        &[
            "directrice",
            "directeur adjoint",
            "directrice adjointe",
            "direction",
        ],
    ),
    t(
        "Secrétaire",
        &[
            "secretaire de direction",
            "assistante de direction",
            "secretariat",
        ],
    ),
    t(
        "Comptable",
        &[
            "comptabilite",
            "gestionnaire",
            "gestionnaire paie",
            "economat",
        ],
    ),
    t(
        "Agent de service",
        &[
            "agent de service interieur",
            "asi",
            "agent d'entretien",
            "agente d'entretien",
        ],
    ),
    t(
        "Maîtresse de maison",
        &["maitre de maison", "maitresse de maison"],
    ),
    t(
        "Surveillant de nuit",
        &[
            "surveillante de nuit",
            "veilleur de nuit",
            "veilleuse de nuit",
        ],
    ),
    t("Cuisinier", &["cuisiniere", "agent de cuisine"]),
    t(
        "Agent technique",
        &["ouvrier d'entretien", "homme d'entretien"],
    ),
    t("Chauffeur", &[]),
];

/// Training themes (formation.theme): the ESOPPE reference, systemic analysis and the
/// charter's common programme, then common topics of the sector.
pub const TRAINING_THEMES: &[Term] = &[
    t("ESOPPE", &["referentiel esoppe", "evaluation esoppe"]),
    t(
        "Analyse systémique",
        &["approche systemique", "systemie", "analyse systemique"],
    ),
    t("Handicap psychique", &["troubles psychiques"]),
    t(
        "Cadre légal",
        &["cadre legal", "cadre juridique", "droit de l'enfant"],
    ),
    t("Travail avec la famille", &["travail avec les familles"]),
    t(
        "Soutien à la parentalité",
        &["parentalite", "soutien a la parentalite"],
    ),
    t(
        "Gestion de crise et de la violence",
        &[
            "gestion de la violence",
            "gestion de crise",
            "gestion des conflits",
        ],
    ),
    t(
        "Méthodes de coopération",
        &[
            "cooperation",
            "travail en reseau",
            "methodes de cooperation",
        ],
    ),
    t("Analyse de la pratique", &["analyse des pratiques", "app"]),
    t("Bientraitance", &["prevention de la maltraitance"]),
    t(
        "Premiers secours",
        &[
            "sst",
            "sauveteur secouriste du travail",
            "psc1",
            "gestes de premiers secours",
        ],
    ),
    t("Sécurité incendie", &["incendie", "evacuation"]),
    t(
        "Écrits professionnels",
        &["ecrits professionnels", "ecrits"],
    ),
    t("Théorie de l'attachement", &["attachement"]),
    t("Psychotraumatisme", &["trauma", "traumatisme"]),
    t("Addictions", &["conduites addictives"]),
    t("Numérique", &["logiciel", "informatique", "bureautique"]),
    t("Management", &["encadrement"]),
    t(
        "Qualification",
        &["formation qualifiante", "diplome", "vae"],
    ),
];

/// Contract types (personnel.type_contrat).
pub const CONTRACTS: &[Term] = &[
    t("CDI", &["contrat a duree indeterminee"]),
    t(
        "CDD",
        &[
            "contrat a duree determinee",
            "cdd de remplacement",
            "remplacement",
        ],
    ),
    t("Intérim", &["interim", "interimaire"]),
    t("Apprentissage", &["apprenti", "contrat d'apprentissage"]),
    t("Contrat aidé", &["contrat aide", "cui", "pec"]),
    t("Stage", &["stagiaire", "gratification"]),
    t("Mise à disposition", &["mad"]),
];

/// Respondents of satisfaction questionnaires (satisfaction.type_repondant).
pub const RESPONDENTS: &[Term] = &[
    t(
        "famille",
        &[
            "familles",
            "parent",
            "parents",
            "representant legal",
            "detenteur de l'autorite parentale",
        ],
    ),
    t(
        "jeune",
        &[
            "jeunes",
            "enfant",
            "enfants",
            "usager",
            "personne accompagnee",
            "mineur",
        ],
    ),
    t(
        "partenaire",
        &["partenaires", "professionnel", "institution", "ase", "juge"],
    ),
];

/// Status of a sub-action (plan_action.statut).
pub const ACTION_STATUSES: &[Term] = &[
    t("prévu", &["prevue", "a faire", "planifie", "programme"]),
    t("en cours", &["commence", "demarre", "engage"]),
    t(
        "réalisé",
        &["realisee", "fait", "termine", "acheve", "atteint"],
    ),
    t("reporté", &["reportee", "differe", "decale"]),
    t("abandonné", &["abandonnee", "annule", "annulee"]),
];

/// Direction of an action-plan target (plan_action.sens_cible): reached when the
/// observed value is at least the target (the default), or at most the target (counts
/// to keep low: incidents, delays).
pub const TARGET_DIRECTIONS: &[Term] = &[
    t(
        "au moins",
        &[
            "minimum",
            "plancher",
            "superieur ou egal",
            "a atteindre",
            "hausse",
        ],
    ),
    t(
        "au plus",
        &[
            "maximum",
            "plafond",
            "inferieur ou egal",
            "a ne pas depasser",
            "baisse",
        ],
    ),
];

/// Kind of an action-plan indicator (plan_action.type_indicateur).
pub const INDICATOR_KINDS: &[Term] = &[
    t("suivi", &["indicateur de suivi", "de suivi"]),
    t(
        "résultat",
        &["resultat", "indicateur de resultat", "de resultat"],
    ),
];
