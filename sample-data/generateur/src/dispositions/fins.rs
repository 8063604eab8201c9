//! Open ends written as text. A small seeded world of stays (shared with
//! [`super::nom_service`] and [`super::occupation`]: [`World`], [`Truth`]), and the
//! layout itself: one workbook of admissions whose open stays have no empty exit cell
//! but `en cours`, `En cours`, `-`, `/`, `encore présent`, `Encore présente`, or the
//! association's own `pas encore sorti` (declared by `fins_ouvertes`).
//!
//! The truth is computed here from the stays, independently of the tool: per service
//! and year, the distinct children with at least one day in the year (file active),
//! the stays starting and ending in the year, the children present on 31/12 and the
//! days of stay in the year (both ends counted).

use std::collections::{BTreeMap, BTreeSet};
use std::error::Error;
use std::path::{Path, PathBuf};

use chrono::Datelike;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

use crate::dates::{Date, date, days_inclusive, plus_days, random_date};
use crate::names::{NOMS, PRENOMS_F, PRENOMS_M};
use crate::output::Output;
use crate::rng::{Rng, SEED};

/// Years of the pipelines of these layouts.
pub const YEARS: std::ops::RangeInclusive<i32> = 2021..=2023;

/// A service of the small world.
#[derive(Debug, Clone)]
pub struct Service {
    pub code: String,
    pub nom: String,
    pub type_service: String,
    pub places: f64,
    /// Opening days per year (`None`: every day of the year).
    pub jours_ouverture: Option<f64>,
}

/// A child.
#[derive(Debug, Clone)]
pub struct Child {
    pub nom: String,
    pub prenom: String,
    pub naissance: Date,
    pub sexe: &'static str,
}

/// A stay: one child in one service (at most one stay per child and service).
#[derive(Debug, Clone)]
pub struct Stay {
    pub child: usize,
    pub service: usize,
    pub start: Date,
    pub end: Option<Date>,
}

/// Services, children and their stays.
#[derive(Debug, Clone)]
pub struct World {
    pub services: Vec<Service>,
    pub children: Vec<Child>,
    pub stays: Vec<Stay>,
}

/// Builds a world of `per_service` children in each service, on stream `stream` of the
/// seed. Admissions from 2018 to 2023; about a third of the stays still open on
/// 31/12/2023; no exit after 2023.
pub fn world(services: Vec<Service>, per_service: usize, stream: u64) -> World {
    let mut rng = Rng::stream(SEED, stream);
    let mut children = Vec::new();
    let mut stays = Vec::new();
    for s in 0..services.len() {
        for _ in 0..per_service {
            let girl = rng.chance(0.45);
            let prenoms = if girl { PRENOMS_F } else { PRENOMS_M };
            let start = random_date(&mut rng, date(2018, 1, 1), date(2023, 12, 20));
            let naissance = random_date(&mut rng, date(2006, 1, 1), date(2016, 12, 31));
            let end = if rng.chance(0.35) {
                None
            } else {
                let e = plus_days(start, rng.range(0, 900));
                (e <= date(2023, 12, 31)).then_some(e)
            };
            children.push(Child {
                nom: rng.pick(NOMS).to_string(),
                prenom: rng.pick(prenoms).to_string(),
                naissance,
                sexe: if girl { "F" } else { "M" },
            });
            stays.push(Stay {
                child: children.len() - 1,
                service: s,
                start,
                end,
            });
        }
    }
    World {
        services,
        children,
        stays,
    }
}

/// What the tool must find for one service and year.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Counts {
    pub file_active: usize,
    pub entrees: usize,
    pub sorties: usize,
    pub presents_31_12: usize,
    /// Days of stay in the year, both ends counted, open stays to 31/12.
    pub journees: i64,
}

/// Service code → year → counts.
pub type Truth = BTreeMap<String, BTreeMap<i32, Counts>>;

