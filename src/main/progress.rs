//! Progress of a run on stderr: one line per stage with its elapsed time, a bar with the
//! files read and the time left while reading (indicatif). Drawn only when stderr is a
//! terminal and `--silencieux` is not given; `--verbeux` also prints each stage's
//! duration as a plain line, terminal or not.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use observatoire::run::stage;

/// The French name of a stage.
fn label(stage: &str) -> &'static str {
    match stage {
        stage::READ => "Lecture des tableurs",
        stage::PSEUDONYMISE => "Pseudonymisation",
        stage::LINK => "Appariement",
        stage::INDICATORS => "Calcul des indicateurs",
        stage::DISCLOSURE => "Secret statistique",
        stage::PUBLISH => "Écriture des résultats",
        _ => "Fin",
    }
}

fn seconds(d: Duration) -> String {
    format!("{:.1} s", d.as_secs_f64()).replace('.', ",")
}

pub struct Progress {
    draw: bool,
    verbose: bool,
    /// The bar of the stage being run.
    bar: ProgressBar,
    /// The files bar, shared with the reading threads before the run starts.
    files: ProgressBar,
    current: Option<(&'static str, Instant)>,
}

impl Progress {
    pub fn new(silent: bool, verbose: bool) -> Progress {
        let draw = !silent && std::io::IsTerminal::is_terminal(&std::io::stderr());
        let mut p = Progress {
            draw,
            verbose,
            bar: ProgressBar::hidden(),
            files: ProgressBar::hidden(),
            current: None,
        };
        p.files =
            p.new_bar("{msg} [{bar:30}] {pos}/{len} fichiers, {elapsed} écoulées, reste ≈ {eta}");
        p
    }

    fn new_bar(&self, template: &str) -> ProgressBar {
        if !self.draw {
            return ProgressBar::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    }

    /// A stage begins (the previous one ends).
    pub fn stage(&mut self, name: &'static str) {
        let now = Instant::now();
        if let Some((prev, start)) = self.current.take() {
            let line = format!("{} : {}", label(prev), seconds(now - start));
            if self.draw {
                self.bar.finish_and_clear();
                eprintln!("✓ {line}");
            } else if self.verbose {
                eprintln!("{line}");
            }
        }
        if name == stage::END {
            return;
        }
        self.current = Some((name, now));
        self.bar = if name == stage::READ {
            self.files.reset_elapsed();
            self.files.clone()
        } else {
            let b = self.new_bar("{spinner} {msg}… {elapsed}");
            b.enable_steady_tick(Duration::from_millis(120));
            b
        };
        self.bar.set_message(label(name));
    }

    /// The callback the reading threads call after each file: (done, total).
    pub fn files(&self) -> impl Fn(usize, usize) + Sync + use<> {
        let bar = self.files.clone();
        move |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        }
    }

    /// Clears what is drawn (on success or error).
    pub fn clear(&mut self) {
        self.bar.finish_and_clear();
    }
}
