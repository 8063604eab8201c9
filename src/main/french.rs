//! Command-line usage errors in French. clap writes its own messages in English; the
//! binary renders them again from the error's kind and context (the argument, the
//! value, clap's suggestions), with the French usage line and the way to the help.

use clap::error::{ContextKind, ContextValue, ErrorKind};

/// The text of a context value (a list joined with commas, quoted).
fn text(v: &ContextValue) -> Option<String> {
    match v {
        ContextValue::String(s) => Some(format!("« {s} »")),
        ContextValue::Strings(v) if !v.is_empty() => Some(
            v.iter()
                .map(|s| format!("« {s} »"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::StyledStr(s) => Some(format!("« {s} »")),
        ContextValue::StyledStrs(v) if !v.is_empty() => Some(
            v.iter()
                .map(|s| format!("« {s} »"))
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ContextValue::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The French message of a usage error (everything but `--aide` and `--version`).
pub fn usage_error(e: &clap::Error) -> String {
    let get = |k: ContextKind| e.get(k).and_then(text);
    let arg = get(ContextKind::InvalidArg).unwrap_or_else(|| "un argument".into());
    let mut out = String::from("Erreur : ");
    out.push_str(&match e.kind() {
        ErrorKind::InvalidValue => match get(ContextKind::InvalidValue) {
            Some(v) if v != "« »" => format!("valeur {v} invalide pour {arg}"),
            _ => format!("valeur manquante pour {arg}"),
        },
        ErrorKind::UnknownArgument => format!("option ou argument inattendu {arg}"),
        ErrorKind::InvalidSubcommand => format!(
            "commande inconnue {}",
            get(ContextKind::InvalidSubcommand).unwrap_or_default()
        ),
        ErrorKind::MissingRequiredArgument => format!("argument obligatoire manquant : {arg}"),
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "commande manquante".into()
        }
        ErrorKind::ValueValidation => format!("valeur refusée pour {arg}"),
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            format!("nombre de valeurs incorrect pour {arg}")
        }
        ErrorKind::ArgumentConflict => match get(ContextKind::PriorArg) {
            Some(prior) => format!("{arg} ne peut pas être utilisé avec {prior}"),
            None => format!("{arg} ne peut pas être utilisé ici"),
        },
        ErrorKind::NoEquals => format!("{arg} attend une valeur après « = »"),
        ErrorKind::InvalidUtf8 => "argument qui n'est pas du texte UTF-8 valide".into(),
        _ => "ligne de commande invalide".into(),
    });
    out.push('\n');
    for (kind, lead) in [
        (ContextKind::SuggestedSubcommand, "vouliez-vous dire"),
        (ContextKind::SuggestedArg, "vouliez-vous dire"),
        (ContextKind::SuggestedValue, "vouliez-vous dire"),
        (ContextKind::ValidValue, "valeurs possibles :"),
        (ContextKind::ValidSubcommand, "commandes possibles :"),
    ] {
        if let Some(t) = get(kind) {
            let end = if lead.ends_with(':') { "" } else { " ?" };
            out.push_str(&format!("  {lead} {t}{end}\n"));
        }
    }
    if let Some(ContextValue::StyledStr(u)) = e.get(ContextKind::Usage) {
        let usage = u.to_string();
        let usage = usage.trim();
        let usage = usage.strip_prefix("Usage:").unwrap_or(usage).trim();
        out.push_str(&format!("\nUtilisation : {usage}\n"));
    }
    out.push_str("\nPour l'aide : observatoire --aide (ou observatoire COMMANDE --aide)\n");
    out
}

/// The man page's section headings in French (clap_mangen writes them in English).
pub fn man_headings(page: &str) -> String {
    page.lines()
        .map(|l| match l {
            ".SH NAME" => ".SH NOM",
            ".SH SUBCOMMANDS" | ".SH Commandes" => ".SH COMMANDES",
            ".SH EXTRA" => ".SH COMPLÉMENTS",
            ".SH AUTHORS" => ".SH AUTEURS",
            other => other,
        })
        .fold(String::with_capacity(page.len()), |mut out, l| {
            out.push_str(l);
            out.push('\n');
            out
        })
}
