//! Tables in CSV files into a [`Dataset`], in one call: [`read_csv`].
//!
//! The file is parsed by the `csv` crate (quotes, escaped quotes, embedded newlines, CRLF). Each
//! column is numeric if every present cell parses as a finite number, and categorical if fewer
//! than half do (a column mostly of numbers with a few words is an error naming the first word:
//! a unit or a decimal comma to fix, not categories). Numeric
//! columns become `f32` features; categorical feature columns become one-hot columns (named
//! `column=value`) or one column of category indices ([`CategoryEncoding`]); categories are
//! sorted, and the mapping is returned ([`Categories`]) so predictions can be turned back into
//! names. The target column (the last one unless [`CsvOptions::targets`] names others) becomes
//! the dataset's targets: a categorical target becomes class indices `0..k`, ready for
//! [`SparseCategoricalCrossEntropy`](https://docs.rs/nntrain)-style losses; one target gives
//! targets of shape `(n,)`, several `(n, t)`.
//!
//! A missing cell (empty, or one of [`CsvOptions::missing_markers`] such as `NA`) is an error
//! naming its line and column unless [`CsvOptions::missing`] says how to fill it. Rows of the
//! wrong length, non-finite numbers, unknown column names and empty files are errors naming the
//! file, line and column.
//!
//! ```
//! use nndata::csv::{read_csv, CsvOptions};
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("pets.csv");
//! std::fs::write(&path, "height,weight,colour,kind\n20,4.5,grey,cat\n8,0.03,brown,mouse\n23,5.1,black,cat\n").unwrap();
//! let table = read_csv(&path, &CsvOptions::default()).unwrap();
//! assert_eq!(table.dataset.inputs().shape(), &[3, 5]); // height, weight, 3 colours one-hot
//! assert_eq!(table.feature_names[2], "colour=black");
//! assert_eq!(table.dataset.targets().to_vec(), vec![0.0, 1.0, 0.0]); // cat = 0, mouse = 1
//! assert_eq!(table.classes().unwrap(), ["cat", "mouse"]);
//! ```

use crate::{DataError, Dataset};
use nntensor::Tensor;
use rayon::prelude::*;
use std::io::Read;
use std::path::Path;

/// The most categories a text column may have to be one-hot encoded.
pub const MAX_ONE_HOT: usize = 1000;

/// The most feature values per byte of the file one-hot encoding may produce (beyond 2^20).
const MAX_EXPANSION: u64 = 32;

/// A column, by header name or by 0-based position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Column {
    /// The column with this header name.
    Name(String),
    /// The column at this position, counting from 0.
    Index(usize),
}

impl From<&str> for Column {
    fn from(name: &str) -> Column {
        Column::Name(name.to_string())
    }
}

impl From<usize> for Column {
    fn from(index: usize) -> Column {
        Column::Index(index)
    }
}

/// How categorical (text) feature columns become numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CategoryEncoding {
    /// One 0/1 column per category, named `column=value` (Keras's `CategoryEncoding`, pandas'
    /// `get_dummies`).
    #[default]
    OneHot,
    /// One column holding the category's index (for an embedding, or trees).
    Index,
}

/// What to do with a missing cell.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Missing {
    /// Refuse the file, naming the line and column.
    #[default]
    Error,
    /// Use this value in numeric columns; in categorical columns, a category of its own,
    /// `<missing>`.
    Fill(f32),
    /// Use the mean of the column's present values in numeric columns; in categorical columns,
    /// a category of its own, `<missing>`.
    Mean,
}

/// How [`read_csv`] reads a table.
#[derive(Debug, Clone)]
pub struct CsvOptions {
    /// Whether the first row names the columns (default `true`). Without one, columns are
    /// named `column_0`, `column_1`, ...
    pub has_header: bool,
    /// The byte between fields (default `b','`; `b';'` or `b'\t'` for other tables).
    pub delimiter: u8,
    /// The target columns; empty (the default) means the last column.
    pub targets: Vec<Column>,
    /// Columns to leave out (identifiers, free text).
    pub ignore: Vec<Column>,
    /// How categorical feature columns are encoded (default one-hot).
    pub categories: CategoryEncoding,
    /// What to do with missing cells (default: an error).
    pub missing: Missing,
    /// The cell texts (after trimming spaces) that mean "missing", besides the empty cell.
    pub missing_markers: Vec<String>,
}

