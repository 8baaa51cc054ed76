//! Shared parts of the kqlite fuzz targets: a grammar-aware generator of
//! whole queries (a small `datatable` and a chain of operators over it) whose
//! choices are driven by the fuzzer's bytes through [`arbitrary`].
//!
//! The generator tracks the schema through the chain and picks functions by
//! the signatures the built-in registry accepts, so most generated queries
//! bind and run; the ones that do not still exercise the error paths.

pub mod functions;
pub mod shapes;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use arbitrary::{Arbitrary, Result, Unstructured};
use kqlite_engine::registry::Registry;
use kqlite_engine::DataType;

/// Most rows in the generated `datatable`.
const MAX_ROWS: usize = 8;
/// Most operators after the `datatable`.
const MAX_OPS: usize = 8;
/// Deepest generated scalar expression.
const MAX_DEPTH: u32 = 4;
/// Most joins and unions per query (each can square the row count).
const MAX_WIDENING: usize = 2;

/// One generated query. `Debug` prints the query text, so `cargo fuzz fmt`
/// shows exactly what to paste into a regression test.
pub struct PipelineCase {
    /// The KQL text.
    pub query: String,
}

impl fmt::Debug for PipelineCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.query)
    }
}

impl<'a> Arbitrary<'a> for PipelineCase {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let mut g = Gen {
            u,
            schema: Vec::new(),
            fresh: 0,
        };
        let query = g.query()?;
        Ok(PipelineCase { query })
    }
}

/// The column types the base table has, by name.
const BASE: &[(&str, DataType)] = &[
    ("L", DataType::Long),
    ("S", DataType::String),
    ("T", DataType::DateTime),
    ("D", DataType::Dynamic),
    ("R", DataType::Real),
    ("B", DataType::Bool),
    ("Ts", DataType::TimeSpan),
];

/// Types the expression generator produces.
const EXPR_TYPES: &[DataType] = &[
    DataType::Bool,
    DataType::Int,
    DataType::Long,
    DataType::Real,
    DataType::Decimal,
    DataType::String,
    DataType::DateTime,
    DataType::TimeSpan,
    DataType::Guid,
    DataType::Dynamic,
];

/// Which argument types each built-in function accepts, found by asking its
/// `return_type` about every combination of up to three argument types.
struct Signatures {
    /// Result type → function name → accepted argument lists.
    scalars: BTreeMap<DataType, BTreeMap<&'static str, Vec<Vec<DataType>>>>,
    /// The same for aggregates.
    aggregates: BTreeMap<DataType, BTreeMap<&'static str, Vec<Vec<DataType>>>>,
}

/// Functions whose cost grows with an argument's value (so a random long
/// would make the run slow rather than wrong) or whose result changes from
/// run to run.
const SKIPPED: &[&str] = &[
    "rand",
    "new_guid",
    // Window functions need serialized input, which the chain rarely has.
    "prev",
    "next",
    "row_number",
    "row_cumsum",
    "row_rank_dense",
    "row_rank_min",
    "row_window_session",
];

fn signatures() -> &'static Signatures {
    static SIGS: OnceLock<Signatures> = OnceLock::new();
    SIGS.get_or_init(|| {
        let reg = Registry::builtin();
        let mut arg_lists: Vec<Vec<DataType>> = vec![Vec::new()];
        let mut layer: Vec<Vec<DataType>> = vec![Vec::new()];
        for _ in 0..3 {
            let mut next = Vec::new();
            for prefix in &layer {
                for &t in EXPR_TYPES {
                    let mut l = prefix.clone();
                    l.push(t);
                    next.push(l);
                }
            }
            arg_lists.extend(next.iter().cloned());
            layer = next;
        }
        let mut scalars: BTreeMap<DataType, BTreeMap<&'static str, Vec<Vec<DataType>>>> =
            BTreeMap::new();
        let names: Vec<String> = reg.scalar_names().map(str::to_string).collect();
        for name in &names {
            let Some(f) = reg.scalar(name) else { continue };
            if SKIPPED.contains(&f.name()) {
                continue;
            }
            for args in &arg_lists {
                if let Ok(ret) = f.return_type(args) {
                    scalars
                        .entry(ret)
                        .or_default()
                        .entry(f.name())
                        .or_default()
                        .push(args.clone());
                }
            }
        }
        let mut aggregates: BTreeMap<DataType, BTreeMap<&'static str, Vec<Vec<DataType>>>> =
            BTreeMap::new();
        let names: Vec<String> = reg.aggregate_names().map(str::to_string).collect();
        for name in &names {
            let Some(f) = reg.aggregate(name) else {
                continue;
            };
            for args in arg_lists.iter().filter(|a| a.len() <= 2) {
                if let Ok(ret) = f.return_type(args) {
                    aggregates
                        .entry(ret)
                        .or_default()
                        .entry(f.name())
                        .or_default()
                        .push(args.clone());
                }
            }
        }
        Signatures {
            scalars,
            aggregates,
        }
    })
}

