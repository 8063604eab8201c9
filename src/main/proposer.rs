//! `observatoire proposer`: prints or writes the proposed pipeline (see
//! `observatoire::propose`).

use std::path::PathBuf;

use observatoire::error::Error;
use observatoire::propose::{self, Options, render};
use observatoire::tables::Table;

use super::Outcome;

pub fn run(
    files: &[PathBuf],
    table: Option<String>,
    service: Option<String>,
    organisation: Option<String>,
    out: Option<PathBuf>,
) -> Result<Outcome, Error> {
    let opts = Options {
        table: table.as_deref().and_then(Table::from_id),
        service,
        organisation,
        ..Options::default()
    };
    let proposals = propose::propose(files, &opts)?;
    let base = match &out {
        Some(f) => f
            .parent()
            .map(PathBuf::from)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from(".")),
        None => PathBuf::from("."),
    };
    let text = render::pipeline(&proposals, &base);
    let Some(path) = out else {
        print!("{text}");
        return Ok(Outcome::Clean);
    };
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .and_then(|mut f| std::io::Write::write_all(&mut f, text.as_bytes()));
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            // The user's own file: a mistake in the command, not a failure of the tool.
            return Err(Error::ForeignOutputDir(format!(
                "{} existe déjà : une proposition n'est jamais écrasée ; choisissez un autre nom",
                path.display()
            )));
        }
        Err(e) => {
            return Err(Error::Output {
                path: path.display().to_string(),
                detail: e.to_string(),
            });
        }
        Ok(()) => {}
    }
    let sources = proposals.iter().filter(|p| p.table.is_some()).count();
    println!(
        "Proposition écrite dans {} : {sources} feuille(s) décrite(s), {} non proposée(s). Relisez-la (raisons et questions en commentaire), puis : observatoire verifier {}",
        path.display(),
        proposals.len() - sources,
        path.display()
    );
    Ok(Outcome::Clean)
}
