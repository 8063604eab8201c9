//! Line charts of yearly ratios (activity rate, occupancy rate…) for the published reports.
//!
//! Owns: the chart layout (title, optional banner, legend, axes, value labels), the
//! colour-blind-safe palette (Okabe–Ito) and marker shapes, the French formatting of
//! the axes and labels (through [`crate::format`]), and the two output encodings:
//!
//! * SVG (900×500) whose text is drawn with the embedded DejaVu Sans fonts: a
//!   `@font-face` rule carries a subset of the font (only the glyphs the chart uses)
//!   as a base64 data URL, so the rendering never depends on the fonts of the machine
//!   that opens the file;
//! * PNG (1800×1000, same layout at 2× scale, 192 dpi) rasterised in memory by plotters
//!   with the same fonts, then encoded here.
//!
//! Rendering is deterministic: the same [`ChartSpec`] always gives byte-identical SVG
//! and PNG. Odd input never panics: non-finite values are skipped, a chart without data
//! says so, absurd magnitudes and duplicate years are reported as [`ChartError`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use base64::Engine as _;
use plotters::coord::Shift;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use crate::format::percent_fr;

/// One line of the chart: one service (or one group of services).
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSeries {
    /// Legend text, e.g. `"APMN-15"`.
    pub label: String,
    /// `(year, ratio)` pairs; a ratio of `1.214` is shown as `121,4 %`. Order does not
    /// matter; a missing year leaves a gap in the line; non-finite ratios are skipped.
    pub points: Vec<(i32, f64)>,
}

/// Everything needed to draw one chart.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartSpec {
    /// French title, e.g. `"Taux d'activité et d'occupation par année"`.
    pub title: String,
    /// Y axis description, e.g. `"Taux"`.
    pub y_label: String,
    /// One line per service; years may differ between series.
    pub series: Vec<ChartSeries>,
    /// Optional dashed horizontal line: `(ratio, legend text)`, e.g.
    /// `(1.0, "Capacité autorisée (100 %)")`.
    pub reference: Option<(f64, String)>,
    /// Optional band of text across the top, e.g. `"DONNÉES DE DÉMONSTRATION"`.
    pub banner: Option<String>,
    /// Points not shown because of statistical confidentiality: `(series index, year)`.
    /// Each is drawn as the mark « s » at the foot of its year, in the series' colour,
    /// with a legend entry; never as a value.
    pub secret: Vec<(usize, i32)>,
}

/// The chart in both output formats.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedChart {
    /// Standalone SVG document (UTF-8), fonts embedded.
    pub svg: String,
    /// PNG file bytes (RGB, 2× the SVG size).
    pub png: Vec<u8>,
}

/// Why a chart could not be drawn.
#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    /// The embedded font could not be loaded by the renderer.
    #[error("police de caractères inutilisable pour les graphiques : {0}")]
    Police(String),
    /// A value is too large to be drawn meaningfully.
    #[error(
        "valeur hors limites dans la série « {serie} » pour l'année {annee} : {valeur:e} \
         (les ratios doivent rester entre -{limite:e} et {limite:e})"
    )]
    ValeurHorsLimites {
        serie: String,
        annee: i32,
        valeur: f64,
        limite: f64,
    },
    /// The reference line value is too large to be drawn meaningfully.
    #[error(
        "valeur de la ligne de référence « {libelle} » hors limites : {valeur:e} \
         (elle doit rester entre -{limite:e} et {limite:e})"
    )]
    ReferenceHorsLimites {
        libelle: String,
        valeur: f64,
        limite: f64,
    },
    /// The same year appears twice in one series.
    #[error("l'année {annee} apparaît plusieurs fois dans la série « {serie} »")]
    AnneeEnDouble { serie: String, annee: i32 },
    /// plotters failed while drawing.
    #[error("erreur pendant le dessin du graphique : {0}")]
    Dessin(String),
    /// The PNG encoder failed.
    #[error("impossible d'encoder le graphique en PNG : {0}")]
    EncodagePng(String),
}

/// Width of the chart in SVG user units (CSS pixels).
pub const WIDTH: u32 = 900;
/// Height of the chart in SVG user units (CSS pixels).
pub const HEIGHT: u32 = 500;
/// The PNG is drawn at this multiple of [`WIDTH`] × [`HEIGHT`].
pub const PNG_SCALE: u32 = 2;

/// Largest accepted |ratio| (100 000 000 %): beyond it the data is certainly wrong
/// and the axis labels would be unreadable.
const MAX_ABS_RATIO: f64 = 1e6;

/// Family name under which the fonts are registered in plotters and declared in the
/// SVG `@font-face` rules. Unique, so it cannot clash with another registration.
const FONT_FAMILY: &str = "ObservatoireSans";
/// Fallbacks after the embedded font in the SVG `font-family` attributes.
const SVG_FONT_FALLBACKS: &str = "'DejaVu Sans', sans-serif";

static FONT_REGULAR: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reports/polices/DejaVuSans.ttf"
));
static FONT_BOLD: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/reports/polices/DejaVuSans-Bold.ttf"
));

/// Okabe–Ito palette, ordered for contrast on white (yellow last). Second member:
/// darker shade of the same hue used for the value labels so that they stay legible.
const PALETTE: [(RGBColor, RGBColor); 8] = [
    (RGBColor(0x00, 0x72, 0xB2), RGBColor(0x00, 0x5A, 0x8C)), // blue
    (RGBColor(0xD5, 0x5E, 0x00), RGBColor(0xA8, 0x4A, 0x00)), // vermillion
    (RGBColor(0x00, 0x9E, 0x73), RGBColor(0x00, 0x6E, 0x50)), // bluish green
    (RGBColor(0xCC, 0x79, 0xA7), RGBColor(0x9C, 0x3F, 0x74)), // reddish purple
    (RGBColor(0xE6, 0x9F, 0x00), RGBColor(0x8F, 0x63, 0x00)), // orange
    (RGBColor(0x56, 0xB4, 0xE9), RGBColor(0x1F, 0x6F, 0x9C)), // sky blue
    (RGBColor(0x00, 0x00, 0x00), RGBColor(0x00, 0x00, 0x00)), // black
    (RGBColor(0xF0, 0xE4, 0x42), RGBColor(0x7A, 0x72, 0x00)), // yellow
];

const TEXT: RGBColor = RGBColor(0x22, 0x22, 0x22);
const MUTED: RGBColor = RGBColor(0x55, 0x55, 0x55);
const GRID: RGBColor = RGBColor(0xE3, 0xE3, 0xE3);
const AXIS: RGBColor = RGBColor(0x88, 0x88, 0x88);
const REFERENCE: RGBColor = RGBColor(0x44, 0x44, 0x44);
const BANNER_FILL: RGBColor = RGBColor(0xFF, 0xF1, 0xCC);
const BANNER_LINE: RGBColor = RGBColor(0xE0, 0xB0, 0x40);
const BANNER_TEXT: RGBColor = RGBColor(0x7A, 0x4A, 0x00);

/// Draws `spec` as an SVG document and a PNG image.
pub fn render(spec: &ChartSpec) -> Result<RenderedChart, ChartError> {
    ensure_fonts_registered()?;
    let prepared = Prepared::new(spec)?;
    let svg = render_svg(&prepared)?;
    let png = render_png(&prepared)?;
    Ok(RenderedChart { svg, png })
}

/// Registers the embedded fonts in plotters' global font table, once per process.
fn ensure_fonts_registered() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            // `InvalidFont` implements neither Debug nor Display: map by hand.
            register_font(FONT_FAMILY, FontStyle::Normal, FONT_REGULAR)
                .map_err(|_| "DejaVuSans.ttf illisible".to_string())?;
            register_font(FONT_FAMILY, FontStyle::Bold, FONT_BOLD)
                .map_err(|_| "DejaVuSans-Bold.ttf illisible".to_string())
        })
        .clone()
        .map_err(ChartError::Police)
}

// ---------------------------------------------------------------------------
// Data preparation (independent of the output scale)
// ---------------------------------------------------------------------------

/// A validated series: finite points sorted by year.
struct Line {
    label: String,
    points: Vec<(i32, f64)>,
}