struct Gen<'u, 'a> {
    u: &'u mut Unstructured<'a>,
    /// The columns of the current pipeline stage that the generator knows.
    schema: Vec<(String, DataType)>,
    /// Counter for new column names.
    fresh: u32,
}

impl Gen<'_, '_> {
    fn query(&mut self) -> Result<String> {
        let mut q = String::from("let Base = ");
        q.push_str(&self.datatable()?);
        q.push_str(";\nBase");
        self.schema = base_schema();
        let n_ops = self.u.int_in_range(0..=MAX_OPS)?;
        let mut widening = 0;
        for _ in 0..n_ops {
            q.push_str("\n| ");
            let op = self.operator(&mut widening)?;
            q.push_str(&op);
        }
        Ok(q)
    }

    fn datatable(&mut self) -> Result<String> {
        let mut s = String::from("datatable(");
        let cols: Vec<String> = BASE
            .iter()
            .map(|(n, t)| format!("{n}:{}", t.name()))
            .collect();
        s.push_str(&cols.join(", "));
        s.push_str(")[");
        let rows = self.u.int_in_range(0..=MAX_ROWS)?;
        let mut cells = Vec::new();
        for _ in 0..rows {
            for &(_, t) in BASE {
                cells.push(self.literal(t)?);
            }
        }
        s.push_str(&cells.join(", "));
        s.push(']');
        Ok(s)
    }

    fn fresh_name(&mut self) -> String {
        self.fresh += 1;
        format!("c{}", self.fresh)
    }

    fn column_of(&mut self, ty: DataType) -> Result<Option<String>> {
        let names: Vec<&String> = self
            .schema
            .iter()
            .filter(|(_, t)| *t == ty)
            .map(|(n, _)| n)
            .collect();
        if names.is_empty() {
            return Ok(None);
        }
        Ok(Some((*self.u.choose(&names)?).clone()))
    }

    fn any_column(&mut self) -> Result<Option<(String, DataType)>> {
        if self.schema.is_empty() {
            return Ok(None);
        }
        Ok(Some(self.u.choose(&self.schema)?.clone()))
    }

    fn operator(&mut self, widening: &mut usize) -> Result<String> {
        loop {
            let choice = self.u.int_in_range(0..=15u8)?;
            let op = match choice {
                0 | 1 => Some(format!("where {}", self.expr(DataType::Bool, 0)?)),
                2 | 3 => Some(self.extend()?),
                4 => self.project()?,
                5 | 6 => self.summarize()?,
                7 => self.sort()?,
                8 => Some(format!("take {}", self.count_literal()?)),
                9 => self.top()?,
                10 => self.distinct()?,
                11 => self.mv_expand()?,
                12 if *widening < MAX_WIDENING => {
                    *widening += 1;
                    self.join()?
                }
                13 if *widening < MAX_WIDENING => {
                    *widening += 1;
                    Some(self.union()?)
                }
                14 => self.project_away()?,
                15 => Some(self.count()),
                _ => None,
            };
            if let Some(op) = op {
                return Ok(op);
            }
            if self.u.is_empty() {
                return Ok("take 1".to_string());
            }
        }
    }

    fn count_literal(&mut self) -> Result<String> {
        Ok(match self.u.int_in_range(0..=5u8)? {
            0 => "0".into(),
            1 => "1".into(),
            2 => "3".into(),
            3 => "-1".into(),
            4 => "long(null)".into(),
            _ => format!("{}", self.u.arbitrary::<i64>()?),
        })
    }