impl Default for CsvOptions {
    fn default() -> CsvOptions {
        CsvOptions {
            has_header: true,
            delimiter: b',',
            targets: Vec::new(),
            ignore: Vec::new(),
            categories: CategoryEncoding::OneHot,
            missing: Missing::Error,
            missing_markers: ["NA", "N/A", "NaN", "nan", "null", "NULL", "None", "?"]
                .map(String::from)
                .to_vec(),
        }
    }
}

/// The categories of one text column: category `i` is `values[i]` (sorted).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Categories {
    /// The column's name.
    pub column: String,
    /// Its categories, in index order.
    pub values: Vec<String>,
}

/// A table read by [`read_csv`].
#[derive(Debug)]
pub struct CsvData {
    /// Features `(n, features)` and targets `(n,)` (one target) or `(n, targets)`.
    pub dataset: Dataset,
    /// The name of each feature column, after encoding (`colour=grey` for one-hot columns).
    pub feature_names: Vec<String>,
    /// The name of each target column.
    pub target_names: Vec<String>,
    /// The categories of every text column, features and targets, in column order.
    pub categories: Vec<Categories>,
}

impl CsvData {
    /// The class names of the (first) target if it is a text column: class `i` is `classes()[i]`.
    pub fn classes(&self) -> Option<&[String]> {
        let first = self.target_names.first()?;
        self.categories
            .iter()
            .find(|c| &c.column == first)
            .map(|c| c.values.as_slice())
    }
}

/// One column's cells from one piece of the file: their bytes back to back, and where each ends.
struct RawPart {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

impl RawPart {
    fn cell(&self, row: usize) -> &[u8] {
        let start = if row == 0 { 0 } else { self.ends[row - 1] };
        &self.bytes[start..self.ends[row]]
    }
}

/// One piece of the file parsed: each column's cells, and each row's line number.
type Piece = (Vec<RawPart>, Vec<u64>);

/// One column's cells as read, piece after piece (kept apart: joining them would copy the
/// whole table once more).
struct RawColumn {
    parts: Vec<RawPart>,
}

impl RawColumn {
    fn len(&self) -> usize {
        self.parts.iter().map(|p| p.ends.len()).sum()
    }

    /// The cells in row order.
    fn cells(&self) -> impl Iterator<Item = &[u8]> + '_ {
        self.parts
            .iter()
            .flat_map(|p| (0..p.ends.len()).map(move |row| p.cell(row)))
    }

    fn cell(&self, mut row: usize) -> &[u8] {
        for part in &self.parts {
            if row < part.ends.len() {
                return part.cell(row);
            }
            row -= part.ends.len();
        }
        panic!("row out of range");
    }
}

/// A column after typing.
enum Typed {
    /// Values, with `None` for missing cells.
    Numeric(Vec<Option<f32>>),
    /// Category index per row (`None` for missing) and the sorted categories.
    Text(Vec<Option<u32>>, Vec<String>),
}

/// Reads the CSV file at `path` into a [`Dataset`] (see the module documentation).
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<CsvData, DataError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|source| DataError::Io {
        path: path.into(),
        source,
    })?;
    csv_from_bytes(&bytes, path, options)
}

/// Reads CSV text from `reader`; `path` only names it in errors.
pub fn csv_from_reader(
    mut reader: impl Read,
    path: &Path,
    options: &CsvOptions,
) -> Result<CsvData, DataError> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|source| DataError::Io {
            path: path.into(),
            source,
        })?;
    csv_from_bytes(&bytes, path, options)
}