/// Spec after validation, with the axis ranges and ticks computed.
struct Prepared {
    title: String,
    y_label: String,
    banner: Option<String>,
    lines: Vec<Line>,
    secret: Vec<(usize, i32)>,
    reference: Option<(f64, String)>,
    /// `None` when there is no point at all.
    years: Option<(i32, i32)>,
    x_ticks: Vec<f64>,
    y_range: (f64, f64),
    y_ticks: Vec<f64>,
    y_decimals: usize,
}

impl Prepared {
    fn new(spec: &ChartSpec) -> Result<Self, ChartError> {
        let mut lines = Vec::with_capacity(spec.series.len());
        for series in &spec.series {
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
            lines.push(Line {
                label,
                points: by_year.into_iter().collect(),
            });
        }

        let reference = match &spec.reference {
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
        };

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

    fn x_range(&self) -> (f64, f64) {
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

    fn has_points(&self) -> bool {
        self.years.is_some()
    }
}

/// Replaces control characters and the noncharacters U+FFFE/U+FFFF (not allowed in
/// XML, invisible in a PNG) by spaces.
fn clean_text(text: &str) -> String {
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
fn year_ticks(lo: i32, hi: i32) -> Vec<f64> {
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
fn y_axis(values: &[f64]) -> ((f64, f64), Vec<f64>, usize) {
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

// ---------------------------------------------------------------------------
// Drawing (shared by both backends, all sizes multiplied by `s`)
// ---------------------------------------------------------------------------

/// Linear axis whose ticks (and grid lines) are exactly the given values, so that
/// years stay whole and percentages fall on round numbers.
struct TickedAxis {
    lo: f64,
    hi: f64,
    ticks: Vec<f64>,
}

impl Ranged for TickedAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = self.hi - self.lo;
        if span.abs() < f64::EPSILON || !value.is_finite() {
            return (limit.0 + limit.1) / 2;
        }
        let ratio = (value - self.lo) / span;
        let pixels = f64::from(limit.1) - f64::from(limit.0);
        // `as` saturates: a value far off the axis cannot overflow.
        (f64::from(limit.0) + pixels * ratio).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.lo..self.hi
    }
}

fn draw_error<E: std::error::Error + Send + Sync>(
    err: plotters::drawing::DrawingAreaErrorKind<E>,
) -> ChartError {
    ChartError::Dessin(err.to_string())
}

fn font(size: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FONT_FAMILY), size, style)
}

/// Pixel length `v` at scale `s`, as plotters' integer coordinates.
fn px(v: f64, s: f64) -> i32 {
    (v * s).round() as i32
}

/// Stroke width `v` at scale `s` (at least one pixel).
fn stroke(v: f64, s: f64) -> u32 {
    (v * s).round().max(1.0) as u32
}

fn text_size<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
) -> Result<(i32, i32), ChartError> {
    let (w, h) = area.estimate_text_size(text, style).map_err(draw_error)?;
    Ok((
        i32::try_from(w).unwrap_or(i32::MAX),
        i32::try_from(h).unwrap_or(i32::MAX),
    ))
}

/// Shortens `text` with an ellipsis until it fits in `max_width` pixels.
fn fit_text<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: i32,
) -> Result<String, ChartError> {
    if text_size(area, text, style)?.0 <= max_width {
        return Ok(text.to_string());
    }
    let chars: Vec<char> = text.chars().collect();
    // Binary search on the number of characters kept.
    let (mut keep_ok, mut keep_too_long) = (0, chars.len());
    while keep_too_long - keep_ok > 1 {
        let mid = (keep_ok + keep_too_long) / 2;
        let candidate: String = chars[..mid].iter().collect::<String>() + "…";
        if text_size(area, &candidate, style)?.0 <= max_width {
            keep_ok = mid;
        } else {
            keep_too_long = mid;
        }
    }
    let kept: String = chars[..keep_ok].iter().collect();
    Ok(format!("{}…", kept.trim_end()))
}

#[derive(Clone, Copy)]
enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

/// Colour (line, label text) and marker of the `index`-th series. Eight colours and four
/// shapes: the first 32 series all differ by colour or shape.
fn series_style(index: usize) -> (RGBColor, RGBColor, Marker) {
    let (line, label) = PALETTE[index % PALETTE.len()];
    let shape = match (index + index / PALETTE.len()) % 4 {
        0 => Marker::Circle,
        1 => Marker::Square,
        2 => Marker::Triangle,
        _ => Marker::Diamond,
    };
    (line, label, shape)
}

/// Draws a marker centred on `(x, y)` with "radius" `r`, ringed in white.
fn draw_marker<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    r: f64,
    marker: Marker,
    color: RGBColor,
    s: f64,
) -> Result<(), ChartError> {
    for (radius, fill) in [(r + 1.5 * s, WHITE), (r, color)] {
        let ri = radius.round() as i32;
        match marker {
            Marker::Circle => area
                .draw(&Circle::new((x, y), ri, fill.filled()))
                .map_err(draw_error)?,
            Marker::Square => {
                let h = (radius * 0.85).round() as i32;
                area.draw(&Rectangle::new(
                    [(x - h, y - h), (x + h, y + h)],
                    fill.filled(),
                ))
                .map_err(draw_error)?
            }
            Marker::Triangle => {
                let t = radius * 1.2;
                let pts = vec![
                    (x, y - t.round() as i32),
                    (x + (t * 0.95).round() as i32, y + (t * 0.7).round() as i32),
                    (x - (t * 0.95).round() as i32, y + (t * 0.7).round() as i32),
                ];
                area.draw(&Polygon::new(pts, fill.filled()))
                    .map_err(draw_error)?
            }
            Marker::Diamond => {
                let d = (radius * 1.25).round() as i32;
                let pts = vec![(x, y - d), (x + d, y), (x, y + d), (x - d, y)];
                area.draw(&Polygon::new(pts, fill.filled()))
                    .map_err(draw_error)?
            }
        }
    }
    Ok(())
}

/// Horizontal dashed segment from `x0` to `x1` at height `y`.
fn draw_dashes<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x0, x1, y): (i32, i32, i32),
    s: f64,
) -> Result<(), ChartError> {
    let (dash, gap) = (px(7.0, s).max(1), px(4.0, s).max(1));
    let style = REFERENCE.stroke_width(stroke(1.5, s));
    let mut x = x0;
    while x < x1 {
        let end = (x + dash).min(x1);
        area.draw(&PathElement::new(vec![(x, y), (end, y)], style))
            .map_err(draw_error)?;
        x = end + gap;
    }
    Ok(())
}

/// Mark of a figure withheld by statistical confidentiality (INSEE convention).
pub const SECRET_MARK: &str = "s";
/// Its legend.
pub const SECRET_LEGEND: &str = "s : secret statistique (valeur non diffusée)";

/// One entry of the legend.
enum LegendKey {
    Series(usize),
    Reference,
    Secret,
}

/// Line segment between two pixel positions.
type Segment = ((i32, i32), (i32, i32));

/// Axis-aligned box in pixels, for the label collision checks.
#[derive(Clone, Copy)]
struct PixelBox {
    x0: i32,
    y0: i32,
    x1: i32,
    y1: i32,
}

impl PixelBox {
    fn intersects(&self, other: &PixelBox) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    /// Whether the segment `a`–`b` passes through the box (Liang–Barsky clipping).
    fn crosses_segment(&self, a: (i32, i32), b: (i32, i32)) -> bool {
        let (ax, ay) = (f64::from(a.0), f64::from(a.1));
        let (dx, dy) = (f64::from(b.0) - ax, f64::from(b.1) - ay);
        let (mut t0, mut t1) = (0.0_f64, 1.0_f64);
        for (p, q) in [
            (-dx, ax - f64::from(self.x0)),
            (dx, f64::from(self.x1) - ax),
            (-dy, ay - f64::from(self.y0)),
            (dy, f64::from(self.y1) - ay),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return false;
                }
            } else {
                let r = q / p;
                if p < 0.0 {
                    t0 = t0.max(r);
                } else {
                    t1 = t1.min(r);
                }
                if t0 > t1 {
                    return false;
                }
            }
        }
        true
    }
}

