//! See the parent module (`dispositions`).