    fn extend(&mut self) -> Result<String> {
        let n = self.u.int_in_range(1..=3u8)?;
        let mut items = Vec::new();
        for _ in 0..n {
            let ty = *self.u.choose(EXPR_TYPES)?;
            let e = self.expr(ty, 0)?;
            // Sometimes overwrite an existing column of the same type.
            let name = match self.column_of(ty)? {
                Some(c) if self.u.ratio(1, 4)? => c,
                _ => self.fresh_name(),
            };
            self.schema.retain(|(n, _)| *n != name);
            items.push(format!("{name} = {e}"));
            self.schema.push((name, ty));
        }
        Ok(format!("extend {}", items.join(", ")))
    }

    fn project(&mut self) -> Result<Option<String>> {
        if self.schema.is_empty() {
            return Ok(None);
        }
        let mut out = Vec::new();
        let mut items = Vec::new();
        for (name, ty) in self.schema.clone() {
            if self.u.ratio(2, 3)? {
                if self.u.ratio(1, 5)? {
                    let new = self.fresh_name();
                    let e = self.expr(ty, 1)?;
                    items.push(format!("{new} = {e}"));
                    out.push((new, ty));
                } else {
                    items.push(name.clone());
                    out.push((name, ty));
                }
            }
        }
        if items.is_empty() {
            return Ok(None);
        }
        self.schema = out;
        Ok(Some(format!("project {}", items.join(", "))))
    }

    fn project_away(&mut self) -> Result<Option<String>> {
        let Some((name, _)) = self.any_column()? else {
            return Ok(None);
        };
        if self.schema.len() < 2 {
            return Ok(None);
        }
        self.schema.retain(|(n, _)| *n != name);
        Ok(Some(format!("project-away {name}")))
    }

    fn summarize(&mut self) -> Result<Option<String>> {
        let sigs = signatures();
        let mut out = Vec::new();
        let mut aggs = Vec::new();
        let n = self.u.int_in_range(1..=3u8)?;
        for _ in 0..n {
            let ret_types: Vec<DataType> = sigs.aggregates.keys().copied().collect();
            if ret_types.is_empty() {
                break;
            }
            let ret = *self.u.choose(&ret_types)?;
            let Some(by_name) = sigs.aggregates.get(&ret) else {
                continue;
            };
            let names: Vec<&&str> = by_name.keys().collect();
            let name = **self.u.choose(&names)?;
            let Some(lists) = by_name.get(name) else {
                continue;
            };
            let args = self.u.choose(lists)?.clone();
            let mut texts = Vec::new();
            for t in args {
                texts.push(self.expr(t, 2)?);
            }
            let col = self.fresh_name();
            aggs.push(format!("{col} = {name}({})", texts.join(", ")));
            out.push((col, ret));
        }
        let mut keys = Vec::new();
        let nkeys = self.u.int_in_range(0..=2u8)?;
        for _ in 0..nkeys {
            if self.u.ratio(1, 3)? {
                // A binned time key.
                if let Some(t) = self.column_of(DataType::DateTime)? {
                    let k = self.fresh_name();
                    let step = self.literal(DataType::TimeSpan)?;
                    keys.push(format!("{k} = bin({t}, {step})"));
                    out.push((k, DataType::DateTime));
                    continue;
                }
            }
            if let Some((c, t)) = self.any_column()? {
                if !out.iter().any(|(n, _)| *n == c) {
                    keys.push(c.clone());
                    out.push((c, t));
                }
            }
        }
        self.schema = out;
        let mut s = format!("summarize {}", aggs.join(", "));
        if !keys.is_empty() {
            s.push_str(" by ");
            s.push_str(&keys.join(", "));
        }
        Ok(Some(s))
    }

    fn sort_key(&mut self) -> Result<Option<String>> {
        let Some((c, _)) = self.any_column()? else {
            return Ok(None);
        };
        let dir = *self.u.choose(&["", " asc", " desc"])?;
        let nulls = *self.u.choose(&["", " nulls first", " nulls last"])?;
        Ok(Some(format!("{c}{dir}{nulls}")))
    }

