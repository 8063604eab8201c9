//! Legacy `.xls` (BIFF in an OLE container): the workbook stream read within the file
//! limit, every sheet's DIMENSIONS and cell positions and the shared-string table
//! checked; the stream rebuilt with only the selected sheets.

use super::*;

/// Reads an OLE container: an encrypted `.xlsx` (an `EncryptedPackage` stream) is
/// password protected, an `.xls` renamed is told apart; for an `.xls`, returns its BIFF
/// workbook stream (bounded by the file size limit).
pub fn read_biff_stream(
    path: &Path,
    format: Format,
    limits: &Limits,
) -> Result<Vec<u8>, SourceErrorKind> {
    let file = std::fs::File::open(path).map_err(|_| SourceErrorKind::NotFound)?;
    let mut cfb = cfb::CompoundFile::open(file)
        .map_err(|_| corrupt("le conteneur du classeur Excel 97-2003 est endommagé ou tronqué"))?;
    if cfb.is_stream("EncryptedPackage") || cfb.is_stream("/EncryptedPackage") {
        return Err(SourceErrorKind::PasswordProtected);
    }
    if format != Format::Xls {
        return Err(corrupt(
            "c'est en réalité un classeur Excel 97-2003 (.xls) renommé : rétablissez l'extension .xls",
        ));
    }
    let name = ["Workbook", "Book", "/Workbook", "/Book"]
        .into_iter()
        .find(|n| cfb.is_stream(n))
        .ok_or_else(|| corrupt("le classeur Excel 97-2003 n'a pas de feuilles lisibles"))?;
    let mut stream = Vec::new();
    cfb.open_stream(name)
        .and_then(|s| s.take(limits.file_bytes).read_to_end(&mut stream))
        .map_err(|_| corrupt("le classeur Excel 97-2003 est endommagé ou tronqué"))?;
    Ok(stream)
}

/// The end (exclusive) of the BIFF substream starting at `pos`: after the EOF record that
/// closes its first BOF, nested substreams (embedded charts) included.
pub(super) fn substream_end(stream: &[u8], pos: usize) -> usize {
    let mut depth = 0usize;
    let mut at = pos;
    for (typ, d) in records(stream.get(pos..).unwrap_or_default()) {
        at += 4 + d.len();
        match typ {
            0x0809 => depth += 1,
            0x000A => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return at;
                }
            }
            _ => {}
        }
    }
    at
}

/// Rebuilds an `.xls` in memory for calamine, which parses every sheet when it opens a
/// file: the workbook globals as they are, the sheets `keep` accepts (1-based position)
/// as they are, the others reduced to an end-of-sheet record; sheet positions patched.
/// Calamine never sees the original container.
pub fn rebuild_xls(
    stream: &[u8],
    keep: &dyn Fn(usize) -> bool,
) -> Result<Vec<u8>, SourceErrorKind> {
    let mut globals_end = 0usize;
    let mut bound: Vec<(usize, usize)> = Vec::new();
    for (typ, d) in records(stream) {
        let at = globals_end;
        globals_end += 4 + d.len();
        match typ {
            0x0085 => {
                let pos = u32_at(d, 0).and_then(|p| usize::try_from(p).ok());
                bound.push((at + 4, pos.unwrap_or(usize::MAX)));
            }
            0x000A => break,
            _ => {}
        }
    }
    let mut out = stream.get(..globals_end).unwrap_or_default().to_vec();
    const EOF: [u8; 4] = [0x0A, 0x00, 0x00, 0x00];
    for (i, (field, pos)) in bound.into_iter().enumerate() {
        let new_pos = u32::try_from(out.len())
            .map_err(|_| corrupt("le classeur Excel 97-2003 est trop grand pour ce format"))?;
        out[field..field + 4].copy_from_slice(&new_pos.to_le_bytes());
        if keep(i + 1) && pos < stream.len() {
            let end = substream_end(stream, pos);
            out.extend_from_slice(&stream[pos..end]);
        } else {
            out.extend_from_slice(&EOF);
        }
    }
    let fail = |_| corrupt("classeur impossible à recopier en mémoire");
    // Version 3 (512-byte sectors), what Excel writes and what calamine reads best.
    let mut comp =
        cfb::CompoundFile::create_with_version(cfb::Version::V3, io::Cursor::new(Vec::new()))
            .map_err(fail)?;
    comp.create_stream("Workbook")
        .and_then(|mut s| s.write_all(&out))
        .map_err(fail)?;
    comp.flush().map_err(fail)?;
    Ok(comp.into_inner().into_inner())
}

/// One BIFF record: type and data.
pub(super) fn records(stream: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut pos = 0usize;
    std::iter::from_fn(move || {
        let head = stream.get(pos..pos + 4)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let data = stream.get(pos + 4..pos + 4 + len)?;
        pos += 4 + len;
        Some((typ, data))
    })
}