/// The truth of `world` over [`YEARS`], from the stays alone.
pub fn truth(world: &World) -> Truth {
    let mut out = Truth::new();
    for s in &world.services {
        out.insert(
            s.code.clone(),
            YEARS.map(|y| (y, Counts::default())).collect(),
        );
    }
    let mut active: BTreeMap<(usize, i32), BTreeSet<usize>> = BTreeMap::new();
    for st in &world.stays {
        let code = &world.services[st.service].code;
        for y in YEARS {
            let days = days_inclusive(st.start, st.end, date(y, 1, 1), date(y, 12, 31));
            if days > 0 {
                active.entry((st.service, y)).or_default().insert(st.child);
            }
            if let Some(c) = out.get_mut(code).and_then(|m| m.get_mut(&y)) {
                c.journees += days;
                c.entrees += usize::from(st.start.year() == y);
                c.sorties += usize::from(st.end.is_some_and(|e| e.year() == y));
                let dec31 = date(y, 12, 31);
                c.presents_31_12 +=
                    usize::from(st.start <= dec31 && st.end.is_none_or(|e| e >= dec31));
            }
        }
    }
    for ((s, y), set) in active {
        if let Some(c) = out
            .get_mut(&world.services[s].code)
            .and_then(|m| m.get_mut(&y))
        {
            c.file_active = set.len();
        }
    }
    out
}

/// The services table as CSV (`;`), one row per service and year of [`YEARS`].
pub fn services_csv(services: &[Service]) -> String {
    let mut csv = String::from(
        "Code service;Nom du service;Organisation;Type;Département;Année;Capacité autorisée;Unité;Jours d'ouverture\n",
    );
    for s in services {
        for y in YEARS {
            let jours = s.jours_ouverture.map(|j| j.to_string()).unwrap_or_default();
            csv.push_str(&format!(
                "{};{};Association des Sources;{};63;{y};{};places;{jours}\n",
                s.code, s.nom, s.type_service, s.places
            ));
        }
    }
    csv
}

/// Writes the two fixed keys of the pipelines of [`pipeline_head`] (synthetic data only),
/// readable by their owner only.
pub fn write_keys(out: &mut Output) -> Result<(), Box<dyn Error>> {
    for (file, byte) in [("collectif.cle", 0x5au8), ("observatoire.cle", 0x5bu8)] {
        let hex: String = (0..32u8)
            .map(|i| format!("{:02x}", byte ^ i.wrapping_mul(41)))
            .collect();
        let path = out.write(file, format!("{hex}\n").as_bytes())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        }
    }
    Ok(())
}

/// The head of the pipelines of these layouts: period, internal outputs published down
/// to one person, the keys of [`write_keys`], the services table.
pub fn pipeline_head(name: &str) -> String {
    format!(
        r#"[pipeline]
nom = "{name}"
demonstration = true

[periode]
debut = {}
fin = {}

[sorties]
dossier = "sortie"
graphique = false
rapport = true
diffusion = "interne"

[secret_statistique]
seuil = 1

[confidentialite]
cle = "collectif.cle"
cle_observatoire = "observatoire.cle"

[[sources]]
nom = "Référentiel des services"
fichier = "services.csv"
table = "services"
[sources.colonnes]
service = "Code service"
nom_service = "Nom du service"
type_service = "Type"
capacite = "Capacité autorisée"
unite_capacite = "Unité"
jours_ouverture = "Jours d'ouverture"
"#,
        YEARS.start(),
        YEARS.end()
    )
}

/// Writes a date cell (a real Excel date).
pub fn write_date(
    ws: &mut rust_xlsxwriter::Worksheet,
    r: u32,
    c: u16,
    d: Date,
    fmt: &Format,
) -> Result<(), Box<dyn Error>> {
    let x = ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8)?;
    ws.write_datetime_with_format(r, c, &x, fmt)?;
    Ok(())
}

/// A layout written into a folder: its pipeline file and its truth.
#[derive(Debug, Clone)]
pub struct Written {
    pub pipeline: PathBuf,
    pub truth: Truth,
    pub world: World,
}

/// The open ends written in rotation, the last one the association's own (declared by
/// `fins_ouvertes`).
pub const OPEN_ENDS: [&str; 8] = [
    "en cours",
    "En cours",
    "-",
    "/",
    "encore présent",
    "Encore présente",
    "",
    "pas encore sorti",
];

/// File of the layout.
pub const FILE: &str = "Suivi des accueils.xlsx";

/// The cells the negative variant adds, in the order of the rows after the data:
/// an exit written « bientôt » (neither a date nor an open end: `date_invalide`) and an
/// admission written « en cours » (not an end date: `date_invalide`, row rejected).
pub const NEGATIVE_ROWS: usize = 2;

fn services() -> Vec<Service> {
    vec![
        Service {
            code: "MECS-63".into(),
            nom: "MECS Les Sources".into(),
            type_service: "MECS".into(),
            places: 24.0,
            jours_ouverture: None,
        },
        Service {
            code: "FDE-63".into(),
            nom: "Foyer départemental de l'enfance".into(),
            type_service: "Foyer de l'enfance".into(),
            places: 18.0,
            jours_ouverture: None,
        },
    ]
}

