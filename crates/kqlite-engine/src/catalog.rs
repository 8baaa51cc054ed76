//! The catalog: the tables a query may read, by name.
//!
//! A table's schema is known before its data is read, so `kqlite check` can
//! bind a query against Sentinel's schemas without generating any rows.

use std::sync::Arc;

use indexmap::IndexMap;
use kqlite_parser::ast;
use kqlite_parser::{Diagnostic, Span};

use crate::column::Column;
use crate::functions::geoip::GeoIpTable;
use crate::table::Table;
use crate::types::DataType;
use crate::zones::{table_zones, TableZones, ZoneMap};

/// One catalog table: its schema and, when loaded, its data.
#[derive(Debug, Clone, PartialEq)]
pub struct CatalogTable {
    /// Column names and types, in order.
    pub schema: Vec<(String, DataType)>,
    /// The rows, if the caller supplied them.
    pub data: Option<Arc<Table>>,
    /// Zone maps of the data's 64-bit columns.
    zones: TableZones,
}

impl CatalogTable {
    /// A table known by its schema only, with no rows.
    pub fn schema_only(schema: Vec<(String, DataType)>) -> CatalogTable {
        CatalogTable {
            schema,
            data: None,
            zones: Vec::new(),
        }
    }
}

/// One parameter of a [`TabularFunction`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionParam {
    /// The parameter's name, for named arguments (`f(starttime = ago(1d))`).
    pub name: String,
    /// Its type.
    pub ty: DataType,
    /// Whether a call must give it.
    pub required: bool,
}

/// A workspace function known by its signature: what it takes and the
/// columns it returns (e.g. Sentinel's `_GetWatchlist(name)` or an ASIM
/// parser such as `_Im_Dns(starttime, endtime, ...)`), so queries calling
/// it can be checked without its code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TabularFunction {
    /// Parameters in declaration order.
    pub params: Vec<FunctionParam>,
    /// The result's columns.
    pub schema: Vec<(String, DataType)>,
}

/// A read-only source of table schemas and function signatures that a
/// [`Catalog`] consults for names it does not hold itself — e.g. a built-in
/// catalog of thousands of tables that resolves each name only when a query
/// uses it.
pub trait SchemaProvider: std::fmt::Debug + Send + Sync {
    /// The table called `name` (case-sensitive), schema only.
    fn table(&self, name: &str) -> Option<&CatalogTable>;
    /// The tabular function called `name` (case-sensitive).
    fn function(&self, name: &str) -> Option<&TabularFunction>;
    /// Every table and function name, for suggestions and wildcards.
    fn names(&self) -> Vec<&str>;
}

/// Named tables with their schemas and optional data, then the tables and
/// functions of any [`SchemaProvider`]s, consulted in the order added.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    tables: IndexMap<String, CatalogTable>,
    functions: IndexMap<String, TabularFunction>,
    providers: Vec<Arc<dyn SchemaProvider>>,
    /// Workspace functions given by their code, by name.
    stored: IndexMap<String, Arc<StoredFunction>>,
    /// The table `geo_info_from_ip_address` reads, when one was given.
    geoip: Option<Arc<GeoIpTable>>,
    /// Rows of functions known by signature, by function name.
    function_rows: IndexMap<String, FunctionRows>,
}

/// The rows a workspace function known by signature returns, one table per
/// value of its first argument (e.g. Sentinel's `_GetWatchlist('name')`,
/// one table per watchlist). See [`Catalog::add_function_rows`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionRows {
    /// The result of each call, by the first argument's value.
    pub tables: IndexMap<String, Arc<Table>>,
    /// Shown as the help of the error for a call whose first argument has
    /// no rows; `{key}` stands for that argument's value.
    pub missing_hint: Option<String>,
    /// A call whose first argument has no rows binds to no rows with the
    /// declared columns, open to further ones (for checking a query when
    /// the data is not at hand); see [`Catalog::open_function_rows`].
    pub open: bool,
}

impl PartialEq for Catalog {
    fn eq(&self, other: &Catalog) -> bool {
        self.tables == other.tables
            && self.functions == other.functions
            && self.geoip == other.geoip
            && self.stored == other.stored
            && self.function_rows == other.function_rows
            && self.providers.len() == other.providers.len()
            && self
                .providers
                .iter()
                .zip(&other.providers)
                .all(|(a, b)| Arc::ptr_eq(a, b))
    }
}

