//! The generator's truth (`verite-nationale.json`) against the published indicators and
//! the linked table.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use polars::prelude::*;
use serde_json::Value;

/// The truth file, as the bench needs it.
pub struct Truth {
    pub files: u64,
    pub rows: u64,
    pub children: u64,
    pub services_count: u64,
    pub orgs: u64,
    json: Value,
}

/// Source, sector and person of every linked record, in row order, interned (a few
/// bytes a row: the bench's copy must not weigh on the stages it measures).
pub struct LinkedRows {
    source_names: Vec<String>,
    source: Vec<u32>,
    ditep: Vec<bool>,
    person: Vec<u32>,
}

fn strings(df: &DataFrame, name: &str) -> Vec<Option<String>> {
    let Ok(c) = df.column(name) else {
        return vec![None; df.height()];
    };
    let Ok(s) = c.as_materialized_series().cast(&DataType::String) else {
        return vec![None; df.height()];
    };
    match s.str() {
        Ok(ca) => ca.iter().map(|v| v.map(str::to_string)).collect(),
        Err(_) => vec![None; df.height()],
    }
}

/// Interned values of a text column (`u32::MAX` for a null or a missing column).
fn interned(df: &DataFrame, name: &str, names: &mut Vec<String>) -> Vec<u32> {
    let none = || vec![u32::MAX; df.height()];
    let Ok(c) = df.column(name) else {
        return none();
    };
    let Ok(s) = c.as_materialized_series().cast(&DataType::String) else {
        return none();
    };
    let Ok(ca) = s.str() else {
        return none();
    };
    let mut index: HashMap<&str, u32> = HashMap::new();
    let out = ca
        .iter()
        .map(|v| {
            v.map_or(u32::MAX, |v| {
                let next = index.len() as u32;
                *index.entry(v).or_insert(next)
            })
        })
        .collect();
    let mut by_index: Vec<(&str, u32)> = index.into_iter().collect();
    by_index.sort_by_key(|(_, i)| *i);
    names.extend(by_index.into_iter().map(|(v, _)| v.to_string()));
    out
}

impl LinkedRows {
    pub fn of(df: &DataFrame) -> Self {
        let mut source_names = Vec::new();
        let source = interned(df, "source", &mut source_names);
        let mut services = Vec::new();
        let ditep = interned(df, "service", &mut services)
            .into_iter()
            .map(|i| {
                services
                    .get(i as usize)
                    .is_some_and(|s| s.starts_with("DITEP"))
            })
            .collect();
        let person = interned(df, "personne", &mut Vec::new());
        LinkedRows {
            source_names,
            source,
            ditep,
            person,
        }
    }
}

/// Per-service figures and cross-sector shares against the truth.
pub struct Figures {
    equal: usize,
    compared: usize,
    secret: usize,
    missing: usize,
    shares_compared: usize,
    shares_secret: usize,
    max_gap: f64,
    worst: String,
    examples: Vec<String>,
    /// Shares further than 0.3 point from the truth: (gap, description).
    over: Vec<(f64, String)>,
}

impl Figures {
    /// Prints the figures check; returns whether both targets are met.
    pub fn print(&self) -> bool {
        let ok = self.compared > 0 && self.equal == self.compared && self.missing == 0;
        println!(
            "Chiffres par service (file active, entrées, sorties) : {} égaux sur {} publiés ({:.2} %), {} sous secret, {} absents (cible 100 %) {}",
            self.equal,
            self.compared,
            100.0 * self.equal as f64 / self.compared.max(1) as f64,
            self.secret,
            self.missing,
            if ok { "PASS" } else { "FAIL" }
        );
        for e in &self.examples {
            println!("  {e}");
        }
        let ok2 = self.shares_compared > 0 && self.max_gap <= 0.3;
        println!(
            "Parts intersectorielles (réseau et départements) : {} comparées, {} sous secret, écart max {:.3} pt{} (cible ≤ 0,3 pt) {}",
            self.shares_compared,
            self.shares_secret,
            self.max_gap,
            if self.worst.is_empty() {
                String::new()
            } else {
                format!(" ({})", self.worst)
            },
            if ok2 { "PASS" } else { "FAIL" }
        );
        let mut over = self.over.clone();
        over.sort_by(|a, b| b.0.total_cmp(&a.0));
        if !over.is_empty() {
            println!(
                "  {} parts à plus de 0,3 pt de la vérité ; les plus éloignées :",
                over.len()
            );
        }
        for (gap, what) in over.iter().take(12) {
            println!("    {gap:.2} pt — {what}");
        }
        ok && ok2
    }
}

