//! Minimal TrueType (`glyf`) subsetter: keeps the glyphs of the requested characters
//! (plus composite components and `.notdef`), renumbers them, and rebuilds `cmap`
//! (format 4), `glyf`, `loca`, `hmtx`, `kern` (format 0) and `post` (version 3).
//! Hinting tables, `name` and `OS/2` are copied; layout tables (GSUB, GPOS…) are
//! dropped. Returns `None` on any structure it does not understand.

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

/// A TrueType font reduced to the glyphs of `chars` (and their composite components),
/// renumbered densely; `None` if the font cannot be read.
pub(crate) fn subset_ttf(font: &[u8], chars: &BTreeSet<char>) -> Option<Vec<u8>> {
    let font = Font::read(font)?;
    let (char_map, wanted) = font.wanted_glyphs(chars)?;
    let remap: BTreeMap<u16, u16> = wanted
        .iter()
        .enumerate()
        .map(|(new, old)| Some((*old, u16::try_from(new).ok()?)))
        .collect::<Option<_>>()?;
    let out_tables = font.subset_tables(&remap, &char_map)?;
    assemble(&out_tables)
}

/// (character code, glyph) pairs of a cmap.
type CharMap = Vec<(u16, u16)>;

/// The tables of a font that a subset rewrites.
struct Font<'a> {
    tables: BTreeMap<[u8; 4], &'a [u8]>,
    head: &'a [u8],
    hhea: &'a [u8],
    maxp: &'a [u8],
    hmtx: &'a [u8],
    loca: &'a [u8],
    glyf: &'a [u8],
    cmap: &'a [u8],
    post: &'a [u8],
    long_loca: bool,
    glyph_count: u16,
}

impl<'a> Font<'a> {
    fn read(font: &'a [u8]) -> Option<Self> {
        let tables = tables(font)?;
        let head = *tables.get(b"head")?;
        let maxp = *tables.get(b"maxp")?;
        Some(Self {
            head,
            hhea: tables.get(b"hhea")?,
            maxp,
            hmtx: tables.get(b"hmtx")?,
            loca: tables.get(b"loca")?,
            glyf: tables.get(b"glyf")?,
            cmap: tables.get(b"cmap")?,
            post: tables.get(b"post")?,
            long_loca: u16_at(head, 50)? == 1,
            glyph_count: u16_at(maxp, 4)?,
            tables,
        })
    }

    /// The outline of glyph `id`.
    fn glyph(&self, id: u16) -> Option<&'a [u8]> {
        let (loca, i) = (self.loca, usize::from(id));
        let (start, end) = if self.long_loca {
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
        self.glyf.get(start..end)
    }

    /// The (character code, original glyph) pairs of `chars` the font has, and every
    /// glyph they need: theirs, glyph 0 and composite components, transitively.
    fn wanted_glyphs(&self, chars: &BTreeSet<char>) -> Option<(CharMap, BTreeSet<u16>)> {
        let glyph_count = self.glyph_count;
        // Characters → original glyphs.
        let sub = unicode_subtable(self.cmap)?;
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
            let data = self.glyph(id)?;
            for at in component_offsets(data)? {
                let component = u16_at(data, at)?;
                if component < glyph_count && wanted.insert(component) {
                    queue.push(component);
                }
            }
        }
        Some((char_map, wanted))
    }

    /// glyf + loca (long format), hmtx (all long metrics) of the kept glyphs, in their
    /// new order, composite components renumbered.
    fn glyphs_and_metrics(
        &self,
        remap: &BTreeMap<u16, u16>,
    ) -> Option<(Vec<u8>, Vec<u8>, Vec<u8>)> {
        let (hhea, hmtx) = (self.hhea, self.hmtx);
        let metrics = usize::from(u16_at(hhea, 34)?).max(1);
        let mut new_glyf = Vec::new();
        let mut new_loca = Vec::new();
        let mut new_hmtx = Vec::new();
        for &old in remap.keys() {
            new_loca.extend_from_slice(&u32::try_from(new_glyf.len()).ok()?.to_be_bytes());
            let mut data = self.glyph(old)?.to_vec();
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

        Some((new_glyf, new_loca, new_hmtx))
    }

    /// Every table of the subset, by tag: rewritten (cmap, glyf, head, hhea, hmtx,
    /// loca, maxp, post, kern, OS/2) or copied (name, hinting, gasp).
    fn subset_tables(
        &self,
        remap: &BTreeMap<u16, u16>,
        char_map: &[(u16, u16)],
    ) -> Option<BTreeMap<[u8; 4], Vec<u8>>> {
        let (head, hhea, maxp, post, tables) =
            (self.head, self.hhea, self.maxp, self.post, &self.tables);
        let new_count = u16::try_from(remap.len()).ok()?;
        let (new_glyf, new_loca, new_hmtx) = self.glyphs_and_metrics(remap)?;
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
        if let Some(kern) = tables.get(b"kern").and_then(|k| build_kern(k, remap)) {
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

        Some(out_tables)
    }
}

/// The font file: offset table, directory (sorted by tag), 4-byte aligned tables, and
/// the whole-font checksum adjustment in `head`.
fn assemble(out_tables: &BTreeMap<[u8; 4], Vec<u8>>) -> Option<Vec<u8>> {
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
    for (tag, data) in out_tables {
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
