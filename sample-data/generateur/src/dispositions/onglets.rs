//! Files and sheets by pattern, as partners deliver them: a small national network
//! ([`crate::national::build`]) whose accompaniments are written
//!
//! - for half of the départements, one workbook per département (`suivi-15.xlsx`) with one
//!   sheet per service, named by the service's code or by its name, a « Lisez-moi » sheet
//!   first and a hidden « Listes » sheet last;
//! - for the other half, one workbook per service (`entrees/entrees-MECS-15-001.xlsx`)
//!   with one sheet per entry year (`Antérieures`, `Entrées 2020`…), the same
//!   « Lisez-moi » and hidden « Listes » sheets.
//!
//! The pipeline reads both with `motif_fichier` / `motif_feuille` (no sheet named one by
//! one, no service written in the pipeline); the truth is
//! [`crate::national::truth::per_service`], computed from the records, not from the files.

use std::collections::BTreeMap;
use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, Worksheet};

use crate::dates::Date;
use crate::national::{self, Network, Record};
use crate::output::Output;

/// Scale of the national network used (seven services, about 2 400 children).
pub const SCALE: f64 = 0.003;

/// Per service code and year: file active, entries, exits.
pub type Truth = BTreeMap<String, BTreeMap<i32, [usize; 3]>>;

/// What [`write`] wrote.
pub struct Written {
    /// The pipeline file.
    pub pipeline: PathBuf,
    pub truth: Truth,
    /// Workbooks written, with their « Lisez-moi » sheet each.
    pub workbooks: usize,
    /// Sheets named by the service's name rather than its code.
    pub sheets_by_name: usize,
    /// Of those, the sheets whose name Excel cut at 31 characters.
    pub sheets_cut: usize,
}

/// The sheet header of the accompaniment sheets.
pub const HEADER: [&str; 8] = [
    "Nom de famille",
    "Prénom",
    "Date de naissance",
    "Sexe",
    "Nom de la mère",
    "Statut",
    "Date d'admission",
    "Date de sortie",
];

/// `[sources.colonnes]` for [`HEADER`].
pub const COLUMNS: &str = r#"[sources.colonnes]
nom = "Nom de famille"
prenom = "Prénom"
date_naissance = "Date de naissance"
sexe = "Sexe"
nom_mere = "Nom de la mère"
type_mesure = "Statut"
date_debut = "Date d'admission"
date_fin = "Date de sortie"
"#;

fn excel(d: Date) -> Result<ExcelDateTime, Box<dyn Error>> {
    Ok(ExcelDateTime::from_ymd(
        d.year() as u16,
        d.month() as u8,
        d.day() as u8,
    )?)
}

/// The header on row 1, then one row per record.
pub fn records_sheet(
    ws: &mut Worksheet,
    net: &Network,
    records: &[&Record],
) -> Result<(), Box<dyn Error>> {
    let day = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in HEADER.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    for (k, r) in records.iter().enumerate() {
        let id = &net.identities[r.identity];
        let row = k as u32 + 1;
        ws.write_string(row, 0, &id.nom)?;
        ws.write_string(row, 1, &id.prenom)?;
        ws.write_datetime_with_format(row, 2, excel(id.date_naissance)?, &day)?;
        ws.write_string(row, 3, id.sexe.to_string())?;
        if let Some(m) = &id.nom_mere {
            ws.write_string(row, 4, m)?;
        }
        ws.write_string(row, 5, r.measure)?;
        ws.write_datetime_with_format(row, 6, excel(r.start)?, &day)?;
        if let Some(e) = r.end {
            ws.write_datetime_with_format(row, 7, excel(e)?, &day)?;
        }
    }
    Ok(())
}

/// A « Lisez-moi » first sheet (text only) and, after [`records_sheet`]s, a hidden
/// « Listes » sheet (the values of the dropdowns).
pub fn readme_sheet(wb: &mut Workbook, what: &str) -> Result<(), Box<dyn Error>> {
    let ws = wb.add_worksheet().set_name("Lisez-moi")?;
    ws.write_string(0, 0, format!("Suivi des jeunes accueillis — {what}"))?;
    ws.write_string(1, 0, "Extraction du 15/01/2024, données fictives.")?;
    ws.write_string(
        2,
        0,
        "Une ligne par mesure ; les mesures en cours n'ont pas de date de sortie.",
    )?;
    Ok(())
}

pub fn lists_sheet(wb: &mut Workbook) -> Result<(), Box<dyn Error>> {
    let ws = wb.add_worksheet().set_name("Listes")?;
    ws.write_string(0, 0, "Sexe")?;
    ws.write_string(1, 0, "F")?;
    ws.write_string(2, 0, "M")?;
    ws.set_hidden(true);
    Ok(())
}

/// The head of a layout pipeline: period, internal outputs with every figure published,
/// the synthetic keys (written by [`national::pipeline::write`]) and the services table.
pub fn pipeline_head(name: &str) -> String {
    format!(
        r#"[pipeline]
nom = "{name}"
description = "Données entièrement synthétiques (sample-data/generateur, dispositions)"
demonstration = true

[periode]
debut = {debut}
fin = {fin}

[sorties]
dossier = "sortie"
graphique = false
rapport = false
diffusion = "interne"

[secret_statistique]
seuil = 1

[confidentialite]
cle = "collectif.cle"
cle_observatoire = "observatoire.cle"
cles_appariement = [["nom", "prenom", "date_naissance", "sexe"]]
appariement_flou = false

[[sources]]
nom = "Référentiel des services"
fichier = "{services}"
table = "services"
[sources.csv]
separateur = ";"
"#,
        debut = national::YEARS.start(),
        fin = national::YEARS.end(),
        services = national::pipeline::SERVICES,
    )
}

