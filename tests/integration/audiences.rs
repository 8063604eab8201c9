//! The three audiences on the same figures: what `publique`, `interne` and `autorite`
//! publish (docs/architecture.md, « Audiences »), and the pipeline settings that choose
//! them.

use observatoire::disclosure::{Audience, Settings, protect};
use observatoire::indicators::persons::{ACTIVE_FILE, BY_AGE, Perimeter};
use observatoire::indicators::{CellStatus, Directory, IndicatorRow};
use polars::prelude::*;

use crate::util::{pipeline, temp_dir};

/// A small service A (7 children: 3 aged 0-10, 4 aged 11-17) and a larger B (30: 12 and
/// 18) of one organisation O in the Cantal: file active and age distribution per
/// perimeter.
fn rows() -> (Vec<IndicatorRow>, Directory) {
    let services = df![
        "service" => ["A", "B"],
        "annee" => [2022, 2022],
        "organisation" => ["O", "O"],
        "departement" => ["15", "15"],
    ]
    .unwrap();
    let dir = Directory::from_services(&services).unwrap();
    let mut out = Vec::new();
    let mut push = |per: &Perimeter, young: f64, old: f64| {
        let total = young + old;
        let mut fa = per.row(&dir, ACTIVE_FILE, 2022);
        fa.numerateur = Some(total);
        fa.valeur = Some(total);
        out.push(fa);
        for (band, n) in [("0-10 ans", young), ("11-17 ans", old)] {
            let mut r = per.row(&dir, BY_AGE, 2022);
            r.ventilation = Some("tranche_age".into());
            r.modalite = Some(band.into());
            r.numerateur = Some(n);
            r.denominateur = Some(total);
            r.valeur = Some(n / total);
            out.push(r);
        }
    };
    push(&Perimeter::Service("A".into()), 3.0, 4.0);
    push(&Perimeter::Service("B".into()), 12.0, 18.0);
    for per in [
        Perimeter::Organisation("O".into()),
        Perimeter::Department("15".into()),
        Perimeter::Network,
    ] {
        push(&per, 15.0, 22.0);
    }
    (out, dir)
}

fn protected(audience: Audience, threshold: u32) -> Vec<IndicatorRow> {
    let (mut rows, dir) = rows();
    let settings = Settings {
        threshold,
        protect_zeros: false,
        audience,
    };
    // `protect` runs the attacker audit: it fails if a secret cell is recomputable.
    protect(&mut rows, &dir, &settings).unwrap();
    rows
}

fn status(rows: &[IndicatorRow], service: &str, id: &str, band: Option<&str>) -> CellStatus {
    rows.iter()
        .find(|r| {
            r.indicateur == id
                && r.service.as_deref() == Some(service)
                && r.modalite.as_deref() == band
        })
        .map(|r| r.statut)
        .unwrap()
}

#[test]
fn the_same_figures_under_the_three_audiences() {
    use CellStatus::{Primary, Published, Secondary};
    // Public release, threshold 11: A's 7 children are secret, and so are its bands.
    let public = protected(Audience::Public, 11);
    assert_eq!(status(&public, "A", ACTIVE_FILE, None), Primary);
    assert_eq!(status(&public, "A", BY_AGE, Some("0-10 ans")), Primary);
    assert_eq!(status(&public, "A", BY_AGE, Some("11-17 ans")), Primary);
    // Internal dashboard with a threshold of 3: everything of A is shown.
    let internal = protected(Audience::Internal, 3);
    assert!(internal.iter().all(|r| r.statut == Published));
    // Funding authority, threshold 11: A's total is published (the authority knows
    // it), its age bands stay secret — and neither band can be recomputed from the
    // published total: not A's other band, and not B's bands next to the
    // organisation's (15 − 12 = 3) either.
    let authority = protected(Audience::Authority, 11);
    let a_total = authority
        .iter()
        .find(|r| r.indicateur == ACTIVE_FILE && r.service.as_deref() == Some("A"))
        .unwrap();
    assert_eq!((a_total.statut, a_total.valeur), (Published, Some(7.0)));
    assert_eq!(status(&authority, "A", BY_AGE, Some("0-10 ans")), Primary);
    assert_eq!(status(&authority, "A", BY_AGE, Some("11-17 ans")), Primary);
    let b_young = status(&authority, "B", BY_AGE, Some("0-10 ans"));
    let org_young = authority
        .iter()
        .find(|r| {
            r.indicateur == BY_AGE
                && r.service.is_none()
                && r.organisation.as_deref() == Some("O")
                && r.modalite.as_deref() == Some("0-10 ans")
        })
        .unwrap()
        .statut;
    assert!(
        b_young == Secondary || org_young == Secondary,
        "{b_young:?} {org_young:?}"
    );
    // Every published total of the authority's release is also a value a reader can
    // check: the totals of every perimeter are published.
    assert!(
        authority
            .iter()
            .filter(|r| r.indicateur == ACTIVE_FILE)
            .all(|r| r.statut == Published)
    );
}

