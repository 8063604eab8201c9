//! Layout and SVG writing of the map: title, metropolitan France (left), legend (right),
//! a row of insets (the five DROM, then Paris and its inner ring), notes.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::classes::{self, Classes};
use super::geometry::{BBox, Shape, Zone, bbox_of};
use super::{Cell, Fill, MapSpec};

const WIDTH: f64 = 900.0;
const MARGIN: f64 = 10.0;
/// Longest lines, in characters, of the title, the legend heading and the notes.
const TITLE_CHARS: usize = 80;
const LEGEND_CHARS: usize = 38;
const NOTE_CHARS: usize = 130;
/// Box of metropolitan France.
const METRO_W: f64 = 600.0;
const METRO_H: f64 = 580.0;
const LEGEND_X: f64 = 630.0;
const INSET_H: f64 = 100.0;
const INSET_GAP: f64 = 8.0;
const PADDING: f64 = 6.0;
const FONT: &str = "'DejaVu Sans', Verdana, sans-serif";
/// Départements of the Paris inset.
const PARIS: [&str; 4] = ["75", "92", "93", "94"];
const BORDER: &str = "#ffffff";

/// Maps zone coordinates (units of 100 m) to the page, in tenths of a pixel.
struct Frame {
    origin: (f64, f64),
    scale: f64,
    min: (i64, i64),
}

impl Frame {
    /// Fits `bbox` into the box at `(x, y)` of size `(w, h)`, centred.
    fn fit(bbox: BBox, x: f64, y: f64, w: f64, h: f64) -> Frame {
        let (bw, bh) = (span(bbox.0, bbox.2), span(bbox.1, bbox.3));
        let scale = (w / bw).min(h / bh);
        Frame {
            origin: (x + (w - bw * scale) / 2.0, y + (h - bh * scale) / 2.0),
            scale,
            min: (bbox.0, bbox.1),
        }
    }

    fn tenths(&self, (x, y): (i64, i64)) -> (i64, i64) {
        (
            ((self.origin.0 + (x - self.min.0) as f64 * self.scale) * 10.0).round() as i64,
            ((self.origin.1 + (y - self.min.1) as f64 * self.scale) * 10.0).round() as i64,
        )
    }

    /// `d` of a path: every ring as a start then relative moves, in pixels with one
    /// decimal (computed from rounded absolute points, so nothing drifts).
    fn path(&self, shape: &Shape) -> String {
        let mut d = String::new();
        for ring in &shape.rings {
            let mut last: Option<(i64, i64)> = None;
            for &p in ring {
                let q = self.tenths(p);
                match last {
                    None => {
                        let _ = write!(d, "M{} {}l", px(q.0), px(q.1));
                    }
                    Some(l) if l == q => continue,
                    Some(l) => {
                        let _ = write!(d, "{} {} ", px(q.0 - l.0), px(q.1 - l.1));
                    }
                }
                last = Some(q);
            }
            d = d.trim_end().to_string();
            d.push('z');
        }
        d
    }
}

/// Extent of a bounding box side, at least 1 (an empty box has no extent).
fn span(lo: i64, hi: i64) -> f64 {
    hi.saturating_sub(lo).max(1) as f64
}

/// Tenths of a pixel as SVG text: `123` → `12.3`, `-5` → `-.5`, `40` → `4`.
pub(super) fn px(tenths: i64) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let (int, frac) = (tenths.abs() / 10, tenths.abs() % 10);
    match (int, frac) {
        (0, 0) => "0".to_string(),
        (i, 0) => format!("{sign}{i}"),
        (0, f) => format!("{sign}.{f}"),
        (i, f) => format!("{sign}{i}.{f}"),
    }
}

pub(crate) fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A deterministic suffix for the ids of one map, so that several maps inlined in one
/// HTML page do not share a pattern (FNV-1a of the title and cells).
fn id_suffix(spec: &MapSpec, cells: &BTreeMap<String, Cell>) -> String {
    let text = cells
        .values()
        .fold(spec.title.clone(), |acc, c| acc + &c.title);
    let h = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{:08x}", h >> 32)
}

struct Painter<'a> {
    out: String,
    cells: &'a BTreeMap<String, Cell>,
    classes: Option<&'a Classes>,
    colours: Vec<String>,
    hatch: String,
}

