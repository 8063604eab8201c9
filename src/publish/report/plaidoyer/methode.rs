//! The « Méthode » section of the plaidoyer, in plain French: how children are
//! recognised from one service to another without their names, the run's linkage
//! counts, the linkage quality measured on generated data (figures of the benchmark
//! written in `docs/architecture.md` §7 and the README), and the statistical secret.

use serde::Serialize;

use crate::format::number_fr;

use super::super::ReportInput;

/// The section's paragraphs (the run's linkage counts in the linkage paragraphs).
#[derive(Serialize, Debug)]
pub(in crate::publish::report) struct Method {
    pub appariement: Vec<String>,
    pub qualite: Vec<String>,
    pub secret: Vec<String>,
}

/// Linkage quality measured by the `appariement` benchmark on generated files (seed 1,
/// threshold 0,70, the default since issue 10): records (child protection + DITEP),
/// precision, recall.
const MEASURED: [(&str, &str, &str); 2] = [
    ("20 000 + 5 000", "1,0000", "0,9942"),
    ("600 000 + 200 000", "0,9965", "0,9914"),
];

pub(super) fn method(input: &ReportInput) -> Method {
    let link = input.linkage.get("appariement").filter(|v| v.is_object());
    let count = |key: &str| -> Option<f64> {
        let v = link?.get(key)?;
        match v.as_array() {
            Some(a) => Some(a.iter().filter_map(serde_json::Value::as_f64).sum()),
            None => v.as_f64(),
        }
    };
    let threshold = count("seuil");
    let mut appariement = vec![
        "Les services ne transmettent ni nom, ni prénom, ni date de naissance. Chaque partenaire transforme, sur son propre ordinateur, l'identité de chaque enfant en pseudonymes : des codes calculés avec une clé secrète partagée par le collectif. Une même identité donne toujours le même code, mais on ne peut pas retrouver le nom à partir du code sans la clé ; l'observatoire chiffre ces codes une seconde fois avec sa propre clé avant de les comparer.".to_string(),
        "Un même enfant est d'abord reconnu d'un fichier à l'autre quand ses codes sont identiques sur une combinaison exacte d'éléments d'identité (par exemple prénom, mois de naissance et nom de la mère), avec une vérification de la date de naissance. Pour retrouver les enfants dont le nom est écrit autrement (accent, faute de frappe, nom d'usage), un second passage compare des empreintes chiffrées des noms et prénoms : deux dossiers sont réunis quand leur ressemblance dépasse un seuil et que les contrôles de date de naissance et de prénom concordent ; un dossier n'est réuni qu'à un seul autre.".to_string(),
    ];
    if let Some(t) = threshold {
        appariement.push(format!(
            "Dans cette exécution, le seuil de ressemblance (indice de Dice, de 0 pour des noms sans rien de commun à 1 pour des noms identiques) est de {}.",
            number_fr(t, 2)
        ));
    }
    match link {
        Some(_) => {
            let mut parts = Vec::new();
            for (key, one, many) in [
                ("enregistrements", "dossier lu (tous services)", "dossiers lus (tous services)"),
                ("personnes", "enfant distinct après appariement", "enfants distincts après appariement"),
                ("liens_exacts", "lien par codes exacts", "liens par codes exacts"),
                ("liens_dossier", "lien par numéro de dossier", "liens par numéro de dossier"),
                ("liens_flous", "lien approché (nom écrit autrement)", "liens approchés (noms écrits autrement)"),
            ] {
                if let Some(v) = count(key) {
                    let label = if v <= 1.0 { one } else { many };
                    parts.push(format!("{} {label}", number_fr(v, 0)));
                }
            }
            if !parts.is_empty() {
                appariement.push(format!("Chiffres de cette exécution : {}.", parts.join(", ")));
            }
            if let Some(n) = count("encodages_illisibles").filter(|&n| n > 0.0) {
                let what = if n > 1.0 {
                    format!("{} empreintes chiffrées de noms reçues étaient illisibles", number_fr(n, 0))
                } else {
                    "1 empreinte chiffrée de nom reçue était illisible".to_string()
                };
                appariement.push(format!(
                    "Attention : {what} (extrait endommagé) ; ces dossiers n'ont été réunis que par codes exacts, ce qui peut sous-estimer les parts intersectorielles."
                ));
            }
        }
        None => appariement.push(
            "Cette exécution n'a apparié aucun dossier de personnes : les parts intersectorielles ne peuvent pas être calculées.".into(),
        ),
    }
    let mut qualite = vec![format!(
        "La qualité de l'appariement a été mesurée sur des fichiers générés pour l'essai (des enfants fictifs dont on connaît les vrais liens, avec les différences d'écriture courantes), pas sur des enfants réels, au seuil de 0,70 (celui par défaut). La précision est la part des liens faits qui sont justes ; le rappel, la part des vrais liens qui sont retrouvés. Sur {} dossiers, précision {}, rappel {} ; à l'échelle nationale ({} dossiers), précision {}, rappel {} : sur 100 liens faits, moins de 2 sont faux, et moins de 2 vrais liens sur 100 sont manqués.",
        MEASURED[0].0, MEASURED[0].1, MEASURED[0].2, MEASURED[1].0, MEASURED[1].1, MEASURED[1].2
    )];
    qualite.push("Sans le second passage (codes exacts seuls), la part d'enfants suivis des deux côtés serait sous-estimée de 6 à 7 points ; avec lui, l'écart mesuré reste inférieur à 1 point.".into());
    let seuil = input.secrecy.seuil;
    let mut secret = vec![format!(
        "Secret statistique : aucun chiffre portant sur moins de {seuil} enfants (ou personnes) n'est diffusé. Il est remplacé par « s » dans les tableaux et hachuré sur les cartes ; il n'est jamais remplacé par 0. « s » suivi de A : moins de {seuil} personnes ; « s » suivi de D : chiffre masqué en plus, pour qu'on ne puisse pas retrouver un chiffre secret par soustraction."
    )];
    secret.push("Les quartiles et les classes des cartes sont calculés uniquement à partir des valeurs publiées : un chiffre secret n'y entre jamais. « Non disponible » signifie que le réseau n'a aucun chiffre pour ce département (pas de service, ou pas de donnée transmise).".into());
    Method {
        appariement,
        qualite,
        secret,
    }
}
