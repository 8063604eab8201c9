//! Chart data preparation, independent of the output scale: validation of the series,
//! year ticks, the y axis range and its round ticks.

use super::*;

/// A validated series: finite points sorted by year.
pub(super) struct Line {
    pub(super) label: String,
    pub(super) points: Vec<(i32, f64)>,
}

/// Spec after validation, with the axis ranges and ticks computed.
pub(super) struct Prepared {
    pub(super) title: String,
    pub(super) y_label: String,
    pub(super) banner: Option<String>,
    pub(super) lines: Vec<Line>,
    pub(super) secret: Vec<(usize, i32)>,
    pub(super) reference: Option<(f64, String)>,
    /// `None` when there is no point at all.
    pub(super) years: Option<(i32, i32)>,
    pub(super) x_ticks: Vec<f64>,
    pub(super) y_range: (f64, f64),
    pub(super) y_ticks: Vec<f64>,
    pub(super) y_decimals: usize,
}

impl Line {
    /// A series' points by year, non-finite values skipped; an error for a value out of
    /// bounds or a year given twice.
    fn checked(series: &ChartSeries) -> Result<Self, ChartError> {
        let label = clean_text(&series.label);
        let mut by_year: BTreeMap<i32, f64> = BTreeMap::new();
        for &(year, value) in &series.points {
            if !value.is_finite() {
                continue;
            }
            if value.abs() > MAX_ABS_RATIO {
                return Err(ChartError::ValeurHorsLimites {
                    serie: label,
                    annee: year,
                    valeur: value,
                    limite: MAX_ABS_RATIO,
                });
            }
            if by_year.insert(year, value).is_some() {
                return Err(ChartError::AnneeEnDouble {
                    serie: label,
                    annee: year,
                });
            }
        }
        Ok(Line {
            label,
            points: by_year.into_iter().collect(),
        })
    }
}

/// The reference line, if finite; an error if out of bounds.
fn checked_reference(
    reference: Option<&(f64, String)>,
) -> Result<Option<(f64, String)>, ChartError> {
    Ok(match reference {
        Some((value, label)) if value.is_finite() => {
            if value.abs() > MAX_ABS_RATIO {
                return Err(ChartError::ReferenceHorsLimites {
                    libelle: clean_text(label),
                    valeur: *value,
                    limite: MAX_ABS_RATIO,
                });
            }
            Some((*value, clean_text(label)))
        }
        // A non-finite reference is skipped like any other non-finite value.
        _ => None,
    })
}

impl Prepared {
    /// Checks the spec (series in order, then the reference: the first error is
    /// reported) and lays out its axes.
    pub(super) fn new(spec: &ChartSpec) -> Result<Self, ChartError> {
        let lines = spec
            .series
            .iter()
            .map(Line::checked)
            .collect::<Result<Vec<_>, _>>()?;
        let reference = checked_reference(spec.reference.as_ref())?;

        let secret: Vec<(usize, i32)> = spec
            .secret
            .iter()
            .copied()
            .filter(|&(i, _)| i < lines.len())
            .collect();
        let years = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.0))
            .chain(secret.iter().map(|&(_, y)| y))
            .fold(None, |acc: Option<(i32, i32)>, y| match acc {
                None => Some((y, y)),
                Some((lo, hi)) => Some((lo.min(y), hi.max(y))),
            });
        let x_ticks = match years {
            Some((lo, hi)) => year_ticks(lo, hi),
            None => Vec::new(),
        };

        let values: Vec<f64> = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .chain(reference.iter().map(|r| r.0))
            .collect();
        let (y_range, y_ticks, y_decimals) = y_axis(&values);

        Ok(Self {
            title: clean_text(&spec.title),
            y_label: clean_text(&spec.y_label),
            banner: spec.banner.as_deref().map(clean_text),
            lines,
            secret,
            reference,
            years,
            x_ticks,
            y_range,
            y_ticks,
            y_decimals,
        })
    }

    pub(super) fn x_range(&self) -> (f64, f64) {
        match self.years {
            Some((lo, hi)) => {
                // Half a year on each side, more on long spans so that the first and
                // last points stay clear of the axes.
                let pad = (0.03 * (f64::from(hi) - f64::from(lo))).max(0.5);
                (f64::from(lo) - pad, f64::from(hi) + pad)
            }
            None => (-0.5, 0.5),
        }
    }

    pub(super) fn has_points(&self) -> bool {
        self.years.is_some()
    }
}

/// Replaces control characters and the noncharacters U+FFFE/U+FFFF (not allowed in
/// XML, invisible in a PNG) by spaces.
pub(super) fn clean_text(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_control() || c == '\u{fffe}' || c == '\u{ffff}' {
                ' '
            } else {
                c
            }
        })
        .collect::<String>()
        .trim()
        .to_string()
}

/// Integer year ticks, every `step` years, at most about 12 labels.
pub(super) fn year_ticks(lo: i32, hi: i32) -> Vec<f64> {
    let span = i64::from(hi) - i64::from(lo);
    let mut step: i64 = 1;
    'search: for magnitude in [1_i64, 10, 100, 1_000, 10_000, 100_000, 1_000_000] {
        for factor in [1_i64, 2, 5] {
            step = magnitude * factor;
            if span / step <= 11 {
                break 'search;
            }
        }
    }
    while span / step > 11 {
        step = step.saturating_mul(10);
    }
    let first = i64::from(lo).div_euclid(step) * step;
    let first = if first < i64::from(lo) {
        first + step
    } else {
        first
    };
    let mut ticks = Vec::new();
    let mut year = first;
    while year <= i64::from(hi) && ticks.len() < 64 {
        ticks.push(year as f64);
        year += step;
    }
    ticks
}

/// Y range with margins (more room above for the value labels), "nice" ticks and the
/// number of decimals the tick labels need.
pub(super) fn y_axis(values: &[f64]) -> ((f64, f64), Vec<f64>, usize) {
    let (mut lo, mut hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    if !(lo.is_finite() && hi.is_finite()) {
        (lo, hi) = (0.0, 1.0);
    }
    let mut span = hi - lo;
    if span < 0.05 {
        // Flat data: open a window of at least 10 points (or 20 % of the value).
        let half = (lo.abs().max(hi.abs()) * 0.1).max(0.05);
        let mid = (lo + hi) / 2.0;
        lo = mid - half;
        hi = mid + half;
        span = hi - lo;
    }
    let lo = lo - span * 0.08;
    let hi = hi + span * 0.16;

    let raw_step = (hi - lo) / 5.0;
    let magnitude = 10f64.powf(raw_step.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|f| f * magnitude)
        .find(|s| *s >= raw_step)
        .unwrap_or(10.0 * magnitude);
    let axis_lo = (lo / step).floor() * step;
    let axis_hi = (hi / step).ceil() * step;
    let count = ((axis_hi - axis_lo) / step).round().clamp(1.0, 40.0) as usize;
    let ticks = (0..=count).map(|k| axis_lo + step * k as f64).collect();

    // Decimals of the percentage labels: enough to show the step exactly.
    let step_percent = step * 100.0;
    let decimals = (0..=4)
        .find(|d| {
            let scaled = step_percent * 10f64.powi(*d);
            (scaled - scaled.round()).abs() < 1e-6 * scaled.abs().max(1.0)
        })
        .unwrap_or(4) as usize;
    ((axis_lo, axis_hi), ticks, decimals)
}
