//! The plot area of a chart: grid, axes, reference line, series, secret marks and the
//! placement of value labels.

use super::*;

/// The plot area of a chart, in data coordinates (year, value).
type Plot<DB> = DrawingArea<DB, Cartesian2d<TickedAxis, TickedAxis>>;

/// Radius of a series marker, before scaling.
const MARKER_RADIUS: f64 = 4.5;

/// Draws the whole chart in a fixed z-order: header, legend, grid and axes, reference
/// line, series, secret marks, markers, value labels.
pub(super) fn draw_chart<DB: DrawingBackend>(
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
    let top = draw_header(root, p, s)?;
    let top = draw_legend(root, p, top, s)?;

    // Plot area with axes.
    let top = top.min(height / 2);
    let (_, body) = root.split_vertically(top);
    let plot = draw_axes(root, &body, p, s)?;
    let (plot_x, plot_y) = plot.get_pixel_range();

    // Pixel segments of the lines, which the value labels try not to cover.
    let mut segments: Vec<Segment> = Vec::new();

    // Reference line, under the data.
    if let Some((value, _)) = &p.reference {
        let (_, y) = plot.map_coordinate(&(0.0, *value));
        draw_dashes(root, (plot_x.start, plot_x.end, y), s)?;
        segments.push(((plot_x.start, y), (plot_x.end, y)));
    }

    if !p.has_points() {
        return draw_no_data(root, (plot_x, plot_y), s);
    }
    draw_lines(&plot, p, &mut segments, s)?;
    let mut obstacles = draw_secret_marks(root, &plot, p, s)?;
    let points = draw_markers(root, &plot, p, &mut obstacles, s)?;
    let bounds = PixelBox {
        x0: plot_x.start,
        y0: plot_y.start,
        x1: width - px(2.0, s),
        y1: plot_y.end,
    };
    draw_value_labels(root, &plot, p, points, (obstacles, &segments), &bounds, s)
}

/// Grid, axes, ticks and axis descriptions in `body`; the plot area they frame.
fn draw_axes<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    body: &DrawingArea<DB, Shift>,
    p: &Prepared,
    s: f64,
) -> Result<Plot<DB>, ChartError> {
    let pad = px(18.0, s);
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
    let mut chart = ChartBuilder::on(body)
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

    Ok(chart.plotting_area().clone())
}

/// « Aucune donnée à afficher » in the middle of the plot area, on white.
fn draw_no_data<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    (plot_x, plot_y): (std::ops::Range<i32>, std::ops::Range<i32>),
    s: f64,
) -> Result<(), ChartError> {
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
    Ok(())
}

/// Lines: one path per run of consecutive years (a missing year is a gap); their pixel
/// segments are added to `segments`.
fn draw_lines<DB: DrawingBackend>(
    plot: &Plot<DB>,
    p: &Prepared,
    segments: &mut Vec<Segment>,
    s: f64,
) -> Result<(), ChartError> {
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
                .map(|&(x, y)| plot.map_coordinate(&(x, y)))
                .collect();
            segments.extend(pixels.windows(2).filter_map(|w| match w {
                [a, b] => Some((*a, *b)),
                _ => None,
            }));
            plot.draw(&PathElement::new(run, color.stroke_width(stroke(2.5, s))))
                .map_err(draw_error)?;
        }
    }

    Ok(())
}

/// Secret points: « s » at the foot of the year, stacked by series; the boxes they
/// take.
fn draw_secret_marks<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &Plot<DB>,
    p: &Prepared,
    s: f64,
) -> Result<Vec<PixelBox>, ChartError> {
    let (_, plot_y) = plot.get_pixel_range();
    let mut obstacles: Vec<PixelBox> = Vec::new();
    let mut stacked: BTreeMap<i32, i32> = BTreeMap::new();
    for &(i, year) in &p.secret {
        let (_, text_color, _) = series_style(i);
        let level = stacked.entry(year).or_default();
        let (x, _) = plot.map_coordinate(&(f64::from(year), p.y_range.0));
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

    Ok(obstacles)
}

/// The markers of every point, added to `obstacles`; the points, candidates for a
/// value label.
fn draw_markers<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &Plot<DB>,
    p: &Prepared,
    obstacles: &mut Vec<PixelBox>,
    s: f64,
) -> Result<Vec<LabelledPoint>, ChartError> {
    let marker_radius = MARKER_RADIUS * s;
    let mut points: Vec<LabelledPoint> = Vec::new();
    for (i, line) in p.lines.iter().enumerate() {
        let (color, _, marker) = series_style(i);
        for (k, &(year, value)) in line.points.iter().enumerate() {
            let (x, y) = plot.map_coordinate(&(f64::from(year), value));
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

    Ok(points)
}

/// Value labels: on every point when the years are far enough apart, otherwise on the
/// last point of each series only; each where it is free (`place_label`), or left out.
fn draw_value_labels<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &Plot<DB>,
    p: &Prepared,
    mut points: Vec<LabelledPoint>,
    (mut obstacles, segments): (Vec<PixelBox>, &[Segment]),
    bounds: &PixelBox,
    s: f64,
) -> Result<(), ChartError> {
    let marker_radius = MARKER_RADIUS * s;
    let y_lo = p.y_range.0;
    let to_px = |year: i32, v: f64| plot.map_coordinate(&(f64::from(year), v));
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
    for point in &points {
        let text = percent_fr(point.value, 1);
        let size = text_size(root, &text, &label_style)?;
        // Nothing is better than overlapping text: a label with no free place is left
        // out (the value is in the report's tables).
        let Some(place) = place_label(
            point,
            size,
            bounds,
            (&obstacles, segments),
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
pub(super) struct LabelledPoint {
    pub(super) x: i32,
    pub(super) y: i32,
    pub(super) series: usize,
    pub(super) value: f64,
    /// Last (most recent) point of its series.
    pub(super) last: bool,
}

/// First free place for a `(w, h)` label around `point`, among: above, below, right,
/// left, then the four diagonals. A place must stay in `bounds` and clear of the
/// `obstacles` (markers, other labels); places that also avoid the line `segments`
/// are preferred. The returned box includes the label's padding.
pub(super) fn place_label(
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