/// Writes the stays of `world` on `ws` under a header row (name, first name, birth
/// date, sex, `Service`, admission, exit): the service cell is `service(index)`, the
/// exit of the i-th open stay is `open_end(i)` (nothing when empty). Returns the next
/// free row.
pub fn stays_sheet(
    ws: &mut rust_xlsxwriter::Worksheet,
    world: &World,
    service: &dyn Fn(usize) -> String,
    open_end: &dyn Fn(usize) -> &'static str,
) -> Result<u32, Box<dyn Error>> {
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let head = [
        "Nom",
        "Prénom",
        "Né(e) le",
        "Sexe",
        "Service",
        "Date d'admission",
        "Date de sortie",
    ];
    for (c, h) in head.iter().enumerate() {
        ws.write_string(0, c as u16, *h)?;
    }
    let mut open = 0;
    let mut r = 1u32;
    for st in &world.stays {
        let ch = &world.children[st.child];
        ws.write_string(r, 0, &ch.nom)?;
        ws.write_string(r, 1, &ch.prenom)?;
        write_date(ws, r, 2, ch.naissance, &day)?;
        ws.write_string(r, 3, ch.sexe)?;
        ws.write_string(r, 4, service(st.service))?;
        write_date(ws, r, 5, st.start, &day)?;
        match st.end {
            Some(e) => write_date(ws, r, 6, e, &day)?,
            None => {
                let text = open_end(open);
                open += 1;
                if !text.is_empty() {
                    ws.write_string(r, 6, text)?;
                }
            }
        }
        r += 1;
    }
    Ok(r)
}

/// The source of a stays sheet written by [`stays_sheet`] (`[[sources]]` and its
/// columns).
pub fn stays_source(file: &str, sheet: &str, extra: &str) -> String {
    format!(
        r#"
[[sources]]
nom = "Suivi des accueils"
fichier = "{file}"
feuille = "{sheet}"
table = "accompagnements"
organisation = "Association des Sources"
{extra}
[sources.colonnes]
nom = "Nom"
prenom = "Prénom"
date_naissance = "Né(e) le"
sexe = "Sexe"
service = "Service"
date_debut = "Date d'admission"
date_fin = "Date de sortie"
"#
    )
}

/// Writes the layout into `dir`: `services.csv`, [`FILE`] (sheet `Accueils`: name,
/// first name, birth date, sex, service code, admission, exit) and `pipeline.toml`.
/// With `negative`, [`NEGATIVE_ROWS`] bad rows follow the data (the truth ignores them).
pub fn write(dir: &Path, negative: bool) -> Result<Written, Box<dyn Error>> {
    let w = world(services(), 40, 1201);
    let mut out = Output::new(dir);
    out.write("services.csv", services_csv(&w.services).as_bytes())?;
    write_keys(&mut out)?;
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Accueils")?;
    let day = Format::new().set_num_format("dd/mm/yyyy");
    let mut r = stays_sheet(ws, &w, &|s| w.services[s].code.clone(), &|i| {
        OPEN_ENDS[i % OPEN_ENDS.len()]
    })?;
    if negative {
        let bad = [
            (date(2022, 3, 1), "bientôt"),
            (date(2022, 3, 1), "en cours"),
        ];
        for (i, (start, end)) in bad.iter().enumerate() {
            ws.write_string(r, 0, "Témoin")?;
            ws.write_string(r, 1, "Ligne")?;
            write_date(ws, r, 2, date(2010, 5, 5), &day)?;
            ws.write_string(r, 3, "F")?;
            ws.write_string(r, 4, "MECS-63")?;
            if i == 0 {
                write_date(ws, r, 5, *start, &day)?;
                ws.write_string(r, 6, *end)?;
            } else {
                ws.write_string(r, 5, "en cours")?;
            }
            r += 1;
        }
    }
    out.write(FILE, &wb.save_to_buffer()?)?;
    let pipeline = pipeline_head("Disposition — fins ouvertes écrites en texte")
        + &stays_source(FILE, "Accueils", "fins_ouvertes = [\"pas encore sorti\"]");
    let path = out.write("pipeline.toml", pipeline.as_bytes())?;
    Ok(Written {
        pipeline: path,
        truth: truth(&w),
        world: w,
    })
}