    fn sort(&mut self) -> Result<Option<String>> {
        let n = self.u.int_in_range(1..=3u8)?;
        let mut keys = Vec::new();
        for _ in 0..n {
            if let Some(k) = self.sort_key()? {
                keys.push(k);
            }
        }
        if keys.is_empty() {
            return Ok(None);
        }
        Ok(Some(format!("sort by {}", keys.join(", "))))
    }

    fn top(&mut self) -> Result<Option<String>> {
        let Some(k) = self.sort_key()? else {
            return Ok(None);
        };
        Ok(Some(format!("top {} by {k}", self.count_literal()?)))
    }

    fn distinct(&mut self) -> Result<Option<String>> {
        if self.u.ratio(1, 3)? {
            return Ok(Some("distinct *".into()));
        }
        let mut cols = Vec::new();
        let mut out = Vec::new();
        for (n, t) in self.schema.clone() {
            if self.u.ratio(1, 2)? {
                cols.push(n.clone());
                out.push((n, t));
            }
        }
        if cols.is_empty() {
            return Ok(None);
        }
        self.schema = out;
        Ok(Some(format!("distinct {}", cols.join(", "))))
    }

    fn mv_expand(&mut self) -> Result<Option<String>> {
        let Some(d) = self.column_of(DataType::Dynamic)? else {
            return Ok(None);
        };
        let to = *self.u.choose(&[
            ("", DataType::Dynamic),
            (" to typeof(long)", DataType::Long),
            (" to typeof(string)", DataType::String),
        ])?;
        let limit = if self.u.ratio(1, 4)? {
            format!(" limit {}", self.u.int_in_range(0..=3u8)?)
        } else {
            String::new()
        };
        for (n, t) in &mut self.schema {
            if *n == d {
                *t = to.1;
            }
        }
        Ok(Some(format!("mv-expand {d}{}{limit}", to.0)))
    }

    fn join(&mut self) -> Result<Option<String>> {
        let base = base_schema();
        let shared: Vec<(String, DataType)> = self
            .schema
            .iter()
            .filter(|c| base.contains(c))
            .cloned()
            .collect();
        if shared.is_empty() {
            return Ok(None);
        }
        let (key, _) = self.u.choose(&shared)?.clone();
        let kind = *self.u.choose(&[
            "",
            "inner",
            "innerunique",
            "leftouter",
            "rightouter",
            "fullouter",
            "leftanti",
            "rightanti",
            "leftsemi",
            "rightsemi",
        ])?;
        let right = if self.u.ratio(1, 2)? {
            "Base".to_string()
        } else {
            let cond = {
                let saved = std::mem::replace(&mut self.schema, base.clone());
                let e = self.expr(DataType::Bool, 1);
                self.schema = saved;
                e?
            };
            format!("Base | where {cond}")
        };
        let kind_text = if kind.is_empty() {
            String::new()
        } else {
            format!("kind={kind} ")
        };
        match kind {
            "leftanti" | "leftsemi" => {}
            "rightanti" | "rightsemi" => self.schema = base,
            _ => {
                let left: Vec<String> = self.schema.iter().map(|(n, _)| n.clone()).collect();
                for c in base {
                    if !left.contains(&c.0) {
                        self.schema.push(c);
                    }
                }
            }
        }
        Ok(Some(format!("join {kind_text}({right}) on {key}")))
    }

    fn union(&mut self) -> Result<String> {
        let base = base_schema();
        let mut merged: Vec<(String, DataType)> = Vec::new();
        let mut conflicts: Vec<String> = Vec::new();
        for (n, t) in self.schema.iter().chain(base.iter()) {
            match merged.iter().find(|(m, _)| m == n) {
                Some((_, mt)) if mt != t => conflicts.push(n.clone()),
                Some(_) => {}
                None => merged.push((n.clone(), *t)),
            }
        }
        merged.retain(|(n, _)| !conflicts.contains(n));
        self.schema = merged;
        Ok("union Base".to_string())
    }

    fn count(&mut self) -> String {
        self.schema = vec![("Count".to_string(), DataType::Long)];
        "count".to_string()
    }