/// Draws the optional banner and the title; returns the y where the legend starts.
fn draw_header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Prepared,
    s: f64,
) -> Result<i32, ChartError> {
    let width = i32::try_from(root.dim_in_pixel().0).unwrap_or(i32::MAX);
    let pad = px(18.0, s);
    let mut top = px(14.0, s);
    if let Some(banner) = p.banner.as_deref().filter(|b| !b.is_empty()) {
        let band = px(30.0, s);
        root.draw(&Rectangle::new(
            [(0, 0), (width, band)],
            BANNER_FILL.filled(),
        ))
        .map_err(draw_error)?;
        root.draw(&PathElement::new(
            vec![(0, band), (width, band)],
            BANNER_LINE.stroke_width(stroke(1.0, s)),
        ))
        .map_err(draw_error)?;
        let style = font(16.0 * s, true)
            .color(&BANNER_TEXT)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let text = fit_text(root, banner, &style, width - 2 * pad)?;
        root.draw_text(&text, &style, (width / 2, band / 2))
            .map_err(draw_error)?;
        top = band + px(14.0, s);
    }
    if !p.title.is_empty() {
        let style = font(22.0 * s, true)
            .color(&TEXT)
            .pos(Pos::new(HPos::Left, VPos::Top));
        let text = fit_text(root, &p.title, &style, width - 2 * pad)?;
        root.draw_text(&text, &style, (pad, top))
            .map_err(draw_error)?;
        top += text_size(root, &text, &style)?.1 + px(12.0, s);
    }
    Ok(top)
}

/// Draws the legend in rows from `top` (at most four rows, then "… et N autres");
/// returns the y where the plot starts.
fn draw_legend<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Prepared,
    top: i32,
    s: f64,
) -> Result<i32, ChartError> {
    const MAX_ROWS: i32 = 4;
    let width = i32::try_from(root.dim_in_pixel().0).unwrap_or(i32::MAX);
    let pad = px(18.0, s);
    let style = font(15.0 * s, false)
        .color(&TEXT)
        .pos(Pos::new(HPos::Left, VPos::Center));
    let mut entries: Vec<(LegendKey, String)> = p
        .lines
        .iter()
        .enumerate()
        .map(|(i, line)| {
            let label = if line.points.is_empty() {
                format!("{} (aucune donnée)", line.label)
            } else {
                line.label.clone()
            };
            (LegendKey::Series(i), label)
        })
        .collect();
    if let Some((_, label)) = &p.reference {
        entries.push((LegendKey::Reference, label.clone()));
    }
    if !p.secret.is_empty() {
        entries.push((LegendKey::Secret, SECRET_LEGEND.to_string()));
    }
    if entries.is_empty() {
        return Ok(top);
    }
    let swatch = px(30.0, s);
    let swatch_gap = px(7.0, s);
    let item_gap = px(24.0, s);
    let row_height = px(22.0, s);
    let right = width - pad;
    let (mut x, mut row) = (pad, 0);
    let row_y = |row: i32| top + row * row_height + row_height / 2;
    for (index, (key, label)) in entries.iter().enumerate() {
        let text = fit_text(root, label, &style, width / 2)?;
        let item_width = swatch + swatch_gap + text_size(root, &text, &style)?.0;
        let more = match entries.len() - index {
            1 => "… et 1 autre".to_string(),
            n => format!("… et {n} autres"),
        };
        if x > pad && x + item_width > right {
            if row == MAX_ROWS - 1 {
                // Room for this note was kept when the previous entry was placed.
                root.draw_text(&more, &style, (x, row_y(row)))
                    .map_err(draw_error)?;
                break;
            }
            row += 1;
            x = pad;
        }
        let is_last = index + 1 == entries.len();
        if row == MAX_ROWS - 1 && !is_last {
            // On the last row, keep room for "… et N autres" after this entry.
            let more_width = text_size(root, &more, &style)?.0;
            if x > pad && x + item_width + item_gap + more_width > right {
                root.draw_text(&more, &style, (x, row_y(row)))
                    .map_err(draw_error)?;
                break;
            }
        }
        let y = row_y(row);
        match key {
            LegendKey::Series(i) => {
                let (color, _, marker) = series_style(*i);
                root.draw(&PathElement::new(
                    vec![(x, y), (x + swatch, y)],
                    color.stroke_width(stroke(2.5, s)),
                ))
                .map_err(draw_error)?;
                draw_marker(root, (x + swatch / 2, y), 4.5 * s, marker, color, s)?;
            }
            LegendKey::Reference => draw_dashes(root, (x, x + swatch, y), s)?,
            LegendKey::Secret => {
                let mark = font(15.0 * s, true)
                    .color(&TEXT)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                root.draw_text(SECRET_MARK, &mark, (x + swatch / 2, y))
                    .map_err(draw_error)?;
            }
        }
        root.draw_text(&text, &style, (x + swatch + swatch_gap, y))
            .map_err(draw_error)?;
        x += item_width + item_gap;
    }
    Ok(top + (row + 1) * row_height + px(6.0, s))
}

