//! Unit tests of `indicators::activity`.

use super::*;

fn day(y: i32, m: u32, d: u32) -> i32 {
    day_number(y, m, d)
}

#[test]
fn days_in_year_counts_inclusive_bounds() {
    // Whole leap year.
    assert_eq!(days_in_year(day(2019, 6, 1), None, 2020), 366);
    // Starts 30 December, ends 2 January: 2 days in each year.
    assert_eq!(
        days_in_year(day(2020, 12, 30), Some(day(2021, 1, 2)), 2020),
        2
    );
    assert_eq!(
        days_in_year(day(2020, 12, 30), Some(day(2021, 1, 2)), 2021),
        2
    );
    // One-day measure.
    assert_eq!(
        days_in_year(day(2021, 3, 1), Some(day(2021, 3, 1)), 2021),
        1
    );
    // Entirely before or after.
    assert_eq!(
        days_in_year(day(2018, 1, 1), Some(day(2019, 12, 31)), 2020),
        0
    );
    assert_eq!(days_in_year(day(2022, 1, 1), None, 2021), 0);
    assert_eq!(year_length(2020), 366.0);
    assert_eq!(year_length(2100), 365.0);
    assert_eq!(date_of(day(2024, 2, 29)), (2024, 2, 29));
}

#[test]
fn occupancy_from_stays_only_where_the_activity_table_is_silent() {
    let services = polars::df![
        "service" => ["MECS-T", "MECS-T", "MECS-T"],
        "annee" => [2020, 2021, 2022],
        "type_service" => ["MECS", "MECS", "MECS"],
        "capacite" => [2.0, 2.0, 2.0],
        "unite_capacite" => ["places", "places", "places"],
    ]
    .unwrap();
    // One stay from 30/12/2020 to 02/01/2021 (2 days each year, both ends counted),
    // one open since 01/12/2021 (31 days in 2021, 365 in 2022).
    let stays = polars::df![
        "service" => ["MECS-T", "MECS-T"],
        "date_debut" => [day(2020, 12, 30), day(2021, 12, 1)],
        "date_fin" => [Some(day(2021, 1, 2)), None],
    ]
    .unwrap();
    let activity = polars::df![
        "service" => ["MECS-T"],
        "annee" => [2022],
        "journees_realisees" => [500.0],
        "journees_financees" => [600.0],
    ]
    .unwrap();
    let r = compute(&services, &stays, &activity, 2020..=2022).unwrap();
    let occ = |y: i32| {
        r.rows
            .iter()
            .filter(|x| x.indicateur == OCCUPANCY_RATE && x.periode == y)
            .map(|x| (x.numerateur, x.denominateur))
            .collect::<Vec<_>>()
    };
    assert_eq!(occ(2020), [(Some(2.0), Some(732.0))]);
    assert_eq!(occ(2021), [(Some(33.0), Some(730.0))]);
    // 2022: the activity table's journées alone, never added to the stays' 365.
    assert_eq!(occ(2022), [(Some(500.0), Some(730.0))]);
    assert!(r.notes.contains(&from_stays_note("MECS-T", 2021)));
    assert!(!r.notes.contains(&from_stays_note("MECS-T", 2022)));
}

#[test]
fn no_stay_in_the_year_is_no_occupancy_not_zero() {
    let services = polars::df![
        "service" => ["MECS-T"],
        "annee" => [2021],
        "type_service" => ["MECS"],
        "capacite" => [5.0],
    ]
    .unwrap();
    let stays = polars::df![
        "service" => ["MECS-T"],
        "date_debut" => [day(2019, 1, 1)],
        "date_fin" => [Some(day(2019, 6, 1))],
    ]
    .unwrap();
    let r = compute(&services, &stays, &DataFrame::empty(), 2021..=2021).unwrap();
    let o: Vec<_> = r
        .rows
        .iter()
        .filter(|x| x.indicateur == OCCUPANCY_RATE)
        .map(|x| (x.numerateur, x.valeur))
        .collect();
    assert_eq!(o, [(None, None)]);
    assert!(r.notes.iter().any(|n| n.contains("aucun séjour en cours")));
}
