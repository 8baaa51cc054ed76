//! Column accumulation shared by the loaders: typed builders for known
//! columns, type inference for the others.

use std::hash::BuildHasher;
use std::str::FromStr;
use std::sync::Arc;

use rust_decimal::Decimal;
use rustc_hash::FxHashMap;

use crate::bitmap::Bitmap;
use crate::column::{encode_strings, Column, ColumnBuilder, ColumnData, StringArray};
use crate::table::Table;
use crate::time::parse_datetime;
use crate::time::parse_timespan;
use crate::types::DataType;
use crate::value::{format_real, parse_guid, Dynamic, Value};

use super::dynamic::{parse_dynamic, KeyCache};
use super::exports::parse_portal_datetime;

/// One input value, borrowed from the parser's buffer where possible.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cell<'a> {
    /// JSON `null`.
    Null,
    /// JSON `true`/`false`.
    Bool(bool),
    /// A JSON integer in the `long` range.
    Long(i64),
    /// Any other JSON number.
    Real(f64),
    /// A JSON string.
    Str(&'a str),
    /// Untyped text (a CSV field).
    Text(&'a str),
    /// A JSON object or array.
    Nested(Dynamic),
}

impl Cell<'_> {
    /// A short description for error messages.
    pub(crate) fn describe(&self) -> String {
        fn quoted(s: &str) -> String {
            let mut short: String = s.chars().take(40).collect();
            if short.len() < s.len() {
                short.push('…');
            }
            format!("{short:?}")
        }
        match self {
            Cell::Null => "null".to_string(),
            Cell::Bool(b) => format!("bool {b}"),
            Cell::Long(v) => format!("number {v}"),
            Cell::Real(v) => format!("number {}", format_real(*v)),
            Cell::Str(s) => format!("string {}", quoted(s)),
            Cell::Text(s) => format!("text {}", quoted(s)),
            Cell::Nested(Dynamic::Array(_)) => "an array".to_string(),
            Cell::Nested(_) => "an object".to_string(),
        }
    }
}

/// Pushes `cell` into a builder of type `ty`, converting text as Kusto's
/// ingestion does. Returns false when the value does not fit.
fn push_typed(b: &mut ColumnBuilder, ty: DataType, cell: &Cell<'_>, keys: &mut KeyCache) -> bool {
    let text = match cell {
        Cell::Str(s) | Cell::Text(s) => Some(*s),
        _ => None,
    };
    // Empty text is null for every type but string.
    if ty != DataType::String && text.is_some_and(|s| s.trim().is_empty()) {
        b.push_null();
        return true;
    }
    if matches!(cell, Cell::Null) {
        if ty == DataType::String {
            b.push_str("");
        } else {
            b.push_null();
        }
        return true;
    }
    let value = match ty {
        DataType::String => {
            match cell {
                Cell::Str(s) | Cell::Text(s) => b.push_str(s),
                Cell::Bool(v) => b.push_str(if *v { "true" } else { "false" }),
                Cell::Long(v) => b.push_str(&v.to_string()),
                Cell::Real(v) => b.push_str(&format_real(*v)),
                Cell::Nested(d) => b.push_str(&d.to_json().to_string()),
                Cell::Null => b.push_str(""),
            }
            return true;
        }
        DataType::Bool => match cell {
            Cell::Bool(v) => Value::Bool(*v),
            Cell::Long(0) => Value::Bool(false),
            Cell::Long(1) => Value::Bool(true),
            _ => match text.map(str::trim) {
                Some(t) if t.eq_ignore_ascii_case("true") => Value::Bool(true),
                Some(t) if t.eq_ignore_ascii_case("false") => Value::Bool(false),
                Some("1") if matches!(cell, Cell::Text(_)) => Value::Bool(true),
                Some("0") if matches!(cell, Cell::Text(_)) => Value::Bool(false),
                _ => return false,
            },
        },
        DataType::Int => match cell {
            Cell::Long(v) => match i32::try_from(*v) {
                Ok(v) => Value::Int(v),
                Err(_) => return false,
            },
            _ => match text.and_then(|t| t.trim().parse::<i32>().ok()) {
                Some(v) => Value::Int(v),
                None => return false,
            },
        },
        DataType::Long => match cell {
            Cell::Long(v) => Value::Long(*v),
            _ => match text.and_then(|t| t.trim().parse::<i64>().ok()) {
                Some(v) => Value::Long(v),
                None => return false,
            },
        },
        DataType::Real => match cell {
            Cell::Long(v) => Value::Real(*v as f64),
            Cell::Real(v) => Value::Real(*v),
            _ => match text.and_then(|t| parse_real(t.trim())) {
                Some(v) => Value::Real(v),
                None => return false,
            },
        },
        DataType::Decimal => match cell {
            Cell::Long(v) => Value::Decimal(Decimal::from(*v)),
            Cell::Real(v) => match Decimal::from_str(&format!("{v}")) {
                Ok(d) => Value::Decimal(d),
                Err(_) => return false,
            },
            _ => match text.and_then(|t| parse_decimal(t.trim())) {
                Some(d) => Value::Decimal(d),
                None => return false,
            },
        },
        DataType::DateTime => {
            match text.and_then(|t| parse_datetime(t).or_else(|| parse_portal_datetime(t))) {
                Some(t) => Value::DateTime(t),
                None => return false,
            }
        }
        DataType::TimeSpan => match text.and_then(parse_timespan) {
            Some(t) => Value::TimeSpan(t),
            None => return false,
        },
        DataType::Guid => match text.and_then(parse_guid) {
            Some(g) => Value::Guid(g),
            None => return false,
        },
        DataType::Dynamic => Value::Dynamic(to_dynamic(cell, keys)),
    };
    b.push(&value).is_ok()
}

