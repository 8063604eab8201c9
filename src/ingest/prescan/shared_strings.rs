//! Shared strings of `.xlsx`/`.xlsm` (`sharedStrings.xml`) and `.xlsb`
//! (`sharedStrings.bin`): declared and actual counts against the limits.

use super::*;

/// `xl/sharedStrings.xml`: the declared number of distinct strings (`uniqueCount`, which
/// calamine reserves room for) and the actual number of `<si>` entries, against
/// [`Limits::shared_strings`]. (`count` is the number of references to shared strings in
/// the sheets, legitimately larger, so it is not checked.) Each string's length is checked
/// when a cell uses it.
pub(super) fn scan_shared_strings_xml<R: BufRead>(r: R, limits: &Limits) -> Result<(), Scan> {
    let mut x = xml_reader(r);
    let mut buf = Vec::new();
    let mut n: u64 = 0;
    loop {
        match x.read_event_into(&mut buf)? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "sst" => {
                    if let Some(declared) = attr_u64(&e, "uniqueCount") {
                        match declared {
                            Ok(d) if d <= limits.shared_strings => {}
                            _ => return Err(Scan::Limit(shared_strings_too_many(limits))),
                        }
                    }
                }
                "si" => {
                    n += 1;
                    if n > limits.shared_strings {
                        return Err(Scan::Limit(shared_strings_too_many(limits)));
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(()),
            _ => {}
        }
        buf.clear();
    }
}

/// Reads one XLSB record header (type, size), `None` at the end of the part.
pub(super) fn xlsb_record_header<R: Read>(r: &mut R) -> Result<Option<(u32, u64)>, Scan> {
    let mut b = [0u8; 1];
    let mut typ: u32 = 0;
    for i in 0..2 {
        if r.read(&mut b)? == 0 {
            return if i == 0 { Ok(None) } else { Err(Scan::Broken) };
        }
        typ |= u32::from(b[0] & 0x7F) << (7 * i);
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    let mut size: u64 = 0;
    for i in 0..4 {
        r.read_exact(&mut b)?;
        size |= u64::from(b[0] & 0x7F) << (7 * i);
        if b[0] & 0x80 == 0 {
            break;
        }
    }
    Ok(Some((typ, size)))
}

/// `xl/sharedStrings.bin`: `BrtBeginSst` declares the number of distinct strings; the
/// `BrtSSTItem` records are counted.
pub(super) fn scan_shared_strings_bin<R: Read>(mut r: R, limits: &Limits) -> Result<(), Scan> {
    const BRT_BEGIN_SST: u32 = 0x9F;
    const BRT_SST_ITEM: u32 = 0x13;
    let mut n: u64 = 0;
    while let Some((typ, size)) = xlsb_record_header(&mut r)? {
        if typ == BRT_BEGIN_SST && size >= 8 {
            let mut head = [0u8; 8];
            r.read_exact(&mut head)?;
            let unique = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            if u64::from(unique) > limits.shared_strings {
                return Err(Scan::Limit(shared_strings_too_many(limits)));
            }
            io::copy(&mut (&mut r).take(size - 8), &mut io::sink())?;
            continue;
        }
        if typ == BRT_SST_ITEM {
            n += 1;
            if n > limits.shared_strings {
                return Err(Scan::Limit(shared_strings_too_many(limits)));
            }
        }
        let copied = io::copy(&mut (&mut r).take(size), &mut io::sink())?;
        if copied < size {
            return Err(Scan::Broken);
        }
    }
    Ok(())
}
