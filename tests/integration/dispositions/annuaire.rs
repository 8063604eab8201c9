//! Layout `annuaire` read as delivered (see `observatoire_exemple::dispositions`).