/// Converts a cell for a `dynamic` column. JSON strings holding an object or
/// array are parsed (Log Analytics exports dynamic values that way); CSV
/// text is parsed when it is any valid JSON value.
fn to_dynamic(cell: &Cell<'_>, keys: &mut KeyCache) -> Dynamic {
    match cell {
        Cell::Null => Dynamic::Null,
        Cell::Bool(v) => Dynamic::Bool(*v),
        Cell::Long(v) => Dynamic::Long(*v),
        Cell::Real(v) => Dynamic::Real(*v),
        Cell::Nested(d) => d.clone(),
        Cell::Str(s) => {
            let t = s.trim_start();
            if t.starts_with('{') || t.starts_with('[') {
                if let Some(d) = parse_dynamic(s, keys) {
                    return d;
                }
            }
            Dynamic::String(Arc::from(*s))
        }
        Cell::Text(s) => parse_dynamic(s, keys).unwrap_or_else(|| Dynamic::String(Arc::from(*s))),
    }
}

fn parse_real(t: &str) -> Option<f64> {
    match t {
        "NaN" => Some(f64::NAN),
        "Infinity" | "+Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ if t.bytes().any(|b| b.is_ascii_digit()) => t.parse::<f64>().ok(),
        _ => None,
    }
}

fn parse_decimal(t: &str) -> Option<Decimal> {
    Decimal::from_str(t)
        .ok()
        .or_else(|| Decimal::from_scientific(t).ok())
}

/// A column whose type is being inferred from its values.
#[derive(Debug)]
enum Infer {
    /// Only nulls so far.
    Nulls(usize),
    Long(Vec<i64>, Bitmap),
    Real(Vec<f64>, Bitmap),
    Bool(Vec<bool>, Bitmap),
    /// JSON strings or CSV text; `iso` tracks whether every non-empty value
    /// is a full ISO 8601 timestamp, `text` whether values are CSV text.
    Str {
        values: StringArray,
        valid: Bitmap,
        iso: bool,
        text: bool,
    },
    Dyn(Vec<Dynamic>),
}

impl Infer {
    fn len(&self) -> usize {
        match self {
            Infer::Nulls(n) => *n,
            Infer::Long(v, _) => v.len(),
            Infer::Real(v, _) => v.len(),
            Infer::Bool(v, _) => v.len(),
            Infer::Str { values, .. } => values.len(),
            Infer::Dyn(v) => v.len(),
        }
    }

