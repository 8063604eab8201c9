//! Corpus cases: row-level trust in ingest (closed vocabularies, duplicates, implausible
//! values, absent mapped columns, CSV structure, line numbers, exit codes).

use super::*;

pub fn cases() -> Vec<Case> {
    vec![
        Case::new(
            "services_seuls_ok",
            format!("{}{}", head("services"), services_source()),
            Cmd::Executer,
            exit::OK,
        )
        .file("services.csv", services_csv()),
    ]
}