pub(super) fn u16_at(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 2)
        .map(|b| u64::from(u16::from_le_bytes([b[0], b[1]])))
}

pub(super) fn u32_at(d: &[u8], at: usize) -> Option<u64> {
    d.get(at..at + 4)
        .map(|b| u64::from(u32::from_le_bytes([b[0], b[1], b[2], b[3]])))
}

/// The BIFF workbook stream of an `.xls`: the shared strings it declares (`SST`), and for
/// every sheet `keep` accepts (the ones calamine will be given) the area its DIMENSIONS
/// record claims (calamine reserves room for it) and the area its cells really cover (a
/// forged row or column index would make calamine allocate the whole rectangle).
pub fn check_biff(
    stream: &[u8],
    limits: &Limits,
    keep: &dyn Fn(usize) -> bool,
) -> Result<(), SourceErrorKind> {
    let mut sheets: Vec<usize> = Vec::new();
    // The SST record and the CONTINUE records that follow it.
    let mut sst: Vec<&[u8]> = Vec::new();
    let mut in_sst = false;
    for (typ, d) in records(stream) {
        if in_sst && typ == 0x003C {
            sst.push(d);
            continue;
        }
        in_sst = false;
        match typ {
            // FilePass: encrypted.
            0x002F if u16_at(d, 0).unwrap_or(0) != 0 => {
                return Err(SourceErrorKind::PasswordProtected);
            }
            // SST: cstTotal, cstUnique.
            0x00FC if u32_at(d, 4).unwrap_or(0) > limits.shared_strings => {
                return Err(shared_strings_too_many(limits));
            }
            0x00FC => {
                sst = vec![d.get(8..).unwrap_or_default()];
                in_sst = true;
            }
            // BoundSheet8: stream position of the sheet.
            0x0085 => {
                if let Some(pos) = u32_at(d, 0) {
                    sheets.push(usize::try_from(pos).unwrap_or(usize::MAX));
                }
            }
            0x000A => break,
            _ => {}
        }
    }
    let lengths = if sheets.iter().enumerate().any(|(i, _)| keep(i + 1)) {
        sst_lengths(sst, limits.shared_strings)
    } else {
        Vec::new()
    };
    for (i, pos) in sheets.into_iter().enumerate() {
        if !keep(i + 1) {
            continue;
        }
        let Some(sub) = stream.get(pos..) else {
            continue;
        };
        check_biff_sheet(sub, i + 1, &lengths, limits)?;
    }
    Ok(())
}

/// Reads bytes across the SST record and its CONTINUE records.
pub(super) struct Segments<'a> {
    pub(super) segs: Vec<&'a [u8]>,
    pub(super) seg: usize,
    pub(super) pos: usize,
}

impl Segments<'_> {
    fn byte(&mut self) -> Option<u8> {
        loop {
            let s = self.segs.get(self.seg)?;
            if let Some(b) = s.get(self.pos) {
                self.pos += 1;
                return Some(*b);
            }
            self.seg += 1;
            self.pos = 0;
        }
    }

    fn u16(&mut self) -> Option<u64> {
        Some(u64::from(u16::from_le_bytes([self.byte()?, self.byte()?])))
    }

    fn u32(&mut self) -> Option<u64> {
        let lo = self.u16()?;
        Some(lo | (self.u16()? << 16))
    }

    fn skip(&mut self, mut n: u64) -> Option<()> {
        while n > 0 {
            let s = self.segs.get(self.seg)?;
            let avail = (s.len() - self.pos.min(s.len())) as u64;
            if avail == 0 {
                self.seg += 1;
                self.pos = 0;
                continue;
            }
            let take = avail.min(n);
            self.pos += take as usize;
            n -= take;
        }
        Some(())
    }

    /// Skips `cch` characters and returns their size in bytes; character data split over
    /// records restarts with a byte that says whether the rest is 8- or 16-bit.
    fn chars(&mut self, mut cch: u64, mut wide: bool) -> Option<u64> {
        let mut bytes = 0;
        loop {
            let s = self.segs.get(self.seg)?;
            let per = if wide { 2 } else { 1 };
            let avail = (s.len() - self.pos.min(s.len())) as u64 / per;
            let take = avail.min(cch);
            self.pos += (take * per) as usize;
            bytes += take * per;
            cch -= take;
            if cch == 0 {
                return Some(bytes);
            }
            self.seg += 1;
            self.pos = 0;
            wide = self.byte()? & 1 != 0;
        }
    }
}