impl Painter<'_> {
    fn fill(&self, cell: Option<&Cell>) -> String {
        match (cell.map(|c| &c.fill), self.classes) {
            (Some(Fill::Value(v)), Some(c)) => self.colours[c.class_of(*v)].clone(),
            (Some(Fill::Secret), _) => format!("url(#{})", self.hatch),
            _ => classes::NO_DATA.to_string(),
        }
    }

    fn shape(&mut self, frame: &Frame, shape: &Shape) {
        let cell = self.cells.get(&shape.code);
        let fill = self.fill(cell);
        let title = cell.map(|c| c.title.as_str()).unwrap_or_default();
        // A light grey cell keeps a visible outline on the white page.
        let stroke = if fill == classes::NO_DATA {
            " stroke=\"#b4b4b4\""
        } else {
            ""
        };
        let _ = writeln!(
            self.out,
            "<path class=\"dep\" data-code=\"{}\" fill=\"{fill}\"{stroke} d=\"{}\"><title>{}</title></path>",
            xml_escape(&shape.code),
            frame.path(shape),
            xml_escape(title)
        );
    }

    fn text(&mut self, x: f64, y: f64, size: f64, extra: &str, text: &str) {
        let _ = writeln!(
            self.out,
            "<text x=\"{x:.1}\" y=\"{y:.1}\" font-size=\"{size}\"{extra}>{}</text>",
            xml_escape(text)
        );
    }

    /// `shapes` in one group of borders, through `frame`.
    fn shapes(&mut self, frame: &Frame, shapes: &[&Shape]) {
        let _ = writeln!(
            self.out,
            "<g stroke=\"{BORDER}\" stroke-width=\".5\" stroke-linejoin=\"round\" fill-rule=\"evenodd\">"
        );
        for s in shapes {
            self.shape(frame, s);
        }
        self.out.push_str("</g>\n");
    }

    fn swatch(&mut self, x: f64, y: f64, fill: &str, label: &str) {
        let _ = writeln!(
            self.out,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"22\" height=\"14\" fill=\"{fill}\" stroke=\"#666\" stroke-width=\".6\"/>"
        );
        self.text(x + 30.0, y + 11.5, 12.0, "", label);
    }
}

/// Writes the SVG document: title, metropolitan France, the insets (DROM, Paris and
/// its inner ring), the outline of the zoomed area, the legend and the notes.
pub(super) fn render(
    shapes: &BTreeMap<String, Shape>,
    cells: &BTreeMap<String, Cell>,
    classes: Option<&Classes>,
    spec: &MapSpec,
    published: usize,
) -> String {
    let suffix = id_suffix(spec, cells);
    let mut p = Painter {
        out: String::new(),
        cells,
        classes,
        colours: classes::palette(classes.map_or(0, Classes::count)),
        hatch: format!("hachures-{suffix}"),
    };
    // Metropolitan France.
    let metro: Vec<&Shape> = shapes.values().filter(|s| s.zone == Zone::Metro).collect();
    let metro_box = bbox_of(metro.iter().flat_map(|s| s.rings.iter().flatten()));
    let title = wrap(&spec.title, TITLE_CHARS);
    for (i, line) in title.iter().enumerate() {
        let y = MARGIN + 20.0 + 21.0 * i as f64;
        p.text(MARGIN, y, 17.0, " font-weight=\"bold\"", line);
    }
    let top = MARGIN + 21.0 * title.len().max(1) as f64 + 14.0;
    let metro_frame = Frame::fit(metro_box, MARGIN, top, METRO_W, METRO_H);
    let metro_bottom = metro_frame.origin.1 + span(metro_box.1, metro_box.3) * metro_frame.scale;
    p.shapes(&metro_frame, &metro);
    // Insets: the DROM, then Paris and its inner ring.
    let inset_y = metro_bottom + 14.0;
    let paris: Vec<&Shape> = PARIS.iter().filter_map(|c| shapes.get(*c)).collect();
    insets(&mut p, shapes, &paris, inset_y);
    // The zoomed area, outlined on the national map.
    outline_zoom(&mut p, &metro_frame, &paris);
    legend(&mut p, spec, published, top);
    // Notes.
    let mut y = inset_y + INSET_H + 36.0;
    let credit = "Fonds de carte : IGN, ADMIN EXPRESS COG 2018 (Licence Ouverte), simplifié.";
    for line in wrap(&spec.note, NOTE_CHARS)
        .iter()
        .chain([&credit.to_string()])
    {
        p.text(MARGIN, y, 11.0, " fill=\"#444\"", line);
        y += 16.0;
    }
    let height = (y + MARGIN).ceil();
    document(spec, &p, height)
}

