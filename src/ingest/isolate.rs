//! Reading a workbook in a child process, so that an abort inside a library (an
//! allocation that fails, a stack overflow, a bug) cannot take the run down. Owns the
//! process-wide switch, the number of files read at once ([`reading_lanes`]), the hidden
//! worker command, the child's memory limit and the compact binary encoding of the
//! request (stdin) and of the grids or the error (stdout).
//!
//! The binary turns isolation on in `main`; the library (its tests, the fuzz target) reads
//! in process unless told otherwise. The child re-executes the same binary
//! (`std::env::current_exe()`) with [`WORKER_COMMAND`], an empty environment (no keys),
//! stderr discarded (a library may print its own English text there), sets an
//! address-space limit on itself ([`Limits::reader_memory_bytes`]) before reading
//! anything, reads the selected sheets with [`read_workbook_in_process`] and streams them
//! back, then waits for the next workbook: children are kept between workbooks during the
//! reading ([`pool`], [`Session`]). A child that dies — signal, abort, truncated or
//! malformed stream — becomes a [`SourceError`] naming the file, in French, once a fresh
//! child has died on it too.

use std::io::{self, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use super::grid::{Cell, Grid};
use super::limits::Limits;
use super::prescan::raise_hint;
use super::workbook::{SheetSelection, WorkbookRead, read_workbook_in_process};
use crate::error::{SourceError, SourceErrorKind};

/// The hidden command the binary answers to when it is the reading child.
pub const WORKER_COMMAND: &str = "__lecture-isolee";

static ENABLED: AtomicBool = AtomicBool::new(false);

/// Largest peak resident set a reading child reported, in kB.
static LARGEST_CHILD_PEAK_KB: AtomicU64 = AtomicU64::new(0);

/// The largest peak resident set a reading child reported since the last call, in kB
/// (0: none, or not Linux), and starts over. Each child measures itself after `exec`:
/// the `RUSAGE_CHILDREN` maximum cannot tell, since a child spawned by `posix_spawn`
/// shares the parent's pages until `exec` and the kernel counts them as the child's.
pub fn take_largest_child_peak_kb() -> u64 {
    LARGEST_CHILD_PEAK_KB.swap(0, Ordering::SeqCst)
}

/// This process's peak resident set (`VmHWM`), in kB (Linux; 0 elsewhere).
pub fn own_peak_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// The most files read at once: one a core, and one more when workbooks are read in
/// child processes. A workbook's task waits for its child while the child parses, then
/// maps what it sent while the child waits for the next request; with one task a core, a
/// core idled whenever both tasks waited at once (docs/architecture.md, « Reading
/// lanes »).
pub fn reading_lanes() -> usize {
    let cores = rayon::current_num_threads().max(1);
    if enabled() { cores + 1 } else { cores }
}

/// Runs `read` in a thread pool of [`reading_lanes`] threads when some of its files are
/// workbooks read in child processes (`workbooks`); in the current pool otherwise (no
/// task would wait), or when a pool cannot be made.
pub(super) fn in_reading_lanes<R: Send>(workbooks: bool, read: impl FnOnce() -> R + Send) -> R {
    let lanes = reading_lanes();
    if !workbooks || lanes == rayon::current_num_threads() {
        return read();
    }
    match rayon::ThreadPoolBuilder::new().num_threads(lanes).build() {
        Ok(pool) => pool.install(read),
        Err(_) => read(),
    }
}

/// Turns isolated reading on (or off) for the whole process.
pub fn set_enabled(on: bool) {
    ENABLED.store(on, Ordering::SeqCst);
}

/// Whether workbooks are read in a child process.
pub fn enabled() -> bool {
    ENABLED.load(Ordering::SeqCst)
}

const REQUEST_MAGIC: &[u8; 8] = b"OBSREQ01";
const RESPONSE_MAGIC: &[u8; 8] = b"OBSREP01";
const END_MAGIC: &[u8; 4] = b"FIN.";

fn crashed(display: &str) -> SourceError {
    SourceError {
        file: display.to_string(),
        sheet: None,
        kind: SourceErrorKind::TooLarge(format!(
            "la lecture du classeur s'est arrêtée anormalement, le plus souvent faute de mémoire ; {}",
            raise_hint("memoire_lecture_mo")
        )),
    }
}

/// Reads the selected sheets of `path` in a child process (one kept from an earlier
/// workbook when there is one, [`pool`]).
pub fn read_in_child(
    path: &Path,
    display: &str,
    selection: &SheetSelection,
    limits: &Limits,
) -> Result<WorkbookRead, SourceError> {
    let not_started = || {
        SourceError {
        file: display.to_string(),
        sheet: None,
        kind: SourceErrorKind::Corrupt(
            "le lecteur isolé de classeurs n'a pas pu démarrer, programme déplacé ou mémoire épuisée : relancez la commande".into(),
        ),
    }
    };
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let request =
        framed_request(&absolute, display, selection, limits).map_err(|_| not_started())?;
    let (memory, seconds) = (limits.reader_memory_bytes, limits.reader_seconds);
    let worker = Worker::take(memory).map_err(|_| not_started())?;
    if !worker.used {
        return settle(worker.ask(&request, display, seconds), display, seconds);
    }
    // A kept child may have died of what earlier workbooks left, or reported an error
    // that is only theirs (memory it still holds made an allocation fail): a fresh one
    // judges this workbook alone. A kept child is not slower: a late answer stands.
    match worker.ask(&request, display, seconds) {
        Answer::Read(Ok(read), worker) => {
            worker.give_back();
            Ok(read)
        }
        Answer::Read(Err(_), worker) => {
            worker.retire();
            let fresh = Worker::spawn(memory).map_err(|_| not_started())?;
            settle(fresh.ask(&request, display, seconds), display, seconds)
        }
        Answer::Late => Err(too_slow(display, seconds)),
        Answer::Died => {
            let fresh = Worker::spawn(memory).map_err(|_| not_started())?;
            settle(fresh.ask(&request, display, seconds), display, seconds)
        }
    }
}

/// The outcome of an answer that stands: what was read or the error reported (the
/// child kept for the next workbook), too slow, or dead.
fn settle(answer: Answer, display: &str, seconds: u64) -> Result<WorkbookRead, SourceError> {
    match answer {
        Answer::Read(result, worker) => {
            worker.give_back();
            result
        }
        Answer::Late => Err(too_slow(display, seconds)),
        Answer::Died => Err(crashed(display)),
    }
}

/// A request as the parent writes it to a child: its length (u64), then its bytes.
#[doc(hidden)]
pub fn framed_request(
    path: &Path,
    display: &str,
    selection: &SheetSelection,
    limits: &Limits,
) -> io::Result<Vec<u8>> {
    let mut body = Vec::new();
    encode_request(&mut body, path, display, selection, limits)?;
    let mut framed = Vec::with_capacity(body.len() + 8);
    put_u64(&mut framed, body.len() as u64)?;
    framed.extend_from_slice(&body);
    Ok(framed)
}

/// Ends the reading children kept for the next workbook; a guard of the reading stage
/// ([`Session`]) calls it.
pub fn release_workers() {
    pool::release();
}

/// The reading stage's guard: dropped (at the end of the reading, or on its error), it
/// ends the idle children. A reading without one (`proposer`) leaves its idle children
/// until the process exits, which ends them (their input closes).
pub struct Session(());

impl Session {
    pub fn begin() -> Session {
        Session(())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        release_workers();
    }
}

fn too_slow(display: &str, seconds: u64) -> SourceError {
    SourceError {
        file: display.to_string(),
        sheet: None,
        kind: SourceErrorKind::TooLarge(format!(
            "lecture du classeur arrêtée après {seconds} s ; {}",
            raise_hint("duree_lecture_s")
        )),
    }
}

#[cfg(unix)]
fn stop(pid: u32) {
    if let Ok(pid) = libc::pid_t::try_from(pid) {
        // SAFETY: `kill` takes plain integers; `pid` is our own child, not yet reaped.
        unsafe {
            libc::kill(pid, libc::SIGKILL);
        }
    }
}

#[cfg(not(unix))]
fn stop(_pid: u32) {}

/// The worker: answers requests from stdin on stdout, one at a time, each request its
/// length (u64) then its bytes, until its input ends. Returns the exit code: 0 at the end
/// of its input after at least one request; 2 for no request or a malformed one; 3 when
/// it cannot write its answer.
pub fn worker_main() -> u8 {
    // Nothing of a panic goes anywhere (stderr is discarded by the parent anyway).
    std::panic::set_hook(Box::new(|_| {}));
    let mut input = io::stdin().lock();
    let mut limited = false;
    loop {
        // The end of the input is clean only before a request's first byte.
        let mut len = [0u8; 8];
        match input.read(&mut len[..1]) {
            Ok(0) if limited => return 0,
            Ok(1) => {}
            _ => return 2,
        }
        if input.read_exact(&mut len[1..]).is_err() {
            return 2;
        }
        let len = u64::from_le_bytes(len);
        if len > 1 << 20 {
            return 2;
        }
        let mut request = Vec::new();
        if (&mut input).take(len).read_to_end(&mut request).is_err() || request.len() as u64 != len
        {
            return 2;
        }
        let Ok((path, display, selection, limits)) = decode_request(&mut request.as_slice()) else {
            return 2;
        };
        // Set once: the parent only sends a child requests with the limit it set.
        if !limited {
            limit_memory(limits.reader_memory_bytes);
            limited = true;
        }
        let result = read_workbook_in_process(&path, &display, &selection, &limits);
        let peak = own_peak_kb();
        // Made under the limit, like everything the answer needs.
        let mut out = BufWriter::with_capacity(1 << 16, io::stdout().lock());
        if encode_response(&mut out, &result, peak)
            .and_then(|()| out.flush())
            .is_err()
        {
            return 3;
        }
    }
}

#[cfg(unix)]
fn limit_memory(bytes: u64) {
    let bytes = libc::rlim_t::try_from(bytes).unwrap_or(libc::RLIM_INFINITY);
    let lim = libc::rlimit {
        rlim_cur: bytes,
        rlim_max: bytes,
    };
    // SAFETY: `setrlimit` only reads the fully initialised struct passed by reference;
    // it changes this (child) process's own limit and shares no memory.
    unsafe {
        libc::setrlimit(libc::RLIMIT_AS, &lim);
    }
}

#[cfg(not(unix))]
fn limit_memory(_bytes: u64) {}

mod pool;
mod wire;
use pool::{Answer, Worker};
use wire::*;

#[cfg(test)]
mod tests;
