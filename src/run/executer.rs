//! `executer`: every stage on one machine, from the spreadsheets to the published
//! outputs, with an observer at every stage boundary (the national benchmark).

use super::*;

/// Stage names of [`Event::Stage`], in the order a run reaches them.
pub mod stage {
    /// Output folder check and ingest (workbooks, CSV files, extracts).
    pub const READ: &str = "read";
    /// Pseudonymisation of the local accompaniments and re-keying.
    pub const PSEUDONYMISE: &str = "pseudonymise";
    /// Linkage (exact keys, then the fuzzy pass when switched on).
    pub const LINK: &str = "link";
    /// Every indicator family.
    pub const INDICATORS: &str = "indicators";
    /// Statistical disclosure control, then evolutions and peer quartiles again.
    pub const DISCLOSURE: &str = "disclosure";
    /// Parquet, charts, reports, manifest and the output folder swap.
    pub const PUBLISH: &str = "publish";
    /// The run is over (sent once, after the last stage).
    pub const END: &str = "end";
}

/// What [`run_observed`] tells its observer.
pub enum Event<'a> {
    /// Stage `name` (one of [`stage`]) begins now; the previous one, if any, has ended.
    Stage(&'static str),
    /// The linked table (a `personne` column added to the re-keyed records, rows in
    /// ingest order), lent just after linkage.
    Linked(&'a DataFrame),
}

/// Runs the whole pipeline into `out`.
pub fn run(pipeline: &Pipeline, out: &Path) -> Result<Summary, Error> {
    run_observed(pipeline, out, &mut |_| {})
}

/// [`run`], calling `observe` at every stage boundary (docs/architecture.md,
/// « Benchmarks »): the national benchmark measures time and memory per stage with it.
/// The observer only watches; `run` passes one that does nothing.
pub fn run_observed(
    pipeline: &Pipeline,
    out: &Path,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Summary, Error> {
    run_with_progress(pipeline, out, observe, None)
}

/// [`run_observed`], telling `files` after each file read (the command line's progress
/// bar).
// Long function: the run reads as its stages in order, each block after a stage boundary
// handing its tables to the next; split, each piece would only pass them along.
pub fn run_with_progress(
    pipeline: &Pipeline,
    out: &Path,
    observe: &mut dyn FnMut(Event<'_>),
    files: Option<ingest::FileProgress<'_>>,
) -> Result<Summary, Error> {
    boundary(observe, stage::READ);
    // The output folder is checked (and interrupted runs repaired) before reading.
    let mut staging = Staging::for_pipeline(pipeline, out)?;
    // Identities are pseudonymised file by file as they are read (see `AsRead`).
    let as_read = AsRead::pseudonymising_and_rekeying(pipeline);
    let mut ing = ingest::ingest_observed(pipeline, Some(&|t, df| as_read.apply(t, df)), files)?;
    as_read.read_all();
    boundary(observe, stage::PSEUDONYMISE);
    let records = Records::take(&mut ing);
    let linked = pseudonymise_and_link_observed(pipeline, records, Some(&as_read), observe)?;
    boundary(observe, stage::INDICATORS);
    let years = pipeline.spec.periode.years();
    let bands = pipeline.settings.pseudonymise.age_bands.clone();
    let (staff, training) = pseudonymise_staff_tables(pipeline, &ing)?;
    let (persons, privacy) = match linked {
        Some(l) => (l.table, l.privacy),
        None => (DataFrame::empty(), serde_json::Value::Null),
    };
    let mut results: Results = indicators::compute_before_disclosure(
        &indicators::Inputs {
            services: &ing.tables.services,
            persons: &persons,
            activity: &ing.tables.activity,
            reference: &ing.tables.reference,
            staff: &staff,
            training: &training,
            satisfaction: &ing.tables.satisfaction,
            action_plan: &ing.tables.action_plan,
            years: years.clone(),
            age_bands: &bands,
        },
        &pipeline.settings.indicators,
    )?;
    // What only the indicators read is freed before disclosure control: the persons,
    // staff, training, satisfaction, activity and reference tables (a third of the
    // memory disclosure control and publishing started with on a national network;
    // docs/architecture.md, « Benchmarks »). Services, the action plan and the
    // validation report are still read by the reports.
    drop((persons, staff, training));
    for t in [
        &mut ing.tables.staff,
        &mut ing.tables.training,
        &mut ing.tables.satisfaction,
        &mut ing.tables.activity,
        &mut ing.tables.reference,
    ] {
        *t = DataFrame::empty();
    }
    // Disclosure control, then evolutions and peer quartiles again from what is left.
    boundary(observe, stage::DISCLOSURE);
    let settings = pipeline.settings.disclosure;
    let directory = indicators::Directory::from_services(&ing.tables.services)?;
    let secrecy = disclosure::protect(&mut results.rows, &directory, &settings)?;
    indicators::derive::refresh(&mut results.rows, &ing.tables.services, *years.start())?;

    boundary(observe, stage::PUBLISH);
    // The tables, the chart and report pages, and the workbook are independent files:
    // encoded at once on every core, then written in that order.
    let (tables, reports) = rayon::join(
        || table_files(pipeline, &results, &settings),
        || chart_and_report_files(pipeline, &ing, &results, &secrecy, &privacy, &settings),
    );
    for (path, bytes) in tables?.into_iter().chain(reports?) {
        staging.write(&path, bytes)?;
    }
    write_declared_reports(&mut staging, pipeline, &ing, &results, &secrecy, &privacy)?;
    write_validation(&mut staging, pipeline, &ing)?;
    write_manifest(
        &mut staging,
        pipeline,
        &ing,
        results.rows.len(),
        privacy.clone(),
        Some(&secrecy),
    )?;
    let files = staging.written().iter().map(|(p, _)| p.clone()).collect();
    let dir = staging.commit()?;
    boundary(observe, stage::END);
    let mut s = summary(dir, files, &ing, results.rows.len(), &privacy);
    s.indicator_kinds = results
        .rows
        .iter()
        .map(|r| r.indicateur.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    Ok(s)
}

/// Output files: (path in the output folder, bytes).
type Files = Vec<(String, Vec<u8>)>;

/// The rates chart (SVG and PNG), the report pages and the run's workbook, when the
/// pipeline asks for them; the workbook is encoded while the chart and pages are.
fn chart_and_report_files(
    pipeline: &Pipeline,
    ing: &Ingested,
    results: &Results,
    secrecy: &disclosure::Report,
    privacy: &serde_json::Value,
    settings: &disclosure::Settings,
) -> Result<Files, Error> {
    let (files, workbook) = rayon::join(
        || chart_and_pages(pipeline, ing, results, secrecy, privacy),
        || run_workbook(pipeline, results, settings),
    );
    let mut files = files?;
    if let Some(xlsx) = workbook? {
        files.push((paths::WORKBOOK.to_string(), xlsx));
    }
    Ok(files)
}

/// The rates chart (SVG and PNG) and the report pages.
fn chart_and_pages(
    pipeline: &Pipeline,
    ing: &Ingested,
    results: &Results,
    secrecy: &disclosure::Report,
    privacy: &serde_json::Value,
) -> Result<Files, Error> {
    let demo = pipeline.spec.pipeline.demonstration;
    let banner = pipeline.audience_banner();
    let mut files = Files::new();
    let chart_svg = if pipeline.spec.sorties.graphique {
        let spec = rate_chart(results, demo, banner.as_deref());
        let rendered = chart::render(&spec).map_err(|e| Error::Internal(e.to_string()))?;
        files.push((
            paths::CHART_SVG.to_string(),
            rendered.svg.clone().into_bytes(),
        ));
        files.push((paths::CHART_PNG.to_string(), rendered.png));
        Some(rendered.svg)
    } else {
        None
    };
    if pipeline.spec.sorties.rapport {
        let pages = report::render_report(&report::ReportInput {
            title: &format!("Rapport d'activité — {}", pipeline.spec.pipeline.nom),
            pipeline: &pipeline.spec.pipeline.nom,
            years: pipeline.spec.periode.years(),
            demonstration: demo,
            chart_svg: chart_svg.as_deref(),
            results,
            validation: &ing.report,
            linkage: privacy,
            secrecy,
            banner: banner.as_deref(),
            action_plan: Some(&ing.tables.action_plan),
        })?;
        files.extend(pages.into_iter().map(|p| (p.path, p.html.into_bytes())));
    }
    Ok(files)
}

/// The same figures as the report, as a workbook: `rapport = false` switches both off.
fn run_workbook(
    pipeline: &Pipeline,
    results: &Results,
    settings: &disclosure::Settings,
) -> Result<Option<Vec<u8>>, Error> {
    if !pipeline.spec.sorties.rapport {
        return Ok(None);
    }
    let banner = pipeline.audience_banner();
    let audience = report::workbooks::audience_line(banner.as_deref(), settings.threshold);
    let (rows, scope) = crate::publish::workbook::run_rows(&results.rows);
    let xlsx = crate::publish::workbook::workbook_bytes(
        &crate::publish::workbook::WorkbookInput {
            title: &format!("Indicateurs — {}", pipeline.spec.pipeline.nom),
            banner: None,
            audience: &audience,
            scope: scope.as_deref(),
            demonstration: pipeline.spec.pipeline.demonstration,
            years: pipeline.spec.periode.years(),
            rows: &rows,
            notes: &results.notes,
        },
        paths::WORKBOOK,
    )?;
    Ok(Some(xlsx))
}

/// The reports declared in the pipeline (`[[rapports]]`), each at
/// `rapports/<nom>.html` with its workbook `rapports/<nom>.xlsx`; a perimeter no figure names is a pipeline error. Written
/// whatever `[sorties] rapport` says (declaring a report asks for it).
fn write_declared_reports(
    staging: &mut Staging,
    pipeline: &Pipeline,
    ing: &Ingested,
    results: &Results,
    secrecy: &disclosure::Report,
    privacy: &serde_json::Value,
) -> Result<(), Error> {
    let declared = pipeline.reports();
    if declared.is_empty() {
        return Ok(());
    }
    let facts = report::facts::Facts::from_services(&ing.tables.services)?;
    let banner = pipeline.audience_banner();
    let input = report::ReportInput {
        title: &pipeline.spec.pipeline.nom,
        pipeline: &pipeline.spec.pipeline.nom,
        years: pipeline.spec.periode.years(),
        demonstration: pipeline.spec.pipeline.demonstration,
        chart_svg: None,
        results,
        validation: &ing.report,
        linkage: privacy,
        secrecy,
        banner: banner.as_deref(),
        action_plan: Some(&ing.tables.action_plan),
    };
    for d in &declared {
        if !report::declared::perimeter_found(&d.perimeter, &results.rows) {
            return Err(pipeline.report_perimeter_error(d.index).into());
        }
        let html = report::render_declared(d, &input, &facts)?;
        staging.write(&d.html_path(), html.into_bytes())?;
        // The same figures as a workbook, beside the page.
        staging.write(&d.xlsx_path(), report::workbooks::workbook(d, &input)?)?;
    }
    Ok(())
}

/// The indicator table and the registry (Parquet), with the run's metadata: version,
/// pipeline, demonstration, audience and the statistical-secret rule.
fn table_files(
    pipeline: &Pipeline,
    results: &Results,
    settings: &disclosure::Settings,
) -> Result<Files, Error> {
    let demo = pipeline.spec.pipeline.demonstration;
    let df = parquet::for_analysts(&results.to_dataframe()?)?;
    let meta = [
        (
            "observatoire:version",
            env!("CARGO_PKG_VERSION").to_string(),
        ),
        ("observatoire:pipeline", pipeline.spec.pipeline.nom.clone()),
        (
            "observatoire:demonstration",
            if demo {
                "DÉMONSTRATION — données fictives".into()
            } else {
                "non".into()
            },
        ),
        (
            "observatoire:diffusion",
            pipeline
                .audience_banner()
                .unwrap_or_else(|| "publique".into()),
        ),
        (
            "observatoire:secret_statistique",
            format!(
                "seuil {} personnes ; statut V diffusable, A secret primaire, D secret secondaire",
                settings.threshold
            ),
        ),
    ];
    // The whole table and its yearly partitions are encoded at once, on every core.
    let (whole, parts) = rayon::join(
        || parquet::to_parquet(&df, &meta),
        || parquet::partitions_by_year(&df, &meta),
    );
    let mut files = vec![(paths::INDICATORS.to_string(), whole?)];
    files.extend(parts?);
    files.push((
        paths::REGISTRY.to_string(),
        parquet::to_parquet(&indicators::registry_dataframe()?, &meta)?,
    ));
    Ok(files)
}

/// The activity / occupancy chart: one line per service, with the demonstration mark
/// and the audience's banner (`Pipeline::audience_banner`) across its top.
pub(super) fn rate_chart(
    results: &Results,
    demo: bool,
    audience: Option<&str>,
) -> chart::ChartSpec {
    let banner = match (demo, audience) {
        (true, Some(b)) => Some(format!("DÉMONSTRATION — données fictives — {b}")),
        (true, None) => Some("DÉMONSTRATION — données fictives".into()),
        (false, b) => b.map(str::to_string),
    };
    chart::rates::rate_chart(results, banner)
}
