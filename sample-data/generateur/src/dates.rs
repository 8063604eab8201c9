//! Calendar helpers and the two day-counting conventions used by the world.

use chrono::{Datelike, Months, NaiveDate, Weekday};

use crate::rng::Rng;

/// A calendar date.
pub type Date = NaiveDate;

/// A date from constant parts; `None` for an impossible date.
pub fn ymd(y: i32, m: u32, d: u32) -> Option<Date> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// A date from parts known to be valid (clamped to the month's last day).
pub fn date(y: i32, m: u32, d: u32) -> Date {
    let last = days_in_month(y, m);
    NaiveDate::from_ymd_opt(y, m, d.min(last)).unwrap_or(NaiveDate::MIN)
}

/// Number of days of a month.
pub fn days_in_month(y: i32, m: u32) -> u32 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    match (ymd(y, m, 1), ymd(ny, nm, 1)) {
        (Some(a), Some(b)) => (b - a).num_days() as u32,
        _ => 30,
    }
}

/// Number of days of a year.
pub fn days_in_year(y: i32) -> i64 {
    (date(y, 12, 31) - date(y, 1, 1)).num_days() + 1
}

/// `d` plus `n` days.
pub fn plus_days(d: Date, n: i64) -> Date {
    d + chrono::Duration::days(n)
}

/// `d` plus `n` calendar months (day clamped to the month's end).
pub fn plus_months(d: Date, n: u32) -> Date {
    d.checked_add_months(Months::new(n)).unwrap_or(d)
}

/// `d` plus `n` calendar years.
pub fn plus_years(d: Date, n: u32) -> Date {
    plus_months(d, 12 * n)
}

/// `d` minus `n` calendar years.
pub fn minus_years(d: Date, n: u32) -> Date {
    d.checked_sub_months(Months::new(12 * n)).unwrap_or(d)
}

/// Moves a Saturday or Sunday to the next Monday.
pub fn next_weekday(d: Date) -> Date {
    match d.weekday() {
        Weekday::Sat => plus_days(d, 2),
        Weekday::Sun => plus_days(d, 1),
        _ => d,
    }
}

/// Uniform random date in `from..=to`.
pub fn random_date(rng: &mut Rng, from: Date, to: Date) -> Date {
    let span = (to - from).num_days();
    plus_days(from, rng.range(0, span.max(0)))
}

/// Age in completed years at `at`.
pub fn age(birth: Date, at: Date) -> i32 {
    let mut a = at.year() - birth.year();
    if (at.month(), at.day()) < (birth.month(), birth.day()) {
        a -= 1;
    }
    a
}

/// Keeps end dates away from 31/12 and 01/01 so that the inclusive and
/// exclusive exit conventions agree on "present on 31/12" and "file active".
pub fn avoid_year_edges(d: Date) -> Date {
    match (d.month(), d.day()) {
        (12, 31) => plus_days(d, -1),
        (1, 1) => plus_days(d, 1),
        _ => d,
    }
}

/// `dd/mm/yyyy`.
pub fn fr(d: Date) -> String {
    d.format("%d/%m/%Y").to_string()
}

/// `yyyy-mm-dd`.
pub fn iso(d: Date) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Days `d` in `from..=to` with `start <= d <= end` (open end: no limit).
/// This is the measure convention (both ends counted).
pub fn days_inclusive(start: Date, end: Option<Date>, from: Date, to: Date) -> i64 {
    let lo = start.max(from);
    let hi = end.map_or(to, |e| e.min(to));
    ((hi - lo).num_days() + 1).max(0)
}

/// Days `d` in `from..=to` with `start <= d < end` (open end: no limit).
/// This is the placement convention (the exit day is not counted).
pub fn days_exclusive(start: Date, end: Option<Date>, from: Date, to: Date) -> i64 {
    let lo = start.max(from);
    let hi = match end {
        Some(e) => plus_days(e, -1).min(to),
        None => to,
    };
    ((hi - lo).num_days() + 1).max(0)
}

/// French month names, `janvier` first.
pub const MOIS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_conventions() {
        let s = date(2021, 12, 30);
        let e = Some(date(2022, 1, 2));
        assert_eq!(
            days_inclusive(s, e, date(2021, 1, 1), date(2021, 12, 31)),
            2
        );
        assert_eq!(
            days_inclusive(s, e, date(2022, 1, 1), date(2022, 12, 31)),
            2
        );
        assert_eq!(
            days_exclusive(s, e, date(2022, 1, 1), date(2022, 12, 31)),
            1
        );
        assert_eq!(
            days_inclusive(s, None, date(2022, 1, 1), date(2022, 12, 31)),
            365
        );
        assert_eq!(
            days_exclusive(s, None, date(2020, 1, 1), date(2020, 12, 31)),
            0
        );
        assert_eq!(days_in_month(2020, 2), 29);
        assert_eq!(days_in_year(2020), 366);
        assert_eq!(age(date(2010, 3, 5), date(2020, 3, 4)), 9);
        assert_eq!(age(date(2010, 3, 5), date(2020, 3, 5)), 10);
    }
}
