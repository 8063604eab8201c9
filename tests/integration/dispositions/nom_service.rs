//! Layout `nom_service` read as delivered (see `observatoire_exemple::dispositions`).