    fn push(&mut self, cell: &Cell<'_>) {
        match (&mut *self, cell) {
            (Infer::Nulls(n), Cell::Null) => *n += 1,
            (Infer::Long(v, m), Cell::Null) => {
                v.push(0);
                m.push(false);
            }
            (Infer::Real(v, m), Cell::Null) => {
                v.push(0.0);
                m.push(false);
            }
            (Infer::Bool(v, m), Cell::Null) => {
                v.push(false);
                m.push(false);
            }
            (Infer::Str { values, valid, .. }, Cell::Null) => {
                values.push("");
                valid.push(false);
            }
            (Infer::Dyn(v), Cell::Null) => v.push(Dynamic::Null),
            (Infer::Long(v, m), Cell::Long(x)) => {
                v.push(*x);
                m.push(true);
            }
            (Infer::Real(v, m), Cell::Long(x)) if exact_in_real(*x) => {
                v.push(*x as f64);
                m.push(true);
            }
            (Infer::Real(v, m), Cell::Real(x)) => {
                v.push(*x);
                m.push(true);
            }
            (Infer::Long(v, m), Cell::Real(x)) if v.iter().all(|&i| exact_in_real(i)) => {
                let mut reals: Vec<f64> = v.iter().map(|&i| i as f64).collect();
                reals.push(*x);
                let mut m = std::mem::take(m);
                m.push(true);
                *self = Infer::Real(reals, m);
            }
            (Infer::Bool(v, m), Cell::Bool(x)) => {
                v.push(*x);
                m.push(true);
            }
            (
                Infer::Str {
                    values,
                    valid,
                    iso,
                    text,
                },
                Cell::Str(s) | Cell::Text(s),
            ) if *text == matches!(cell, Cell::Text(_)) => {
                if *iso && !s.is_empty() && !looks_like_iso_timestamp(s) {
                    *iso = false;
                }
                values.push(s);
                valid.push(true);
            }
            (Infer::Nulls(n), _) => {
                let n = *n;
                *self = Infer::start(cell, n);
            }
            (Infer::Dyn(v), _) => v.push(to_dynamic_inferred(cell)),
            _ => {
                let mut d = self.to_dynamic_values();
                d.push(to_dynamic_inferred(cell));
                *self = Infer::Dyn(d);
            }
        }
    }

    /// A state holding `nulls` nulls followed by the non-null `cell`.
    fn start(cell: &Cell<'_>, nulls: usize) -> Infer {
        let mut valid = Bitmap::new(nulls, false);
        valid.push(true);
        match cell {
            Cell::Null => Infer::Nulls(nulls + 1),
            Cell::Bool(b) => {
                let mut v = vec![false; nulls];
                v.push(*b);
                Infer::Bool(v, valid)
            }
            Cell::Long(x) => {
                let mut v = vec![0; nulls];
                v.push(*x);
                Infer::Long(v, valid)
            }
            Cell::Real(x) => {
                let mut v = vec![0.0; nulls];
                v.push(*x);
                Infer::Real(v, valid)
            }
            Cell::Str(s) | Cell::Text(s) => {
                let mut values = StringArray::with_capacity(nulls + 1, s.len());
                for _ in 0..nulls {
                    values.push("");
                }
                values.push(s);
                Infer::Str {
                    values,
                    valid,
                    iso: s.is_empty() || looks_like_iso_timestamp(s),
                    text: matches!(cell, Cell::Text(_)),
                }
            }
            Cell::Nested(d) => {
                let mut v = vec![Dynamic::Null; nulls];
                v.push(d.clone());
                Infer::Dyn(v)
            }
        }
    }

    fn to_dynamic_values(&self) -> Vec<Dynamic> {
        fn conv<T: Copy>(v: &[T], m: &Bitmap, f: impl Fn(T) -> Dynamic) -> Vec<Dynamic> {
            v.iter()
                .enumerate()
                .map(|(i, &x)| if m.get(i) { f(x) } else { Dynamic::Null })
                .collect()
        }
        match self {
            Infer::Nulls(n) => vec![Dynamic::Null; *n],
            Infer::Long(v, m) => conv(v, m, Dynamic::Long),
            Infer::Real(v, m) => conv(v, m, Dynamic::Real),
            Infer::Bool(v, m) => conv(v, m, Dynamic::Bool),
            Infer::Str { values, valid, .. } => values
                .iter()
                .enumerate()
                .map(|(i, s)| {
                    if valid.get(i) {
                        Dynamic::String(Arc::from(s))
                    } else {
                        Dynamic::Null
                    }
                })
                .collect(),
            Infer::Dyn(v) => v.clone(),
        }
    }