/// Each shared string of an `.xls`: characters, and size as stored (8-bit characters count
/// one byte, 16-bit ones two: close to its size once decoded); at most `max` strings.
pub(super) fn sst_lengths(segs: Vec<&[u8]>, max: u64) -> Vec<(u64, u64)> {
    let mut r = Segments {
        segs,
        seg: 0,
        pos: 0,
    };
    let mut out = Vec::new();
    while (out.len() as u64) < max {
        let Some(cch) = r.u16() else { break };
        let Some(flags) = r.byte() else { break };
        let wide = flags & 0x01 != 0;
        let runs = if flags & 0x08 != 0 { r.u16() } else { Some(0) };
        let ext = if flags & 0x04 != 0 { r.u32() } else { Some(0) };
        let (Some(runs), Some(ext)) = (runs, ext) else {
            break;
        };
        let Some(bytes) = r.chars(cch, wide) else {
            break;
        };
        out.push((cch, bytes));
        if r.skip(runs * 4).and_then(|()| r.skip(ext)).is_none() {
            break;
        }
    }
    out
}

// Long function: a walk over the records of a BIFF sheet stream; every record type shares
// the position and bound state.
pub(super) fn check_biff_sheet(
    sub: &[u8],
    position: usize,
    sst: &[(u64, u64)],
    limits: &Limits,
) -> Result<(), SourceErrorKind> {
    let mut text: u64 = 0;
    let mut add_text = |row: Option<u64>, col: Option<u64>, chars: u64, bytes: u64| {
        if chars > limits.cell_chars as u64 {
            return Err(cell_too_long(
                limits,
                Some(position),
                row.unwrap_or(0),
                col.unwrap_or(0),
            ));
        }
        text = text.saturating_add(bytes);
        if text > limits.sheet_text_bytes {
            return Err(sheet_text_too_large(limits, Some(position)));
        }
        Ok(())
    };
    let (mut max_r, mut max_c) = (None::<u64>, None::<u64>);
    let mut depth = 0usize;
    let mut seen_bof = false;
    let area = |r: u64, c: u64| (r + 1).saturating_mul(c + 1);
    for (typ, d) in records(sub) {
        if depth > 0 {
            match typ {
                0x0809 => depth += 1,
                0x000A => depth -= 1,
                _ => {}
            }
            continue;
        }
        let mut cell = |r: Option<u64>, c: Option<u64>| -> Result<(), SourceErrorKind> {
            if let (Some(r), Some(c)) = (r, c) {
                let r = max_r.map_or(r, |m| m.max(r));
                let c = max_c.map_or(c, |m| m.max(c));
                max_r = Some(r);
                max_c = Some(c);
                if area(r, c) > limits.cells_per_sheet {
                    return Err(area_too_large(limits, Some(position)));
                }
            }
            Ok(())
        };
        match typ {
            0x0809 => {
                if seen_bof {
                    depth += 1;
                } else {
                    seen_bof = true;
                }
            }
            // DIMENSIONS, as calamine reads it: rows [rf, rl), columns [cf, cl).
            0x0200 => {
                let (rf, rl, cf, cl) = match d.len() {
                    10 => (u16_at(d, 0), u16_at(d, 2), u16_at(d, 4), u16_at(d, 6)),
                    14 | 16 => (u32_at(d, 0), u32_at(d, 4), u16_at(d, 8), u16_at(d, 10)),
                    _ => (None, None, None, None),
                };
                if let (Some(rf), Some(rl), Some(mut cf), Some(cl)) = (rf, rl, cf, cl) {
                    if cf > 0xFF || cl < cf {
                        cf = 0;
                    }
                    if rl >= 1 && cl >= 1 {
                        if rl - 1 < rf {
                            return Err(corrupt(
                                "les dimensions déclarées d'une feuille sont incohérentes : fichier forgé ou endommagé",
                            ));
                        }
                        let rows = rl - rf;
                        let cols = cl.saturating_sub(cf).max(1);
                        if rows.saturating_mul(cols) > limits.cells_per_sheet {
                            return Err(area_too_large(limits, Some(position)));
                        }
                    }
                }
            }
            // Cells with (row, column) first: Number, Label, RString, BoolErr, Rk,
            // LabelSst, Formula.
            0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 => {
                let (r, c) = (u16_at(d, 0), u16_at(d, 2));
                cell(r, c)?;
                match typ {
                    // Label, RString: an XLUnicodeString (cch, flags, characters).
                    0x0204 | 0x00D6 => {
                        let cch = u16_at(d, 6).unwrap_or(0);
                        let wide = d.get(8).is_some_and(|f| f & 1 != 0);
                        add_text(r, c, cch, if wide { cch * 2 } else { cch })?;
                    }
                    // LabelSst: a copy of a shared string.
                    0x00FD => {
                        let (chars, bytes) = u32_at(d, 6)
                            .and_then(|i| usize::try_from(i).ok())
                            .and_then(|i| sst.get(i))
                            .copied()
                            .unwrap_or((0, 0));
                        add_text(r, c, chars, bytes)?;
                    }
                    _ => {}
                }
            }
            // MulRk: row, first column, …, last column.
            0x00BD => {
                let last = d.len().checked_sub(2).and_then(|at| u16_at(d, at));
                cell(u16_at(d, 0), last)?;
            }
            0x000A => break,
            _ => {}
        }
    }
    Ok(())
}