impl Catalog {
    /// An empty catalog.
    pub fn new() -> Catalog {
        Catalog::default()
    }

    /// Sets the geo-IP table `geo_info_from_ip_address` reads.
    pub fn set_geoip(&mut self, table: GeoIpTable) {
        self.geoip = Some(Arc::new(table));
    }

    /// The geo-IP table, if one was given.
    pub fn geoip(&self) -> Option<&Arc<GeoIpTable>> {
        self.geoip.as_ref()
    }

    /// Declares a table by schema only (no rows yet). Replaces any table of
    /// the same name.
    pub fn add_schema(&mut self, name: impl Into<String>, schema: Vec<(String, DataType)>) {
        self.tables.insert(
            name.into(),
            CatalogTable {
                schema,
                data: None,
                zones: Vec::new(),
            },
        );
    }

    /// Adds a table with its data; the schema is taken from the data.
    /// Replaces any table of the same name.
    pub fn add_table(&mut self, name: impl Into<String>, table: Table) {
        let schema = table.schema();
        self.add_table_with_schema(name, table, schema);
    }

    /// Adds (or replaces) a table whose data may hold only some of the
    /// schema's columns, in any order: the others read as nulls, and cost
    /// nothing until a query reads them. A data column of another type than
    /// the schema's also reads as nulls.
    pub fn add_table_with_schema(
        &mut self,
        name: impl Into<String>,
        table: Table,
        schema: Vec<(String, DataType)>,
    ) {
        let zones = table_zones(table.columns().map(|(_, c)| c));
        self.tables.insert(
            name.into(),
            CatalogTable {
                schema,
                data: Some(Arc::new(table)),
                zones,
            },
        );
    }

    /// The zone map of a stored column, found by identity (`col` must be
    /// the very column the catalog holds, not a copy).
    pub(crate) fn zones_of(&self, col: &Arc<Column>) -> Option<&ZoneMap> {
        self.tables
            .values()
            .flat_map(|t| &t.zones)
            .find(|(c, _)| Arc::ptr_eq(c, col))
            .map(|(_, z)| z.as_ref())
    }

    /// Adds a source of schemas consulted, after the tables added directly,
    /// for names the catalog does not hold.
    pub fn add_provider(&mut self, provider: Arc<dyn SchemaProvider>) {
        self.providers.push(provider);
    }

    /// Declares a tabular function by its signature (replacing any function
    /// of the same name), so queries that call it bind.
    pub fn add_function(&mut self, name: impl Into<String>, function: TabularFunction) {
        self.functions.insert(name.into(), function);
    }

    /// Adds a workspace function given by its code (replacing any stored
    /// function of the same name). Queries that name or call it bind its
    /// body in place, before any table or function signature of that name:
    /// as in Sentinel, a workspace function hides a table of the same name.
    pub fn add_stored_function(&mut self, name: impl Into<String>, function: StoredFunction) {
        self.stored.insert(name.into(), Arc::new(function));
    }

    /// Gives the rows a call to the function `function` (one the catalog
    /// knows by signature) returns when its first argument is the constant
    /// string `key`: the call binds to `table`, with `table`'s columns as its
    /// schema. Once a function has rows, a call with a key that has none is
    /// an error (`E1110`) naming the key.
    pub fn add_function_rows(
        &mut self,
        function: impl Into<String>,
        key: impl Into<String>,
        table: Table,
    ) {
        self.function_rows
            .entry(function.into())
            .or_default()
            .tables
            .insert(key.into(), Arc::new(table));
    }

    /// Declares that calls to `function` take their rows from
    /// [`Catalog::add_function_rows`], even before any are given, so that a
    /// call whose key has none fails at binding with `hint` as its help
    /// (`{key}` in `hint` stands for the key).
    pub fn serve_function_rows(&mut self, function: impl Into<String>, hint: impl Into<String>) {
        let rows = self.function_rows.entry(function.into()).or_default();
        rows.missing_hint = Some(hint.into());
        rows.open = false;
    }

