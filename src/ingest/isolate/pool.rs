//! The reading children kept between workbooks. Starting a child costs a few
//! milliseconds of CPU (the C library's start-up, the binary's pages), more than reading
//! a small workbook: a national network has over a thousand. So a child that answered is
//! kept and given the next workbook, one at a time; the parent keeps at most one idle
//! child per thread that reads. A child that dies, answers late or answers garbage is
//! never reused.
//!
//! Nothing a workbook does may change how another is judged: a child that dies on a
//! workbook, or reports an error, after reading others (whose memory it may still hold)
//! does not condemn it — the workbook is read again by a fresh child, which judges it as
//! if it had been the only one (the rule before children were kept).

use std::io::{self, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{SourceError, WORKER_COMMAND, WorkbookRead, decode_response, stop};

/// A reading child waiting for a request.
pub(super) struct Worker {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    /// The memory limit it set on itself with its first request (a limit, once set,
    /// cannot be raised): it only takes requests with this limit.
    memory: u64,
    /// Whether it has answered a request before.
    pub(super) used: bool,
}

/// Idle children.
static IDLE: Mutex<Vec<Worker>> = Mutex::new(Vec::new());

/// How a child answered one request.
pub(super) enum Answer {
    /// What it read (or the error it reported), and the child, alive and ready.
    Read(Result<WorkbookRead, SourceError>, Worker),
    /// It took longer than the limit (it was stopped).
    Late,
    /// It died, or its answer could not be decoded (it was stopped).
    Died,
}

impl Worker {
    /// An idle child with this memory limit, or a new one.
    pub(super) fn take(memory: u64) -> io::Result<Worker> {
        let idle = {
            let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
            idle.iter()
                .rposition(|w| w.memory == memory)
                .map(|i| idle.swap_remove(i))
        };
        match idle {
            Some(w) => Ok(w),
            None => Worker::spawn(memory),
        }
    }

    /// A new child: the same binary, the hidden command, an empty environment (no keys),
    /// stderr discarded.
    pub(super) fn spawn(memory: u64) -> io::Result<Worker> {
        let mut child = Command::new(std::env::current_exe()?)
            .arg(WORKER_COMMAND)
            .env_clear()
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(io::Error::other("pipes"));
        };
        Ok(Worker {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            memory,
            used: false,
        })
    }

    /// Sends one request ([`super::framed_request`]) and reads the answer, within
    /// `seconds`.
    pub(super) fn ask(mut self, request: &[u8], display: &str, seconds: u64) -> Answer {
        // A watchdog stops this very child (by its id, before it is reaped: the id
        // cannot have been reused) when it takes longer than the limit.
        let (done, wait_done) = std::sync::mpsc::channel::<()>();
        let started = Instant::now();
        let pid = self.child.id();
        let watchdog = std::thread::spawn(move || {
            let late = wait_done.recv_timeout(Duration::from_secs(seconds))
                == Err(std::sync::mpsc::RecvTimeoutError::Timeout);
            if late {
                stop(pid);
            }
            late
        });
        let wrote = self
            .stdin
            .write_all(request)
            .and_then(|()| self.stdin.flush());
        let decoded = match wrote {
            Ok(()) => decode_response(&mut self.stdout, display).ok(),
            Err(_) => None,
        };
        let _ = done.send(());
        // Late also when the answer came after the limit but before the watchdog ran
        // (the limit is the same whichever thread sees it first).
        let late =
            watchdog.join().unwrap_or(false) || started.elapsed() >= Duration::from_secs(seconds);
        match decoded {
            _ if late => {
                self.stop();
                Answer::Late
            }
            Some(result) => {
                self.used = true;
                Answer::Read(result, self)
            }
            None => {
                self.stop();
                Answer::Died
            }
        }
    }

    /// Keeps the child for the next workbook, unless as many are idle as threads read.
    pub(super) fn give_back(self) {
        let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < rayon::current_num_threads().max(1) {
            idle.push(self);
        } else {
            drop(idle);
            self.end();
        }
    }

    /// Ends a child that answered but is not to be kept.
    pub(super) fn retire(self) {
        self.end();
    }

    /// Stops a child that may still be writing, and reaps it.
    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Ends an idle child: at the end of its input it exits; then it is reaped.
    fn end(self) {
        let Worker {
            mut child, stdin, ..
        } = self;
        drop(stdin);
        let _ = child.wait();
    }
}

/// Ends the idle children (at the end of the reading; a run's process that exits ends
/// them too: their input closes).
pub fn release() {
    let idle = std::mem::take(&mut *IDLE.lock().unwrap_or_else(|e| e.into_inner()));
    for w in idle {
        w.end();
    }
}