/// Pairwise linkage quality.
pub struct Linkage {
    note: Option<String>,
    all: (f64, f64),
    cross: (f64, f64),
}

impl Linkage {
    pub fn print(&self) -> bool {
        if let Some(n) = &self.note {
            println!("Appariement : {n} FAIL");
            return false;
        }
        let ok = self.all.0 >= 0.995 && self.all.1 >= 0.99;
        println!(
            "Appariement (paires d'enregistrements) : précision {:.4}, rappel {:.4} (cibles ≥ 0,995 et ≥ 0,99) {}",
            self.all.0,
            self.all.1,
            if ok { "PASS" } else { "FAIL" }
        );
        println!(
            "  paires protection × DITEP seules : précision {:.4}, rappel {:.4}",
            self.cross.0, self.cross.1
        );
        ok
    }
}

/// (indicator, service or territory, year).
type Cell = (String, String, i64);

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

fn get_u64(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

impl Truth {
    pub fn load(path: &Path) -> Result<Truth, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{} : {e}", path.display()))?;
        let json: Value =
            serde_json::from_slice(&bytes).map_err(|e| format!("{} : {e}", path.display()))?;
        Ok(Truth {
            files: get_u64(&json, "fichiers"),
            rows: get_u64(&json, "lignes_accompagnements"),
            children: get_u64(&json, "enfants"),
            services_count: get_u64(&json, "services_nombre"),
            orgs: get_u64(&json, "organisations"),
            json,
        })
    }

    /// Compares the published indicators (`indicateurs.parquet` of `out`) with the truth.
    pub fn check_figures(&self, out: &Path) -> Result<Figures, String> {
        let path = out.join(observatoire::publish::paths::INDICATORS);
        let file = std::fs::File::open(&path).map_err(|e| format!("{} : {e}", path.display()))?;
        let df = ParquetReader::new(file)
            .finish()
            .map_err(|e| format!("{} : {e}", path.display()))?;
        let ind = strings(&df, "indicateur");
        let service = strings(&df, "service");
        let level = strings(&df, "niveau_territoire");
        let code = strings(&df, "code_territoire");
        let breakdown = strings(&df, "ventilation");
        let num = |name: &str| -> Vec<Option<f64>> {
            df.column(name)
                .ok()
                .and_then(|c| c.as_materialized_series().cast(&DataType::Float64).ok())
                .and_then(|s| s.f64().ok().map(|ca| ca.iter().collect()))
                .unwrap_or_else(|| vec![None; df.height()])
        };
        let (numer, denom, value) = (num("numerateur"), num("denominateur"), num("valeur"));
        let period = num("periode");
        // (indicator, service or territory, year) → (value, numerator, denominator)
        let mut per_service: HashMap<Cell, Option<f64>> = HashMap::new();
        let mut shares: HashMap<Cell, (Option<f64>, Option<f64>)> = HashMap::new();
        for i in 0..df.height() {
            let (Some(id), Some(y)) = (&ind[i], period[i]) else {
                continue;
            };
            if breakdown[i].is_some() {
                continue;
            }
            let y = y as i64;
            if matches!(id.as_str(), "file_active" | "entrees" | "sorties") {
                if let Some(s) = &service[i] {
                    per_service.insert((id.clone(), s.clone(), y), value[i]);
                }
            } else if matches!(
                id.as_str(),
                "part_pe_accompagnes_ditep" | "part_ditep_avec_mesure_pe"
            ) && service[i].is_none()
            {
                let territory = match level[i].as_deref() {
                    Some("ensemble") => "ensemble".to_string(),
                    Some("departement") => code[i].clone().unwrap_or_default(),
                    _ => continue,
                };
                shares.insert((id.clone(), territory, y), (numer[i], denom[i]));
            }
        }
        let mut f = Figures {
            equal: 0,
            compared: 0,
            secret: 0,
            missing: 0,
            shares_compared: 0,
            shares_secret: 0,
            max_gap: 0.0,
            worst: String::new(),
            examples: Vec::new(),
            over: Vec::new(),
        };
        let empty = serde_json::Map::new();
        let services = self
            .json
            .get("services")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (code, years) in services {
            for (y, figures) in years.as_object().unwrap_or(&empty) {
                let Ok(y) = y.parse::<i64>() else { continue };
                for id in ["file_active", "entrees", "sorties"] {
                    let want = get_u64(figures, id) as f64;
                    match per_service.get(&(id.to_string(), code.clone(), y)) {
                        None if want == 0.0 => {}
                        None => f.missing += 1,
                        Some(None) => f.secret += 1,
                        Some(Some(got)) => {
                            f.compared += 1;
                            if (got - want).abs() < 1e-9 {
                                f.equal += 1;
                            } else if f.examples.len() < 8 {
                                f.examples
                                    .push(format!("{code} {y} {id} : publié {got}, vrai {want}"));
                            }
                        }
                    }
                }
            }
        }
        let parts = self
            .json
            .get("parts")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        for (y, by_id) in parts {
            let Ok(y) = y.parse::<i64>() else { continue };
            for (id, by_territory) in by_id.as_object().unwrap_or(&empty) {
                for (territory, cell) in by_territory.as_object().unwrap_or(&empty) {
                    let Some(want) = cell.get("part").and_then(Value::as_f64) else {
                        continue;
                    };
                    match shares.get(&(id.clone(), territory.clone(), y)) {
                        Some((Some(n), Some(d))) if *d > 0.0 => {
                            f.shares_compared += 1;
                            let gap = (100.0 * n / d - want).abs();
                            if gap > 0.3 {
                                let (tn, td) = (
                                    cell.get("numerateur")
                                        .and_then(Value::as_f64)
                                        .unwrap_or(-1.0),
                                    cell.get("denominateur")
                                        .and_then(Value::as_f64)
                                        .unwrap_or(-1.0),
                                );
                                f.over.push((
                                    gap,
                                    format!(
                                        "{id} {territory} {y} : {n}/{d} publié, {tn}/{td} vrai"
                                    ),
                                ));
                            }
                            if gap > f.max_gap {
                                f.max_gap = gap;
                                f.worst = format!(
                                    "{id} {territory} {y} : {:.2} % publié, {want:.2} % vrai",
                                    100.0 * n / d
                                );
                            }
                        }
                        _ => f.shares_secret += 1,
                    }
                }
            }
        }
        Ok(f)
    }

    /// Pairwise precision and recall of the linked table against the truth.
    pub fn check_linkage(&self, rows: &LinkedRows) -> Linkage {
        let fail = |note: String| Linkage {
            note: Some(note),
            all: (0.0, 0.0),
            cross: (0.0, 0.0),
        };
        // Rows of each source, in order.
        let mut by_source: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, &s) in rows.source.iter().enumerate() {
            if let Some(s) = rows.source_names.get(s as usize) {
                by_source.entry(s.as_str()).or_default().push(i);
            }
        }
        // Person, true child and sector of every truth record.
        let mut records: Vec<(u32, u64, bool)> = Vec::new();
        let empty = Vec::new();
        let sources = self
            .json
            .get("appariement")
            .and_then(Value::as_array)
            .unwrap_or(&empty);
        for s in sources {
            let name = s.get("source").and_then(Value::as_str).unwrap_or("");
            let children = s.get("enfants").and_then(Value::as_array).unwrap_or(&empty);
            let got = by_source.get(name).map_or(&[][..], Vec::as_slice);
            if got.len() != children.len() {
                return fail(format!(
                    "la source « {name} » a {} lignes appariées pour {} lignes vraies : vérité non comparable",
                    got.len(),
                    children.len()
                ));
            }
            for (&i, c) in got.iter().zip(children) {
                let p = rows.person[i];
                if p == u32::MAX {
                    return fail(format!("ligne sans personne dans « {name} »"));
                }
                records.push((p, c.as_u64().unwrap_or(u64::MAX), rows.ditep[i]));
            }
        }
        // Contingency of (person, child), with protection and DITEP counts.
        let mut cell: HashMap<(u32, u64), [u64; 2]> = HashMap::new();
        let mut person: HashMap<u32, [u64; 2]> = HashMap::new();
        let mut child: HashMap<u64, [u64; 2]> = HashMap::new();
        for &(p, c, d) in &records {
            let k = usize::from(d);
            cell.entry((p, c)).or_default()[k] += 1;
            person.entry(p).or_default()[k] += 1;
            child.entry(c).or_default()[k] += 1;
        }
        let all = |m: &[u64; 2]| pairs(m[0] + m[1]);
        let cross = |m: &[u64; 2]| m[0] * m[1];
        let ratio = |a: u64, b: u64| if b == 0 { 1.0 } else { a as f64 / b as f64 };
        let sum = |f: &dyn Fn(&[u64; 2]) -> u64, it: &mut dyn Iterator<Item = &[u64; 2]>| -> u64 {
            it.map(f).sum()
        };
        let tp = sum(&all, &mut cell.values());
        let pred = sum(&all, &mut person.values());
        let real = sum(&all, &mut child.values());
        let tp_x = sum(&cross, &mut cell.values());
        let pred_x = sum(&cross, &mut person.values());
        let real_x = sum(&cross, &mut child.values());
        Linkage {
            note: None,
            all: (ratio(tp, pred), ratio(tp, real)),
            cross: (ratio(tp_x, pred_x), ratio(tp_x, real_x)),
        }
    }
}