fn draw_chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Prepared,
    s: f64,
) -> Result<(), ChartError> {
    let (width, height) = root.dim_in_pixel();
    let (width, height) = (
        i32::try_from(width).unwrap_or(i32::MAX),
        i32::try_from(height).unwrap_or(i32::MAX),
    );
    root.fill(&WHITE).map_err(draw_error)?;
    let pad = px(18.0, s);
    let top = draw_header(root, p, s)?;
    let top = draw_legend(root, p, top, s)?;

    // Plot area with axes.
    let top = top.min(height / 2);
    let (_, body) = root.split_vertically(top);
    let tick_style = font(14.0 * s, false).color(&MUTED);
    let desc_style = font(15.0 * s, false).color(&TEXT);
    let decimals = p.y_decimals;
    let y_format = |v: &f64| percent_fr(*v, decimals);
    let mut widest_tick = 0;
    for tick in &p.y_ticks {
        widest_tick = widest_tick.max(text_size(root, &y_format(tick), &tick_style)?.0);
    }
    let y_label_area = widest_tick + px(44.0, s);
    let (x_lo, x_hi) = p.x_range();
    let (y_lo, y_hi) = p.y_range;
    let mut chart = ChartBuilder::on(&body)
        .margin_left(pad)
        .margin_right(px(26.0, s))
        .margin_bottom(px(10.0, s))
        .margin_top(px(16.0, s))
        .x_label_area_size(px(46.0, s))
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(
            TickedAxis {
                lo: x_lo,
                hi: x_hi,
                ticks: p.x_ticks.clone(),
            },
            TickedAxis {
                lo: y_lo,
                hi: y_hi,
                ticks: p.y_ticks.clone(),
            },
        )
        .map_err(draw_error)?;
    let x_format = |v: &f64| format!("{}", v.round() as i64);
    let x_desc = if p.has_points() { "Année" } else { "" };
    chart
        .configure_mesh()
        .disable_x_mesh()
        .bold_line_style(GRID.stroke_width(stroke(1.0, s)))
        .axis_style(AXIS.stroke_width(stroke(1.0, s)))
        .set_all_tick_mark_size(px(5.0, s))
        .x_label_formatter(&x_format)
        .y_label_formatter(&y_format)
        .label_style(tick_style.clone())
        .axis_desc_style(desc_style)
        .x_desc(x_desc)
        .y_desc(p.y_label.as_str())
        .draw()
        .map_err(draw_error)?;

    let plot = chart.plotting_area();
    let (plot_x, plot_y) = plot.get_pixel_range();
    let to_px = |year: i32, v: f64| chart.backend_coord(&(f64::from(year), v));

    // Pixel segments of the lines, which the value labels try not to cover.
    let mut segments: Vec<Segment> = Vec::new();

    // Reference line, under the data.
    if let Some((value, _)) = &p.reference {
        let (_, y) = to_px(0, *value);
        draw_dashes(root, (plot_x.start, plot_x.end, y), s)?;
        segments.push(((plot_x.start, y), (plot_x.end, y)));
    }

    if !p.has_points() {
        let style = font(17.0 * s, false)
            .color(&MUTED)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let center = (
            (plot_x.start + plot_x.end) / 2,
            (plot_y.start + plot_y.end) / 2,
        );
        let message = "Aucune donnée à afficher";
        let (w, h) = text_size(root, message, &style)?;
        let (mx, my) = (px(10.0, s), px(6.0, s));
        root.draw(&Rectangle::new(
            [
                (center.0 - w / 2 - mx, center.1 - h / 2 - my),
                (center.0 + w / 2 + mx, center.1 + h / 2 + my),
            ],
            WHITE.filled(),
        ))
        .map_err(draw_error)?;
        root.draw_text(message, &style, center)
            .map_err(draw_error)?;
        return Ok(());
    }

    // Lines: one path per run of consecutive years (a missing year is a gap).
    for (i, line) in p.lines.iter().enumerate() {
        let (color, _, _) = series_style(i);
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut previous: Option<i32> = None;
        for &(year, value) in &line.points {
            let point = (f64::from(year), value);
            match (previous, runs.last_mut()) {
                (Some(prev), Some(run)) if i64::from(year) - i64::from(prev) == 1 => {
                    run.push(point)
                }
                _ => runs.push(vec![point]),
            }
            previous = Some(year);
        }
        for run in runs.into_iter().filter(|run| run.len() > 1) {
            let pixels: Vec<(i32, i32)> = run
                .iter()
                .map(|&(x, y)| chart.backend_coord(&(x, y)))
                .collect();
            segments.extend(pixels.windows(2).filter_map(|w| match w {
                [a, b] => Some((*a, *b)),
                _ => None,
            }));
            plot.draw(&PathElement::new(run, color.stroke_width(stroke(2.5, s))))
                .map_err(draw_error)?;
        }
    }

    // Secret points: « s » at the foot of the year, stacked by series.
    let mut obstacles: Vec<PixelBox> = Vec::new();
    let mut stacked: BTreeMap<i32, i32> = BTreeMap::new();
    for &(i, year) in &p.secret {
        let (_, text_color, _) = series_style(i);
        let level = stacked.entry(year).or_default();
        let (x, _) = to_px(year, y_lo);
        let y = plot_y.end - px(12.0, s) - *level * px(18.0, s);
        *level += 1;
        let style = font(15.0 * s, true)
            .color(&text_color)
            .pos(Pos::new(HPos::Center, VPos::Center));
        root.draw_text(SECRET_MARK, &style, (x, y))
            .map_err(draw_error)?;
        let r = px(8.0, s);
        obstacles.push(PixelBox {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        });
    }

    // Markers.
    let marker_radius = 4.5 * s;
    let mut points: Vec<LabelledPoint> = Vec::new();
    for (i, line) in p.lines.iter().enumerate() {
        let (color, _, marker) = series_style(i);
        for (k, &(year, value)) in line.points.iter().enumerate() {
            let (x, y) = to_px(year, value);
            draw_marker(root, (x, y), marker_radius, marker, color, s)?;
            let r = (marker_radius * 1.3).round() as i32;
            obstacles.push(PixelBox {
                x0: x - r,
                y0: y - r,
                x1: x + r,
                y1: y + r,
            });
            points.push(LabelledPoint {
                x,
                y,
                series: i,
                value,
                last: k + 1 == line.points.len(),
            });
        }
    }

    // Value labels: on every point when the years are far enough apart, otherwise on
    // the last point of each series only.
    let label_style = TextStyle::from(font(13.0 * s, false));
    let sample = text_size(root, "188,8 %", &label_style)?;
    let year_spacing = match p.years {
        Some((lo, hi)) if hi > lo => to_px(lo + 1, y_lo).0 - to_px(lo, y_lo).0,
        _ => i32::MAX,
    };
    if year_spacing < sample.0 + px(6.0, s) {
        points.retain(|point| point.last);
    }
    // Left to right, top to bottom: in a crowded column the upper label takes the
    // place above its point first.
    points.sort_by_key(|point| (point.x, point.y, point.series));
    let bounds = PixelBox {
        x0: plot_x.start,
        y0: plot_y.start,
        x1: width - px(2.0, s),
        y1: plot_y.end,
    };
    for point in &points {
        let text = percent_fr(point.value, 1);
        let size = text_size(root, &text, &label_style)?;
        // Nothing is better than overlapping text: a label with no free place is left
        // out (the value is in the report's tables).
        let Some(place) = place_label(
            point,
            size,
            &bounds,
            (&obstacles, &segments),
            marker_radius,
            s,
        ) else {
            continue;
        };
        let (_, text_color, _) = series_style(point.series);
        root.draw(&Rectangle::new(
            [(place.x0, place.y0), (place.x1, place.y1)],
            WHITE.mix(0.85).filled(),
        ))
        .map_err(draw_error)?;
        let style = label_style
            .color(&text_color)
            .pos(Pos::new(HPos::Center, VPos::Center));
        let center = ((place.x0 + place.x1) / 2, (place.y0 + place.y1) / 2);
        root.draw_text(&text, &style, center).map_err(draw_error)?;
        obstacles.push(place);
    }
    Ok(())
}

/// A data point in pixels, candidate for a value label.
struct LabelledPoint {
    x: i32,
    y: i32,
    series: usize,
    value: f64,
    /// Last (most recent) point of its series.
    last: bool,
}

/// First free place for a `(w, h)` label around `point`, among: above, below, right,
/// left, then the four diagonals. A place must stay in `bounds` and clear of the
/// `obstacles` (markers, other labels); places that also avoid the line `segments`
/// are preferred. The returned box includes the label's padding.
fn place_label(
    point: &LabelledPoint,
    (w, h): (i32, i32),
    bounds: &PixelBox,
    (obstacles, segments): (&[PixelBox], &[Segment]),
    marker_radius: f64,
    s: f64,
) -> Option<PixelBox> {
    let (pad_x, pad_y) = (px(3.0, s), px(1.0, s));
    let (bw, bh) = (w + 2 * pad_x, h + 2 * pad_y);
    let gap = px(3.0, s) + marker_radius.round() as i32;
    let (half_w, half_h) = (bw / 2, bh / 2);
    let offsets = [
        (0, -(gap + half_h)),
        (0, gap + half_h),
        (gap + half_w, 0),
        (-(gap + half_w), 0),
        (half_w + gap / 2, -(half_h + gap / 2)),
        (half_w + gap / 2, half_h + gap / 2),
        (-(half_w + gap / 2), -(half_h + gap / 2)),
        (-(half_w + gap / 2), half_h + gap / 2),
    ];
    let free: Vec<PixelBox> = offsets
        .iter()
        .map(|&(dx, dy)| {
            let (cx, cy) = (point.x + dx, point.y + dy);
            PixelBox {
                x0: cx - half_w,
                y0: cy - half_h,
                x1: cx - half_w + bw,
                y1: cy - half_h + bh,
            }
        })
        .filter(|c| {
            c.x0 >= bounds.x0 && c.y0 >= bounds.y0 && c.x1 <= bounds.x1 && c.y1 <= bounds.y1
        })
        .filter(|c| !obstacles.iter().any(|o| o.intersects(c)))
        .collect();
    free.iter()
        .find(|c| !segments.iter().any(|&(a, b)| c.crosses_segment(a, b)))
        .or(free.first())
        .copied()
}

// ---------------------------------------------------------------------------
// SVG output
// ---------------------------------------------------------------------------

fn render_svg(p: &Prepared) -> Result<String, ChartError> {
    let mut raw = String::new();
    {
        let root = SVGBackend::with_string(&mut raw, (WIDTH, HEIGHT)).into_drawing_area();
        draw_chart(&root, p, 1.0)?;
        root.present().map_err(draw_error)?;
    }
    Ok(embed_fonts(&raw, &p.title))
}

