//! Layout `fins` read as delivered (see `observatoire_exemple::dispositions`).