    fn finish(self) -> Column {
        match self {
            Infer::Nulls(n) => Column::nulls(DataType::String, n),
            Infer::Long(v, m) => Column::with_validity(ColumnData::Long(v), Some(m)),
            Infer::Real(v, m) => Column::with_validity(ColumnData::Real(v), Some(m)),
            Infer::Bool(v, m) => Column::with_validity(ColumnData::Bool(v), Some(m)),
            Infer::Dyn(v) => Column::new(ColumnData::Dynamic(v)),
            Infer::Str {
                values, iso, text, ..
            } => {
                let any = values.iter().any(|s| !s.is_empty());
                if text && any {
                    if let Some(c) = infer_from_text(&values) {
                        return c;
                    }
                }
                if iso && any {
                    if let Some(c) = to_datetimes(&values, parse_datetime) {
                        return c;
                    }
                }
                Column::new(ColumnData::String(encode_strings(values)))
            }
        }
    }
}

/// A non-null inferred value as `dynamic` (strings stay strings).
/// Whether a `real` holds `x` exactly. A column mixing integers and reals
/// is `real` only when every integer survives that; otherwise it is
/// `dynamic`, which keeps each value as written (a 64-bit id such as
/// 9007199254740993 would otherwise silently become ...992).
fn exact_in_real(x: i64) -> bool {
    const LIMIT: i64 = 1 << 53;
    (-LIMIT..=LIMIT).contains(&x)
}

fn to_dynamic_inferred(cell: &Cell<'_>) -> Dynamic {
    match cell {
        Cell::Str(s) | Cell::Text(s) => Dynamic::String(Arc::from(*s)),
        other => to_dynamic(other, &mut KeyCache::default()),
    }
}

/// Whether `s` has the shape `YYYY-MM-DD(T| )hh:mm:ss[.f+][Z|±hh:mm|±hhmm]`.
pub(crate) fn looks_like_iso_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|x| x.iter().all(u8::is_ascii_digit));
    let at = |i: usize, c: &[u8]| b.get(i).is_some_and(|x| c.contains(x));
    if !(digits(0..4)
        && at(4, b"-")
        && digits(5..7)
        && at(7, b"-")
        && digits(8..10)
        && at(10, b"T ")
        && digits(11..13)
        && at(13, b":")
        && digits(14..16)
        && at(16, b":")
        && digits(17..19))
    {
        return false;
    }
    let mut i = 19;
    if at(i, b".") {
        i += 1;
        let start = i;
        while at(i, b"0123456789") {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    let rest = b.get(i..).unwrap_or_default();
    match rest {
        [] | [b'Z'] => true,
        [b'+' | b'-', h1, h2, b':', m1, m2] | [b'+' | b'-', h1, h2, m1, m2] => {
            [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit())
        }
        _ => false,
    }
}

/// The values as a `datetime` column (empty strings are nulls), or `None`
/// when `parse` refuses one of them.
fn to_datetimes(values: &StringArray, parse: fn(&str) -> Option<i64>) -> Option<Column> {
    let mut v = Vec::with_capacity(values.len());
    let mut valid = Bitmap::default();
    for s in values.iter() {
        if s.is_empty() {
            v.push(0);
            valid.push(false);
        } else {
            v.push(parse(s)?);
            valid.push(true);
        }
    }
    Some(Column::with_validity(ColumnData::DateTime(v), Some(valid)))
}

/// Whether `s` is an integer written canonically (no sign but `-`, no
/// leading zeros), so that codes like `007` stay strings.
fn is_canonical_integer(s: &str) -> bool {
    let digits = s.strip_prefix('-').unwrap_or(s);
    !digits.is_empty()
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
}

/// Whether `s` is a plain decimal number (`-1.5`, `2e10`, `0.25`).
fn is_plain_number(s: &str) -> bool {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (body.get(..i).unwrap_or(""), body.get(i + 1..)),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let int_ok = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && (int == "0" || !int.starts_with('0'));
    let frac_ok =
        frac.bytes().all(|b| b.is_ascii_digit()) && !(mantissa.contains('.') && frac.is_empty());
    let exp_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['+', '-']).unwrap_or(e);
        !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
    });
    int_ok && frac_ok && exp_ok
}

