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

mod draw;
mod output;
mod plot;
mod prepare;
pub mod rates;
mod subset;
/// Also used by the declared reports to embed the subset of the font a page uses.
pub(crate) use subset::subset_ttf;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use draw::*;
use output::*;
use plot::*;
use prepare::*;

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