    /// Declares that the result of `function` has columns beyond its
    /// signature's that only its data knows (e.g. a watchlist's own
    /// columns): a call whose key has no rows binds to no rows whose
    /// schema is open, so a column it lacks binds by name as `dynamic`
    /// instead of being an error. For checking queries without the data;
    /// [`Catalog::serve_function_rows`] (rows required) takes precedence.
    pub fn open_function_rows(&mut self, function: impl Into<String>) {
        let rows = self.function_rows.entry(function.into()).or_default();
        rows.open = rows.missing_hint.is_none();
    }

    /// The rows given for calls to `function`, if any were given or the
    /// function was declared served.
    pub fn function_rows(&self, function: &str) -> Option<&FunctionRows> {
        self.function_rows.get(function)
    }

    /// The stored workspace function named `name` (case-sensitive).
    pub fn stored_function(&self, name: &str) -> Option<&Arc<StoredFunction>> {
        self.stored.get(name)
    }

    /// Names of the stored workspace functions, in the order added.
    pub fn stored_function_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.stored.keys().map(String::as_str)
    }

    /// The table named `name` (names are case-sensitive, as in Kusto): one
    /// added directly, else the first provider's.
    pub fn get(&self, name: &str) -> Option<&CatalogTable> {
        self.tables
            .get(name)
            .or_else(|| self.providers.iter().find_map(|p| p.table(name)))
    }

    /// The tabular function named `name`, if no table has that name.
    pub fn function(&self, name: &str) -> Option<&TabularFunction> {
        self.functions
            .get(name)
            .or_else(|| self.providers.iter().find_map(|p| p.function(name)))
    }

    /// The schema of table `name`.
    pub fn schema(&self, name: &str) -> Option<&[(String, DataType)]> {
        self.get(name).map(|t| t.schema.as_slice())
    }

    /// The data of table `name`, if loaded.
    pub fn data(&self, name: &str) -> Option<&Arc<Table>> {
        self.tables.get(name).and_then(|t| t.data.as_ref())
    }

    /// Names of the tables added directly, in insertion order (not the
    /// providers').
    pub fn names(&self) -> impl Iterator<Item = &str> + '_ {
        self.tables.keys().map(String::as_str)
    }

    /// Every table and function name: those added directly, then each
    /// provider's, without repeats (for suggestions and wildcards).
    pub fn known_names(&self) -> Vec<&str> {
        let mut seen = rustc_hash::FxHashSet::default();
        let mut out = Vec::new();
        let direct = self
            .tables
            .keys()
            .chain(self.functions.keys())
            .chain(self.stored.keys());
        for name in direct
            .map(String::as_str)
            .chain(self.providers.iter().flat_map(|p| p.names()))
        {
            if seen.insert(name) {
                out.push(name);
            }
        }
        out
    }

    /// Number of tables added directly.
    pub fn len(&self) -> usize {
        self.tables.len()
    }

    /// Whether no table was added directly.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty()
    }
}

/// Maps a byte offset in a stored function's body to a 1-based line and
/// column of the file it came from.
pub type Locator = Arc<dyn Fn(usize) -> (usize, usize) + Send + Sync>;

/// A workspace function given by its code: parameters and body, parsed
/// once, with a label of where the code came from (a file path) so that an
/// error inside the body can name the file, line and column.
#[derive(Clone)]
pub struct StoredFunction {
    def: Arc<ast::FunctionDef>,
    /// What the spans of `def` point into.
    text: Arc<str>,
    /// Offset in `text` where the body starts: a span's offset minus this
    /// is an offset in the body.
    base: usize,
    origin: String,
    locate: Option<Locator>,
}

impl std::fmt::Debug for StoredFunction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredFunction")
            .field("origin", &self.origin)
            .field("params", &self.def.params.len())
            .finish_non_exhaustive()
    }
}

impl PartialEq for StoredFunction {
    fn eq(&self, other: &StoredFunction) -> bool {
        self.origin == other.origin && self.text == other.text && self.def == other.def
    }
}

/// Which part of a stored function's code a parse error is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredPart {
    /// The parameter list.
    Params,
    /// The body.
    Body,
}

/// A stored function's code that does not parse: the parser's diagnostics,
/// with spans into the part of the code they are about.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredParseError {
    /// The part the first diagnostic is about.
    pub part: StoredPart,
    /// The diagnostics (spans relative to the start of `part`'s text).
    pub diagnostics: Vec<Diagnostic>,
}