/// Reads CSV text held in memory; `path` only names it in errors.
pub fn csv_from_bytes(
    bytes: &[u8],
    path: &Path,
    options: &CsvOptions,
) -> Result<CsvData, DataError> {
    let fail = |detail: String| DataError::Csv {
        path: path.into(),
        detail,
    };
    // The header, and where the data rows start.
    let mut names: Vec<String> = Vec::new();
    let mut data_start = 0usize;
    if options.has_header {
        let mut csv = reader(options, bytes);
        let mut header = ::csv::ByteRecord::new();
        csv.read_byte_record(&mut header)
            .map_err(|e| fail(csv_error(&e)))?;
        for (i, field) in header.iter().enumerate() {
            let name = String::from_utf8_lossy(field).trim().to_string();
            names.push(if name.is_empty() {
                format!("column_{i}")
            } else {
                name
            });
        }
        data_start = csv.position().byte() as usize;
    }
    let data = &bytes[data_start.min(bytes.len())..];
    let first_line = 1 + bytes[..data_start.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count() as u64;
    if names.is_empty() {
        let mut csv = reader(options, data);
        let mut first = ::csv::ByteRecord::new();
        if csv
            .read_byte_record(&mut first)
            .map_err(|e| fail(csv_error(&e)))?
        {
            names = (0..first.len()).map(|i| format!("column_{i}")).collect();
        }
    }
    let against = if options.has_header {
        "header"
    } else {
        "first row"
    };
    let chunks = split_rows(data, first_line);
    let read =
        |&(chunk, line): &(&[u8], u64)| read_rows(chunk, line, names.len(), options, against);
    // Threads only for several pieces: a hand-off costs more than a small table's parse.
    let parsed: Vec<Result<Piece, String>> = if chunks.len() > 1 {
        chunks.par_iter().map(read).collect()
    } else {
        chunks.iter().map(read).collect()
    };
    let mut columns: Vec<RawColumn> = (0..names.len())
        .map(|_| RawColumn { parts: Vec::new() })
        .collect();
    let mut lines: Vec<u64> = Vec::new();
    for piece in parsed {
        let (parts, piece_lines) = piece.map_err(&fail)?;
        for (column, part) in columns.iter_mut().zip(parts) {
            column.parts.push(part);
        }
        lines.extend(piece_lines);
    }
    if lines.is_empty() || names.is_empty() {
        return Err(fail("the file has no data rows".into()));
    }

    let position = |column: &Column, what: &str| -> Result<usize, DataError> {
        match column {
            Column::Index(i) if *i < names.len() => Ok(*i),
            Column::Index(i) => Err(fail(format!(
                "{what} column {i} does not exist: the file has {} columns (0 to {})",
                names.len(),
                names.len() - 1
            ))),
            Column::Name(name) => names.iter().position(|n| n == name).ok_or_else(|| {
                fail(format!(
                    "{what} column `{name}` is not in the header, which has {:?}",
                    names
                ))
            }),
        }
    };
    let targets: Vec<usize> = if options.targets.is_empty() {
        vec![names.len() - 1]
    } else {
        let mut t = Vec::new();
        for c in &options.targets {
            t.push(position(c, "target")?);
        }
        t
    };
    let mut ignored = Vec::new();
    for c in &options.ignore {
        ignored.push(position(c, "ignored")?);
    }
    let features: Vec<usize> = (0..names.len())
        .filter(|i| !targets.contains(i) && !ignored.contains(i))
        .collect();

    if let Missing::Fill(v) = options.missing {
        if !v.is_finite() {
            return Err(fail(format!(
                "Missing::Fill({v}) would put a non-finite value in the data: fill with a number"
            )));
        }
    }
    let n = lines.len();
    let mut typed: Vec<Option<Typed>> = (0..names.len()).map(|_| None).collect();
    let wanted: Vec<usize> = features.iter().chain(&targets).copied().collect();
    let type_one = |&c: &usize| type_column(&columns[c], options);
    let results: Vec<Result<Typed, Untypable>> = if data.len() >= CHUNK_BYTES {
        wanted.par_iter().map(type_one).collect()
    } else {
        wanted.iter().map(type_one).collect()
    };
    for (&c, result) in wanted.iter().zip(results) {
        let column = result.map_err(|(row, why)| {
            fail(format!("line {}, column `{}`: {why}", lines[row], names[c]))
        })?;
        if let (Typed::Text(_, values), CategoryEncoding::OneHot) = (&column, options.categories) {
            if values.len() > MAX_ONE_HOT && features.contains(&c) {
                return Err(fail(format!(
                    "column `{}` has {} different texts, too many to one-hot (at most {MAX_ONE_HOT}): an identifier or free text? Leave it out with CsvOptions::ignore, or use CategoryEncoding::Index",
                    names[c],
                    values.len()
                )));
            }
        }
        typed[c] = Some(column);
    }
    // One-hot columns multiply the data: bound the features by what the file can justify.
    let width: usize = features
        .iter()
        .map(|&c| match (&typed[c], options.categories) {
            (Some(Typed::Text(_, values)), CategoryEncoding::OneHot) => values.len(),
            _ => 1,
        })
        .sum();
    let limit = (bytes.len() as u64)
        .saturating_mul(MAX_EXPANSION)
        .max(1 << 20);
    if (n as u64).saturating_mul(width as u64) > limit {
        return Err(fail(format!(
            "one-hot encoding would make {n} rows × {width} features, over {MAX_EXPANSION} values per byte of the file: encode the text columns as indices (CategoryEncoding::Index) or leave the most varied out (CsvOptions::ignore)"
        )));
    }
    let mut categories = Vec::new();
    for (c, t) in typed.iter().enumerate() {
        if let Some(Typed::Text(_, values)) = t {
            categories.push(Categories {
                column: names[c].clone(),
                values: values.clone(),
            });
        }
    }

    // Missing cells: an error naming the first, or filled as asked.
    let missing_at = |c: usize, row: usize| {
        fail(format!(
            "line {}, column `{}`: the value is missing (`{}`); fill it in the file, drop the row, or set CsvOptions::missing to Missing::Fill(..) or Missing::Mean",
            lines[row],
            names[c],
            String::from_utf8_lossy(columns[c].cell(row)).trim()
        ))
    };
    let mut feature_names = Vec::new();
    let mut feature_columns: Vec<Vec<f32>> = Vec::new();
    for &c in &features {
        match typed[c].as_ref().expect("typed above") {
            Typed::Numeric(values) => {
                let fill = match options.missing {
                    Missing::Error => None,
                    Missing::Fill(v) => Some(v),
                    Missing::Mean => Some(mean(values)),
                };
                let mut out = Vec::with_capacity(n);
                for (row, v) in values.iter().enumerate() {
                    match (v, fill) {
                        (Some(v), _) => out.push(*v),
                        (None, Some(f)) => out.push(f),
                        (None, None) => return Err(missing_at(c, row)),
                    }
                }
                feature_names.push(names[c].clone());
                feature_columns.push(out);
            }
            Typed::Text(indices, values) => {
                if options.missing == Missing::Error {
                    if let Some(row) = indices.iter().position(Option::is_none) {
                        return Err(missing_at(c, row));
                    }
                }
                let index = |v: &Option<u32>| v.unwrap_or(values.len() as u32 - 1);
                match options.categories {
                    CategoryEncoding::Index => {
                        feature_names.push(names[c].clone());
                        feature_columns.push(indices.iter().map(|v| index(v) as f32).collect());
                    }
                    CategoryEncoding::OneHot => {
                        for (k, value) in values.iter().enumerate() {
                            feature_names.push(format!("{}={value}", names[c]));
                            feature_columns.push(
                                indices
                                    .iter()
                                    .map(|v| if index(v) as usize == k { 1.0 } else { 0.0 })
                                    .collect(),
                            );
                        }
                    }
                }
            }
        }
    }
    let mut target_columns: Vec<Vec<f32>> = Vec::new();
    for &c in &targets {
        let column = match typed[c].as_ref().expect("typed above") {
            Typed::Numeric(values) => values
                .iter()
                .enumerate()
                .map(|(row, v)| v.ok_or_else(|| missing_target(&fail, &lines, &names, c, row)))
                .collect::<Result<Vec<f32>, DataError>>()?,
            Typed::Text(indices, _) => indices
                .iter()
                .enumerate()
                .map(|(row, v)| {
                    v.map(|i| i as f32)
                        .ok_or_else(|| missing_target(&fail, &lines, &names, c, row))
                })
                .collect::<Result<Vec<f32>, DataError>>()?,
        };
        target_columns.push(column);
    }

    let x = row_major(&feature_columns, n);
    let x = Tensor::from_vec([n, feature_columns.len()], x).expect("sizes match");
    let y = if target_columns.len() == 1 {
        Tensor::from_vec([n], target_columns.pop().expect("one column")).expect("sizes match")
    } else {
        Tensor::from_vec([n, target_columns.len()], row_major(&target_columns, n))
            .expect("sizes match")
    };
    Ok(CsvData {
        dataset: Dataset::new(x, y)?,
        feature_names,
        target_names: targets.iter().map(|&c| names[c].clone()).collect(),
        categories,
    })
}

/// A csv reader with the options' delimiter, reading every row as data.
fn reader<'a>(options: &CsvOptions, bytes: &'a [u8]) -> ::csv::Reader<&'a [u8]> {
    ::csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(options.delimiter)
        // Rows of another length are checked in `read_rows`, where the line number is known.
        .flexible(true)
        .from_reader(bytes)
}

