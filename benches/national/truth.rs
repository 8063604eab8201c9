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
