//! The settings of a run built from the pipeline file, once (`Pipeline::parse`): the
//! values the file gives, the defaults where it is silent.

use super::Pipeline;

impl Pipeline {
    /// The settings of every stage, from the pipeline file (defaults where it is silent).
    pub(super) fn build_settings(&self) -> crate::settings::Settings {
        crate::settings::Settings {
            limits: self.limits(),
            checks: self.checks(),
            pseudonymise: self.pseudonymise_settings(),
            link: self.link_settings(),
            disclosure: self.disclosure_settings(),
            indicators: self.indicator_settings(),
        }
    }

    /// Plausibility checks (`[controles]`): latest plausible date 31/12 of the year after
    /// the later of the period's end and the current year.
    pub(super) fn checks(&self) -> crate::settings::Checks {
        use chrono::{Datelike, NaiveDate};
        let this_year = chrono::Local::now().date_naive().year();
        let end = (*self.spec.periode.fin.get_ref()).max(this_year) + 1;
        crate::settings::Checks {
            max_simultaneous: self
                .spec
                .controles
                .mesures_simultanees_max
                .as_ref()
                .map_or(3, |v| *v.get_ref()),
            latest_date: NaiveDate::from_ymd_opt(end, 12, 31).unwrap_or(NaiveDate::MAX),
        }
    }

    /// Pseudonymisation settings (`[confidentialite]`, free-text values mapped to codes).
    pub(super) fn pseudonymise_settings(&self) -> crate::settings::PseudonymiseSettings {
        use crate::settings::{DEFAULT_AGE_BANDS, ResidenceLevel, default_key_set};
        let c = &self.spec.confidentialite;
        let mut coded_values: std::collections::BTreeMap<
            String,
            std::collections::BTreeSet<String>,
        > = Default::default();
        for src in &self.spec.sources {
            for (field, map) in &src.valeurs {
                if crate::settings::FREE_TEXT_FIELDS.contains(&field.get_ref().as_str()) {
                    coded_values
                        .entry(field.get_ref().clone())
                        .or_default()
                        .extend(map.values().cloned());
                }
            }
        }
        crate::settings::PseudonymiseSettings {
            key_set: c
                .cles_appariement
                .as_ref()
                .map(|k| {
                    k.iter()
                        .map(|fields| fields.iter().map(|f| f.get_ref().clone()).collect())
                        .collect()
                })
                .unwrap_or_else(default_key_set),
            age_bands: c
                .tranches_age
                .as_ref()
                .map(|t| t.get_ref().clone())
                .unwrap_or_else(|| DEFAULT_AGE_BANDS.to_vec()),
            reference_year: *self.spec.periode.fin.get_ref(),
            residence_level: match c.niveau_residence.as_ref().map(|n| n.get_ref().as_str()) {
                Some("region") => ResidenceLevel::Region,
                Some("aucun") => ResidenceLevel::None,
                _ => ResidenceLevel::Department,
            },
            coded_values,
        }
    }

    /// Linkage settings (`appariement_flou`, `seuil_dice`).
    pub(super) fn link_settings(&self) -> crate::settings::LinkSettings {
        let c = &self.spec.confidentialite;
        crate::settings::LinkSettings {
            fuzzy: c.appariement_flou.unwrap_or(true),
            threshold: c.seuil_dice.as_ref().map(|t| *t.get_ref()).unwrap_or(0.75),
            ..Default::default()
        }
    }

    /// Reading limits of the run: the defaults, raised by `[limites]`.
    pub(super) fn limits(&self) -> crate::settings::Limits {
        use crate::settings::{Limits, MIB};
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

    /// Settings of the indicators stage (`[indicateurs]`).
    pub(super) fn indicator_settings(&self) -> crate::settings::IndicatorSettings {
        crate::settings::IndicatorSettings {
            child_territory: self
                .spec
                .indicateurs
                .territoire_enfant
                .as_ref()
                .and_then(|t| crate::settings::ChildTerritory::from_setting(t.get_ref()))
                .unwrap_or_default(),
        }
    }

    /// Disclosure control settings of the run.
    pub(super) fn disclosure_settings(&self) -> crate::settings::DisclosureSettings {
        use crate::settings::{Audience, DEFAULT_THRESHOLD, DisclosureSettings as Settings};
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
}
