//! Shared helpers: temporary directories, the shared fixtures folder, pipelines from text.

use std::path::{Path, PathBuf};

use observatoire::pipeline::Pipeline;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh empty directory under the system temp dir, unique per call (tests run in
/// parallel and several may build the same fixture).
pub fn temp_dir(name: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let d = std::env::temp_dir().join(format!("observatoire-it-{name}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `../shared/fixtures/<name>` when present; otherwise prints why the test is skipped.
pub fn fixture(name: &str) -> Option<PathBuf> {
    let p = repo().join("../shared/fixtures").join(name);
    if p.is_file() {
        Some(p)
    } else {
        eprintln!(
            "IGNORÉ : {} absent (dossier ../shared/fixtures/ non disponible)",
            p.display()
        );
        None
    }
}

/// Writes `text` as `pipeline.toml` in `dir` and parses it.
pub fn pipeline(dir: &Path, text: &str) -> Pipeline {
    let path = dir.join("pipeline.toml");
    std::fs::write(&path, text).unwrap();
    Pipeline::load(&path).unwrap_or_else(|e| panic!("{e}"))
}

/// A column as text; a binary one (the Bloom encodings) in hexadecimal.
pub fn strings(df: &polars::prelude::DataFrame, col: &str) -> Vec<Option<String>> {
    let c = df.column(col).unwrap();
    if let Ok(b) = c.binary() {
        return b.iter().map(|v| v.map(hex::encode)).collect();
    }
    c.str()
        .unwrap()
        .iter()
        .map(|v| v.map(str::to_string))
        .collect()
}

pub fn floats(df: &polars::prelude::DataFrame, col: &str) -> Vec<Option<f64>> {
    use polars::prelude::DataType;
    df.column(col)
        .unwrap()
        .cast(&DataType::Float64)
        .unwrap()
        .f64()
        .unwrap()
        .iter()
        .collect()
}

pub fn ints(df: &polars::prelude::DataFrame, col: &str) -> Vec<Option<i32>> {
    use polars::prelude::DataType;
    df.column(col)
        .unwrap()
        .cast(&DataType::Int32)
        .unwrap()
        .i32()
        .unwrap()
        .iter()
        .collect()
}

/// Rewrites one part of a zipped workbook (xlsx, ods) in place with `edit`.
pub fn rewrite_zip_part(path: &Path, part: &str, edit: impl Fn(String) -> String) {
    use std::io::{Read, Write};
    let src = std::fs::read(path).unwrap();
    let mut zin = zip::ZipArchive::new(std::io::Cursor::new(src)).unwrap();
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for i in 0..zin.len() {
        let mut f = zin.by_index(i).unwrap();
        let name = f.name().unwrap().to_string();
        let mut data = Vec::new();
        f.read_to_end(&mut data).unwrap();
        if name == part {
            data = edit(String::from_utf8(data).unwrap()).into_bytes();
        }
        out.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        out.write_all(&data).unwrap();
    }
    std::fs::write(path, out.finish().unwrap().into_inner()).unwrap();
}