#[test]
fn the_authority_audience_needs_an_addressee_and_names_it() {
    let dir = temp_dir("autorite");
    std::fs::write(dir.join("s.csv"), "Code service;Année\nA;2022\n").unwrap();
    let base = "[pipeline]\nnom = \"essai\"\n[periode]\ndebut = 2022\nfin = 2022\n\
                [[sources]]\nfichier = \"s.csv\"\ntable = \"services\"\n";
    let p = pipeline(
        &dir,
        &format!(
            "{base}[sorties]\ndiffusion = \"autorite\"\ndestinataire = \"Conseil départemental du Cantal\"\n"
        ),
    );
    assert_eq!(
        p.audience_banner().as_deref(),
        Some("Document transmis à : Conseil départemental du Cantal — ne pas rediffuser")
    );
    let path = dir.join("sans-destinataire.toml");
    std::fs::write(
        &path,
        format!("{base}[sorties]\ndiffusion = \"autorite\"\n"),
    )
    .unwrap();
    let err = observatoire::pipeline::Pipeline::load(&path)
        .err()
        .unwrap()
        .to_string();
    assert!(err.contains("destinataire"), "{err}");
    // The threshold of 11 holds as for a public release: only an internal dashboard may
    // lower it.
    std::fs::write(
        &path,
        format!(
            "{base}[sorties]\ndiffusion = \"autorite\"\ndestinataire = \"ARS\"\n[secret_statistique]\nseuil = 5\n"
        ),
    )
    .unwrap();
    assert!(observatoire::pipeline::Pipeline::load(&path).is_err());
    // A public release has no banner.
    let p = pipeline(&dir, base);
    assert_eq!(p.audience_banner(), None);
}

/// The demo for the Conseil départemental: the attacker audit passes (the run
/// succeeds), every total of the activity and staffing quantities the authority holds is
/// published, and no breakdown of persons under the threshold is.
#[test]
fn the_demo_for_the_funding_authority() {
    use crate::util::{floats, repo, strings};
    use observatoire::publish::paths;
    let out = temp_dir("demo-autorite").join("sortie");
    let path = repo().join("pipelines/demo.toml");
    let text = std::fs::read_to_string(&path).unwrap().replace(
        "diffusion = \"publique\"",
        "diffusion = \"autorite\"\ndestinataire = \"Conseil départemental du Cantal\"",
    );
    let p = observatoire::pipeline::Pipeline::parse(&path, text).unwrap_or_else(|e| panic!("{e}"));
    observatoire::run::run(&p, &out).unwrap_or_else(|e| panic!("{e}"));
    let file = std::fs::File::open(out.join(paths::INDICATORS)).unwrap();
    let mut reader = ParquetReader::new(file);
    let meta = reader.get_metadata().unwrap().key_value_metadata().clone();
    let diffusion = meta
        .unwrap()
        .into_iter()
        .find(|kv| kv.key == "observatoire:diffusion")
        .and_then(|kv| kv.value)
        .unwrap();
    assert_eq!(
        diffusion,
        "Document transmis à : Conseil départemental du Cantal — ne pas rediffuser"
    );
    let df = reader.finish().unwrap();
    let (id, dim, status) = (
        strings(&df, "indicateur"),
        strings(&df, "ventilation"),
        strings(&df, "statut"),
    );
    let num = floats(&df, "numerateur");
    let (mut totals, mut small) = (0, 0);
    for i in 0..df.height() {
        let id = id[i].as_deref().unwrap();
        if dim[i].is_none()
            && [
                "file_active",
                "entrees",
                "sorties",
                "presents_31_12",
                "etp_total",
            ]
            .contains(&id)
        {
            assert_eq!(status[i].as_deref(), Some("V"), "{id}");
            totals += 1;
        }
        if dim[i].is_some()
            && [
                "repartition_age",
                "repartition_sexe",
                "mesures_par_type",
                "mesures_par_cadre",
            ]
            .contains(&id)
        {
            if status[i].as_deref() == Some("V") {
                let n = num[i].unwrap();
                assert!(n == 0.0 || n >= 11.0, "{id}: {n}");
            } else {
                small += 1;
            }
        }
    }
    assert!(totals > 200 && small > 100, "{totals} {small}");
    banner_on_every_output(
        &out,
        "Document transmis à : Conseil départemental du Cantal — ne pas rediffuser",
    );
}