    /// A scalar expression of type `ty` over the current schema.
    fn expr(&mut self, ty: DataType, depth: u32) -> Result<String> {
        let leaf = depth >= MAX_DEPTH || self.u.is_empty();
        let choice = if leaf {
            self.u.int_in_range(0..=1u8)?
        } else {
            self.u.int_in_range(0..=7u8)?
        };
        match choice {
            0 => match self.column_of(ty)? {
                Some(c) => Ok(c),
                None => self.literal(ty),
            },
            1 => self.literal(ty),
            2 | 3 => self.call(ty, depth),
            4 | 5 => self.operator_expr(ty, depth),
            6 => {
                let c = self.expr(DataType::Bool, depth + 1)?;
                let a = self.expr(ty, depth + 1)?;
                let b = self.expr(ty, depth + 1)?;
                Ok(format!("iff({c}, {a}, {b})"))
            }
            _ => {
                let e = self.expr(ty, depth + 1)?;
                Ok(format!("({e})"))
            }
        }
    }

    fn call(&mut self, ty: DataType, depth: u32) -> Result<String> {
        let sigs = signatures();
        let Some(by_name) = sigs.scalars.get(&ty) else {
            return self.literal(ty);
        };
        let names: Vec<&&str> = by_name.keys().collect();
        let name = **self.u.choose(&names)?;
        let Some(lists) = by_name.get(name) else {
            return self.literal(ty);
        };
        let args = self.u.choose(lists)?.clone();
        let mut texts = Vec::new();
        for t in args {
            // Many arguments must be constants (sizes, formats, offsets).
            let arg = if self.u.ratio(1, 3)? {
                self.literal(t)?
            } else {
                self.expr(t, depth + 1)?
            };
            texts.push(arg);
        }
        Ok(format!("{name}({})", texts.join(", ")))
    }

