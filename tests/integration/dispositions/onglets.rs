//! Layout `onglets` read as delivered (see `observatoire_exemple::dispositions`).
