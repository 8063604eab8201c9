//! The services table, the pipeline file `national.toml` (and `national-sans-flou.toml`,
//! the same without fuzzy linkage) and the two key files of the national network.

use std::error::Error;

use super::layouts::toml_str;
use super::{Network, Source, YEARS};
use crate::dates::days_in_year;
use crate::output::{Output, csv_line};

/// Services table, relative to the output directory.
pub const SERVICES: &str = "referentiel-services.csv";
/// The pipeline file.
pub const PIPELINE: &str = "national.toml";
/// The same pipeline without fuzzy linkage.
pub const PIPELINE_EXACT: &str = "national-sans-flou.toml";

/// Writes the services table, both pipeline files and the keys.
pub fn write(net: &Network, sources: &[Source], out: &mut Output) -> Result<(), Box<dyn Error>> {
    let head = [
        "Code service",
        "Nom du service",
        "Organisation",
        "Type",
        "Secteur",
        "Modalité",
        "Département",
        "Année",
        "Capacité autorisée",
        "Unité",
        "Jours d'ouverture",
    ];
    let mut text = csv_line(&head.map(String::from), ';') + "\n";
    for s in &net.services {
        for y in YEARS {
            let f = [
                s.code.clone(),
                s.name.clone(),
                net.orgs[s.org].name.clone(),
                s.kind.label().to_string(),
                s.kind.sector().to_string(),
                s.kind.modality().to_string(),
                s.departement.clone(),
                y.to_string(),
                s.capacity.to_string(),
                s.kind.unit().to_string(),
                days_in_year(y).to_string(),
            ];
            text.push_str(&csv_line(&f, ';'));
            text.push('\n');
        }
    }
    out.write(SERVICES, text.as_bytes())?;

    // Fixed keys (synthetic data only), readable by their owner only.
    for (file, byte) in [("collectif.cle", 0x4eu8), ("observatoire.cle", 0x4fu8)] {
        let hex: String = (0..32u8)
            .map(|i| format!("{:02x}", byte ^ i.wrapping_mul(37)))
            .collect();
        let path = out.write(file, format!("{hex}\n").as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }

    for (file, fuzzy) in [(PIPELINE, true), (PIPELINE_EXACT, false)] {
        out.write(file, pipeline_text(net, sources, fuzzy).as_bytes())?;
    }
    Ok(())
}

fn pipeline_text(net: &Network, sources: &[Source], fuzzy: bool) -> String {
    let mut t = format!(
        r#"# Réseau national FICTIF (échelle {scale}) écrit par « generer --national » pour le banc
# d'essai national (cargo bench --bench national). {n} services, {o} organisations.
[pipeline]
nom = "Réseau national fictif (échelle {scale})"
description = "Données entièrement synthétiques générées par sample-data/generateur (--national)"
demonstration = true

[periode]
debut = {debut}
fin = {fin}

[sorties]
dossier = "sortie{suffix}"
graphique = true
rapport = true
diffusion = "publique"

[confidentialite]
cle = "collectif.cle"
cle_observatoire = "observatoire.cle"
cles_appariement = [
  ["prenom", "mois_naissance", "nom_mere"],
  ["nom", "prenom", "date_naissance", "sexe"],
]
appariement_flou = {fuzzy}
seuil_dice = 0.70
tranches_age = [0, 3, 6, 11, 16, 18, 21]

[[sources]]
nom = "Référentiel des services"
fichier = "{SERVICES}"
table = "services"
[sources.csv]
separateur = ";"
"#,
        scale = net.scale,
        n = net.services.len(),
        o = net.orgs.len(),
        debut = YEARS.start(),
        fin = YEARS.end(),
        suffix = if fuzzy { "" } else { "-sans-flou" },
    );
    for s in sources {
        t.push_str(&format!(
            "\n[[sources]]\nnom = {}\nfichier = {}\ntable = \"{}\"\norganisation = {}\n",
            toml_str(&s.name),
            toml_str(&s.file),
            s.table,
            toml_str(&net.orgs[s.org].name)
        ));
        if let Some(sheet) = &s.sheet
            && !s.toml.contains("feuille =")
        {
            t.push_str(&format!("feuille = {}\n", toml_str(sheet)));
        }
        if let Some(svc) = &s.service
            && !s.toml.contains("service =")
        {
            t.push_str(&format!("service = {}\n", toml_str(svc)));
        }
        t.push_str(&s.toml);
    }
    t
}
