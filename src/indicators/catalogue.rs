//! The catalogue of indicators as documentation (`docs/indicateurs.md`) and as the
//! registry table (`registre_indicateurs.parquet`).

use polars::prelude::*;

use super::{IndicatorDef, catalogue};
use crate::error::Error;

/// The reference documentation of the registry (Markdown, French), generated so it
/// never drifts from the code: `observatoire indicateurs --markdown`.
pub fn registry_markdown() -> String {
    let mut s = String::from(
        "# Catalogue des indicateurs\n\n\
         Document généré par `observatoire indicateurs --markdown` à partir du registre du code \
         (`src/indicators/`) ; ne pas le modifier à la main (un test vérifie qu'il est à jour). \
         Les indicateurs d'activité et ceux comptés sur les personnes sont calculés par service, \
         puis par organisation, par département et pour l'ensemble du réseau ; les indicateurs \
         intersectoriels par département et pour l'ensemble. Tous le sont pour chaque année de la \
         période, avec leur évolution annuelle et depuis la première année, et, pour les services, \
         leur position parmi les services du même type (quartiles). Le secret statistique \
         masque tout chiffre portant sur moins de 11 personnes (secret primaire, statut A) et les \
         chiffres qui permettraient de le recalculer (secret secondaire, statut D) ; la ligne \
         « Secret statistique » de chaque indicateur dit ce qui est compté.\n",
    );
    for d in catalogue() {
        s.push_str(&format!(
            "\n## {} (`{}`)\n\n{}\n\n- **Numérateur** : {}\n- **Dénominateur** : {}\n- **Unité** : {}\n- **Tables sources** : {}\n- **Origine** : {}\n- **Secret statistique** : {}\n",
            d.libelle, d.id, d.definition, d.numerateur, d.denominateur, d.unite, d.tables_sources, d.origine, d.secret.describe()
        ));
    }
    s
}

/// The registry as a table (written beside the indicators).
pub fn registry_dataframe() -> Result<DataFrame, Error> {
    let defs = catalogue();
    let col = |name: &str, f: fn(&IndicatorDef) -> &'static str| -> Column {
        Column::new(
            name.into(),
            defs.iter()
                .map(|d| f(d).to_string())
                .collect::<Vec<String>>(),
        )
    };
    Ok(DataFrame::new(
        defs.len(),
        vec![
            col("indicateur", |d| d.id),
            col("libelle", |d| d.libelle),
            col("definition", |d| d.definition),
            col("numerateur", |d| d.numerateur),
            col("denominateur", |d| d.denominateur),
            col("unite", |d| d.unite),
            col("tables_sources", |d| d.tables_sources),
            col("origine", |d| d.origine),
        ],
    )?)
}
