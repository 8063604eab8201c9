//! `indicateurs.parquet` for analysts: labels, perimeters, territory names, value units
//! and breakdown order as columns, and the Hive-partitioned dataset by year that
//! DuckDB, Spark or pyarrow read one year at a time.

use observatoire::publish::paths;
use polars::prelude::*;

use crate::demo::demo_output;
use crate::util::{floats, strings};

fn read(path: &std::path::Path) -> DataFrame {
    ParquetReader::new(std::fs::File::open(path).unwrap())
        .finish()
        .unwrap()
}

#[test]
fn the_dataset_by_year_holds_the_table() {
    let out = demo_output();
    let whole = read(&out.join(paths::INDICATORS));
    let dir = out.join("indicateurs");
    let mut years: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    years.sort();
    // The period 2020–2023, and the COPIL targets of 2024 to 2027 (N+4).
    assert_eq!(
        years,
        (2020..=2027)
            .map(|y| format!("annee={y}"))
            .collect::<Vec<_>>()
    );
    let mut rows = 0;
    for y in &years {
        let part = read(&dir.join(y).join("part-0.parquet"));
        let year: i32 = y.trim_start_matches("annee=").parse().unwrap();
        // The partition is the table's rows of that year, in the table's order.
        let expected = whole
            .clone()
            .lazy()
            .filter(col("periode").eq(lit(year)))
            .collect()
            .unwrap();
        assert!(part.equals_missing(&expected), "{y}");
        rows += part.height();
    }
    assert_eq!(rows, whole.height());
}

#[test]
fn analysts_columns_on_the_demo() {
    let df = read(&demo_output().join(paths::INDICATORS));
    let (unit, kind, factor) = (
        strings(&df, "unite"),
        strings(&df, "unite_valeur"),
        floats(&df, "facteur_affichage"),
    );
    let (value, perimeter, name) = (
        floats(&df, "valeur"),
        strings(&df, "perimetre"),
        strings(&df, "nom_territoire"),
    );
    let (level, code, label) = (
        strings(&df, "niveau_territoire"),
        strings(&df, "code_territoire"),
        strings(&df, "libelle_indicateur"),
    );
    for i in 0..df.height() {
        assert!(label[i].is_some());
        match unit[i].as_deref() {
            Some("%") => {
                assert_eq!(
                    (kind[i].as_deref(), factor[i]),
                    (Some("proportion"), Some(100.0))
                );
            }
            Some("‰") => {
                assert_eq!(
                    (kind[i].as_deref(), factor[i]),
                    (Some("proportion"), Some(1000.0))
                );
                assert!(
                    value[i].is_none_or(|v| v < 1.0),
                    "a rate per 1 000 is a proportion"
                );
            }
            _ => assert_eq!((kind[i].as_deref(), factor[i]), (Some("nombre"), Some(1.0))),
        }
        if level[i].as_deref() == Some("departement") && code[i].as_deref() == Some("15") {
            assert_eq!(name[i].as_deref(), Some("Cantal"));
        }
        if perimeter[i].as_deref() == Some("reseau") {
            assert!(name[i].is_none());
        }
    }
    for p in [
        "service",
        "organisation",
        "departement",
        "territoire_interne",
        "reseau",
    ] {
        assert!(perimeter.iter().any(|x| x.as_deref() == Some(p)), "{p}");
    }
    // Age bands: `ordre_modalite` follows the age, not the text (« 11-15 ans » after
    // « 6-10 ans »).
    let (dim, modality) = (strings(&df, "ventilation"), strings(&df, "modalite"));
    let order = df
        .column("ordre_modalite")
        .unwrap()
        .cast(&DataType::Int64)
        .unwrap();
    let order = order.i64().unwrap();
    let rank = |band: &str| {
        (0..df.height())
            .find(|&i| {
                dim[i].as_deref() == Some("tranche_age") && modality[i].as_deref() == Some(band)
            })
            .and_then(|i| order.get(i))
            .unwrap()
    };
    assert!(rank("0-2 ans") < rank("3-5 ans"));
    assert!(rank("3-5 ans") < rank("6-10 ans"));
    assert!(rank("6-10 ans") < rank("11-15 ans"));
    assert!(rank("16-17 ans") < rank("21 ans et plus"));
}

/// pyarrow reads the dataset with its Hive partitions (`annee` from the folder names)
/// and filters one year without reading the others.
#[test]
fn pyarrow_reads_the_hive_dataset() {
    let dir = demo_output().join("indicateurs");
    let script = "import sys, pyarrow.dataset as ds\n\
                  d = ds.dataset(sys.argv[1], format='parquet', partitioning='hive')\n\
                  t = d.to_table(filter=ds.field('annee') == 2021)\n\
                  print(t.num_rows, len(d.files), set(t.column('periode').to_pylist()))";
    let out = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&dir)
        .output();
    let ok = matches!(&out, Ok(o) if o.status.success());
    if !ok {
        let why = out
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .unwrap_or_else(|e| e.to_string());
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "pyarrow requis en CI : {why}"
        );
        eprintln!(
            "IGNORÉ : pyarrow indisponible ({})",
            why.lines().last().unwrap_or("")
        );
        return;
    }
    let text = String::from_utf8(out.unwrap().stdout).unwrap();
    let whole = read(&demo_output().join(paths::INDICATORS));
    let n2021 = whole
        .column("periode")
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .filter(|p| *p == Some(2021))
        .count();
    assert_eq!(text.trim(), format!("{n2021} 8 {{2021}}"));
}
