//! Layout `entetes` read as delivered (see `observatoire_exemple::dispositions`).
