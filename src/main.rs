//! The `observatoire` command line. Parses arguments (help in French), runs the library
//! and maps its typed errors to the documented exit codes, once.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};
use observatoire::error::{Error, exit_code};
use observatoire::pipeline::Pipeline;
use observatoire::pseudonymise::keys::SecretKey;
use observatoire::{indicators, run};

#[path = "main/french.rs"]
mod french;
#[path = "main/progress.rs"]
mod progress;
#[path = "main/proposer.rs"]
mod proposer;

const MAIN_TEMPLATE: &str = "\
{before-help}{name} {version} — {about}

Utilisation : {usage}

{all-args}{after-help}";

/// Help of a command: its description, then the usage and the arguments.
const HELP_TEMPLATE: &str = "\
{before-help}{about-with-newline}
Utilisation : {usage}

{all-args}{after-help}";

#[derive(Parser)]
#[command(
    name = "observatoire",
    version,
    about = "des tableurs des associations aux indicateurs anonymes (Parquet, graphiques, rapport)",
    help_template = MAIN_TEMPLATE,
    disable_help_flag = true,
    disable_version_flag = true,
    disable_help_subcommand = true,
    subcommand_help_heading = "Commandes",
    subcommand_value_name = "COMMANDE",
    next_help_heading = "Options",
    after_help = "Codes de sortie : 0 succès ; 1 entrée invalide (pipeline, fichier, feuille ou colonne : rien n'est écrit) ; 2 erreur d'utilisation ; 3 erreur interne ou d'écriture ; 4 secret statistique non garanti (rien n'est écrit) ; 5 terminé, mais des lignes ou des fichiers ont été rejetés (voir validation/problemes.csv).\nExemple : observatoire executer pipelines/demo.toml"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Afficher l'aide
    #[arg(short = 'h', long = "aide", alias = "help", action = clap::ArgAction::Help, global = true)]
    aide: Option<bool>,
    /// Afficher la version
    #[arg(short = 'V', long = "version", action = clap::ArgAction::Version)]
    version: Option<bool>,
    /// Ne rien afficher pendant le traitement (ni barre ni étapes ; les erreurs restent affichées)
    #[arg(short = 'q', long = "silencieux", global = true)]
    silencieux: bool,
    /// Afficher aussi la durée de chaque étape, même hors d'un terminal
    #[arg(
        short = 'v',
        long = "verbeux",
        global = true,
        conflicts_with = "silencieux"
    )]
    verbeux: bool,
    /// Écrire sur la sortie standard un résumé JSON pour les scripts (schéma : docs/resume.schema.json) au lieu du texte
    #[arg(long = "json", global = true)]
    json: bool,
}