/// The insets in a row at `inset_y`: each DROM, then Paris and its inner ring, framed
/// and labelled.
fn insets(p: &mut Painter, shapes: &BTreeMap<String, Shape>, paris: &[&Shape], inset_y: f64) {
    let n = Zone::INSETS.len() + 1;
    let inset_w = (WIDTH - 2.0 * MARGIN - INSET_GAP * (n - 1) as f64) / n as f64;
    let insets: Vec<(&str, Vec<&Shape>)> = Zone::INSETS
        .iter()
        .map(|z| {
            (
                z.label(),
                shapes.values().filter(|s| s.zone == *z).collect(),
            )
        })
        .chain([("Paris et petite couronne", paris.to_vec())])
        .collect();
    for (i, (label, group)) in insets.iter().enumerate() {
        if group.is_empty() {
            continue; // every zone has outlines (unit tests); no box without them
        }
        let x = MARGIN + i as f64 * (inset_w + INSET_GAP);
        let _ = writeln!(
            p.out,
            "<rect x=\"{x:.1}\" y=\"{inset_y:.1}\" width=\"{inset_w:.1}\" height=\"{INSET_H}\" fill=\"none\" stroke=\"#999\" stroke-width=\".8\"/>"
        );
        let bbox = bbox_of(group.iter().flat_map(|s| s.rings.iter().flatten()));
        let frame = Frame::fit(
            bbox,
            x + PADDING,
            inset_y + PADDING,
            inset_w - 2.0 * PADDING,
            INSET_H - 2.0 * PADDING,
        );
        p.shapes(&frame, group);
        p.text(
            x + inset_w / 2.0,
            inset_y + INSET_H + 14.0,
            11.0,
            " text-anchor=\"middle\"",
            label,
        );
    }
}

/// The outline of the zoomed area (Paris and its inner ring) on the national map.
fn outline_zoom(p: &mut Painter, metro_frame: &Frame, paris: &[&Shape]) {
    if paris.is_empty() {
        return;
    }
    let b = bbox_of(paris.iter().flat_map(|s| s.rings.iter().flatten()));
    let (a, c) = (
        metro_frame.tenths((b.0, b.1)),
        metro_frame.tenths((b.2, b.3)),
    );
    let _ = writeln!(
        p.out,
        "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"none\" stroke=\"#333\" stroke-width=\".8\"/>",
        px(a.0 - 10),
        px(a.1 - 10),
        px(c.0 - a.0 + 20),
        px(c.1 - a.1 + 20)
    );
}

/// Greedy word wrap at `max` characters (a longer word keeps a line of its own); no
/// line for an empty text.
pub(super) fn wrap(text: &str, max: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.chars().count() + 1 + word.chars().count() <= max => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_string()),
        }
    }
    lines
}

fn legend(p: &mut Painter, spec: &MapSpec, published: usize, top: f64) {
    let mut y = top + 16.0;
    for line in wrap(&spec.legend_title, LEGEND_CHARS) {
        p.text(LEGEND_X, y, 12.0, " font-weight=\"bold\"", &line);
        y += 15.0;
    }
    if !spec.legend_title.trim().is_empty() {
        y -= 3.0;
    }
    if let Some(c) = p.classes {
        let labels = c.labels(spec.unit);
        for (i, label) in labels.iter().enumerate() {
            let fill = p.colours[i].clone();
            p.swatch(LEGEND_X, y, &fill, label);
            y += 20.0;
        }
    }
    let used = |f: fn(&Fill) -> bool| p.cells.values().any(|c| f(&c.fill));
    let (secret, missing) = (
        used(|f| matches!(f, Fill::Secret)),
        used(|f| matches!(f, Fill::Missing)),
    );
    if secret {
        let fill = format!("url(#{})", p.hatch);
        p.swatch(LEGEND_X, y, &fill, "s : secret statistique");
        y += 20.0;
    }
    if missing {
        p.swatch(LEGEND_X, y, classes::NO_DATA, "non disponible");
        y += 20.0;
    }
    let how = match published {
        0 => "Aucune valeur publiée.".to_string(),
        1 => "Une seule valeur publiée.".to_string(),
        n => format!("Classes : quantiles des {n} valeurs publiées."),
    };
    p.text(LEGEND_X, y + 10.0, 11.0, " fill=\"#444\"", &how);
}

fn document(spec: &MapSpec, p: &Painter, height: f64) -> String {
    let title = xml_escape(&spec.title);
    let label = if spec.legend_title.is_empty() {
        format!("Carte des départements : {title}")
    } else {
        format!(
            "Carte des départements : {title}, {}",
            xml_escape(&spec.legend_title)
        )
    };
    let mut out = String::with_capacity(p.out.len() + 2048);
    let _ = writeln!(
        out,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" viewBox=\"0 0 {WIDTH} {height}\" role=\"img\" aria-label=\"{label}\" font-family=\"{FONT}\">"
    );
    let _ = writeln!(out, "<title>{title}</title>");
    let _ = writeln!(
        out,
        "<defs><pattern id=\"{}\" patternUnits=\"userSpaceOnUse\" width=\"5\" height=\"5\" patternTransform=\"rotate(45)\"><rect width=\"5\" height=\"5\" fill=\"#ffffff\"/><line x1=\"0\" y1=\"0\" x2=\"0\" y2=\"5\" stroke=\"#333333\" stroke-width=\"1.6\"/></pattern></defs>",
        p.hatch
    );
    let _ = writeln!(
        out,
        "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>"
    );
    out.push_str(&p.out);
    out.push_str("</svg>\n");
    out
}