/// Adds the `<title>` and the `@font-face` rules after the opening `<svg …>` tag and
/// points every `font-family` attribute to the embedded font.
fn embed_fonts(raw: &str, title: &str) -> String {
    let (regular_chars, bold_chars) = svg_text_chars(raw);
    // `@font-face` rules are global to an HTML page: when several charts are inlined in
    // one report, each must name its own subset. The name derives from the characters
    // (FNV-1a), so it stays deterministic.
    let hash = regular_chars
        .iter()
        .chain(['\0'].iter())
        .chain(bold_chars.iter())
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, c| {
            (h ^ u64::from(u32::from(*c))).wrapping_mul(0x0000_0100_0000_01b3)
        });
    let family = format!("{FONT_FAMILY}-{:08x}", hash >> 32);
    let mut style = String::new();
    for (chars, bytes, weight) in [
        (&regular_chars, FONT_REGULAR, "normal"),
        (&bold_chars, FONT_BOLD, "bold"),
    ] {
        if chars.is_empty() {
            continue;
        }
        // The bundled fonts are known to subset; the whole font is a safe fallback.
        let subset = subset::subset_ttf(bytes, chars);
        let data = subset.as_deref().unwrap_or(bytes);
        style.push_str(&format!(
            "@font-face {{ font-family: '{family}'; font-weight: {weight}; \
             font-style: normal; src: url(data:font/ttf;base64,{}) format('truetype'); }}\n",
            base64::engine::general_purpose::STANDARD.encode(data)
        ));
    }
    let mut head = String::new();
    if !title.is_empty() {
        head.push_str("<title>");
        head.push_str(&xml_escape(title));
        head.push_str("</title>\n");
    }
    if !style.is_empty() {
        head.push_str("<defs><style type=\"text/css\"><![CDATA[\n");
        head.push_str(&style);
        head.push_str("]]></style></defs>\n");
    }
    let body = raw.replace(
        &format!("font-family=\"{FONT_FAMILY}\""),
        &format!("font-family=\"{family}, {SVG_FONT_FALLBACKS}\""),
    );
    // plotters writes `<svg width=… xmlns=…>` first; its attributes contain no `>`.
    match body
        .find("<svg")
        .and_then(|start| body[start..].find('>').map(|e| start + e + 1))
    {
        Some(end) => {
            let mut out = String::with_capacity(body.len() + head.len() + 1);
            out.push_str(&body[..end]);
            out.push('\n');
            out.push_str(&head);
            out.push_str(body[end..].trim_start_matches('\n'));
            out
        }
        None => body,
    }
}

fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Characters of every `<text>` element of a plotters SVG, split by font weight.
fn svg_text_chars(svg: &str) -> (BTreeSet<char>, BTreeSet<char>) {
    let (mut regular, mut bold) = (BTreeSet::new(), BTreeSet::new());
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let after = &rest[start..];
        let Some(tag_end) = after.find('>') else {
            break;
        };
        let tag = &after[..tag_end];
        let content_and_more = &after[tag_end + 1..];
        let Some(close) = content_and_more.find("</text>") else {
            break;
        };
        let content = content_and_more[..close]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&");
        let target = if tag.contains("font-weight=\"bold\"") {
            &mut bold
        } else {
            &mut regular
        };
        target.extend(content.chars().filter(|c| *c != '\n' && *c != '\r'));
        rest = &content_and_more[close..];
    }
    (regular, bold)
}

// ---------------------------------------------------------------------------
// PNG output
// ---------------------------------------------------------------------------