/// How the command reports while it works and when it ends.
struct Display {
    silent: bool,
    verbose: bool,
    json: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Exécuter un pipeline de bout en bout : lecture, pseudonymisation, indicateurs, Parquet, graphique, rapport.
    #[command(aliases = ["run", "exécuter"], help_template = HELP_TEMPLATE, next_help_heading = "Options")]
    Executer {
        /// Fichier pipeline (.toml)
        #[arg(value_name = "PIPELINE")]
        pipeline: PathBuf,
        /// Dossier de sortie (remplacé en entier, seulement si l'exécution réussit)
        #[arg(short, long, value_name = "DOSSIER")]
        sortie: Option<PathBuf>,
    },
    /// Vérifier les fichiers d'entrée d'un pipeline et écrire seulement le rapport de validation.
    #[command(aliases = ["check", "vérifier"], help_template = HELP_TEMPLATE, next_help_heading = "Options")]
    Verifier {
        /// Fichier pipeline (.toml)
        #[arg(value_name = "PIPELINE")]
        pipeline: PathBuf,
        /// Dossier de sortie du rapport de validation
        #[arg(short, long, value_name = "DOSSIER")]
        sortie: Option<PathBuf>,
    },
    /// Chez un partenaire : produire l'extrait pseudonymisé (Parquet, sans nom ni date de naissance) à transmettre à l'observatoire.
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "Options")]
    Partenaire {
        /// Fichier pipeline (.toml) du partenaire
        #[arg(value_name = "PIPELINE")]
        pipeline: PathBuf,
        /// Dossier de sortie de l'extrait
        #[arg(short, long, value_name = "DOSSIER")]
        sortie: Option<PathBuf>,
    },
    /// Proposer la description (un pipeline commenté) de classeurs jamais vus : lignes d'en-tête, table, champ de chaque colonne, valeurs à décider.
    #[command(alias = "propose", help_template = HELP_TEMPLATE, next_help_heading = "Options")]
    Proposer {
        /// Classeurs (.xlsx, .xls, .xlsb, .ods) ou fichiers CSV à décrire
        #[arg(value_name = "CLASSEUR", required = true)]
        classeurs: Vec<PathBuf>,
        /// Table de toutes leurs feuilles, si vous la connaissez (sinon devinée feuille par feuille)
        #[arg(long, value_name = "TABLE", value_parser = ["services", "accompagnements", "activite", "personnel", "formation", "satisfaction", "plan_action"])]
        table: Option<String>,
        /// Code du service dont parlent les fichiers (écrit service = "…")
        #[arg(long, value_name = "CODE")]
        service: Option<String>,
        /// Organisation gestionnaire (écrit organisation = "…")
        #[arg(long, value_name = "NOM")]
        organisation: Option<String>,
        /// Fichier pipeline à écrire (jamais écrasé) ; sans cette option, la proposition est affichée
        #[arg(short, long, value_name = "FICHIER")]
        sortie: Option<PathBuf>,
    },
    /// Gérer les clés secrètes de pseudonymisation.
    #[command(
        subcommand,
        alias = "clé",
        help_template = HELP_TEMPLATE,
        subcommand_help_heading = "Commandes",
        subcommand_value_name = "COMMANDE"
    )]
    Cle(CleCommand),
    /// Lecture isolée d'un classeur (usage interne : processus enfant, jamais affiché dans l'aide).
    #[command(name = "__lecture-isolee", hide = true)]
    LectureIsolee,
    /// Lister les modalités reconnues des colonnes codées (type de mesure, cadre, métier…).
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "Options")]
    Vocabulaires {
        /// Écrire les listes au format Markdown (celui de docs/vocabulaires.md)
        #[arg(long)]
        markdown: bool,
    },
    /// Écrire le script de complétion des commandes pour un shell (bash, zsh, fish, powershell, elvish).
    #[command(alias = "complétions", help_template = HELP_TEMPLATE, next_help_heading = "Options")]
    Completions {
        /// Shell visé ; par exemple : observatoire completions bash > ~/.local/share/bash-completion/completions/observatoire
        #[arg(value_name = "SHELL")]
        shell: clap_complete::Shell,
    },
    /// Écrire la page de manuel (format man) ; par exemple : observatoire manuel > observatoire.1 && man ./observatoire.1
    #[command(help_template = HELP_TEMPLATE)]
    Manuel,
    /// Lister les indicateurs calculés, avec leur définition.
    #[command(help_template = HELP_TEMPLATE, next_help_heading = "Options")]
    Indicateurs {
        /// Écrire le catalogue au format Markdown (celui de docs/indicateurs.md)
        #[arg(long)]
        markdown: bool,
    },
}

