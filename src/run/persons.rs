//! The persons of a run: local accompaniments pseudonymised, partners' extracts added,
//! everything re-keyed with the observatory's key and linked; staff identifiers
//! pseudonymised.

use super::*;

/// Pseudonymisation as ingest reads: each file's accompaniments (and staff identifiers)
/// are pseudonymised with the collective's key inside the file's parallel task, so no
/// column of clear names for the whole network is ever held in memory
/// (docs/architecture.md, « Identities pseudonymised as they are read »). `verifier`,
/// which has no key, drops the identity columns instead. `executer` also re-keys each
/// pseudonym with the observatory's key as it is made
/// (`pseudonymise::pseudonymise_rekeyed`), so that the pseudonyms under the collective's
/// key (64 characters a value) never form a column, not even for one file.
pub struct AsRead<'a> {
    pipeline: &'a Pipeline,
    /// `false` for `verifier`: identities are dropped, not pseudonymised.
    pseudonymise: bool,
    /// `true` for `executer`: each file's extract is re-keyed as it is read.
    rekey: bool,
    settings: pseudonymise::Settings,
    /// The collective's key, loaded when the first file with rows needs it.
    key: std::sync::OnceLock<Result<SecretKey, KeyError>>,
    /// The observatory's re-keying, loaded when the first file with rows needs it.
    observatory: std::sync::OnceLock<Result<pseudonymise::Rekey, KeyError>>,
    /// Reports of the files pseudonymised so far, merged by [`AsRead::report`].
    reports: std::sync::Mutex<Vec<pseudonymise::Report>>,
    /// What pseudonymisation remembers from file to file ([`pseudonymise::Memos`]),
    /// wiped by [`AsRead::read_all`] or when the reading is dropped.
    memos: pseudonymise::Memos,
}

