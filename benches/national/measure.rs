//! Per-stage wall time, CPU time and peak memory, and the reading floor.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use calamine::{Data, Reader, open_workbook_auto};
use observatoire::ingest::isolate;

/// CPU seconds (user + system) of this process (`RUSAGE_SELF`) or of its waited-for
/// children (`RUSAGE_CHILDREN`), and the largest resident set in kB.
fn rusage(who: libc::c_int) -> (f64, u64) {
    // SAFETY: getrusage fills the zeroed struct it is given and reads nothing else.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `u` is a valid, exclusively borrowed rusage.
    if unsafe { libc::getrusage(who, &mut u) } != 0 {
        return (0.0, 0);
    }
    let t = |tv: libc::timeval| tv.tv_sec as f64 + tv.tv_usec as f64 / 1e6;
    (t(u.ru_utime) + t(u.ru_stime), u.ru_maxrss.max(0) as u64)
}

fn cpu_self() -> f64 {
    rusage(libc::RUSAGE_SELF).0
}

/// Resets this process's peak resident set (VmHWM) to its current size (Linux).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// This process's peak resident set since the last reset, in kB (Linux; 0 elsewhere).
fn peak_kb() -> u64 {
    isolate::own_peak_kb()
}

struct Open {
    name: &'static str,
    start: Instant,
    cpu: f64,
    cpu_children: f64,
    paused_wall: f64,
    paused_cpu: f64,
}

struct Done {
    name: &'static str,
    wall: f64,
    cpu: f64,
    cpu_children: f64,
    peak_kb: u64,
    /// Largest peak a reading child reported during the stage (its own, measured after
    /// `exec`: `RUSAGE_CHILDREN` would count the parent's pages a spawned child shares
    /// until then).
    children_peak_kb: u64,
}

/// Measures the stages a run announces.
pub struct Meter {
    open: Option<Open>,
    done: Vec<Done>,
    pause: Option<(Instant, f64)>,
}

impl Meter {
    pub fn new() -> Self {
        Meter {
            open: None,
            done: Vec::new(),
            pause: None,
        }
    }

    /// Stage `name` begins (`end`: the run is over).
    pub fn stage(&mut self, name: &'static str) {
        if let Some(o) = self.open.take() {
            let (cc, _) = rusage(libc::RUSAGE_CHILDREN);
            self.done.push(Done {
                name: o.name,
                wall: o.start.elapsed().as_secs_f64() - o.paused_wall,
                cpu: cpu_self() - o.cpu - o.paused_cpu,
                cpu_children: cc - o.cpu_children,
                peak_kb: peak_kb(),
                children_peak_kb: isolate::take_largest_child_peak_kb(),
            });
        }
        if name == observatoire::run::stage::END {
            return;
        }
        reset_peak();
        isolate::take_largest_child_peak_kb();
        let (cc, _) = rusage(libc::RUSAGE_CHILDREN);
        self.open = Some(Open {
            name,
            start: Instant::now(),
            cpu: cpu_self(),
            cpu_children: cc,
            paused_wall: 0.0,
            paused_cpu: 0.0,
        });
    }

    /// Stops the clocks (the bench's own work inside a stage).
    pub fn pause(&mut self) {
        self.pause = Some((Instant::now(), cpu_self()));
    }

    pub fn resume(&mut self) {
        if let (Some((t, c)), Some(o)) = (self.pause.take(), self.open.as_mut()) {
            o.paused_wall += t.elapsed().as_secs_f64();
            o.paused_cpu += cpu_self() - c;
        }
    }

    /// Largest peak of a stage, this process and its largest reading child together.
    pub fn peak_mb(&self) -> f64 {
        self.done
            .iter()
            .map(|d| (d.peak_kb + d.children_peak_kb) as f64 / 1024.0)
            .fold(0.0, f64::max)
    }

    /// CPU seconds of every stage, reading children included.
    pub fn cpu_total(&self) -> f64 {
        self.done.iter().map(|d| d.cpu + d.cpu_children).sum()
    }