    fn operator_expr(&mut self, ty: DataType, depth: u32) -> Result<String> {
        let d = depth + 1;
        match ty {
            DataType::Bool => {
                let which = self.u.int_in_range(0..=7u8)?;
                match which {
                    0 => {
                        let t = *self.u.choose(&[
                            DataType::Long,
                            DataType::Real,
                            DataType::String,
                            DataType::DateTime,
                            DataType::TimeSpan,
                            DataType::Bool,
                            DataType::Int,
                            DataType::Decimal,
                            DataType::Guid,
                        ])?;
                        let op = *self.u.choose(&["==", "!=", "<", "<=", ">", ">="])?;
                        let a = self.expr(t, d)?;
                        let b = self.expr(t, d)?;
                        Ok(format!("({a} {op} {b})"))
                    }
                    1 => {
                        let op = *self.u.choose(&[
                            "has",
                            "!has",
                            "has_cs",
                            "contains",
                            "!contains",
                            "contains_cs",
                            "startswith",
                            "endswith",
                            "=~",
                            "!~",
                            "hasprefix",
                            "hassuffix",
                            "matches regex",
                        ])?;
                        let a = self.expr(DataType::String, d)?;
                        let b = self.expr(DataType::String, d)?;
                        Ok(format!("({a} {op} {b})"))
                    }
                    2 => {
                        let op = *self.u.choose(&["and", "or"])?;
                        let a = self.expr(DataType::Bool, d)?;
                        let b = self.expr(DataType::Bool, d)?;
                        Ok(format!("({a} {op} {b})"))
                    }
                    3 => Ok(format!("not({})", self.expr(DataType::Bool, d)?)),
                    4 => {
                        let t =
                            *self
                                .u
                                .choose(&[DataType::Long, DataType::String, DataType::Real])?;
                        let op = *self.u.choose(&["in", "!in", "in~", "has_any", "has_all"])?;
                        let a = self.expr(t, d)?;
                        let n = self.u.int_in_range(1..=3u8)?;
                        let mut items = Vec::new();
                        for _ in 0..n {
                            items.push(self.literal(t)?);
                        }
                        Ok(format!("{a} {op} ({})", items.join(", ")))
                    }
                    5 => {
                        let t = *self.u.choose(&[
                            DataType::Long,
                            DataType::Real,
                            DataType::DateTime,
                        ])?;
                        let a = self.expr(t, d)?;
                        let lo = self.expr(t, d)?;
                        let hi = if t == DataType::DateTime && self.u.ratio(1, 2)? {
                            self.expr(DataType::TimeSpan, d)?
                        } else {
                            self.expr(t, d)?
                        };
                        let op = *self.u.choose(&["between", "!between"])?;
                        Ok(format!("{a} {op} ({lo} .. {hi})"))
                    }
                    6 => {
                        let t = *self.u.choose(EXPR_TYPES)?;
                        let f =
                            *self
                                .u
                                .choose(&["isnull", "isnotnull", "isempty", "isnotempty"])?;
                        Ok(format!("{f}({})", self.expr(t, d)?))
                    }
                    _ => {
                        let a = self.expr(DataType::Dynamic, d)?;
                        let b = self.expr(DataType::Dynamic, d)?;
                        Ok(format!("({a} == {b})"))
                    }
                }
            }
            DataType::Long | DataType::Real | DataType::Int | DataType::Decimal => {
                if self.u.ratio(1, 6)? {
                    return Ok(format!("-({})", self.expr(ty, d)?));
                }
                let op = *self.u.choose(&["+", "-", "*", "/", "%"])?;
                let a = self.expr(ty, d)?;
                let b = self.expr(ty, d)?;
                Ok(format!("({a} {op} {b})"))
            }
            DataType::DateTime => {
                let op = *self.u.choose(&["+", "-"])?;
                let a = self.expr(DataType::DateTime, d)?;
                let b = self.expr(DataType::TimeSpan, d)?;
                Ok(format!("({a} {op} {b})"))
            }
            DataType::TimeSpan => match self.u.int_in_range(0..=3u8)? {
                0 => {
                    let a = self.expr(DataType::DateTime, d)?;
                    let b = self.expr(DataType::DateTime, d)?;
                    Ok(format!("({a} - {b})"))
                }
                1 => {
                    let a = self.expr(DataType::TimeSpan, d)?;
                    let b = self.expr(DataType::Long, d)?;
                    let op = *self.u.choose(&["*", "/"])?;
                    Ok(format!("({a} {op} {b})"))
                }
                2 => {
                    let a = self.expr(DataType::TimeSpan, d)?;
                    let b = self.expr(DataType::TimeSpan, d)?;
                    let op = *self.u.choose(&["+", "-"])?;
                    Ok(format!("({a} {op} {b})"))
                }
                _ => Ok(format!("-({})", self.expr(DataType::TimeSpan, d)?)),
            },
            DataType::Dynamic => {
                let base = self.expr(DataType::Dynamic, d)?;
                match self.u.int_in_range(0..=2u8)? {
                    0 => {
                        let k = *self.u.choose(&["a", "b", "x", "key1"])?;
                        Ok(format!("{base}.{k}"))
                    }
                    1 => {
                        let i = self.expr(DataType::Long, d)?;
                        Ok(format!("{base}[{i}]"))
                    }
                    _ => {
                        let k = self.literal(DataType::String)?;
                        Ok(format!("{base}[{k}]"))
                    }
                }
            }
            DataType::String => {
                let a = self.expr(DataType::String, d)?;
                let b = self.expr(DataType::String, d)?;
                Ok(format!("strcat({a}, {b})"))
            }
            DataType::Guid => self.literal(ty),
        }
    }