/// Infers `long`, `real`, `bool` or `datetime` (ISO 8601, or the Azure
/// portal's `1/15/2026, 11:00:00.000 AM`) from CSV text; `None` means the
/// column stays `string`. Empty fields are nulls.
fn infer_from_text(values: &StringArray) -> Option<Column> {
    let non_empty = || values.iter().filter(|s| !s.is_empty());
    let nulls = || Bitmap::from_bools(values.iter().map(|s| !s.is_empty()));
    if non_empty().all(is_canonical_integer) {
        let parsed: Option<Vec<i64>> = values
            .iter()
            .map(|s| {
                if s.is_empty() {
                    Some(0)
                } else {
                    s.parse().ok()
                }
            })
            .collect();
        if let Some(v) = parsed {
            return Some(Column::with_validity(ColumnData::Long(v), Some(nulls())));
        }
    }
    // Integers a `real` cannot hold exactly keep their text (a string
    // column) rather than silently changing value.
    let exact = |s: &str| !is_canonical_integer(s) || s.parse().is_ok_and(exact_in_real);
    if non_empty().all(|s| is_plain_number(s) && exact(s)) {
        let v = values
            .iter()
            .map(|s| s.parse::<f64>().unwrap_or_default())
            .collect();
        return Some(Column::with_validity(ColumnData::Real(v), Some(nulls())));
    }
    if non_empty().all(|s| s.eq_ignore_ascii_case("true") || s.eq_ignore_ascii_case("false")) {
        let v = values
            .iter()
            .map(|s| s.eq_ignore_ascii_case("true"))
            .collect();
        return Some(Column::with_validity(ColumnData::Bool(v), Some(nulls())));
    }
    if non_empty().all(looks_like_iso_timestamp) {
        return to_datetimes(values, parse_datetime);
    }
    if non_empty().all(|s| s.contains('/') && parse_portal_datetime(s).is_some()) {
        return to_datetimes(values, parse_portal_datetime);
    }
    None
}

/// One column being loaded.
#[derive(Debug)]
enum Acc {
    Typed(DataType, ColumnBuilder),
    Infer(Infer),
}

impl Acc {
    fn len(&self) -> usize {
        match self {
            Acc::Typed(_, b) => b.len(),
            Acc::Infer(i) => i.len(),
        }
    }

    fn push_null(&mut self) {
        match self {
            Acc::Typed(DataType::String, b) => b.push_str(""),
            Acc::Typed(_, b) => b.push_null(),
            Acc::Infer(i) => i.push(&Cell::Null),
        }
    }
}

/// Why a cell could not be stored.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum CellError {
    /// The value does not fit the column type.
    Mismatch {
        /// Column name.
        column: String,
        /// Column type.
        expected: DataType,
        /// The value.
        found: String,
    },
    /// The record already set this column.
    Duplicate(String),
}

/// The columns of a table being loaded, with the row count so far.
#[derive(Debug)]
pub(crate) struct TableAcc {
    names: Vec<String>,
    index: FxHashMap<String, usize>,
    cols: Vec<Acc>,
    rows: usize,
    /// Rows to leave out of the result (lenient loads), ascending.
    rejected: Vec<usize>,
    /// Interned property names of `dynamic` values.
    pub(crate) keys: KeyCache,
    /// Types of schema columns not created yet (sparse loads create a
    /// schema column only when the input has it).
    pending: FxHashMap<String, DataType>,
    /// Parsed `dynamic` objects and arrays by column and JSON text, so a
    /// repeated value parses once and every row shares its allocation.
    shared: FxHashMap<(usize, u64), (Box<str>, Dynamic)>,
    /// Per column: lookups in `shared` and how many found a value.
    share_stats: Vec<ShareStats>,
    /// Values pushed (a proxy for the input's size, see [`MAX_CELLS_PER_VALUE`]).
    values: usize,
    /// Set when the input named more columns than its size allows.
    too_wide: Option<(usize, usize)>,
}

