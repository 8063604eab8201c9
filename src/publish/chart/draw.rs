//! Drawing primitives shared by both backends (all sizes multiplied by the scale `s`):
//! the ticked axis, fonts, text fitting, markers, dashes, the header and the legend.

use super::*;

/// Linear axis whose ticks (and grid lines) are exactly the given values, so that
/// years stay whole and percentages fall on round numbers.
#[derive(Clone)]
pub(super) struct TickedAxis {
    pub(super) lo: f64,
    pub(super) hi: f64,
    pub(super) ticks: Vec<f64>,
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

pub(super) fn draw_error<E: std::error::Error + Send + Sync>(
    err: plotters::drawing::DrawingAreaErrorKind<E>,
) -> ChartError {
    ChartError::Dessin(err.to_string())
}

pub(super) fn font(size: f64, bold: bool) -> FontDesc<'static> {
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FONT_FAMILY), size, style)
}

/// Pixel length `v` at scale `s`, as plotters' integer coordinates.
pub(super) fn px(v: f64, s: f64) -> i32 {
    (v * s).round() as i32
}

/// Stroke width `v` at scale `s` (at least one pixel).
pub(super) fn stroke(v: f64, s: f64) -> u32 {
    (v * s).round().max(1.0) as u32
}

pub(super) fn text_size<DB: DrawingBackend>(
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
pub(super) fn fit_text<DB: DrawingBackend>(
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

/// The banner in lines of at most `max_width`, cut between its parts (« A — B — C »);
/// a part wider than a line alone is shortened with « … ».
fn wrap_banner<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    text: &str,
    style: &TextStyle,
    max_width: i32,
) -> Result<Vec<String>, ChartError> {
    let mut lines: Vec<String> = Vec::new();
    for part in text.split(" — ") {
        let joined = lines.last().map(|l| format!("{l} — {part}"));
        match joined {
            Some(j) if text_size(area, &j, style)?.0 <= max_width => {
                if let Some(last) = lines.last_mut() {
                    *last = j;
                }
            }
            _ => lines.push(fit_text(area, part, style, max_width)?),
        }
    }
    Ok(lines)
}

#[derive(Clone, Copy)]
pub(super) enum Marker {
    Circle,
    Square,
    Triangle,
    Diamond,
}

/// Colour (line, label text) and marker of the `index`-th series. Eight colours and four
/// shapes: the first 32 series all differ by colour or shape.
pub(super) fn series_style(index: usize) -> (RGBColor, RGBColor, Marker) {
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
pub(super) fn draw_marker<DB: DrawingBackend>(
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
pub(super) fn draw_dashes<DB: DrawingBackend>(
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
pub(super) enum LegendKey {
    Series(usize),
    Reference,
    Secret,
}

/// Line segment between two pixel positions.
pub(super) type Segment = ((i32, i32), (i32, i32));

/// Axis-aligned box in pixels, for the label collision checks.
#[derive(Clone, Copy)]
pub(super) struct PixelBox {
    pub(super) x0: i32,
    pub(super) y0: i32,
    pub(super) x1: i32,
    pub(super) y1: i32,
}

impl PixelBox {
    pub(super) fn intersects(&self, other: &PixelBox) -> bool {
        self.x0 < other.x1 && other.x0 < self.x1 && self.y0 < other.y1 && other.y0 < self.y1
    }

    /// Whether the segment `a`–`b` passes through the box (Liang–Barsky clipping).
    pub(super) fn crosses_segment(&self, a: (i32, i32), b: (i32, i32)) -> bool {
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
pub(super) fn draw_header<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    p: &Prepared,
    s: f64,
) -> Result<i32, ChartError> {
    let width = i32::try_from(root.dim_in_pixel().0).unwrap_or(i32::MAX);
    let pad = px(18.0, s);
    let mut top = px(14.0, s);
    if let Some(banner) = p.banner.as_deref().filter(|b| !b.is_empty()) {
        let style = font(16.0 * s, true)
            .color(&BANNER_TEXT)
            .pos(Pos::new(HPos::Center, VPos::Center));
        // A banner names the audience: it wraps (at its « — ») rather than being cut.
        let lines = wrap_banner(root, banner, &style, width - 2 * pad)?;
        let line = px(22.0, s);
        let band = px(30.0, s) + line * (lines.len() as i32 - 1);
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
        let first = px(30.0, s) / 2;
        for (i, text) in lines.iter().enumerate() {
            root.draw_text(text, &style, (width / 2, first + line * i as i32))
                .map_err(draw_error)?;
        }
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
pub(super) fn draw_legend<DB: DrawingBackend>(
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
    let entries = legend_entries(p);
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
        draw_swatch(root, key, (x, y), swatch, s)?;
        root.draw_text(&text, &style, (x + swatch + swatch_gap, y))
            .map_err(draw_error)?;
        x += item_width + item_gap;
    }
    Ok(top + (row + 1) * row_height + px(6.0, s))
}

/// The legend's entries: the series (« aucune donnée » when empty), the reference line
/// and the secret mark when the chart has them.
fn legend_entries(p: &Prepared) -> Vec<(LegendKey, String)> {
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
    entries
}

/// The swatch of one legend entry, `swatch` wide from `(x, y)` (its middle height).
fn draw_swatch<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    key: &LegendKey,
    (x, y): (i32, i32),
    swatch: i32,
    s: f64,
) -> Result<(), ChartError> {
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
    Ok(())
}