#[derive(Subcommand)]
enum CleCommand {
    /// Créer une clé secrète de 256 bits (fichier lisible par vous seul, droits 0600) dans un dossier existant.
    #[command(alias = "créer", help_template = HELP_TEMPLATE)]
    Creer {
        /// Chemin du fichier de clé à créer (jamais écrasé ; ne le mettez pas dans un dépôt)
        #[arg(value_name = "FICHIER")]
        fichier: PathBuf,
    },
    /// Afficher l'empreinte d'une clé (ce qui figure dans les manifestes), jamais la clé.
    #[command(help_template = HELP_TEMPLATE)]
    Empreinte {
        #[arg(value_name = "FICHIER")]
        fichier: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if e.use_stderr() => {
            eprint!("{}", french::usage_error(&e));
            return ExitCode::from(exit_code::USAGE);
        }
        // `--aide` and `--version`, already in French.
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(exit_code::SUCCESS);
        }
    };
    if let Command::LectureIsolee = cli.command {
        return ExitCode::from(observatoire::ingest::isolate::worker_main());
    }
    // Each workbook is read in a child process of this binary, with a memory limit: an
    // abort inside a reading library fails that file, never the run.
    observatoire::ingest::isolate::set_enabled(true);
    let display = Display {
        silent: cli.silencieux,
        verbose: cli.verbeux,
        json: cli.json,
    };
    let started = std::time::Instant::now();
    let mut summary = serde_json::Map::new();
    let (code, status) = match execute(cli.command, &display, &mut summary) {
        Ok(Outcome::Clean) => (exit_code::SUCCESS, "succes"),
        Ok(Outcome::Rejected(n)) => {
            eprintln!(
                "Attention : {n} erreur(s) dans les données d'entrée (lignes ou fichiers rejetés) : les chiffres les laissent de côté. Voyez validation/problemes.csv, corrigez les fichiers et relancez. Code de sortie {}.",
                exit_code::REJECTED
            );
            (exit_code::REJECTED, "lignes_rejetees")
        }
        Err(e) => {
            eprintln!("Erreur : {e}");
            summary.insert("message".into(), e.to_string().into());
            (e.exit_code(), "erreur")
        }
    };
    if display.json {
        summary.insert("statut".into(), status.into());
        summary.insert("code_sortie".into(), code.into());
        let seconds = (started.elapsed().as_secs_f64() * 1000.0).round() / 1000.0;
        summary.insert("duree_s".into(), seconds.into());
        println!("{}", serde_json::Value::Object(summary));
    }
    ExitCode::from(code)
}

/// The JSON summary of a command that wrote an output folder (`--json`).
fn json_summary(
    out: &mut serde_json::Map<String, serde_json::Value>,
    command: &str,
    dir: &std::path::Path,
    files: &[String],
    errors: usize,
) {
    out.insert("commande".into(), command.into());
    out.insert("dossier_sortie".into(), dir.display().to_string().into());
    out.insert("fichiers".into(), files.to_vec().into());
    out.insert("erreurs_validation".into(), errors.into());
}

/// How a command that went to the end ended.
enum Outcome {
    Clean,
    /// Outputs written, but with this many errors in the validation report.
    Rejected(usize),
}

fn outcome(errors: usize) -> Outcome {
    if errors > 0 {
        Outcome::Rejected(errors)
    } else {
        Outcome::Clean
    }
}

