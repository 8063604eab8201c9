//! Pipeline files (`pipelines/*.toml`): what a run reads, how columns map onto the
//! canonical tables, and what it writes. Owns parsing, validation and the French error
//! messages that point at a line and column and say what to write instead.

use std::path::{Path, PathBuf};

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
    /// Every setting of the run, built once from `spec` after validation.
    pub settings: crate::settings::Settings,
}

pub mod motif;
pub mod rapports;
mod settings;
mod spec;

pub use spec::{
    ChecksSpec, CsvSpec, DisclosureSpec, HeaderSel, IndicatorsSpec, LimitsSpec, Meta, Outputs,
    Period, PeriodSel, PipelineSpec, PrivacySpec, ReferenceSpec, ReportSpec, SheetSel, SourceSpec,
    Synonyms, WideSpec,
};

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
        let mut p = Pipeline {
            path: path.to_path_buf(),
            base_dir,
            text,
            spec,
            settings: Default::default(),
        };
        p.validate()?;
        p.settings = p.build_settings();
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

    fn validate(&self) -> Result<(), PipelineError> {
        self.validate_period_and_outputs()?;
        self.validate_privacy()?;
        self.validate_reports()?;
        self.validate_sources()
    }

    /// The period, the outputs and the statistical-secret threshold.
    fn validate_period_and_outputs(&self) -> Result<(), PipelineError> {
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
        if let Some(d) = &self.spec.sorties.diffusion {
            match crate::settings::Audience::from_setting(d.get_ref()) {
                None => {
                    return Err(self.err_at(
                        d.span(),
                        format!("diffusion « {} » inconnue", d.get_ref()),
                        "écrivez diffusion = \"publique\", diffusion = \"interne\" ou diffusion = \"autorite\"".into(),
                    ));
                }
                Some(crate::settings::Audience::Authority)
                    if self
                        .spec
                        .sorties
                        .destinataire
                        .as_ref()
                        .is_none_or(|n| n.get_ref().trim().is_empty()) =>
                {
                    return Err(self.err_at(
                        d.span(),
                        "diffusion « autorite » sans destinataire".into(),
                        "nommez l'autorité à qui le document est transmis, dans [sorties] : destinataire = \"Conseil départemental du Cantal\"".into(),
                    ));
                }
                Some(_) => {}
            }
        }
        if let Some(t) = &self.spec.secret_statistique.seuil {
            let n = *t.get_ref();
            if n == 0 {
                return Err(self.err_at(
                    t.span(),
                    "le seuil du secret statistique doit être d'au moins 1 personne".into(),
                    format!("écrivez seuil = {}", crate::settings::DEFAULT_THRESHOLD),
                ));
            }
            if n < crate::settings::DEFAULT_THRESHOLD
                && self.disclosure_settings().audience != crate::settings::Audience::Internal
            {
                return Err(self.err_at(
                    t.span(),
                    format!(
                        "un seuil de {n} personnes est inférieur à la règle de {} pour une diffusion publique",
                        crate::settings::DEFAULT_THRESHOLD
                    ),
                    format!(
                        "écrivez seuil = {} ou plus ; pour le tableau de bord interne d'un service, ajoutez diffusion = \"interne\" dans [sorties]",
                        crate::settings::DEFAULT_THRESHOLD
                    ),
                ));
            }
        }
        Ok(())
    }

    /// `[confidentialite]`: key sets, Dice threshold, age bands, residence level,
    /// demonstration key.
    // Long function: one check after another over [confidentialite], each a few lines
    // returning its own French message; they read best in the order of the file.
    fn validate_privacy(&self) -> Result<(), PipelineError> {
        let conf = &self.spec.confidentialite;
        if let Some(keys) = &conf.cles_appariement {
            for k in keys.iter().flatten() {
                if !crate::settings::KEY_FIELDS.contains(&k.get_ref().as_str()) {
                    return Err(self.err_at(
                        k.span(),
                        format!(
                            "champ d'identité « {} » inconnu dans cles_appariement",
                            k.get_ref()
                        ),
                        format!(
                            "champs possibles : {}{}",
                            crate::settings::KEY_FIELDS.join(", "),
                            suggest(k.get_ref(), &crate::settings::KEY_FIELDS)
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
            match crate::settings::ChildTerritory::from_setting(t.get_ref()) {
                None => {
                    return Err(self.err_at(
                        t.span(),
                        format!("territoire_enfant « {} » inconnu", t.get_ref()),
                        "écrivez territoire_enfant = \"service\" ou \"residence\"".into(),
                    ));
                }
                Some(crate::settings::ChildTerritory::Residence)
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
        Ok(())
    }

    /// Every source: its table, columns, values, CSV settings.
    // Long function: one check after another over a source's settings, each a few
    // lines returning its own French message; they read best in the order of the file.
    fn validate_sources(&self) -> Result<(), PipelineError> {
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
            if !src.fins_ouvertes.is_empty()
                && table.field("date_fin").is_none()
                && table.field("date_sortie").is_none()
            {
                return Err(self.err_at(
                    src.table.span(),
                    format!("fins_ouvertes est indiqué pour la table {}, qui n'a pas de date de fin", table.id()),
                    "retirez fins_ouvertes : il ne s'applique qu'aux dates de fin (date_fin des accompagnements, date_sortie du personnel)".into(),
                ));
            }
            self.validate_motifs(src, table)?;
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
        .map(|c| (strsim::levenshtein(word, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4))
        .min()
        .map(|(_, c)| format!(" ; vouliez-vous écrire « {c} » ?"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests;
