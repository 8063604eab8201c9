//! French labels of breakdowns (never a raw field name such as `metier` or
//! `type_repondant`) and the order of their values (age bands in age order, not as
//! text: « 3-5 ans » before « 11-15 ans »).

/// French name of a breakdown dimension.
pub fn dimension(d: &str) -> String {
    match d {
        "type_mesure" => "Type de mesure".into(),
        "cadre" => "Cadre".into(),
        "tranche_age" => "Âge au 31/12".into(),
        "sexe" => "Sexe".into(),
        "metier" => "Métier".into(),
        "motif" => "Motif d'absence".into(),
        "theme" => "Thème".into(),
        "type_repondant" => "Destinataire du questionnaire".into(),
        "question" => "Question".into(),
        "fiche" => "Fiche action".into(),
        "indicateur" => "Indicateur".into(),
        "type_contrat" => "Type de contrat".into(),
        other => humanise(other),
    }
}

/// French label of a breakdown value (codes such as `question_1`, `M` made readable).
pub fn value(d: &str, v: &str) -> String {
    match (d, v) {
        ("sexe", "F") => "Filles".into(),
        ("sexe", "M") => "Garçons".into(),
        ("type_repondant", "famille") => "Familles".into(),
        ("type_repondant", "jeune") => "Jeunes".into(),
        ("type_repondant", "partenaire") => "Partenaires".into(),
        ("question", q) => match q.strip_prefix("question_") {
            Some(n) => format!("Question {n}"),
            None => humanise(q),
        },
        (_, v) if v.contains('_') && !v.contains(' ') => humanise(v),
        (_, v) => capitalise(v),
    }
}

/// « type_contrat » → « Type contrat ».
fn humanise(code: &str) -> String {
    capitalise(&code.replace('_', " "))
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// Sort key of a breakdown value: values starting with a number in numeric order (age
/// bands, « question 2 » before « question 10 »), then the others as text.
pub fn order_key(v: &str) -> (u8, u64, String) {
    let digits: String = v
        .chars()
        .skip_while(|c| !c.is_ascii_digit())
        .take_while(char::is_ascii_digit)
        .collect();
    let starts_with_number = v.chars().next().is_some_and(|c| c.is_ascii_digit());
    match digits.parse::<u64>() {
        Ok(n) if starts_with_number || v.starts_with("question_") => (0, n, v.to_string()),
        _ => (1, 0, v.to_lowercase()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn age_bands_sort_in_age_order() {
        let mut bands = vec![
            "0-2 ans",
            "11-15 ans",
            "16-17 ans",
            "18-20 ans",
            "21 ans et plus",
            "3-5 ans",
            "6-10 ans",
        ];
        bands.sort_by_key(|b| order_key(b));
        assert_eq!(
            bands,
            [
                "0-2 ans",
                "3-5 ans",
                "6-10 ans",
                "11-15 ans",
                "16-17 ans",
                "18-20 ans",
                "21 ans et plus"
            ]
        );
        let mut q = vec!["question_10", "question_2", "satisfaction_globale"];
        q.sort_by_key(|b| order_key(b));
        assert_eq!(q, ["question_2", "question_10", "satisfaction_globale"]);
    }

    #[test]
    fn no_raw_field_name_is_shown() {
        assert_eq!(dimension("metier"), "Métier");
        assert_eq!(dimension("type_repondant"), "Destinataire du questionnaire");
        assert_eq!(dimension("un_champ_nouveau"), "Un champ nouveau");
        assert_eq!(value("question", "question_3"), "Question 3");
        assert_eq!(
            value("question", "satisfaction_globale"),
            "Satisfaction globale"
        );
        assert_eq!(value("sexe", "F"), "Filles");
        assert_eq!(
            value("metier", "Éducateur spécialisé"),
            "Éducateur spécialisé"
        );
    }
}