/// How many cells (rows × columns) a load may create per value the input
/// holds, beyond [`FREE_CELLS`]. A table is dense, so an input that names a
/// new column in every row (each key once) would otherwise need memory
/// quadratic in its size: 20,000 such lines of 30 bytes make 400 million
/// cells. Real data, even sparse exports with hundreds of columns of which
/// each row sets a few, stays far below. Past the limit the load only
/// reads on to the end and fails.
pub(crate) const MAX_CELLS_PER_VALUE: usize = 256;

/// Cells any load may create whatever its size.
const FREE_CELLS: usize = 1 << 22;

/// Distinct JSON texts [`TableAcc`] keeps parsed per load.
const MAX_SHARED_DYNAMICS: usize = 4096;

/// Nested values of a column looked up by text before deciding whether
/// they repeat enough to keep looking.
const SHARE_PROBATION: u32 = 2048;

/// How often a column's nested texts were seen before.
#[derive(Debug, Clone, Copy, Default)]
struct ShareStats {
    lookups: u32,
    hits: u32,
    /// Fewer than one lookup in four found a value: stop looking.
    distinct: bool,
}

impl TableAcc {
    /// An accumulator that types the input's columns by `schema` but, unlike
    /// [`TableAcc::new`], creates a schema column only when the input has it.
    pub(crate) fn sparse(schema: Option<&[(String, DataType)]>) -> TableAcc {
        let mut t = TableAcc::new(None);
        t.pending = schema
            .unwrap_or_default()
            .iter()
            .map(|(n, ty)| (n.clone(), *ty))
            .collect();
        t
    }

    /// An accumulator with the schema's columns (typed) already present.
    pub(crate) fn new(schema: Option<&[(String, DataType)]>) -> TableAcc {
        let mut t = TableAcc {
            names: Vec::new(),
            index: FxHashMap::default(),
            cols: Vec::new(),
            rows: 0,
            rejected: Vec::new(),
            keys: KeyCache::default(),
            pending: FxHashMap::default(),
            shared: FxHashMap::default(),
            share_stats: Vec::new(),
            values: 0,
            too_wide: None,
        };
        for (name, ty) in schema.unwrap_or_default() {
            t.column(name, Some(*ty));
        }
        t
    }