/// Writes the workbooks, the services table, the keys and `onglets.toml` into `dir`.
pub fn write(dir: &Path) -> Result<Written, Box<dyn Error>> {
    write_with(dir, false)
}

/// As [`write`]; with `misplaced`, the entries of the second year of every per-year
/// workbook are written in the sheet of the third year (a partner's slip: the rows keep
/// their dates, the truth does not change).
pub fn write_with(dir: &Path, misplaced: bool) -> Result<Written, Box<dyn Error>> {
    let mut net = national::build(SCALE)?;
    let mut deps: Vec<String> = net.services.iter().map(|s| s.departement.clone()).collect();
    deps.sort_unstable();
    deps.dedup();
    let of_dep = |net: &Network, dep: &str| -> Vec<usize> {
        (0..net.services.len())
            .filter(|&s| net.services[s].departement == dep)
            .collect()
    };
    // Every other service sheet of the département workbooks is named by the service's
    // name; in one département workbook in two, the first of those names is longer than
    // a sheet name may be.
    let mut cut = 0;
    for (i, dep) in deps.iter().step_by(2).enumerate() {
        for (k, s) in of_dep(&net, dep).into_iter().enumerate() {
            if i % 2 == 0 && k == 1 {
                let svc = &mut net.services[s];
                svc.name = format!("{} (site principal, accueil de jour)", svc.name);
                cut += 1;
            }
        }
    }
    let mut out = Output::new(dir);
    national::pipeline::write(&net, &[], &mut out)?;
    // Only its services table and keys are used here.
    for p in [
        national::pipeline::PIPELINE,
        national::pipeline::PIPELINE_EXACT,
    ] {
        std::fs::remove_file(dir.join(p))?;
    }
    let mut workbooks = 0;
    let mut sheets_by_name = 0;
    for (d, dep) in deps.iter().enumerate() {
        let services = of_dep(&net, dep);
        if d % 2 == 0 {
            sheets_by_name += per_department(&net, dep, &services, &mut out)?;
            workbooks += 1;
        } else {
            for s in services {
                per_entry_year(&net, s, misplaced, &mut out)?;
                workbooks += 1;
            }
        }
    }
    let toml = format!(
        r#"{head}
[[sources]]
nom = "Suivi par département"
fichier = "suivi-*.xlsx"
motif_fichier = "suivi-{{departement}}.xlsx"
motif_feuille = "{{service}}"
table = "accompagnements"
{COLUMNS}
[[sources]]
nom = "Entrées par année"
fichier = "entrees/*.xlsx"
motif_fichier = "entrees-{{service}}.xlsx"
feuilles = ["Entrées *", "Antérieures"]
motif_feuille = ["Entrées {{annee}}", "Antérieures"]
table = "accompagnements"
{COLUMNS}"#,
        head = pipeline_head("Disposition « onglets » (fictif)")
    );
    let pipeline = out.write("onglets.toml", toml.as_bytes())?;
    Ok(Written {
        pipeline,
        truth: national::truth::per_service(&net),
        workbooks,
        sheets_by_name,
        sheets_cut: cut,
    })
}

/// `suivi-<dep>.xlsx`: one sheet per service, named by its code or (every other one) by
/// its name; returns the number named by name.
fn per_department(
    net: &Network,
    dep: &str,
    services: &[usize],
    out: &mut Output,
) -> Result<usize, Box<dyn Error>> {
    let mut wb = Workbook::new();
    readme_sheet(&mut wb, &format!("département {dep}"))?;
    let mut by_name = 0;
    for (k, &s) in services.iter().enumerate() {
        let svc = &net.services[s];
        let sheet: String = if k % 2 == 1 {
            by_name += 1;
            // Excel's limit: a longer name is cut.
            svc.name.chars().take(31).collect()
        } else {
            svc.code.clone()
        };
        let mine: Vec<&Record> = net.records.iter().filter(|r| r.service == s).collect();
        records_sheet(wb.add_worksheet().set_name(&sheet)?, net, &mine)?;
    }
    lists_sheet(&mut wb)?;
    out.write(&format!("suivi-{dep}.xlsx"), &wb.save_to_buffer()?)?;
    Ok(by_name)
}

/// `entrees/entrees-<code>.xlsx`: the children who entered before the first year, then
/// one sheet per entry year.
fn per_entry_year(
    net: &Network,
    s: usize,
    misplaced: bool,
    out: &mut Output,
) -> Result<(), Box<dyn Error>> {
    let svc = &net.services[s];
    let mut wb = Workbook::new();
    readme_sheet(&mut wb, &svc.name)?;
    let first = *national::YEARS.start();
    let mine = |keep: &dyn Fn(i32) -> bool| -> Vec<&Record> {
        net.records
            .iter()
            .filter(|r| r.service == s && keep(r.start.year()))
            .collect()
    };
    records_sheet(
        wb.add_worksheet().set_name("Antérieures")?,
        net,
        &mine(&|y| y < first),
    )?;
    let sheet_of = |y: i32| {
        if misplaced && y == first + 1 {
            y + 1
        } else {
            y
        }
    };
    for year in national::YEARS {
        records_sheet(
            wb.add_worksheet().set_name(format!("Entrées {year}"))?,
            net,
            &mine(&|y| sheet_of(y) == year),
        )?;
    }
    lists_sheet(&mut wb)?;
    out.write(
        &format!("entrees/entrees-{}.xlsx", svc.code),
        &wb.save_to_buffer()?,
    )?;
    Ok(())
}