/// Below this many bytes a table is parsed in one piece.
const CHUNK_BYTES: usize = 4 << 20;

/// The data rows cut into pieces of about [`CHUNK_BYTES`] at line ends, each with the line it
/// starts on, to parse in parallel; one piece if any field is quoted (a quoted field may hold a
/// line end). The cut depends on the bytes alone, never on the number of threads.
fn split_rows(data: &[u8], first_line: u64) -> Vec<(&[u8], u64)> {
    if data.len() < 2 * CHUNK_BYTES || data.contains(&b'"') {
        return vec![(data, first_line)];
    }
    let mut pieces = Vec::new();
    let (mut start, mut line) = (0usize, first_line);
    while start < data.len() {
        let end = match data[(start + CHUNK_BYTES).min(data.len())..]
            .iter()
            .position(|&b| b == b'\n')
        {
            Some(at) => start + CHUNK_BYTES + at + 1,
            None => data.len(),
        };
        let end = end.min(data.len());
        pieces.push((&data[start..end], line));
        line += data[start..end].iter().filter(|&&b| b == b'\n').count() as u64;
        start = end;
    }
    pieces
}

/// Parses rows (no header) into columns of `width`, with each row's line number.
fn read_rows(
    bytes: &[u8],
    first_line: u64,
    width: usize,
    options: &CsvOptions,
    against: &str,
) -> Result<Piece, String> {
    let estimate = bytes.len() / width.max(1) + 16;
    let mut columns: Vec<RawPart> = (0..width)
        .map(|_| RawPart {
            bytes: Vec::with_capacity(estimate),
            ends: Vec::new(),
        })
        .collect();
    let mut lines = Vec::new();
    let mut csv = reader(options, bytes);
    let mut record = ::csv::ByteRecord::new();
    // Line numbers counted here from each record's byte offset: the csv crate's own count
    // lags by one after a CRLF line end.
    let (mut counted_to, mut line) = (0usize, first_line);
    while csv
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(&e))?
    {
        // The position can lag behind line ends and blank lines the parser skipped.
        let mut start = (record.position().map_or(0, |p| p.byte()) as usize).min(bytes.len());
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        if start > counted_to {
            line += bytes[counted_to..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            counted_to = start;
        }
        if record.len() != width {
            return Err(format!(
                "line {line} has {} fields but the {against} has {width}: every row needs one value per column (quote fields that contain the delimiter)",
                record.len()
            ));
        }
        for (column, field) in columns.iter_mut().zip(record.iter()) {
            column.bytes.extend_from_slice(field);
            column.ends.push(column.bytes.len());
        }
        lines.push(line);
    }
    Ok((columns, lines))
}