/// The internal dashboard's outputs say so, every one of them.
#[test]
fn the_internal_dashboard_says_so_on_every_output() {
    banner_on_every_output(crate::demo::internal_output(), "DIFFUSION INTERNE");
}

/// Every page, chart and workbook of `out` carries `banner`: the run's report, its
/// chart (SVG), its workbook, the validation report, and each declared report with its workbook (the chart
/// of the rapport d'activité included).
fn banner_on_every_output(out: &std::path::Path, banner: &str) {
    use calamine::{Data, Reader, Xlsx, open_workbook};
    use observatoire::publish::paths;
    let read = |p: &std::path::Path| {
        std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    };
    let mut pages = vec![
        out.join(paths::REPORT),
        out.join(paths::CHART_SVG),
        out.join(paths::VALIDATION_HTML),
    ];
    let mut workbooks = vec![out.join(paths::WORKBOOK)];
    for e in std::fs::read_dir(out.join("rapports")).unwrap() {
        let p = e.unwrap().path();
        match p.extension().and_then(|e| e.to_str()) {
            Some("html") => pages.push(p),
            Some("xlsx") => workbooks.push(p),
            _ => {}
        }
    }
    assert!(
        pages.len() >= 5 && workbooks.len() >= 4,
        "{pages:?} {workbooks:?}"
    );
    // A chart wraps a long banner at its « — »: every part is drawn, whole. The rates
    // chart carries it (its own file, and drawn again in the rapport d'activité); a
    // map is only inside its page, whose banner covers it.
    let in_chart = |svg: &str| banner.split(" — ").all(|part| svg.contains(part));
    for p in &pages {
        let text = read(p);
        let name = p.file_name().unwrap().to_string_lossy();
        if name.ends_with(".svg") {
            assert!(in_chart(&text), "{name} : graphique sans bandeau");
            continue;
        }
        let (svg, html) = match (text.find("<svg"), text.find("</svg>")) {
            (Some(a), Some(b)) => (Some(&text[a..b]), text[..a].to_string() + &text[b..]),
            _ => (None, text.clone()),
        };
        assert!(html.contains(banner), "{name} : bandeau absent");
        if name.starts_with("activite-") {
            let svg = svg.unwrap_or_else(|| panic!("{name} : pas de graphique"));
            assert!(in_chart(svg), "{name} : graphique sans bandeau");
        }
    }
    for p in &workbooks {
        let mut wb: Xlsx<_> = open_workbook(p).unwrap();
        for sheet in wb.sheet_names() {
            let range = wb.worksheet_range(&sheet).unwrap();
            // In the sheet's first lines (the contents open with the title).
            let found = range.rows().take(5).flatten().any(|c| match c {
                Data::String(s) => s.contains(banner),
                _ => false,
            });
            assert!(found, "{} [{sheet}] : bandeau absent", p.display());
        }
    }
    // A declared report's own addressee is named on its page and in its workbook.
    let activity = read(&out.join("rapports/activite-apmn-15.html"));
    assert!(activity.contains("Rapport établi à l'intention de"));
}