    /// Prints the table; returns the total wall time.
    pub fn print(&self) -> Option<f64> {
        if self.done.is_empty() {
            return None;
        }
        println!(
            "{:<14} {:>10} {:>10} {:>14} {:>12} {:>16}",
            "étape", "durée (s)", "CPU (s)", "CPU enfants (s)", "pointe (Mo)", "pointe enfant (Mo)"
        );
        let mut total = (0.0, 0.0, 0.0);
        for d in &self.done {
            println!(
                "{:<14} {:>10.2} {:>10.2} {:>14.2} {:>12.0} {:>16}",
                d.name,
                d.wall,
                d.cpu,
                d.cpu_children,
                d.peak_kb as f64 / 1024.0,
                if d.children_peak_kb > 0 {
                    format!("{:.0}", d.children_peak_kb as f64 / 1024.0)
                } else {
                    "—".into()
                }
            );
            total.0 += d.wall;
            total.1 += d.cpu;
            total.2 += d.cpu_children;
        }
        println!(
            "{:<14} {:>10.2} {:>10.2} {:>14.2} {:>12.0}",
            "total",
            total.0,
            total.1,
            total.2,
            self.peak_mb()
        );
        Some(total.0)
    }
}

/// What reading every input file costs at least.
pub struct Floor {
    pub wall: f64,
    pub cpu: f64,
    pub threads: usize,
    pub workbooks: usize,
    pub cells: u64,
    pub csv_files: usize,
    pub csv_fields: u64,
}

fn input_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| format!("{} : {e}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !name.starts_with("sortie") {
                input_files(&p, out)?;
            }
        } else if name.ends_with(".xlsx") || name.ends_with(".ods") || name.ends_with(".csv") {
            out.push(p);
        }
    }
    Ok(())
}

/// Non-empty cells of every sheet of a workbook.
fn touch_workbook(path: &Path) -> Result<u64, String> {
    let mut wb = open_workbook_auto(path).map_err(|e| format!("{} : {e}", path.display()))?;
    let mut n = 0u64;
    for name in wb.sheet_names() {
        let range = wb
            .worksheet_range(&name)
            .map_err(|e| format!("{} : {e}", path.display()))?;
        n += range
            .used_cells()
            .filter(|(_, _, c)| !matches!(c, Data::Empty))
            .count() as u64;
    }
    Ok(n)
}

/// Fields of every record of a CSV file (separator from the first line).
fn touch_csv(path: &Path) -> Result<u64, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{} : {e}", path.display()))?;
    let first = bytes.split(|&b| b == b'\n').next().unwrap_or(&[]);
    let sep = if first.contains(&b';') { b';' } else { b',' };
    let mut r = csv::ReaderBuilder::new()
        .delimiter(sep)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes.as_slice());
    let mut n = 0u64;
    let mut rec = csv::ByteRecord::new();
    while r
        .read_byte_record(&mut rec)
        .map_err(|e| format!("{} : {e}", path.display()))?
    {
        n += rec.len() as u64;
    }
    Ok(n)
}

/// Reads every workbook (every cell) and every CSV file under `dir`, on all cores.
pub fn floor(dir: &Path) -> Result<Floor, String> {
    let mut files = Vec::new();
    input_files(dir, &mut files)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let next = AtomicUsize::new(0);
    let t = Instant::now();
    let cpu = cpu_self();
    let results: Vec<Result<(u64, u64, usize, usize), String>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    let (mut cells, mut fields, mut wbs, mut csvs) = (0, 0, 0, 0);
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(p) = files.get(i) else { break };
                        if p.extension().is_some_and(|e| e == "csv") {
                            fields += touch_csv(p)?;
                            csvs += 1;
                        } else {
                            cells += touch_workbook(p)?;
                            wbs += 1;
                        }
                    }
                    Ok((cells, fields, wbs, csvs))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err("fil de lecture interrompu".into()))
            })
            .collect()
    });
    let mut f = Floor {
        wall: t.elapsed().as_secs_f64(),
        cpu: cpu_self() - cpu,
        threads,
        workbooks: 0,
        cells: 0,
        csv_files: 0,
        csv_fields: 0,
    };
    for r in results {
        let (c, fl, w, k) = r?;
        f.cells += c;
        f.csv_fields += fl;
        f.workbooks += w;
        f.csv_files += k;
    }
    Ok(f)
}