    /// The index of column `name`, creating it (typed `ty`, or inferred)
    /// with nulls for the rows so far. An existing column keeps its type.
    pub(crate) fn column(&mut self, name: &str, ty: Option<DataType>) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let cells = (self.cols.len() + 1).saturating_mul(self.rows.max(1));
        let allowed = self
            .values
            .saturating_add(FREE_CELLS / MAX_CELLS_PER_VALUE)
            .saturating_mul(MAX_CELLS_PER_VALUE);
        if self.too_wide.is_some() || cells > allowed {
            // No more columns: `push` ignores this index, `finish` fails.
            self.too_wide
                .get_or_insert((self.cols.len() + 1, self.rows.max(1)));
            return usize::MAX;
        }
        let ty = ty.or_else(|| self.pending.get(name).copied());
        let mut acc = match ty {
            Some(ty) => Acc::Typed(ty, ColumnBuilder::new(ty, self.rows.max(1024))),
            None => Acc::Infer(Infer::Nulls(0)),
        };
        for _ in 0..self.rows {
            acc.push_null();
        }
        let i = self.cols.len();
        self.cols.push(acc);
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        i
    }

    /// Whether the accumulator has, or will create typed by the schema,
    /// column `name`.
    pub(crate) fn knows(&self, name: &str) -> bool {
        self.index.contains_key(name) || self.pending.contains_key(name)
    }

    /// The index of column `name` as [`TableAcc::column`] gives it, typed
    /// `hint` only when neither the columns so far nor the schema type it.
    pub(crate) fn column_hinted(&mut self, name: &str, hint: Option<DataType>) -> usize {
        if self.knows(name) {
            self.column(name, None)
        } else {
            self.column(name, hint)
        }
    }

    /// Whether column `col` is typed `dynamic`.
    pub(crate) fn is_dynamic(&self, col: usize) -> bool {
        matches!(self.cols.get(col), Some(Acc::Typed(DataType::Dynamic, _)))
    }

    /// Whether nested values of column `col` are still looked up by their
    /// text: a column whose values are mostly distinct (a location with
    /// per-sign-in coordinates) stops, and its builder stops sharing
    /// equal values too, as neither pays.
    #[inline]
    pub(crate) fn shares(&self, col: usize) -> bool {
        self.share_stats.get(col).is_none_or(|s| !s.distinct)
    }

    /// The value parsed earlier from the same JSON `text` in column `col`.
    pub(crate) fn shared_dynamic(&mut self, col: usize, text: &str) -> Option<Dynamic> {
        if !self.shares(col) {
            return None;
        }
        let key = (col, foldhash::fast::FixedState::default().hash_one(text));
        let found = match self.shared.get(&key) {
            Some((seen, d)) if seen.as_ref() == text => Some(d.clone()),
            _ => None,
        };
        if self.share_stats.len() <= col {
            self.share_stats.resize(col + 1, ShareStats::default());
        }
        if let Some(stats) = self.share_stats.get_mut(col) {
            stats.lookups = stats.lookups.saturating_add(1);
            stats.hits = stats.hits.saturating_add(u32::from(found.is_some()));
            if stats.lookups >= SHARE_PROBATION
                && u64::from(stats.hits) * 4 < u64::from(stats.lookups)
            {
                stats.distinct = true;
                if let Some(Acc::Typed(_, b)) = self.cols.get_mut(col) {
                    b.stop_sharing();
                }
            }
        }
        found
    }

    /// Remembers `d` as the value of JSON `text` in column `col`.
    pub(crate) fn share_dynamic(&mut self, col: usize, text: &str, d: &Dynamic) {
        if self.shared.len() < MAX_SHARED_DYNAMICS {
            let key = (col, foldhash::fast::FixedState::default().hash_one(text));
            self.shared
                .entry(key)
                .or_insert_with(|| (text.into(), d.clone()));
        }
    }

    /// The index of an existing column `name` (tried at `guess` first),
    /// without adding one.
    #[inline]
    pub(crate) fn find_column(&self, name: &str, guess: usize) -> Option<usize> {
        if self.names.get(guess).is_some_and(|n| n == name) {
            return Some(guess);
        }
        self.index.get(name).copied()
    }

    /// The index of column `name`, guessing it is column `guess` (keys
    /// usually come in the same order on every line).
    #[inline]
    pub(crate) fn column_guess(&mut self, name: &str, guess: usize) -> usize {
        if self.names.get(guess).is_some_and(|n| n == name) {
            return guess;
        }
        self.column(name, None)
    }

    /// Stores `cell` in column `col` for the current row.
    pub(crate) fn push(&mut self, col: usize, cell: &Cell<'_>) -> Result<(), CellError> {
        let rows = self.rows;
        self.values += 1;
        let name = || self.names.get(col).cloned().unwrap_or_default();
        let Some(acc) = self.cols.get_mut(col) else {
            return Ok(());
        };
        if acc.len() > rows {
            return Err(CellError::Duplicate(name()));
        }
        match acc {
            Acc::Typed(ty, b) => {
                let ty = *ty;
                if push_typed(b, ty, cell, &mut self.keys) {
                    Ok(())
                } else {
                    Err(CellError::Mismatch {
                        column: name(),
                        expected: ty,
                        found: cell.describe(),
                    })
                }
            }
            Acc::Infer(i) => {
                i.push(cell);
                Ok(())
            }
        }
    }

    /// Ends the current row: columns it did not set get a null.
    pub(crate) fn end_row(&mut self) {
        if self.too_wide.is_some() {
            // The load fails at `finish`: grow nothing more.
            self.rows += 1;
            return;
        }
        let rows = self.rows;
        for acc in &mut self.cols {
            if acc.len() == rows {
                acc.push_null();
            }
        }
        self.rows += 1;
    }

    /// Rows started so far.
    pub(crate) fn rows(&self) -> usize {
        self.rows
    }

    /// Leaves the row that started as row `row` out of the result, ending
    /// it first if it is still open (its cells so far stay in the builders
    /// until [`TableAcc::finish`] drops them).
    pub(crate) fn reject_row(&mut self, row: usize) {
        if self.rows == row {
            self.end_row();
        }
        if self.rejected.last() != Some(&row) {
            self.rejected.push(row);
        }
    }

    /// The finished table, without the rejected rows.
    pub(crate) fn finish(mut self) -> Result<Table, crate::table::TableError> {
        if let Some((columns, rows)) = self.too_wide {
            return Err(crate::table::TableError::TooWide { columns, rows });
        }
        let rejected = std::mem::take(&mut self.rejected);
        let rows = self.rows;
        let table = self.finish_all()?;
        if rejected.is_empty() {
            return Ok(table);
        }
        let mut dropped = rejected.iter().peekable();
        let kept: Vec<u32> = (0..rows)
            .filter(|r| {
                let drop = dropped.peek() == Some(&r);
                if drop {
                    dropped.next();
                }
                !drop
            })
            .filter_map(|r| u32::try_from(r).ok())
            .collect();
        Ok(table.take(&kept))
    }

    /// Every row as a table.
    fn finish_all(self) -> Result<Table, crate::table::TableError> {
        if self.cols.is_empty() {
            return Ok(Table::empty(self.rows));
        }
        let columns = self.names.into_iter().zip(self.cols).map(|(name, acc)| {
            let col = match acc {
                Acc::Typed(_, b) => b.finish(),
                Acc::Infer(i) => i.finish(),
            };
            (
                name,
                crate::shred::shred_column(Arc::new(col), crate::shred::SHRED_MIN_ROWS),
            )
        });
        Table::try_new(columns)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso_timestamps_are_recognised_only_when_complete() {
        assert!(looks_like_iso_timestamp("2024-01-01T10:00:00Z"));
        assert!(looks_like_iso_timestamp("2024-01-01 10:00:00.1234567"));
        assert!(looks_like_iso_timestamp("2024-01-01T10:00:00+02:00"));
        assert!(!looks_like_iso_timestamp("2024-01-01"));
        assert!(!looks_like_iso_timestamp("2024-01-01T10:00"));
        assert!(!looks_like_iso_timestamp("2024-01-01T10:00:00 junk"));
        assert!(!looks_like_iso_timestamp("2024-01-01T10:00:00."));
    }

    #[test]
    fn canonical_numbers_are_told_from_codes() {
        assert!(is_canonical_integer("-12"));
        assert!(is_canonical_integer("0"));
        assert!(!is_canonical_integer("007"));
        assert!(!is_canonical_integer("+1"));
        assert!(is_plain_number("0.25"));
        assert!(is_plain_number("-1.5e10"));
        assert!(!is_plain_number("1."));
        assert!(!is_plain_number(".5"));
        assert!(!is_plain_number("01.5"));
        assert!(!is_plain_number("1e"));
    }

    #[test]
    fn integers_then_reals_infer_a_real_column() {
        let mut i = Infer::Nulls(1);
        i.push(&Cell::Long(1));
        i.push(&Cell::Real(2.5));
        let c = i.finish();
        assert_eq!(c.data_type(), DataType::Real);
        assert!(c.is_null(0));
        assert_eq!(c.get(1), Value::Real(1.0));
    }

    #[test]
    fn a_big_integer_next_to_a_real_keeps_its_value_in_a_dynamic_column() {
        let mut i = Infer::Nulls(0);
        i.push(&Cell::Long(9_007_199_254_740_993));
        i.push(&Cell::Real(1.5));
        let c = i.finish();
        assert_eq!(c.data_type(), DataType::Dynamic);
        assert_eq!(
            c.get(0),
            crate::value::Value::Dynamic(Dynamic::Long(9_007_199_254_740_993))
        );
        let mut i = Infer::Nulls(0);
        i.push(&Cell::Real(1.5));
        i.push(&Cell::Long(-9_007_199_254_740_993));
        assert_eq!(i.finish().data_type(), DataType::Dynamic);
        let mut i = Infer::Nulls(0);
        i.push(&Cell::Long(3));
        i.push(&Cell::Real(1.5));
        assert_eq!(i.finish().data_type(), DataType::Real);
    }

    #[test]
    fn mixed_kinds_infer_a_dynamic_column() {
        let mut i = Infer::Nulls(0);
        i.push(&Cell::Str("a"));
        i.push(&Cell::Null);
        i.push(&Cell::Long(3));
        let c = i.finish();
        assert_eq!(c.get(0), Value::Dynamic(Dynamic::String("a".into())));
        assert!(c.is_null(1));
        assert_eq!(c.get(2), Value::Dynamic(Dynamic::Long(3)));
    }
}
