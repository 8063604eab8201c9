//! Layout `occupation` read as delivered (see `observatoire_exemple::dispositions`).