/// Pairs of records that fall in different groups, from (group, records) counts.
fn pairs_across<K: Ord>(counts: impl Iterator<Item = (K, u64)>) -> u64 {
    let mut per: BTreeMap<K, u64> = BTreeMap::new();
    for (k, n) in counts {
        *per.entry(k).or_default() += n;
    }
    pairs(per.values().sum()) - per.values().map(|&n| pairs(n)).sum::<u64>()
}

/// Which child and sector each linked record is, by the truth (`None` when the rows do
/// not match the truth's sources).
fn truth_records(truth: &Value, rows: &LinkedRows) -> Option<Vec<(u32, u64, bool)>> {
    let mut by_source: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, &s) in rows.source.iter().enumerate() {
        if let Some(s) = rows.source_names.get(s as usize) {
            by_source.entry(s.as_str()).or_default().push(i);
        }
    }
    let mut records = Vec::new();
    for s in truth.get("appariement")?.as_array()? {
        let name = s.get("source").and_then(Value::as_str)?;
        let children = s.get("enfants").and_then(Value::as_array)?;
        let got = by_source.get(name).map_or(&[][..], Vec::as_slice);
        if got.len() != children.len() {
            return None;
        }
        for (&i, c) in got.iter().zip(children) {
            records.push((rows.person[i], c.as_u64()?, rows.ditep[i]));
        }
    }
    Some(records)
}