fn missing_target(
    fail: &impl Fn(String) -> DataError,
    lines: &[u64],
    names: &[String],
    c: usize,
    row: usize,
) -> DataError {
    fail(format!(
        "line {}, target column `{}`: the value is missing; a target is never filled in, drop the row",
        lines[row], names[c]
    ))
}

/// Interleaves columns into row-major values.
fn row_major(columns: &[Vec<f32>], n: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(n * columns.len());
    for row in 0..n {
        out.extend(columns.iter().map(|c| c[row]));
    }
    out
}

fn mean(values: &[Option<f32>]) -> f32 {
    let (sum, count) = values
        .iter()
        .flatten()
        .fold((0.0f64, 0usize), |(s, c), &v| (s + v as f64, c + 1));
    if count == 0 {
        0.0
    } else {
        (sum / count as f64) as f32
    }
}

fn is_missing(cell: &str, options: &CsvOptions) -> bool {
    cell.is_empty() || options.missing_markers.iter().any(|m| m == cell)
}

/// Why a column cannot be typed: the row of the offending cell, and what is wrong with it.
type Untypable = (usize, String);

/// Numeric if every present cell parses as a finite number; otherwise text, with categories
/// sorted and, when filling is on, `<missing>` last for missing cells. A number that is not
/// finite, and a column that is at least half numbers but not all, are errors rather than text.
fn type_column(column: &RawColumn, options: &CsvOptions) -> Result<Typed, Untypable> {
    let n = column.len();
    let numeric_markers = options
        .missing_markers
        .iter()
        .any(|m| m.trim().parse::<f32>().is_ok_and(f32::is_finite));
    let mut numbers = Vec::with_capacity(n);
    let mut first_text = None;
    let (mut parsed, mut present) = (0usize, 0usize);
    for (row, cell) in column.cells().enumerate() {
        let cell = trim(cell);
        let text = std::str::from_utf8(cell).unwrap_or("\u{fffd}");
        if text.is_empty() {
            numbers.push(None);
            continue;
        }
        // Parse first: the missing markers are compared only for cells that are not numbers
        // (or are NaN), which keeps numeric columns fast, unless a marker is itself a number
        // (`-999`).
        if numeric_markers && is_missing(text, options) {
            numbers.push(None);
            continue;
        }
        match text.parse::<f32>() {
            Ok(v) if v.is_finite() => {
                present += 1;
                parsed += 1;
                numbers.push(Some(v));
            }
            _ if is_missing(text, options) => numbers.push(None),
            Ok(v) => {
                return Err((
                    row,
                    format!(
                        "`{text}` is {v}, not a finite number; mark it missing (e.g. NA) or fix it"
                    ),
                ))
            }
            Err(_) => {
                present += 1;
                first_text.get_or_insert((row, text.to_string()));
                numbers.push(None);
            }
        }
    }
    let Some((row, text)) = first_text else {
        return Ok(Typed::Numeric(numbers));
    };
    // A column of numbers with some stray words (a unit, a decimal comma) is a typo to fix, not
    // categories: refuse it if at least half its values are numbers.
    if parsed * 2 >= present {
        return Err((
            row,
            format!(
                "`{text}` is not a number, but {parsed} of the column's {present} values are: fix the cell or mark it missing (e.g. NA)"
            ),
        ));
    }
    // Distinct texts by hash, then sorted (byte order is code-point order): one lookup per
    // cell, no allocation per cell.
    let mut first_index: std::collections::HashMap<&[u8], u32> = std::collections::HashMap::new();
    let mut cells: Vec<Option<u32>> = Vec::with_capacity(n);
    let mut any_missing = false;
    for cell in column.cells() {
        let cell = trim(cell);
        let missing = cell.is_empty()
            || std::str::from_utf8(cell).is_ok_and(|text| is_missing(text, options));
        if missing {
            any_missing = true;
            cells.push(None);
        } else {
            let next = first_index.len() as u32;
            cells.push(Some(*first_index.entry(cell).or_insert(next)));
        }
    }
    let mut distinct: Vec<(&[u8], u32)> = first_index.into_iter().collect();
    distinct.sort_unstable();
    let mut rank = vec![0u32; distinct.len()];
    for (sorted, &(_, first)) in distinct.iter().enumerate() {
        rank[first as usize] = sorted as u32;
    }
    let indices = cells.iter().map(|c| c.map(|i| rank[i as usize])).collect();
    let mut values: Vec<String> = distinct
        .iter()
        .map(|(bytes, _)| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    if any_missing && options.missing != Missing::Error {
        values.push("<missing>".to_string());
    }
    Ok(Typed::Text(indices, values))
}

fn trim(bytes: &[u8]) -> &[u8] {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

fn csv_error(e: &::csv::Error) -> String {
    match e.kind() {
        ::csv::ErrorKind::Io(io) => format!("cannot read: {io}"),
        _ => e.to_string(),
    }
}
