//! Classes of a choropleth: quantile bounds of the published values, their French labels
//! and a sequential palette.

use super::MapUnit;
use crate::format::{number_fr, percent_fr};

/// Sequential blues, light to dark, whose lightness falls steadily so that the classes
/// stay ordered when printed in grey. Interpolated for any number of classes.
const RAMP: [(f64, f64, f64); 2] = [(239.0, 245.0, 252.0), (8.0, 48.0, 107.0)];

/// Colour of a cell without data (« non disponible »): a neutral light grey, lighter
/// than the lightest class so that the two stay apart in grey print.
pub(super) const NO_DATA: &str = "#e8e8e8";

/// Classes from the published values: `bounds[i]..bounds[i + 1]` for class `i`.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Classes {
    pub(super) bounds: Vec<f64>,
}

impl Classes {
    /// Quantile bounds (linear interpolation between order statistics) splitting
    /// `values` into `wanted` classes; equal bounds (ties) are merged, so there may be
    /// fewer classes. `None` without any value.
    pub(super) fn quantiles(values: &[f64], wanted: usize) -> Option<Classes> {
        let mut v: Vec<f64> = values.iter().copied().filter(|x| x.is_finite()).collect();
        if v.is_empty() || wanted == 0 {
            return None;
        }
        v.sort_by(f64::total_cmp);
        let last = v.len() - 1;
        let mut bounds: Vec<f64> = Vec::with_capacity(wanted + 1);
        for i in 0..=wanted {
            let pos = last as f64 * i as f64 / wanted as f64;
            let (lo, frac) = (pos.floor() as usize, pos - pos.floor());
            let q = if lo >= last {
                v[last]
            } else {
                v[lo] + (v[lo + 1] - v[lo]) * frac
            };
            if bounds.last().is_none_or(|b| q > *b) {
                bounds.push(q);
            }
        }
        if bounds.len() == 1 {
            // Every value equal: one class.
            bounds.push(bounds[0]);
        }
        Some(Classes { bounds })
    }

    pub(super) fn count(&self) -> usize {
        self.bounds.len() - 1
    }

    /// The class of `value`: lower bound included, upper excluded, except for the last.
    pub(super) fn class_of(&self, value: f64) -> usize {
        let n = self.count();
        (1..n).take_while(|&i| value >= self.bounds[i]).count()
    }

    /// Legend labels, with enough decimals for adjacent bounds to read differently.
    pub(super) fn labels(&self, unit: MapUnit) -> Vec<String> {
        let base = unit.decimals();
        let decimals = (base..=base + 3)
            .find(|&d| {
                self.bounds
                    .windows(2)
                    .all(|w| unit.format(w[0], d) != unit.format(w[1], d))
            })
            .unwrap_or(base + 3);
        let n = self.count();
        (0..n)
            .map(|i| {
                let (lo, hi) = (self.bounds[i], self.bounds[i + 1]);
                if n == 1 {
                    unit.format(lo, decimals)
                } else if i + 1 == n {
                    format!(
                        "de {} à {}",
                        unit.format(lo, decimals),
                        unit.format(hi, decimals)
                    )
                } else {
                    format!(
                        "de {} à moins de {}",
                        unit.format(lo, decimals),
                        unit.format(hi, decimals)
                    )
                }
            })
            .collect()
    }
}

/// `n` colours of the ramp, light to dark (one class: the middle of the ramp).
pub(super) fn palette(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let t = if n <= 1 {
                0.5
            } else {
                // The lightest class stays clearly darker than « non disponible ».
                0.25 + 0.75 * i as f64 / (n - 1) as f64
            };
            let [a, b] = RAMP;
            let mix = |x: f64, y: f64| (x + (y - x) * t).round() as u8;
            format!(
                "#{:02x}{:02x}{:02x}",
                mix(a.0, b.0),
                mix(a.1, b.1),
                mix(a.2, b.2)
            )
        })
        .collect()
}

impl MapUnit {
    fn decimals(self) -> usize {
        match self {
            MapUnit::Proportion | MapUnit::PerThousand => 1,
            MapUnit::Count => 0,
        }
    }

    /// A value in French format: a proportion `0.123` → `12,3 %`, a rate per thousand
    /// `0.0042` → `4,2 ‰`, a count `1514` → `1 514`.
    pub(super) fn format(self, value: f64, decimals: usize) -> String {
        match self {
            MapUnit::Proportion => percent_fr(value, decimals),
            MapUnit::PerThousand => {
                format!(
                    "{}{}‰",
                    number_fr(value * 1000.0, decimals),
                    crate::format::NBSP
                )
            }
            MapUnit::Count => number_fr(value, decimals),
        }
    }
}