impl StoredFunction {
    /// Parses a function from its parameter list (the text between the
    /// parentheses of `let f = (...) { ... }`, e.g. `a: string, b: int = 3`;
    /// empty for none) and its body (the text between the braces: `let`
    /// statements, then one expression). `origin` labels where it came from.
    pub fn parse(
        params: &str,
        body: &str,
        origin: impl Into<String>,
    ) -> Result<StoredFunction, StoredParseError> {
        const NAME: &str = "__stored_function";
        let head = format!("let {NAME} = (");
        let params_start = head.len();
        let text = format!("{head}{params}) {{\n{body}\n}};");
        let base = params_start + params.len() + 4;
        let part_of = |d: &Diagnostic| {
            if (d.span.start as usize) < base {
                StoredPart::Params
            } else {
                StoredPart::Body
            }
        };
        let relative = |mut d: Diagnostic| {
            let (from, end) = match part_of(&d) {
                StoredPart::Params => (params_start, params_start + params.len()),
                StoredPart::Body => (base, base + body.len()),
            };
            let shift = |o: usize| o.clamp(from, end) - from;
            d.span = Span::new(shift(d.span.start as usize), shift(d.span.end as usize));
            d.labels.clear();
            d
        };
        let script = match kqlite_parser::parse(&text) {
            Ok(s) => s,
            Err(e) => {
                let diags = e.into_diagnostics();
                let part = diags.first().map_or(StoredPart::Body, part_of);
                return Err(StoredParseError {
                    part,
                    diagnostics: diags.into_iter().map(relative).collect(),
                });
            }
        };
        let def = match script.statements.as_slice() {
            [ast::Statement {
                kind: ast::StatementKind::Let(l),
                ..
            }] => match &l.value {
                ast::LetValue::Function(f) => Some(f.clone()),
                ast::LetValue::Expr(_) => None,
            },
            _ => None,
        };
        let Some(def) = def else {
            // The parameter list or the body closed the braces early.
            let d = Diagnostic::error(
                "E1007",
                "the function's code is not one parameter list and one body",
                Span::new(0, 0),
            );
            return Err(StoredParseError {
                part: StoredPart::Body,
                diagnostics: vec![d],
            });
        };
        Ok(StoredFunction {
            def: Arc::new(def),
            text: Arc::from(text),
            base,
            origin: origin.into(),
            locate: None,
        })
    }

    /// A function already parsed, e.g. a `let f = (...) { ... };` of a
    /// script: the spans of `def` point into `text`, which came from
    /// `origin`.
    pub fn from_def(
        def: ast::FunctionDef,
        text: impl Into<Arc<str>>,
        origin: impl Into<String>,
    ) -> StoredFunction {
        StoredFunction {
            def: Arc::new(def),
            text: text.into(),
            base: 0,
            origin: origin.into(),
            locate: None,
        }
    }

    /// Sets how a byte offset in the body maps to a line and column of the
    /// origin file (by default, lines and columns of the body text itself,
    /// or of the script text for [`StoredFunction::from_def`]).
    pub fn with_locator(mut self, locate: Locator) -> StoredFunction {
        self.locate = Some(locate);
        self
    }

    /// The parsed parameters and body.
    pub fn def(&self) -> &Arc<ast::FunctionDef> {
        &self.def
    }

    /// Where the code came from.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// `origin:line:col` of a span of the function's code.
    pub fn location(&self, span: Span) -> String {
        let offset = (span.start as usize).saturating_sub(self.base);
        let (line, col) = match &self.locate {
            Some(locate) => locate(offset),
            None => {
                let body = self.text.get(self.base..).unwrap_or("");
                kqlite_parser::span::LineIndex::new(body).line_col(offset)
            }
        };
        format!("{}:{line}:{col}", self.origin)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_schema_only_table_has_no_data_until_one_is_added() {
        let mut c = Catalog::new();
        c.add_schema("SigninLogs", vec![("ResultType".into(), DataType::String)]);
        assert_eq!(c.schema("SigninLogs").map(<[_]>::len), Some(1));
        assert!(c.data("SigninLogs").is_none());
        c.add_table("SigninLogs", Table::empty(0));
        assert!(c.data("SigninLogs").is_some());
        assert_eq!(c.names().collect::<Vec<_>>(), vec!["SigninLogs"]);
    }
}
