//! The two encodings of a chart: SVG with its fonts embedded as `@font-face` subsets,
//! and PNG rasterised in memory at twice the size.

use super::*;

pub(super) fn render_svg(p: &Prepared) -> Result<String, ChartError> {
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
pub(super) fn embed_fonts(raw: &str, title: &str) -> String {
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

pub(super) fn xml_escape(text: &str) -> String {
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
pub(super) fn svg_text_chars(svg: &str) -> (BTreeSet<char>, BTreeSet<char>) {
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

pub(super) fn render_png(p: &Prepared) -> Result<Vec<u8>, ChartError> {
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
