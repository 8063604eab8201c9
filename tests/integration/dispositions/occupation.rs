//! Layout `occupation` read as delivered (see `observatoire_exemple::dispositions`): two
//! MECS without an activity sheet get an occupancy rate whose journées are computed
//! from admissions and exits (both ends counted), said in a note and in the report; the
//! one service-year with an activity sheet keeps the sheet's journées alone.

use observatoire::publish::paths;
use observatoire_exemple::dispositions::occupation;

use super::fins::{assert_clean, assert_counts, figure, output_of, run_layout};
use crate::util::*;

#[test]
fn mecs_occupancy_from_admissions_and_exits() {
    let dir = temp_dir("disposition-occupation");
    let w = occupation::write(&dir).unwrap();
    let (df, report) = run_layout(&w.written.pipeline);
    assert_clean(&report);
    assert_counts(&df, &w.written.truth);
    for (service, years) in &w.occupancy {
        for (y, o) in years {
            let (n, d, v) = figure(&df, "taux_occupation", service, *y)
                .unwrap_or_else(|| panic!("taux_occupation {service} {y} absent"));
            assert_eq!(n, Some(o.journees), "journées {service} {y}");
            assert_eq!(d, Some(o.theoriques), "théoriques {service} {y}");
            let want = o.journees / o.theoriques;
            assert!(
                v.is_some_and(|v| (v - want).abs() < 1e-12),
                "{service} {y}: {v:?} ≠ {want}"
            );
            // Completion needs the funded days: only where the activity sheet gives them.
            let completion = figure(&df, "taux_realisation", service, *y);
            if o.from_activity {
                assert_eq!(
                    completion.map(|c| (c.0, c.1)),
                    Some((Some(o.journees), Some(w.financees)))
                );
            } else {
                assert!(completion.is_none(), "{service} {y}: {completion:?}");
            }
        }
    }
    // The journées of a service-year from the stays differ from the placement count
    // of the activity sheet: the two sources were not mixed.
    let (code, year) = occupation::WITH_ACTIVITY;
    let stays = w.written.truth[code][&year].journees as f64;
    assert_ne!(stays, w.occupancy[code][&year].journees);
    // Said in the technical report, for the computed service-years only.
    let html = std::fs::read_to_string(output_of(&w.written.pipeline).join(paths::REPORT))
        .unwrap()
        .replace("&#x27;", "'");
    let said = |service: &str, y: i32| {
        html.contains(&format!(
            "{service} {y} : taux d'occupation — journées calculées à partir des dates d'admission et de sortie"
        ))
    };
    for (service, years) in &w.occupancy {
        for (y, o) in years {
            assert_eq!(said(service, *y), !o.from_activity, "{service} {y}");
        }
    }
    // And in the activity report of MECS-B, under its journées, with the years.
    let report = std::fs::read_to_string(
        output_of(&w.written.pipeline)
            .join("rapports")
            .join(format!("{}.html", occupation::REPORT)),
    )
    .unwrap()
    .replace("&#x27;", "'");
    assert!(
        report.contains("Sans table d'activité pour 2021, 2022 : journées calculées à partir des dates d'admission et de sortie"),
        "note absente du rapport d'activité"
    );
    assert!(report.contains("Les journées des autres années sont celles de la table d'activité."));
}