impl<'a> AsRead<'a> {
    /// Pseudonymise with the collective's key (`partenaire`: the extract it writes).
    pub fn pseudonymising(pipeline: &'a Pipeline) -> AsRead<'a> {
        AsRead {
            pipeline,
            pseudonymise: true,
            rekey: false,
            settings: pseudonymise_settings(pipeline),
            key: std::sync::OnceLock::new(),
            observatory: std::sync::OnceLock::new(),
            reports: std::sync::Mutex::new(Vec::new()),
            memos: pseudonymise::Memos::for_threads(ingest::reading_lanes()),
        }
    }

    /// Every file is read: what pseudonymisation remembered is wiped and freed.
    pub fn read_all(&self) {
        self.memos.clear();
    }

    /// Pseudonymise with the collective's key, then re-key with the observatory's
    /// (`executer`: the records it links).
    pub fn pseudonymising_and_rekeying(pipeline: &'a Pipeline) -> AsRead<'a> {
        AsRead {
            rekey: true,
            ..AsRead::pseudonymising(pipeline)
        }
    }

    /// Whether the files read are re-keyed with the observatory's key.
    pub fn rekeys(&self) -> bool {
        self.pseudonymise && self.rekey
    }

    /// Drop the identity columns (`verifier`).
    pub fn dropping(pipeline: &'a Pipeline) -> AsRead<'a> {
        AsRead {
            pseudonymise: false,
            ..AsRead::pseudonymising(pipeline)
        }
    }

    fn key(&self) -> Result<&SecretKey, Error> {
        match self.key.get_or_init(|| collective_key(self.pipeline)) {
            Ok(k) => Ok(k),
            Err(e) => Err(e.clone().into()),
        }
    }

    fn observatory(&self) -> Result<&pseudonymise::Rekey, Error> {
        match self
            .observatory
            .get_or_init(|| observatory_key(self.pipeline).map(pseudonymise::Rekey::new))
        {
            Ok(r) => Ok(r),
            Err(e) => Err(e.clone().into()),
        }
    }

    /// The transform ingest applies to each file's checked table.
    pub fn apply(&self, table: Table, df: DataFrame) -> Result<DataFrame, Error> {
        if df.height() == 0 {
            return Ok(df);
        }
        match table {
            Table::Accompaniments if self.pseudonymise => {
                let (extract, report) = if self.rekey {
                    pseudonymise::pseudonymise_rekeyed(
                        &df,
                        self.key()?,
                        self.observatory()?,
                        &self.settings,
                        &self.memos,
                    )?
                } else {
                    pseudonymise::pseudonymise_with(&df, self.key()?, &self.settings, &self.memos)?
                };
                drop(df);
                self.reports
                    .lock()
                    .map_err(|_| Error::Internal("rapports de pseudonymisation".into()))?
                    .push(report);
                Ok(extract)
            }
            Table::Accompaniments => Ok(df.drop_many(
                pseudonymise::IDENTITY_COLUMNS
                    .iter()
                    .chain(pseudonymise::FREE_TEXT_COLUMNS.iter())
                    .copied(),
            )),
            Table::Staff | Table::Training
                if df
                    .column("salarie")
                    .is_ok_and(|c| c.null_count() < df.height()) =>
            {
                if self.pseudonymise {
                    pseudonymise::pseudonymise_staff(&df, self.key()?)
                } else {
                    Ok(df.drop_many(["salarie"]))
                }
            }
            _ => Ok(df),
        }
    }

    /// The pseudonymisation report of the files read, merged: counts added up, and the
    /// smallest group of quasi-identifiers computed again on the whole local extract
    /// (groups span files). `None` when no file had accompaniments.
    pub fn report(&self, local: &DataFrame) -> Result<Option<pseudonymise::Report>, Error> {
        let reports = self
            .reports
            .lock()
            .map_err(|_| Error::Internal("rapports de pseudonymisation".into()))?;
        let Some(first) = reports.first() else {
            return Ok(None);
        };
        let mut merged = first.clone();
        for r in &reports[1..] {
            merged.enregistrements += r.enregistrements;
            merged.encodages_flous += r.encodages_flous;
            merged.sans_cle += r.sans_cle;
            for (m, n) in merged.cles_calculees.iter_mut().zip(&r.cles_calculees) {
                *m += n;
            }
        }
        let qi: Vec<&str> = merged
            .quasi_identifiants
            .iter()
            .map(String::as_str)
            .collect();
        merged.k_anonymat = pseudonymise::generalise::smallest_group(local, &qi)?;
        Ok(Some(merged))
    }
}

/// The collective's key of `pipeline` (or the public demonstration key).
fn collective_key(pipeline: &Pipeline) -> Result<SecretKey, KeyError> {
    let c = &pipeline.spec.confidentialite;
    if c.cle_demonstration.as_ref().is_some_and(|d| *d.get_ref()) {
        Ok(SecretKey::demonstration("collectif"))
    } else {
        load_key(pipeline, &c.cle, &c.cle_env, ("cle", "OBSERVATOIRE_CLE"))
    }
}

/// The observatory's key of `pipeline` (or the public demonstration key).
fn observatory_key(pipeline: &Pipeline) -> Result<SecretKey, KeyError> {
    let c = &pipeline.spec.confidentialite;
    if c.cle_demonstration.as_ref().is_some_and(|d| *d.get_ref()) {
        Ok(SecretKey::demonstration("observatoire"))
    } else {
        load_key(
            pipeline,
            &c.cle_observatoire,
            &c.cle_observatoire_env,
            ("cle_observatoire", "OBSERVATOIRE_CLE_OBSERVATOIRE"),
        )
    }
}

/// The persons of a run: pseudonymised, re-keyed, linked accompaniments.
pub struct Linked {
    pub table: DataFrame,
    pub privacy: serde_json::Value,
}

/// Pseudonymises the local accompaniments, adds the partners' extracts, re-keys
/// everything with the observatory's key and links it.
pub fn pseudonymise_and_link(pipeline: &Pipeline, ing: &Ingested) -> Result<Option<Linked>, Error> {
    // Cloning a table shares its columns.
    let records = Records {
        local: ing.tables.accompaniments.clone(),
        extracts: ing.tables.extracts.clone(),
        extract_files: ing.tables.extract_files.clone(),
        services: ing.tables.services.clone(),
    };
    pseudonymise_and_link_observed(pipeline, records, None, &mut |_| {})
}

/// The person records a run links, taken from what ingest read: the local accompaniments
/// (pseudonymised as read, or still identifying) and the partners' extracts. Owned, so
/// that each is freed as soon as linkage no longer needs it.
pub(super) struct Records {
    pub local: DataFrame,
    pub extracts: DataFrame,
    /// The file of each run of `extracts` rows ([`ingest::CanonicalTables::extract_files`]).
    pub extract_files: Vec<(String, usize)>,
    /// The services' directory (shared with the run, which still needs it): the
    /// département of each record's service, for linkage.
    pub services: DataFrame,
}

impl Records {
    /// Takes them out of `ing` (its tables are left empty: nothing after linkage reads
    /// them).
    pub fn take(ing: &mut Ingested) -> Records {
        Records {
            local: std::mem::take(&mut ing.tables.accompaniments),
            extracts: std::mem::take(&mut ing.tables.extracts),
            extract_files: std::mem::take(&mut ing.tables.extract_files),
            services: ing.tables.services.clone(),
        }
    }
}

/// `records` with the département of each record's service ([`link::SERVICE_DEPARTMENT`])
/// from the services' directory (a later row of a code wins); unchanged when the
/// directory gives no département.
fn with_service_departments(
    mut records: DataFrame,
    services: &DataFrame,
) -> Result<DataFrame, Error> {
    use crate::tables::columns as c;
    let (Ok(codes), Ok(departments)) =
        (services.column(c::SERVICE), services.column(c::DEPARTMENT))
    else {
        return Ok(records);
    };
    use polars::prelude::{IntoColumn, PlHashMap, StringChunked};
    let mut of: PlHashMap<&str, &str> = Default::default();
    for (code, department) in codes.str()?.iter().zip(departments.str()?.iter()) {
        if let (Some(code), Some(department)) = (code, department)
            && !department.trim().is_empty()
        {
            of.insert(code.trim(), department.trim());
        }
    }
    if of.is_empty() || records.column(c::SERVICE).is_err() {
        return Ok(records);
    }
    let column: StringChunked = records
        .column(c::SERVICE)?
        .str()?
        .iter()
        .map(|s| s.and_then(|s| of.get(s.trim()).copied()))
        .collect();
    records.with_column(
        column
            .with_name(link::SERVICE_DEPARTMENT.into())
            .into_column(),
    )?;
    Ok(records)
}

/// [`pseudonymise_and_link`], telling `observe` when linkage begins and what it linked.
pub(super) fn pseudonymise_and_link_observed(
    pipeline: &Pipeline,
    records: Records,
    as_read: Option<&AsRead>,
    observe: &mut dyn FnMut(Event<'_>),
) -> Result<Option<Linked>, Error> {
    let Records {
        local,
        extracts,
        extract_files,
        services,
    } = records;
    let extract_rows = extracts.height();
    if local.height() == 0 && extract_rows == 0 {
        return Ok(None);
    }
    // The observatory holds its own key; the collective's key is needed only to
    // pseudonymise spreadsheets read here (extracts arrive already pseudonymised).
    let observatory = pseudonymise::Rekey::new(observatory_key(pipeline)?);
    // Each part is re-keyed before the parts are stacked: the pseudonyms under the
    // collective's key are never held for all of them at once.
    let mut parts: Vec<DataFrame> = Vec::new();
    let mut pseudo_report = None;
    if local.height() > 0 && local.column(pseudonymise::columns::KEY_FINGERPRINT).is_ok() {
        // Pseudonymised as ingest read it, and re-keyed with it by `executer`.
        pseudo_report = match as_read {
            Some(a) => a.report(&local)?,
            None => None,
        };
        if as_read.is_some_and(AsRead::rekeys) {
            parts.push(local);
        } else {
            parts.push(observatory.apply(local)?);
        }
    } else if local.height() > 0 {
        let (extract, report) = pseudonymise::pseudonymise(
            &local,
            &collective_key(pipeline)?,
            &pseudonymise_settings(pipeline),
        )?;
        pseudo_report = Some(report);
        drop(local);
        parts.push(observatory.apply(extract)?);
    }
    // Counted as the extracts arrive, file by file: converting and re-keying read them
    // as absent.
    let mut unreadable: Vec<(String, usize)> = Vec::new();
    let mut offset = 0i64;
    for (file, rows) in &extract_files {
        let n = pseudonymise::unreadable_encodings(&extracts.slice(offset, *rows))?;
        if n > 0 {
            unreadable.push((file.clone(), n));
        }
        offset += i64::try_from(*rows).unwrap_or(i64::MAX);
    }
    if extract_rows > 0 {
        // A partner on an earlier version sends its encodings in hexadecimal: re-keying
        // reads them as binary.
        parts.push(observatory.apply(extracts)?);
    }
    let all = ingest::stack(parts)?;
    // Every part must come from the same collective key and the same key set, or the
    // same child would get unrelated pseudonyms.
    let fingerprints = pseudonymise::distinct_values(&all, pseudonymise::columns::KEY_FINGERPRINT)?;
    let key_sets = pseudonymise::distinct_values(&all, pseudonymise::columns::KEY_SET)?;
    if fingerprints.len() > 1 || key_sets.len() > 1 {
        return Err(Error::InconsistentExtracts(format!(
            "empreintes de clé {} ; jeux de clés {}",
            fingerprints.join(", "),
            key_sets.join(" / ")
        )));
    }
    // Checked: one value each for the whole table, a row's copy is no longer needed
    // (two strings a row, about a tenth of the extract in memory).
    // Dropped in place: a second frame would keep every column alive through linkage.
    let mut all = all;
    for c in [
        pseudonymise::columns::KEY_FINGERPRINT,
        pseudonymise::columns::KEY_SET,
    ] {
        if all.column(c).is_ok() {
            all.drop_in_place(c)?;
        }
    }
    let rekeyed = with_service_departments(all, &services)?;
    drop(services);
    boundary(observe, stage::LINK);
    let (table, mut link_report) = link::link(&rekeyed, &pipeline.settings.link)?;
    link_report.encodages_illisibles = unreadable.iter().map(|u| u.1).sum();
    link_report.fichiers_encodages_illisibles = unreadable.into_iter().collect();
    drop(rekeyed);
    observe(Event::Linked(&table));
    // What only linkage reads (pseudonyms, encodings, controls, blocking keys) goes,
    // and so does the source file of each record (60 MB of file names on a national
    // network; the validation report keeps the sources): the indicators read the person
    // id and the generalised columns.
    let mut gone = pseudonymise::linkage_columns(&table);
    if table.column(link::SERVICE_DEPARTMENT).is_ok() {
        gone.push(link::SERVICE_DEPARTMENT.to_string());
    }
    if table.column(crate::tables::columns::SOURCE).is_ok() {
        gone.push(crate::tables::columns::SOURCE.to_string());
    }
    let table = table.drop_many(gone);
    let privacy = serde_json::json!({
        "empreinte_cle_collectif": fingerprints.first(),
        "empreinte_cle_observatoire": observatory.key().fingerprint(),
        "cles_de_demonstration": observatory.key().is_demonstration(),
        "pseudonymisation_locale": pseudo_report,
        "extraits_partenaires": extract_rows,
        "appariement": link_report,
    });
    Ok(Some(Linked { table, privacy }))
}

/// Replaces staff identifiers in `personnel` and `formation` with pseudonyms under the
/// collective's key (needed only when those tables hold identifiers).
pub fn pseudonymise_staff_tables(
    pipeline: &Pipeline,
    ing: &Ingested,
) -> Result<(DataFrame, DataFrame), Error> {
    let has_ids = |df: &DataFrame| {
        df.column("salarie")
            .is_ok_and(|c| c.null_count() < df.height())
    };
    if !has_ids(&ing.tables.staff) && !has_ids(&ing.tables.training) {
        return Ok((ing.tables.staff.clone(), ing.tables.training.clone()));
    }
    let key = collective_key(pipeline)?;
    Ok((
        pseudonymise::pseudonymise_staff(&ing.tables.staff, &key)?,
        pseudonymise::pseudonymise_staff(&ing.tables.training, &key)?,
    ))
}