    /// A literal of type `ty` (including typed nulls and edge values).
    fn literal(&mut self, ty: DataType) -> Result<String> {
        let u = &mut *self.u;
        Ok(match ty {
            DataType::Bool => (*u.choose(&["true", "false", "bool(null)"])?).to_string(),
            DataType::Int => match u.int_in_range(0..=2u8)? {
                0 => "int(null)".into(),
                1 => format!("int({})", u.arbitrary::<i32>()?),
                _ => format!("int({})", u.int_in_range(-3..=3i32)?),
            },
            DataType::Long => match u.int_in_range(0..=3u8)? {
                0 => "long(null)".into(),
                1 => format!("{}", u.arbitrary::<i64>()?),
                2 => (*u.choose(&[
                    "9223372036854775807",
                    "-9223372036854775807",
                    "long(-9223372036854775808)",
                    "0",
                ])?)
                .to_string(),
                _ => format!("{}", u.int_in_range(-3..=10i64)?),
            },
            DataType::Real => match u.int_in_range(0..=2u8)? {
                0 => (*u.choose(&[
                    "real(null)",
                    "real(nan)",
                    "real(+inf)",
                    "real(-inf)",
                    "1e308",
                    "-1e308",
                    "5e-324",
                    "0.0",
                    "-0.0",
                ])?)
                .to_string(),
                1 => {
                    let v = u.arbitrary::<f64>()?;
                    if v.is_finite() {
                        format!("real({v:?})")
                    } else {
                        "real(nan)".into()
                    }
                }
                _ => format!("{}.5", u.int_in_range(-3..=10i64)?),
            },
            DataType::Decimal => match u.int_in_range(0..=1u8)? {
                0 => "decimal(null)".into(),
                _ => format!("decimal({}.25)", u.int_in_range(-100..=100i64)?),
            },
            DataType::String => {
                if u.ratio(1, 2)? {
                    let s = *u.choose(&[
                        "",
                        "a",
                        "A",
                        "abc",
                        "Hello World",
                        "ünïcödé",
                        "a,b;c",
                        "\\\\d+",
                        "(a|b)*",
                        "[",
                        "%",
                        "{\\\"a\\\":1}",
                        "[1,2]",
                        "10.0.0.1",
                        "2024-01-01",
                        "1h",
                        "x y z",
                        "42",
                        "-1",
                        "true",
                        "null",
                        "00000000-0000-0000-0000-000000000001",
                    ])?;
                    format!("\"{s}\"")
                } else {
                    let len = u.int_in_range(0..=6u8)?;
                    let mut s = String::from("\"");
                    for _ in 0..len {
                        let c = *u.choose(&[
                            'a', 'B', ' ', '0', '.', ',', 'é', '漢', '-', '_', '*', '\n',
                        ])?;
                        match c {
                            '\n' => s.push_str("\\n"),
                            c => s.push(c),
                        }
                    }
                    s.push('"');
                    s
                }
            }
            DataType::DateTime => match u.int_in_range(0..=2u8)? {
                0 => (*u.choose(&[
                    "datetime(null)",
                    "datetime(0001-01-01)",
                    "datetime(9999-12-31T23:59:59.9999999Z)",
                    "datetime(1970-01-01)",
                    "datetime(2024-02-29T12:00:00Z)",
                ])?)
                .to_string(),
                _ => format!(
                    "datetime(2024-{:02}-{:02}T{:02}:{:02}:00Z)",
                    u.int_in_range(1..=12u8)?,
                    u.int_in_range(1..=28u8)?,
                    u.int_in_range(0..=23u8)?,
                    u.int_in_range(0..=59u8)?,
                ),
            },
            DataType::TimeSpan => (*u.choose(&[
                "timespan(null)",
                "0s",
                "1tick",
                "100ms",
                "1s",
                "5m",
                "1h",
                "1d",
                "7d",
                "-1h",
                "365d",
                "10675199d",
            ])?)
            .to_string(),
            DataType::Guid => (*u.choose(&[
                "guid(null)",
                "guid(00000000-0000-0000-0000-000000000000)",
                "guid(74be27de-1e4e-49d9-b579-fe0b331d3642)",
            ])?)
            .to_string(),
            DataType::Dynamic => (*u.choose(&[
                "dynamic(null)",
                "dynamic([])",
                "dynamic({})",
                "dynamic([1, 2, 3])",
                "dynamic([\"a\", \"b\", \"a\"])",
                "dynamic({\"a\": 1, \"b\": \"x\"})",
                "dynamic([[1], [2, 3], []])",
                "dynamic({\"a\": {\"b\": [1, \"x\", null]}, \"x\": 2.5})",
                "dynamic(\"s\")",
                "dynamic(1.5)",
                "dynamic(9223372036854775807)",
                "dynamic([null, true, -1, 1e300])",
                "dynamic({\"key1\": [100, 200], \"a\": null})",
            ])?)
            .to_string(),
        })
    }
}

fn base_schema() -> Vec<(String, DataType)> {
    BASE.iter().map(|(n, t)| (n.to_string(), *t)).collect()
}
