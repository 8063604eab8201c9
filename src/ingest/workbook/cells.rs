//! Grids built cell by cell from calamine's ranges within the limits: the area, each
//! cell's text and the sheet's total text bounded as the grid grows; cells converted to
//! the file-independent cell model (dates in the workbook's date system).

use super::*;

/// Builds a grid cell by cell, enforcing the limits as it grows: the area from A1 to the
/// last cell (what the rest of ingest walks), each cell's text, and the sheet's total text
/// (a shared string used by a million cells is copied a million times).
pub(super) struct GridBuilder<'a> {
    pub(super) grid: Grid,
    pub(super) limits: &'a Limits,
    pub(super) rows: u64,
    pub(super) cols: u64,
    pub(super) text_bytes: u64,
}

impl<'a> GridBuilder<'a> {
    pub(super) fn new(limits: &'a Limits) -> Self {
        GridBuilder {
            grid: Grid::default(),
            limits,
            rows: 0,
            cols: 0,
            text_bytes: 0,
        }
    }

    pub(super) fn check_text(&mut self, r: u32, c: u32, text: &str) -> Result<(), SourceErrorKind> {
        // Bytes bound the characters from above: count characters only when needed.
        if text.len() > self.limits.cell_chars && text.chars().count() > self.limits.cell_chars {
            return Err(prescan::cell_too_long(
                self.limits,
                None,
                u64::from(r),
                u64::from(c),
            ));
        }
        self.add_text(text.len() as u64)
    }

    pub(super) fn add_text(&mut self, bytes: u64) -> Result<(), SourceErrorKind> {
        self.text_bytes = self.text_bytes.saturating_add(bytes);
        if self.text_bytes > self.limits.sheet_text_bytes {
            return Err(prescan::sheet_text_too_large(self.limits, None));
        }
        Ok(())
    }

    pub(super) fn put(&mut self, r: u32, c: u32, cell: Cell) -> Result<(), SourceErrorKind> {
        if cell == Cell::Empty {
            return Ok(());
        }
        let rows = self.rows.max(u64::from(r) + 1);
        let cols = self.cols.max(u64::from(c) + 1);
        if rows.saturating_mul(cols) > self.limits.cells_per_sheet {
            return Err(prescan::area_too_large(self.limits, None));
        }
        (self.rows, self.cols) = (rows, cols);
        let (r, c) = (r as usize, c as usize);
        if self.grid.rows.len() <= r {
            self.grid.rows.resize_with(r + 1, Vec::new);
        }
        let row = &mut self.grid.rows[r];
        if row.len() <= c {
            row.resize(c + 1, Cell::Empty);
        }
        row[c] = cell;
        Ok(())
    }

    /// Fills merged regions (clamped to the cells that exist: only those are filled), the
    /// copies counted in the sheet's text and the work bounded by the area limit.
    pub(super) fn fill_merged(&mut self, regions: &[MergedRegion]) -> Result<(), SourceErrorKind> {
        let height = self.grid.height();
        let width = self.grid.width();
        if height == 0 || width == 0 {
            return Ok(());
        }
        let mut clamped = Vec::new();
        let mut work: u64 = 0;
        for m in regions {
            if m.first_row >= height || m.first_col >= width {
                continue;
            }
            let c = MergedRegion {
                first_row: m.first_row,
                first_col: m.first_col,
                last_row: m.last_row.min(height - 1).max(m.first_row),
                last_col: m.last_col.min(width - 1).max(m.first_col),
            };
            let area = ((c.last_row - c.first_row + 1) as u64)
                .saturating_mul((c.last_col - c.first_col + 1) as u64);
            work = work.saturating_add(area);
            if work > self.limits.cells_per_sheet {
                return Err(prescan::area_too_large(self.limits, None));
            }
            if let Some(t) = self.grid.get(c.first_row, c.first_col).as_text() {
                self.add_text((t.len() as u64).saturating_mul(area))?;
            }
            clamped.push(c);
        }
        self.grid.fill_merged(&clamped);
        Ok(())
    }
}