fn render_png(p: &Prepared) -> Result<Vec<u8>, ChartError> {
    let (w, h) = (WIDTH * PNG_SCALE, HEIGHT * PNG_SCALE);
    let mut rgb = vec![0u8; (w as usize) * (h as usize) * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw_chart(&root, p, f64::from(PNG_SCALE))?;
        root.present().map_err(draw_error)?;
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        // 96 dpi × scale: the PNG prints at the same physical size as the SVG.
        let dots_per_metre = (96.0 * f64::from(PNG_SCALE) / 0.0254).round() as u32;
        encoder.set_pixel_dims(Some(png::PixelDimensions {
            xppu: dots_per_metre,
            yppu: dots_per_metre,
            unit: png::Unit::Meter,
        }));
        let mut writer = encoder
            .write_header()
            .map_err(|e| ChartError::EncodagePng(e.to_string()))?;
        writer
            .write_image_data(&rgb)
            .map_err(|e| ChartError::EncodagePng(e.to_string()))?;
        writer
            .finish()
            .map_err(|e| ChartError::EncodagePng(e.to_string()))?;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// TrueType subsetting for the SVG @font-face
// ---------------------------------------------------------------------------

/// Minimal TrueType (`glyf`) subsetter: keeps the glyphs of the requested characters
/// (plus composite components and `.notdef`), renumbers them, and rebuilds `cmap`
/// (format 4), `glyf`, `loca`, `hmtx`, `kern` (format 0) and `post` (version 3).
/// Hinting tables, `name` and `OS/2` are copied; layout tables (GSUB, GPOS…) are
/// dropped. Returns `None` on any structure it does not understand.
mod subset {
    use std::collections::{BTreeMap, BTreeSet};

    fn u16_at(d: &[u8], o: usize) -> Option<u16> {
        let b: [u8; 2] = d.get(o..o.checked_add(2)?)?.try_into().ok()?;
        Some(u16::from_be_bytes(b))
    }

    fn u32_at(d: &[u8], o: usize) -> Option<u32> {
        let b: [u8; 4] = d.get(o..o.checked_add(4)?)?.try_into().ok()?;
        Some(u32::from_be_bytes(b))
    }

    fn put_u16(d: &mut [u8], o: usize, v: u16) -> Option<()> {
        d.get_mut(o..o.checked_add(2)?)?
            .copy_from_slice(&v.to_be_bytes());
        Some(())
    }

    fn put_u32(d: &mut [u8], o: usize, v: u32) -> Option<()> {
        d.get_mut(o..o.checked_add(4)?)?
            .copy_from_slice(&v.to_be_bytes());
        Some(())
    }

    fn checksum(data: &[u8]) -> u32 {
        data.chunks(4).fold(0u32, |sum, chunk| {
            let mut word = [0u8; 4];
            word[..chunk.len()].copy_from_slice(chunk);
            sum.wrapping_add(u32::from_be_bytes(word))
        })
    }

    fn tables(font: &[u8]) -> Option<BTreeMap<[u8; 4], &[u8]>> {
        let version = u32_at(font, 0)?;
        if version != 0x0001_0000 && version != u32::from_be_bytes(*b"true") {
            return None;
        }
        let count = usize::from(u16_at(font, 4)?);
        let mut map = BTreeMap::new();
        for i in 0..count {
            let record = 12 + 16 * i;
            let tag: [u8; 4] = font.get(record..record + 4)?.try_into().ok()?;
            let offset = usize::try_from(u32_at(font, record + 8)?).ok()?;
            let length = usize::try_from(u32_at(font, record + 12)?).ok()?;
            map.insert(tag, font.get(offset..offset.checked_add(length)?)?);
        }
        Some(map)
    }

    /// Character → glyph lookup in a format 4 or format 12 `cmap` subtable.
    fn cmap_lookup(sub: &[u8], c: u32) -> Option<u16> {
        match u16_at(sub, 0)? {
            4 => {
                let c = u16::try_from(c).ok()?;
                let seg_count = usize::from(u16_at(sub, 6)? / 2);
                let ends = 14;
                let starts = ends + 2 * seg_count + 2;
                let deltas = starts + 2 * seg_count;
                let range_offsets = deltas + 2 * seg_count;
                for seg in 0..seg_count {
                    let end = u16_at(sub, ends + 2 * seg)?;
                    if end < c {
                        continue;
                    }
                    let start = u16_at(sub, starts + 2 * seg)?;
                    if start > c {
                        return None;
                    }
                    let delta = u16_at(sub, deltas + 2 * seg)?;
                    let range_pos = range_offsets + 2 * seg;
                    let range_offset = usize::from(u16_at(sub, range_pos)?);
                    if range_offset == 0 {
                        return Some(c.wrapping_add(delta));
                    }
                    let addr = range_pos + range_offset + 2 * usize::from(c - start);
                    let glyph = u16_at(sub, addr)?;
                    return (glyph != 0).then(|| glyph.wrapping_add(delta));
                }
                None
            }
            12 => {
                let groups = usize::try_from(u32_at(sub, 12)?).ok()?;
                for g in 0..groups {
                    let at = 16 + 12 * g;
                    let (start, end) = (u32_at(sub, at)?, u32_at(sub, at + 4)?);
                    if (start..=end).contains(&c) {
                        return u16::try_from(u32_at(sub, at + 8)?.checked_add(c - start)?).ok();
                    }
                }
                None
            }
            _ => None,
        }
    }

    /// Best Unicode subtable of `cmap`: full repertoire (3,10) first, then BMP.
    fn unicode_subtable(cmap: &[u8]) -> Option<&[u8]> {
        let count = usize::from(u16_at(cmap, 2)?);
        let mut best: Option<(u8, &[u8])> = None;
        for i in 0..count {
            let record = 4 + 8 * i;
            let platform = u16_at(cmap, record)?;
            let encoding = u16_at(cmap, record + 2)?;
            let offset = usize::try_from(u32_at(cmap, record + 4)?).ok()?;
            let rank = match (platform, encoding) {
                (3, 10) | (0, 4) | (0, 6) => 2,
                (3, 1) | (0, _) => 1,
                _ => continue,
            };
            let sub = cmap.get(offset..)?;
            if !matches!(u16_at(sub, 0)?, 4 | 12) {
                continue;
            }
            if best.is_none_or(|(r, _)| rank > r) {
                best = Some((rank, sub));
            }
        }
        best.map(|(_, sub)| sub)
    }

    /// Offsets (within the glyph) of the component glyph ids of a composite glyph.
    fn component_offsets(glyph: &[u8]) -> Option<Vec<usize>> {
        if glyph.len() < 10 || u16_at(glyph, 0)? & 0x8000 == 0 {
            return Some(Vec::new()); // simple or empty glyph
        }
        let mut offsets = Vec::new();
        let mut at = 10;
        loop {
            let flags = u16_at(glyph, at)?;
            u16_at(glyph, at + 2)?;
            offsets.push(at + 2);
            at += 4 + if flags & 0x0001 != 0 { 4 } else { 2 };
            at += if flags & 0x0008 != 0 {
                2
            } else if flags & 0x0040 != 0 {
                4
            } else if flags & 0x0080 != 0 {
                8
            } else {
                0
            };
            if flags & 0x0020 == 0 {
                return Some(offsets);
            }
        }
    }

    /// Format 4 `cmap` table (platforms 0/3 and 3/1) for `map` (sorted by code).
    fn build_cmap(map: &[(u16, u16)]) -> Vec<u8> {
        // Segments of consecutive codes mapped to consecutive glyphs, plus 0xFFFF.
        let mut segments: Vec<(u16, u16, u16)> = Vec::new(); // (start, end, delta)
        for &(code, glyph) in map {
            if code == 0xFFFF {
                continue;
            }
            let delta = glyph.wrapping_sub(code);
            match segments.last_mut() {
                Some((_, end, d)) if end.checked_add(1) == Some(code) && *d == delta => {
                    *end = code;
                }
                _ => segments.push((code, code, delta)),
            }
        }
        segments.push((0xFFFF, 0xFFFF, 1));
        let seg_count = segments.len();
        let seg_count_u16 = u16::try_from(seg_count).unwrap_or(u16::MAX);
        let mut search_range = 2u16;
        let mut entry_selector = 0u16;
        while usize::from(search_range) * 2 <= seg_count * 2 && search_range < 0x4000 {
            search_range *= 2;
            entry_selector += 1;
        }
        // search_range = 2 × 2^floor(log2(seg_count))
        let mut sub = Vec::new();
        let length = 16 + 8 * seg_count;
        for v in [
            4u16,
            u16::try_from(length).unwrap_or(u16::MAX),
            0,
            seg_count_u16.wrapping_mul(2),
            search_range,
            entry_selector,
            seg_count_u16.wrapping_mul(2).wrapping_sub(search_range),
        ] {
            sub.extend_from_slice(&v.to_be_bytes());
        }
        segments
            .iter()
            .for_each(|s| sub.extend_from_slice(&s.1.to_be_bytes()));
        sub.extend_from_slice(&0u16.to_be_bytes());
        segments
            .iter()
            .for_each(|s| sub.extend_from_slice(&s.0.to_be_bytes()));
        segments
            .iter()
            .for_each(|s| sub.extend_from_slice(&s.2.to_be_bytes()));
        segments
            .iter()
            .for_each(|_| sub.extend_from_slice(&0u16.to_be_bytes()));

        let mut cmap = Vec::new();
        for v in [0u16, 2, 0, 3] {
            cmap.extend_from_slice(&v.to_be_bytes());
        }
        cmap.extend_from_slice(&20u32.to_be_bytes());
        for v in [3u16, 1] {
            cmap.extend_from_slice(&v.to_be_bytes());
        }
        cmap.extend_from_slice(&20u32.to_be_bytes());
        cmap.extend_from_slice(&sub);
        cmap
    }

    /// `kern` version 0 with its first format 0 horizontal subtable, remapped.
    fn build_kern(kern: &[u8], remap: &BTreeMap<u16, u16>) -> Option<Vec<u8>> {
        if u16_at(kern, 0)? != 0 || u16_at(kern, 2)? == 0 {
            return None;
        }
        let coverage = u16_at(kern, 8)?;
        if coverage >> 8 != 0 || coverage & 0x0001 == 0 {
            return None;
        }
        let pairs = usize::from(u16_at(kern, 10)?);
        let mut kept = Vec::new();
        for i in 0..pairs {
            let at = 18 + 6 * i;
            let (left, right, value) = (
                u16_at(kern, at)?,
                u16_at(kern, at + 2)?,
                u16_at(kern, at + 4)?,
            );
            if let (Some(l), Some(r)) = (remap.get(&left), remap.get(&right)) {
                kept.push((*l, *r, value));
            }
        }
        if kept.is_empty() || kept.len() > 10_000 {
            return None;
        }
        // Renumbering is monotonic, so the pairs stay sorted.
        let n = u16::try_from(kept.len()).ok()?;
        let mut pow = 1u16;
        let mut log = 0u16;
        while pow * 2 <= n {
            pow *= 2;
            log += 1;
        }
        let mut out = Vec::new();
        let length = u16::try_from(14 + 6 * kept.len()).ok()?;
        for v in [0u16, 1, 0, length, coverage, n, pow * 6, log, (n - pow) * 6] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        for (l, r, v) in kept {
            for x in [l, r, v] {
                out.extend_from_slice(&x.to_be_bytes());
            }
        }
        Some(out)
    }

    pub(super) fn subset_ttf(font: &[u8], chars: &BTreeSet<char>) -> Option<Vec<u8>> {
        let tables = tables(font)?;
        let head = *tables.get(b"head")?;
        let hhea = *tables.get(b"hhea")?;
        let maxp = *tables.get(b"maxp")?;
        let hmtx = *tables.get(b"hmtx")?;
        let loca = *tables.get(b"loca")?;
        let glyf = *tables.get(b"glyf")?;
        let cmap = *tables.get(b"cmap")?;
        let post = *tables.get(b"post")?;

        let long_loca = u16_at(head, 50)? == 1;
        let glyph_count = u16_at(maxp, 4)?;
        let glyph = |id: u16| -> Option<&[u8]> {
            let i = usize::from(id);
            let (start, end) = if long_loca {
                (
                    u32_at(loca, 4 * i)? as usize,
                    u32_at(loca, 4 * i + 4)? as usize,
                )
            } else {
                (
                    2 * usize::from(u16_at(loca, 2 * i)?),
                    2 * usize::from(u16_at(loca, 2 * i + 2)?),
                )
            };
            glyf.get(start..end)
        };

        // Characters → original glyphs.
        let sub = unicode_subtable(cmap)?;
        let mut char_map: Vec<(u16, u16)> = Vec::new();
        let mut wanted: BTreeSet<u16> = BTreeSet::from([0]);
        for &c in chars {
            let Ok(code) = u16::try_from(u32::from(c)) else {
                continue; // outside the BMP: left to the fallback fonts
            };
            if let Some(g) = cmap_lookup(sub, u32::from(c)).filter(|g| *g != 0 && *g < glyph_count)
            {
                char_map.push((code, g));
                wanted.insert(g);
            }
        }
        // Composite components, transitively.
        let mut queue: Vec<u16> = wanted.iter().copied().collect();
        while let Some(id) = queue.pop() {
            let data = glyph(id)?;
            for at in component_offsets(data)? {
                let component = u16_at(data, at)?;
                if component < glyph_count && wanted.insert(component) {
                    queue.push(component);
                }
            }
        }
        let remap: BTreeMap<u16, u16> = wanted
            .iter()
            .enumerate()
            .map(|(new, old)| Some((*old, u16::try_from(new).ok()?)))
            .collect::<Option<_>>()?;
        let new_count = u16::try_from(remap.len()).ok()?;

        // glyf + loca (long format), hmtx (all long metrics).
        let metrics = usize::from(u16_at(hhea, 34)?).max(1);
        let mut new_glyf = Vec::new();
        let mut new_loca = Vec::new();
        let mut new_hmtx = Vec::new();
        for &old in remap.keys() {
            new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
            let mut data = glyph(old)?.to_vec();
            for at in component_offsets(&data)? {
                let component = u16_at(&data, at)?;
                put_u16(&mut data, at, *remap.get(&component)?)?;
            }
            new_glyf.extend_from_slice(&data);
            while new_glyf.len() % 4 != 0 {
                new_glyf.push(0);
            }
            let i = usize::from(old);
            let advance = u16_at(hmtx, 4 * i.min(metrics - 1))?;
            let lsb = if i < metrics {
                u16_at(hmtx, 4 * i + 2)?
            } else {
                u16_at(hmtx, 4 * metrics + 2 * (i - metrics))?
            };
            new_hmtx.extend_from_slice(&advance.to_be_bytes());
            new_hmtx.extend_from_slice(&lsb.to_be_bytes());
        }
        new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());

        let mut new_head = head.to_vec();
        put_u32(&mut new_head, 8, 0)?;
        put_u16(&mut new_head, 50, 1)?;
        let mut new_hhea = hhea.to_vec();
        put_u16(&mut new_hhea, 34, new_count)?;
        let mut new_maxp = maxp.to_vec();
        put_u16(&mut new_maxp, 4, new_count)?;
        let mut new_post = post.get(..32)?.to_vec();
        put_u32(&mut new_post, 0, 0x0003_0000)?;
        new_post[16..32].fill(0);
        let new_char_map: Vec<(u16, u16)> = char_map
            .iter()
            .map(|(c, g)| Some((*c, *remap.get(g)?)))
            .collect::<Option<_>>()?;

        let mut out_tables: BTreeMap<[u8; 4], Vec<u8>> = BTreeMap::new();
        out_tables.insert(*b"cmap", build_cmap(&new_char_map));
        out_tables.insert(*b"glyf", new_glyf);
        out_tables.insert(*b"head", new_head);
        out_tables.insert(*b"hhea", new_hhea);
        out_tables.insert(*b"hmtx", new_hmtx);
        out_tables.insert(*b"loca", new_loca);
        out_tables.insert(*b"maxp", new_maxp);
        out_tables.insert(*b"post", new_post);
        if let Some(kern) = tables.get(b"kern").and_then(|k| build_kern(k, &remap)) {
            out_tables.insert(*b"kern", kern);
        }
        if let Some(os2) = tables.get(b"OS/2") {
            let mut os2 = os2.to_vec();
            if let (Some(first), Some(last)) = (new_char_map.first(), new_char_map.last()) {
                put_u16(&mut os2, 64, first.0)?;
                put_u16(&mut os2, 66, last.0)?;
            }
            out_tables.insert(*b"OS/2", os2);
        }
        for tag in [b"name", b"cvt ", b"fpgm", b"prep", b"gasp"] {
            if let Some(data) = tables.get(tag) {
                out_tables.insert(*tag, data.to_vec());
            }
        }

        // Assemble: offset table, directory (sorted by tag), 4-byte aligned tables.
        let count = u16::try_from(out_tables.len()).ok()?;
        let mut pow = 1u16;
        let mut log = 0u16;
        while pow * 2 <= count {
            pow *= 2;
            log += 1;
        }
        let mut out = Vec::new();
        out.extend_from_slice(&0x0001_0000u32.to_be_bytes());
        for v in [count, pow * 16, log, count * 16 - pow * 16] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        let mut offset = 12 + 16 * out_tables.len();
        let mut head_offset = None;
        for (tag, data) in &out_tables {
            out.extend_from_slice(tag);
            out.extend_from_slice(&checksum(data).to_be_bytes());
            out.extend_from_slice(&u32::try_from(offset).ok()?.to_be_bytes());
            out.extend_from_slice(&u32::try_from(data.len()).ok()?.to_be_bytes());
            if tag == b"head" {
                head_offset = Some(offset);
            }
            offset += data.len().div_ceil(4) * 4;
        }
        for data in out_tables.values() {
            out.extend_from_slice(data);
            while out.len() % 4 != 0 {
                out.push(0);
            }
        }
        let adjustment = 0xB1B0_AFBAu32.wrapping_sub(checksum(&out));
        put_u32(&mut out, head_offset? + 8, adjustment)?;
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example() -> ChartSpec {
        ChartSpec {
            title: "Taux d'activité et d'occupation par année".to_string(),
            y_label: "Taux".to_string(),
            series: vec![
                ChartSeries {
                    label: "APMN-15".to_string(),
                    points: vec![(2020, 1.15), (2021, 1.2005), (2022, 1.2138), (2023, 1.18)],
                },
                ChartSeries {
                    label: "MECS-63".to_string(),
                    points: vec![(2020, 0.93), (2021, 0.95), (2022, 0.91), (2023, 0.96)],
                },
            ],
            reference: Some((1.0, "Capacité autorisée (100 %)".to_string())),
            banner: Some("DONNÉES DE DÉMONSTRATION".to_string()),
            secret: Vec::new(),
        }
    }

    /// Width and height from the IHDR chunk, after checking the PNG signature.
    fn png_dimensions(png: &[u8]) -> (u32, u32) {
        assert!(png.len() > 24);
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        let w = u32::from_be_bytes([png[16], png[17], png[18], png[19]]);
        let h = u32::from_be_bytes([png[20], png[21], png[22], png[23]]);
        (w, h)
    }

    /// Very small well-formedness check: every tag opened is closed in order.
    fn assert_balanced_xml(svg: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = svg;
        while let Some(start) = rest.find('<') {
            rest = &rest[start..];
            if let Some(after) = rest.strip_prefix("<![CDATA[") {
                let end = after.find("]]>").expect("unterminated CDATA");
                rest = &after[end + 3..];
                continue;
            }
            let end = rest.find('>').expect("unterminated tag");
            let tag = &rest[1..end];
            if let Some(name) = tag.strip_prefix('/') {
                assert_eq!(stack.pop().as_deref(), Some(name), "mismatched </{name}>");
            } else if !tag.ends_with('/') {
                let name = tag.split_whitespace().next().expect("empty tag");
                stack.push(name.to_string());
            }
            // Text between tags must not contain a raw `<` or a bare `&`.
            rest = &rest[end + 1..];
            let text_end = rest.find('<').unwrap_or(rest.len());
            let text = &rest[..text_end];
            for (i, _) in text.match_indices('&') {
                let entity = &text[i..];
                assert!(
                    ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;"]
                        .iter()
                        .any(|e| entity.starts_with(e)),
                    "bare & in text: {entity:.20}"
                );
            }
        }
        assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    }

    #[test]
    fn svg_is_well_formed_and_embeds_the_font() {
        let chart = render(&example()).expect("render");
        let svg = &chart.svg;
        assert!(svg.starts_with("<svg"));
        assert!(svg.trim_end().ends_with("</svg>"));
        assert_balanced_xml(svg);
        assert!(svg.contains("@font-face"));
        let family = svg
            .split("font-family: '")
            .nth(1)
            .and_then(|rest| rest.split('\'').next())
            .expect("@font-face family");
        assert!(family.starts_with("ObservatoireSans-"));
        assert!(svg.contains(&format!("font-family: '{family}'; font-weight: bold")));
        assert!(svg.contains("data:font/ttf;base64,"));
        assert!(!svg.contains("font-family=\"ObservatoireSans\""));
        assert!(svg.contains(&format!("font-family=\"{family}, {SVG_FONT_FALLBACKS}\"")));
        assert!(svg.contains("121,4\u{a0}%"));
        assert!(svg.contains("91,0\u{a0}%"));
        assert!(svg.contains("100\u{a0}%"));
        assert!(svg.contains("Taux d&apos;activité et d&apos;occupation par année"));
        assert!(svg.contains("DONNÉES DE DÉMONSTRATION"));
        assert!(svg.contains("Capacité autorisée (100 %)"));
        assert!(svg.contains("\n2021\n</text>"));
        assert!(!svg.contains("2020.5"));
        // Subset, not the whole 760 KB font.
        assert!(svg.len() < 200_000, "SVG is {} bytes", svg.len());
    }

    #[test]
    fn secret_points_are_marked_not_drawn_as_values() {
        let mut spec = example();
        // The second series' 2022 figure is withheld: no point, a mark and its legend.
        spec.series[1].points.retain(|p| p.0 != 2022);
        spec.secret = vec![(1, 2022), (7, 2022)];
        let chart = render(&spec).expect("render");
        assert!(chart.svg.contains("secret statistique"));
        assert!(
            !render(&example())
                .unwrap()
                .svg
                .contains("secret statistique")
        );
        png_dimensions(&chart.png);
    }

    #[test]
    fn labels_are_escaped() {
        let mut spec = example();
        spec.title = "Entrées & sorties <brutes> « œ ’ ç È »".to_string();
        spec.series[0].label = "A&B <1>".to_string();
        spec.series[1].label = "Émoji 😀, combinant e\u{301}, \u{ffff}\u{202e}".to_string();
        spec.y_label = "Taux \"réel\"\u{7}".to_string();
        let chart = render(&spec).expect("render");
        assert_balanced_xml(&chart.svg);
        assert!(chart.svg.contains("A&amp;B &lt;1&gt;"));
        assert!(chart.svg.contains("Entrées &amp; sorties &lt;brutes&gt;"));
        assert!(!chart.svg.contains('\u{7}'));
        assert!(!chart.svg.contains('\u{ffff}'));
        assert!(chart.svg.contains("Émoji 😀"));
    }

    #[test]
    fn png_has_signature_and_expected_size() {
        let chart = render(&example()).expect("render");
        assert_eq!(
            png_dimensions(&chart.png),
            (WIDTH * PNG_SCALE, HEIGHT * PNG_SCALE)
        );
    }

    #[test]
    fn rendering_is_deterministic() {
        let a = render(&example()).expect("render");
        let b = render(&example()).expect("render");
        assert!(a.svg == b.svg, "SVG differs between two renders");
        assert!(a.png == b.png, "PNG differs between two renders");
    }

    #[test]
    fn odd_inputs_do_not_panic() {
        let empty = ChartSpec {
            title: String::new(),
            y_label: String::new(),
            series: vec![],
            reference: None,
            banner: None,
            secret: Vec::new(),
        };
        let chart = render(&empty).expect("empty chart");
        assert!(chart.svg.contains("Aucune donnée à afficher"));
        png_dimensions(&chart.png);

        let mut spec = example();
        spec.series = vec![
            ChartSeries {
                label: "Un seul point".to_string(),
                points: vec![(2022, 0.87)],
            },
            ChartSeries {
                label: "Non finis".to_string(),
                points: vec![
                    (2020, f64::NAN),
                    (2021, f64::INFINITY),
                    (2022, f64::NEG_INFINITY),
                ],
            },
            ChartSeries {
                label: "Vide".to_string(),
                points: vec![],
            },
        ];
        spec.reference = Some((f64::NAN, "Référence".to_string()));
        let chart = render(&spec).expect("single point");
        assert!(chart.svg.contains("87,0\u{a0}%"));
        assert!(chart.svg.contains("(aucune donnée)"));

        // Only non-finite values: same as no data.
        spec.series.remove(0);
        let chart = render(&spec).expect("no finite data");
        assert!(chart.svg.contains("Aucune donnée à afficher"));

        // Large but accepted values, negative values, far-apart years, long texts.
        let spec = ChartSpec {
            title: "T".repeat(2_000),
            y_label: "Écart".to_string(),
            series: (0..40)
                .map(|i| ChartSeries {
                    label: format!("Série {i} avec un libellé assez long"),
                    points: vec![(1900, -0.5), (1950 + i, 9.0e5), (2100, 0.0)],
                })
                .collect(),
            reference: Some((1.0, "Référence".to_string())),
            banner: Some("B".repeat(500)),
            secret: Vec::new(),
        };
        let chart = render(&spec).expect("large values");
        assert_balanced_xml(&chart.svg);
        assert!(!chart.svg.contains("2020.5"));

        // Extreme years.
        let spec = ChartSpec {
            series: vec![ChartSeries {
                label: "x".to_string(),
                points: vec![(i32::MIN, 1.0), (i32::MAX, 2.0)],
            }],
            ..example()
        };
        render(&spec).expect("extreme years");
    }

    #[test]
    fn typed_errors() {
        let mut spec = example();
        spec.series[1].points.push((2021, 0.5));
        match render(&spec) {
            Err(ChartError::AnneeEnDouble { serie, annee }) => {
                assert_eq!((serie.as_str(), annee), ("MECS-63", 2021));
            }
            other => panic!("unexpected {other:?}"),
        }

        let mut spec = example();
        spec.series[0].points[1].1 = 1e300;
        let err = render(&spec).expect_err("huge value");
        assert!(matches!(
            err,
            ChartError::ValeurHorsLimites { annee: 2021, .. }
        ));
        assert!(err.to_string().contains("APMN-15"));

        let mut spec = example();
        spec.reference = Some((-1e12, "Réf".to_string()));
        assert!(matches!(
            render(&spec),
            Err(ChartError::ReferenceHorsLimites { .. })
        ));
    }

    #[test]
    fn x_ticks_are_whole_years() {
        assert_eq!(year_ticks(2020, 2023), vec![2020.0, 2021.0, 2022.0, 2023.0]);
        assert_eq!(year_ticks(2000, 2030).len(), 7);
        assert!(year_ticks(i32::MIN, i32::MAX).len() <= 12);
        let ((lo, hi), ticks, decimals) = y_axis(&[0.91, 1.2138, 1.0]);
        assert!(lo <= 0.91 && hi >= 1.2138 && decimals == 0);
        assert!(ticks.iter().all(|t| *t >= lo - 1e-9 && *t <= hi + 1e-9));
    }

    #[test]
    fn subset_keeps_requested_glyphs() {
        let chars: BTreeSet<char> = "Éé’œ% 0\u{a0}\u{202f}Aa".chars().collect();
        let sub = subset::subset_ttf(FONT_REGULAR, &chars).expect("subset");
        assert!(sub.len() < 40_000, "subset is {} bytes", sub.len());
        // The subset must be loadable by the same font engine as the original.
        let leaked: &'static [u8] = Box::leak(sub.into_boxed_slice());
        assert!(register_font("ObservatoireSansSubsetTest", FontStyle::Normal, leaked).is_ok());
        // Drawing the same text with the subset and with the full font gives the
        // same pixels (outlines, metrics and kerning were kept).
        ensure_fonts_registered().expect("fonts");
        let draw = |family: &str| {
            let mut buf = vec![0u8; 300 * 60 * 3];
            {
                let root = BitMapBackend::with_buffer(&mut buf, (300, 60)).into_drawing_area();
                root.fill(&WHITE).expect("fill");
                let style = FontDesc::new(FontFamily::Name(family), 30.0, FontStyle::Normal);
                root.draw_text("Éé’œ 0 % Aa", &style.color(&BLACK), (5, 10))
                    .expect("text");
                root.present().expect("present");
            }
            buf
        };
        let full = draw(FONT_FAMILY);
        let subset = draw("ObservatoireSansSubsetTest");
        assert!(full.iter().any(|b| *b < 128), "nothing drawn");
        assert!(full == subset, "subset renders differently");
    }
}
