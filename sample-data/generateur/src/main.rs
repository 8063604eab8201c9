//! `generer [DOSSIER]`: regenerates the sample data (default `sample-data`).
//! `generer --national [--echelle F] DOSSIER`: writes the national network of the
//! national benchmark (scale 1.0 by default; see `observatoire_exemple::national`).

use std::path::PathBuf;
use std::process::ExitCode;

fn national(args: &[String]) -> Result<(), String> {
    let mut scale = 1.0;
    let mut dir = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--national" => {}
            "--echelle" => {
                let v = it.next().ok_or("--echelle attend un nombre")?;
                scale = v
                    .replace(',', ".")
                    .parse()
                    .map_err(|_| format!("échelle « {v} » illisible"))?;
            }
            d if dir.is_none() && !d.starts_with("--") => dir = Some(PathBuf::from(d)),
            other => return Err(format!("argument inattendu : {other}")),
        }
    }
    let dir =
        dir.ok_or("indiquez le dossier de sortie : generer --national [--echelle F] DOSSIER")?;
    let w = observatoire_exemple::national::generate(&dir, scale).map_err(|e| e.to_string())?;
    println!(
        "{} fichiers, {} lignes d'accompagnement, {} enfants, {} services dans {}",
        w.files.len(),
        w.accompaniment_rows,
        w.children,
        w.services,
        dir.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--national") {
        return match national(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("erreur : {e}");
                ExitCode::FAILURE
            }
        };
    }
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("sample-data"), PathBuf::from);
    match observatoire_exemple::generate(&dir) {
        Ok(paths) => {
            for p in paths {
                println!("{}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("erreur : {e}");
            ExitCode::FAILURE
        }
    }
}