// Long function: one arm per command.
fn execute(
    command: Command,
    display: &Display,
    json: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<Outcome, Error> {
    match command {
        Command::Executer { pipeline, sortie } => {
            json.insert("commande".into(), "executer".into());
            let p = Pipeline::load(&pipeline)?;
            let out = run::output_dir(&p, sortie.as_deref());
            if !display.silent {
                eprintln!("Exécution du pipeline « {} »…", p.spec.pipeline.nom);
            }
            let mut progress = progress::Progress::new(display.silent, display.verbose);
            let files = progress.files();
            let result = run::run_with_progress(
                &p,
                &out,
                &mut |e| {
                    if let run::Event::Stage(name) = e {
                        progress.stage(name);
                    }
                },
                Some(&files),
            );
            progress.clear();
            let s = result?;
            if display.json {
                json_summary(json, "executer", &s.output_dir, &s.files, s.errors);
                json.insert("chiffres".into(), s.indicators.into());
                json.insert("indicateurs".into(), s.indicator_kinds.into());
                json.insert("demonstration".into(), p.spec.pipeline.demonstration.into());
                return Ok(outcome(s.errors));
            }
            println!("Données d'entrée :\n{}", s.validation);
            for l in &s.privacy {
                println!("{l}");
            }
            println!(
                "{} chiffres calculés pour {} indicateurs. Résultats écrits dans {} :",
                s.indicators,
                s.indicator_kinds,
                s.output_dir.display()
            );
            for f in &s.files {
                println!("  {}", s.output_dir.join(f).display());
            }
            if p.spec.pipeline.demonstration {
                println!(
                    "DÉMONSTRATION : données fictives, résultats à ne pas diffuser comme réels."
                );
            }
            println!(
                "Ouvrez {} dans un navigateur.",
                s.output_dir.join("rapport.html").display()
            );
            Ok(outcome(s.errors))
        }
        Command::Verifier { pipeline, sortie } => {
            json.insert("commande".into(), "verifier".into());
            let p = Pipeline::load(&pipeline)?;
            let out = sortie.unwrap_or_else(|| run::check_dir(&p));
            let s = run::check(&p, &out)?;
            if display.json {
                json_summary(json, "verifier", &s.output_dir, &s.files, s.errors);
                return Ok(outcome(s.errors));
            }
            println!("Données d'entrée :\n{}", s.validation);
            println!(
                "Rapport de validation écrit dans {}",
                s.output_dir.display()
            );
            for f in &s.files {
                println!("  {}", s.output_dir.join(f).display());
            }
            Ok(outcome(s.errors))
        }
        Command::Partenaire { pipeline, sortie } => {
            json.insert("commande".into(), "partenaire".into());
            let p = Pipeline::load(&pipeline)?;
            let out = sortie.unwrap_or_else(|| run::partner_dir(&p));
            let s = run::partner(&p, &out)?;
            if display.json {
                json_summary(json, "partenaire", &s.output_dir, &s.files, s.errors);
                return Ok(outcome(s.errors));
            }
            println!("Données d'entrée :\n{}", s.validation);
            for l in &s.privacy {
                println!("{l}");
            }
            println!(
                "Extrait pseudonymisé écrit dans {} :",
                s.output_dir.display()
            );
            for f in &s.files {
                println!("  {}", s.output_dir.join(f).display());
            }
            println!(
                "Transmettez le dossier extrait/ à l'observatoire par un canal sûr : il reste une donnée personnelle (pseudonymisée)."
            );
            Ok(outcome(s.errors))
        }
        Command::Proposer {
            classeurs,
            table,
            service,
            organisation,
            sortie,
        } => proposer::run(&classeurs, table, service, organisation, sortie),
        Command::Cle(CleCommand::Creer { fichier }) => {
            let k = SecretKey::create_file(&fichier)?;
            println!(
                "Clé créée : {} (droits 0600). Empreinte : {}",
                fichier.display(),
                k.fingerprint()
            );
            println!(
                "Conservez-la hors de tout dépôt et de toute sortie ; sans elle, les pseudonymes ne peuvent plus être recalculés."
            );
            Ok(Outcome::Clean)
        }
        Command::Cle(CleCommand::Empreinte { fichier }) => {
            let k = SecretKey::load(&fichier)?;
            println!("{}", k.fingerprint());
            Ok(Outcome::Clean)
        }
        Command::Vocabulaires { markdown: true } => {
            print!("{}", observatoire::vocabulary::markdown());
            Ok(Outcome::Clean)
        }
        Command::Vocabulaires { markdown: false } => {
            for (table, field, terms) in observatoire::vocabulary::all() {
                println!("{}.{field} :", table.id());
                for t in terms {
                    if t.synonyms.is_empty() {
                        println!("  {}", t.label);
                    } else {
                        println!("  {} (aussi : {})", t.label, t.synonyms.join(", "));
                    }
                }
            }
            Ok(Outcome::Clean)
        }
        Command::LectureIsolee => Ok(Outcome::Clean),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "observatoire",
                &mut std::io::stdout(),
            );
            Ok(Outcome::Clean)
        }
        Command::Manuel => {
            let mut page = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut page)
                .map_err(|e| Error::Internal(format!("page de manuel non écrite : {e}")))?;
            print!("{}", french::man_headings(&String::from_utf8_lossy(&page)));
            Ok(Outcome::Clean)
        }
        Command::Indicateurs { markdown: true } => {
            print!("{}", indicators::registry_markdown());
            Ok(Outcome::Clean)
        }
        Command::Indicateurs { markdown: false } => {
            for d in indicators::catalogue() {
                println!("{} — {} ({})", d.id, d.libelle, d.unite);
                println!("  Définition : {}", d.definition);
                println!("  Formule : {} / {}", d.numerateur, d.denominateur);
                println!(
                    "  Sources : {} ; origine : {}\n",
                    d.tables_sources, d.origine
                );
            }
            Ok(Outcome::Clean)
        }
    }
}