pub(super) fn build_grid<'l>(
    sheets: &mut Book,
    name: &str,
    limits: &'l Limits,
) -> Result<GridBuilder<'l>, SourceErrorKind> {
    let mut b = GridBuilder::new(limits);
    match sheets {
        Sheets::Xlsx(x) => {
            let mut reader = match x.worksheet_cells_reader(name) {
                Ok(r) => r,
                // A chart sheet: no cells.
                Err(calamine::XlsxError::NotAWorksheet(_)) => return Ok(b),
                Err(e) => return Err(translate(&calamine::Error::Xlsx(e))),
            };
            while let Some(cell) = reader
                .next_cell()
                .map_err(|e| translate(&calamine::Error::Xlsx(e)))?
            {
                let (r, c) = cell.get_position();
                let v = convert_ref(&mut b, r, c, cell.get_value())?;
                b.put(r, c, v)?;
            }
        }
        Sheets::Xlsb(x) => {
            let mut reader = x
                .worksheet_cells_reader(name)
                .map_err(|e| translate(&calamine::Error::Xlsb(e)))?;
            while let Some(cell) = reader
                .next_cell()
                .map_err(|e| translate(&calamine::Error::Xlsb(e)))?
            {
                let (r, c) = cell.get_position();
                let v = convert_ref(&mut b, r, c, cell.get_value())?;
                b.put(r, c, v)?;
            }
        }
        // Already read whole (and bounded by the pre-checks) when the file was opened.
        Sheets::Xls(_) | Sheets::Ods(_) => {
            let range = sheets.worksheet_range(name).map_err(|e| translate(&e))?;
            let (r0, c0) = range.start().unwrap_or((0, 0));
            for (r, c, d) in range.used_cells() {
                let (r, c) = (r0 + r as u32, c0 + c as u32);
                let v = convert(&mut b, r, c, d)?;
                b.put(r, c, v)?;
            }
        }
    }
    Ok(b)
}

pub(super) fn convert_ref(
    b: &mut GridBuilder,
    r: u32,
    c: u32,
    d: &DataRef<'_>,
) -> Result<Cell, SourceErrorKind> {
    Ok(match d {
        DataRef::SharedString(s) => {
            b.check_text(r, c, s)?;
            Cell::Text((*s).to_string())
        }
        DataRef::String(s) => {
            b.check_text(r, c, s)?;
            Cell::Text(s.clone())
        }
        DataRef::Empty => Cell::Empty,
        DataRef::Float(f) => Cell::Number(*f),
        DataRef::Int(i) => Cell::Number(*i as f64),
        DataRef::Bool(v) => Cell::Bool(*v),
        DataRef::DateTime(dt) => date_cell(dt),
        DataRef::DateTimeIso(s) => {
            b.check_text(r, c, s)?;
            Cell::IsoDate(s.clone())
        }
        DataRef::DurationIso(s) => {
            b.check_text(r, c, s)?;
            Cell::Text(s.clone())
        }
        DataRef::Error(e) => Cell::Error(e.to_string()),
    })
}

pub(super) fn convert(
    b: &mut GridBuilder,
    r: u32,
    c: u32,
    d: &Data,
) -> Result<Cell, SourceErrorKind> {
    Ok(match d {
        Data::Empty => Cell::Empty,
        Data::String(s) => {
            b.check_text(r, c, s)?;
            Cell::Text(s.clone())
        }
        Data::Float(f) => Cell::Number(*f),
        Data::Int(i) => Cell::Number(*i as f64),
        Data::Bool(v) => Cell::Bool(*v),
        Data::DateTime(dt) => date_cell(dt),
        Data::DateTimeIso(s) => {
            b.check_text(r, c, s)?;
            Cell::IsoDate(s.clone())
        }
        Data::DurationIso(s) => {
            b.check_text(r, c, s)?;
            Cell::Text(s.clone())
        }
        Data::Error(e) => Cell::Error(e.to_string()),
    })
}

pub(super) fn date_cell(dt: &calamine::ExcelDateTime) -> Cell {
    if dt.is_datetime() {
        // calamine applies the workbook's own epoch (1900 or 1904).
        let (y, m, d, ..) = dt.to_ymd_hms_milli();
        match chrono::NaiveDate::from_ymd_opt(i32::from(y), u32::from(m), u32::from(d)) {
            Some(date) => Cell::Date(date),
            None => Cell::Number(dt.as_f64()),
        }
    } else {
        Cell::Number(dt.as_f64())
    }
}