impl Truth {
    /// Prints the largest linkage errors with the synthetic identities behind them
    /// (`--diagnostic`): false merges (one person, several children) and missed links
    /// (one child, several persons), most pairs first.
    pub fn diagnose(&self, rows: &LinkedRows, net: &observatoire_exemple::national::Network) {
        use observatoire_exemple::national::Kind;
        let Some(records) = truth_records(&self.json, rows) else {
            println!("Diagnostic : lignes non comparables à la vérité");
            return;
        };
        let mut identity: HashMap<(u64, bool), usize> = HashMap::new();
        for r in &net.records {
            identity.insert(
                (r.child, net.services[r.service].kind == Kind::Ditep),
                r.identity,
            );
        }
        let show = |c: u64, d: bool| -> String {
            match identity.get(&(c, d)).and_then(|&i| net.identities.get(i)) {
                Some(id) => {
                    format!(
                        "{} {} | {} | {} | {} | mère {}",
                        if d { "DITEP" } else { "PE   " },
                        c,
                        id.nom,
                        id.prenom,
                        id.date_naissance,
                        id.nom_mere.as_deref().unwrap_or("—")
                    ) + &format!(" | {}", id.sexe)
                }
                None => format!("{c} {d} ?"),
            }
        };
        if let Ok(path) = std::env::var("NATIONAL_DIAG_TSV") {
            use std::io::Write;
            let mut seen = std::collections::HashSet::new();
            if let Ok(f) = std::fs::File::create(&path) {
                let mut w = std::io::BufWriter::new(f);
                for &(p, c, d) in &records {
                    if !seen.insert((p, c, d)) {
                        continue;
                    }
                    if let Some(id) = identity.get(&(c, d)).and_then(|&i| net.identities.get(i)) {
                        let _ = writeln!(
                            w,
                            "{c}\t{}\t{p}\t{}\t{}\t{}\t{}\t{}",
                            u8::from(d),
                            id.nom,
                            id.prenom,
                            id.date_naissance,
                            id.sexe,
                            id.nom_mere.as_deref().unwrap_or("")
                        );
                    }
                }
            }
        }
        if let Ok(path) = std::env::var("NATIONAL_DIAG_RECORDS") {
            use std::io::Write;
            if let Ok(f) = std::fs::File::create(&path) {
                let mut w = std::io::BufWriter::new(f);
                for r in &net.records {
                    let s = &net.services[r.service];
                    let _ = writeln!(
                        w,
                        "{}\t{}\t{}\t{}\t{}\t{}",
                        r.child,
                        s.code,
                        s.departement,
                        r.start,
                        r.end.map(|e| e.to_string()).unwrap_or_default(),
                        r.measure
                    );
                }
            }
        }
        let mut by_person: HashMap<u32, BTreeMap<(u64, bool), u64>> = HashMap::new();
        let mut by_child: HashMap<u64, BTreeMap<(u32, bool), u64>> = HashMap::new();
        for &(p, c, d) in &records {
            *by_person.entry(p).or_default().entry((c, d)).or_default() += 1;
            *by_child.entry(c).or_default().entry((p, d)).or_default() += 1;
        }
        let mut merges: Vec<(u64, u32)> = by_person
            .iter()
            .map(|(&p, m)| (pairs_across(m.iter().map(|(&(c, _), &n)| (c, n))), p))
            .filter(|(w, _)| *w > 0)
            .collect();
        merges.sort_by(|a, b| b.cmp(a));
        let total: u64 = merges.iter().map(|m| m.0).sum();
        let cross_merges = merges
            .iter()
            .filter(|(_, p)| {
                let m = &by_person[p];
                m.keys().any(|k| k.1) && m.keys().any(|k| !k.1)
            })
            .count();
        println!(
            "Diagnostic — fusions à tort : {} personnes, {} paires fausses ({} personnes mêlant les deux secteurs)",
            merges.len(),
            total,
            cross_merges
        );
        // Categories of the false merges: what the first two children's identities share.
        let mut categories: BTreeMap<String, (u64, u64)> = BTreeMap::new();
        for (w, p) in &merges {
            let m = &by_person[p];
            let mut seen: Vec<(u64, bool)> = Vec::new();
            for &(c, d) in m.keys() {
                if !seen.iter().any(|s| s.0 == c) {
                    seen.push((c, d));
                }
            }
            let id = |k: (u64, bool)| identity.get(&k).and_then(|&i| net.identities.get(i));
            let (Some(a), Some(b)) = (id(seen[0]), seen.get(1).and_then(|&k| id(k))) else {
                continue;
            };
            use observatoire_exemple::names::fold;
            let eq = |x: &str, y: &str| fold(x) == fold(y);
            let date = if a.date_naissance == b.date_naissance {
                "date="
            } else {
                "date≠"
            };
            let mother = match (&a.nom_mere, &b.nom_mere) {
                (Some(x), Some(y)) if eq(x, y) => "mère=",
                (Some(_), Some(_)) => "mère≠",
                _ => "mère?",
            };
            let sectors = match (seen[0].1, seen[1].1) {
                (false, false) => "PE×PE",
                (true, true) => "DITEP×DITEP",
                _ => "PE×DITEP",
            };
            let key = format!(
                "{sectors} nom{} prénom{} {date} {mother} sexe{}",
                if eq(&a.nom, &b.nom) { "=" } else { "≠" },
                if eq(&a.prenom, &b.prenom) { "=" } else { "≠" },
                if a.sexe == b.sexe { "=" } else { "≠" },
            );
            let e = categories.entry(key).or_default();
            e.0 += 1;
            e.1 += w;
        }
        let mut categories: Vec<(String, (u64, u64))> = categories.into_iter().collect();
        categories.sort_by_key(|c| std::cmp::Reverse(c.1.1));
        for (k, (n, w)) in &categories {
            println!("  catégorie {k} : {n} personnes, {w} paires fausses");
        }
        for (w, p) in merges.iter().take(40) {
            println!("  personne {p} : {w} paires fausses");
            for (&(c, d), &n) in &by_person[p] {
                println!("    {n} × {}", show(c, d));
            }
        }
        let mut splits: Vec<(u64, u64)> = by_child
            .iter()
            .map(|(&c, m)| (pairs_across(m.iter().map(|(&(p, _), &n)| (p, n))), c))
            .filter(|(w, _)| *w > 0)
            .collect();
        splits.sort_by(|a, b| b.cmp(a));
        let total: u64 = splits.iter().map(|m| m.0).sum();
        println!(
            "Diagnostic — liens manqués : {} enfants coupés, {} paires manquées",
            splits.len(),
            total
        );
        for (w, c) in splits.iter().take(40) {
            println!("  enfant {c} : {w} paires manquées");
            for (&(p, d), &n) in &by_child[c] {
                println!("    personne {p} : {n} × {}", show(*c, d));
            }
        }
    }
}
