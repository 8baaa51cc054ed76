//! Schema files: users describe their own tables (custom `_CL` tables, or a
//! built-in table as their workspace really has it) once, in a format they
//! already have, and every command checks and types queries against it.
//!
//! The format is recognised from the content:
//!
//! - Kusto's `.show database DB schema as json` output (`{"Databases": {"DB":
//!   {"Tables": {"T": {"OrderedColumns": [...]}}, "Functions": {...}}}}`):
//!   every table of every database, and the tabular functions. A column's
//!   type is its `CslType`, else its .NET `Type` (`System.String`, ...).
//! - The output of `T | getschema`: CSV with the header
//!   `ColumnName,ColumnOrdinal,DataType,ColumnType`, a JSON array of rows
//!   with those keys, or a Log Analytics / Kusto REST response holding them.
//!   The table's name is the file's stem (`MyApp_CL.csv` describes
//!   `MyApp_CL`) unless one is given (`NAME=FILE`).
//! - A plain JSON object of tables: `{"MyApp_CL": {"TimeGenerated":
//!   "datetime", "User": "string"}}`, or with a list of columns per table:
//!   `{"MyApp_CL": [{"name": "User", "type": "string"}]}`.
//!
//! ```
//! use kqlite_sentinel::schema_file;
//!
//! let set = schema_file::parse(r#"{"MyApp_CL": {"User": "string", "Count": "long"}}"#, "custom.json", None)
//!     .unwrap();
//! let mut engine = kqlite_engine::Engine::new();
//! set.install(&mut engine);
//! assert!(engine.check("MyApp_CL | where Count > 1 | project User").is_empty());
//! ```

use std::fmt;
use std::path::Path;

use indexmap::IndexMap;
use kqlite_engine::catalog::{FunctionParam, TabularFunction};
use kqlite_engine::{DataType, Engine, RunOptions};
use serde_json::{Map, Value};

/// A column list: names and types, in order.
pub type Columns = Vec<(String, DataType)>;

/// Why a schema file could not be used: the file, where in it (when known)
/// and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaFileError {
    /// The file, as named on the command line or in a test file.
    pub file: String,
    /// The 1-based line, when known.
    pub line: Option<usize>,
    /// The 1-based column, when known.
    pub column: Option<usize>,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is something to say.
    pub hint: Option<String>,
}

impl fmt::Display for SchemaFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
            if let Some(column) = self.column {
                write!(f, ":{column}")?;
            }
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for SchemaFileError {}

impl SchemaFileError {
    /// The message followed by the hint, if any, on its own line.
    pub fn with_hint(&self) -> String {
        match &self.hint {
            Some(h) => format!("{self}\n  = help: {h}"),
            None => self.to_string(),
        }
    }
}

/// A tabular function as a schema file declares it.
#[derive(Debug, Clone, PartialEq)]
struct FunctionSpec {
    params: Vec<FunctionParam>,
    /// Its result's columns, when the file lists them.
    output: Columns,
    /// Its body (`{ ... }`), to find the result's columns when not listed.
    body: Option<String>,
    /// A parameter that is a table: such functions cannot be declared.
    tabular_param: bool,
}

/// The tables (and tabular functions) of one or more schema files.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SchemaSet {
    tables: IndexMap<String, Columns>,
    functions: IndexMap<String, FunctionSpec>,
}

impl SchemaSet {
    /// An empty set.
    pub fn new() -> SchemaSet {
        SchemaSet::default()
    }

    /// Adds `other`'s tables and functions; where both have a name,
    /// `other`'s wins.
    pub fn merge(&mut self, other: SchemaSet) {
        self.tables.extend(other.tables);
        self.functions.extend(other.functions);
    }

    /// The columns of table `name` (case-sensitive), if the set has it.
    pub fn table(&self, name: &str) -> Option<&[(String, DataType)]> {
        self.tables.get(name).map(Vec::as_slice)
    }

    /// Every table's name and columns, in file order.
    pub fn tables(&self) -> impl Iterator<Item = (&str, &[(String, DataType)])> + '_ {
        self.tables.iter().map(|(n, c)| (n.as_str(), c.as_slice()))
    }

    /// Names of the tabular functions, in file order.
    pub fn function_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.functions.keys().map(String::as_str)
    }

    /// Whether the set holds no table and no function.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.functions.is_empty()
    }

    /// Declares the tables in `engine`'s catalog (replacing tables of the
    /// same name, and taking precedence over any schema provider such as the
    /// built-in catalog), then the functions. A function whose result
    /// columns the file does not list gets them from binding its body
    /// against the catalog. Returns a note for each function left out
    /// (a table parameter, or a body that does not bind).
    pub fn install(&self, engine: &mut Engine) -> Vec<String> {
        for (name, columns) in &self.tables {
            engine.add_schema(name.clone(), columns.clone());
        }
        let mut notes = Vec::new();
        // Bodies may call functions declared later in the file: bind in
        // rounds until a round declares nothing new.
        let mut pending: Vec<(&String, &FunctionSpec)> = Vec::new();
        for (name, f) in &self.functions {
            if f.tabular_param {
                notes.push(format!(
                    "function `{name}` takes a table parameter, which kqlite cannot declare; left out"
                ));
            } else if !f.output.is_empty() {
                engine.catalog_mut().add_function(
                    name.clone(),
                    TabularFunction {
                        params: f.params.clone(),
                        schema: f.output.clone(),
                    },
                );
            } else if f.body.is_none() {
                notes.push(format!(
                    "function `{name}` lists neither its result columns nor a body; left out"
                ));
            } else {
                pending.push((name, f));
            }
        }
        loop {
            let before = pending.len();
            let mut failed = Vec::new();
            for (name, f) in std::mem::take(&mut pending) {
                let body = f.body.as_deref().unwrap_or_default();
                match body_schema(engine, &f.params, body) {
                    Ok(schema) => engine.catalog_mut().add_function(
                        name.clone(),
                        TabularFunction {
                            params: f.params.clone(),
                            schema,
                        },
                    ),
                    Err(reason) => failed.push((name, f, reason)),
                }
            }
            if failed.is_empty() || failed.len() == before {
                for (name, _, reason) in failed {
                    notes.push(format!(
                        "function `{name}`: its result columns are not listed and its body does not bind ({reason}); left out"
                    ));
                }
                break;
            }
            pending = failed.into_iter().map(|(n, f, _)| (n, f)).collect();
        }
        notes
    }
}

/// The result columns of a function body, bound with each parameter as a
/// typed null of its type.
fn body_schema(engine: &Engine, params: &[FunctionParam], body: &str) -> Result<Columns, String> {
    let inner = body
        .trim()
        .strip_prefix('{')
        .and_then(|b| b.strip_suffix('}'))
        .unwrap_or(body);
    let mut query = String::new();
    for p in params {
        let value = match p.ty {
            DataType::String => "\"\"".to_string(),
            ty => format!("{}(null)", ty.name()),
        };
        query.push_str(&format!("let {} = {value};\n", p.name));
    }
    query.push_str(inner);
    match engine.bind(&query, &RunOptions::default()) {
        Ok(bound) => Ok(bound.schema),
        Err(e) => Err(e
            .diagnostics()
            .first()
            .map(|d| d.message.clone())
            .unwrap_or_else(|| e.to_string())),
    }
}

/// The valid type names, for errors.
fn valid_types() -> String {
    let kql: Vec<&str> = DataType::ALL.iter().map(|t| t.name()).collect();
    format!(
        "valid types are {} (or .NET names such as System.String, System.Int64, System.DateTime, System.Object)",
        kql.join(", ")
    )
}

/// The type called `name`: a KQL name or alias (any case), or a .NET type
/// name as `getschema` and `.show database schema` print them.
pub fn type_from_name(name: &str) -> Option<DataType> {
    let name = name.trim();
    if let Some(t) =
        DataType::from_name(name).or_else(|| DataType::from_name(&name.to_ascii_lowercase()))
    {
        return Some(t);
    }
    let t = match name {
        "System.String" => DataType::String,
        "System.Int32" => DataType::Int,
        "System.Int64" => DataType::Long,
        "System.Double" | "System.Single" => DataType::Real,
        "System.Boolean" | "System.SByte" => DataType::Bool,
        "System.DateTime" => DataType::DateTime,
        "System.TimeSpan" => DataType::TimeSpan,
        "System.Guid" => DataType::Guid,
        "System.Object"
        | "Newtonsoft.Json.Linq.JToken"
        | "Newtonsoft.Json.Linq.JObject"
        | "Newtonsoft.Json.Linq.JArray" => DataType::Dynamic,
        "System.Data.SqlTypes.SqlDecimal" | "System.Decimal" => DataType::Decimal,
        _ => return None,
    };
    Some(t)
}

/// Reads a `--schema` argument: `FILE`, or `NAME=FILE` to name the table of
/// a `getschema` file. An argument naming an existing file is always a file
/// (so a path with `=` in it still works).
pub fn load(arg: &str) -> Result<SchemaSet, SchemaFileError> {
    if !Path::new(arg).exists() {
        if let Some((name, path)) = arg.split_once('=') {
            let name = name.trim();
            if is_table_name(name) && !path.is_empty() {
                return load_file(Path::new(path), Some(name));
            }
        }
    }
    load_file(Path::new(arg), None)
}

/// Whether `name` can be a table name given on the command line.
fn is_table_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == '.')
}

/// Reads the schema file at `path`; `table` names the table of a
/// `getschema` file (else the file's stem does).
pub fn load_file(path: &Path, table: Option<&str>) -> Result<SchemaSet, SchemaFileError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| SchemaFileError {
        file: file.clone(),
        line: None,
        column: None,
        message: format!("cannot read the schema file: {e}"),
        hint: None,
    })?;
    parse(&text, &file, table)
}

/// Parses schema-file text. `file` names it in errors and, for a
/// `getschema` file, gives the table its name (the stem: `MyApp_CL` for
/// `dir/MyApp_CL.csv`) unless `table` does.
pub fn parse(text: &str, file: &str, table: Option<&str>) -> Result<SchemaSet, SchemaFileError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let p = Parser { text, file };
    let trimmed = text.trim_start();
    if trimmed.starts_with("\"{\"\"") {
        // A CSV cell holding the JSON, as Kusto tools export it.
        let inner = trimmed.trim_end();
        let inner = inner
            .strip_prefix('"')
            .and_then(|s| s.strip_suffix('"'))
            .unwrap_or(inner)
            .replace("\"\"", "\"");
        return parse(&inner, file, table);
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let value: Value = serde_json::from_str(text).map_err(|e| SchemaFileError {
            file: file.to_string(),
            line: Some(e.line()).filter(|&l| l > 0),
            column: Some(e.column()).filter(|&c| c > 0),
            message: format!("not valid JSON: {e}"),
            hint: None,
        })?;
        p.json(&value, table)
    } else {
        let name = p.table_name(table)?;
        let columns = p.csv(text, &name)?;
        let mut set = SchemaSet::new();
        set.tables.insert(name, columns);
        Ok(set)
    }
}

/// One file being parsed: its text (to find lines) and its name.
struct Parser<'a> {
    text: &'a str,
    file: &'a str,
}

/// Looks up a key by exact name, then without regard to case.
fn get<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    obj.get(key).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

fn get_str<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v str> {
    get(obj, key).and_then(Value::as_str)
}

impl Parser<'_> {
    fn error(&self, line: Option<usize>, message: impl Into<String>) -> SchemaFileError {
        SchemaFileError {
            file: self.file.to_string(),
            line,
            column: None,
            message: message.into(),
            hint: None,
        }
    }

    /// The line of the first `"needle"` found after each earlier needle,
    /// in order (a table's name, then a column's, then a type's).
    fn locate(&self, needles: &[&str]) -> Option<usize> {
        let mut at = 0;
        let mut found = None;
        for needle in needles {
            let quoted = serde_json::to_string(needle).ok()?;
            match self.text.get(at..).and_then(|t| t.find(&quoted)) {
                Some(i) => {
                    found = Some(at + i);
                    at += i + quoted.len();
                }
                None => break,
            }
        }
        found.map(|i| self.text.get(..i).map_or(0, |t| t.matches('\n').count()) + 1)
    }

    /// The table a `getschema` file describes: `table`, else the file stem.
    fn table_name(&self, table: Option<&str>) -> Result<String, SchemaFileError> {
        if let Some(t) = table {
            return Ok(t.to_string());
        }
        let stem = Path::new(self.file)
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.split('.').next())
            .unwrap_or("");
        if stem.is_empty() || stem == "-" {
            let mut e = self.error(None, "a getschema file needs a table name");
            e.hint = Some(
                "give it as NAME=FILE, or name the file after the table (MyApp_CL.csv)".into(),
            );
            return Err(e);
        }
        Ok(stem.to_string())
    }

    /// The type called `name` for column `table.column`, else an error at
    /// `line` listing the valid names.
    fn column_type(
        &self,
        name: &str,
        table: &str,
        column: &str,
        line: Option<usize>,
    ) -> Result<DataType, SchemaFileError> {
        type_from_name(name).ok_or_else(|| {
            let mut e = self.error(
                line,
                format!("unknown type `{name}` for column `{column}` of `{table}`"),
            );
            e.hint = Some(valid_types());
            e
        })
    }

    /// Adds a column, refusing an empty or repeated name.
    fn push_column(
        &self,
        columns: &mut Columns,
        table: &str,
        name: &str,
        ty: DataType,
        line: Option<usize>,
    ) -> Result<(), SchemaFileError> {
        if name.trim().is_empty() {
            return Err(self.error(line, format!("a column of `{table}` has no name")));
        }
        if columns.iter().any(|(c, _)| c == name) {
            return Err(self.error(
                line,
                format!("column `{name}` of `{table}` is listed twice"),
            ));
        }
        columns.push((name.to_string(), ty));
        Ok(())
    }

    fn json(&self, value: &Value, table: Option<&str>) -> Result<SchemaSet, SchemaFileError> {
        match value {
            Value::String(inner) => parse(inner, self.file, table),
            Value::Object(obj) => {
                if let Some(dbs) = get(obj, "Databases") {
                    let set = self.databases(dbs)?;
                    return rename_single(set, table, self);
                }
                for key in ["tables", "Tables"] {
                    if let Some(Value::Array(frames)) = obj.get(key) {
                        return self.response_tables(frames, table);
                    }
                }
                let set = self.plain(obj)?;
                rename_single(set, table, self)
            }
            Value::Array(items) => {
                let frames = items.iter().any(|i| i.get("FrameType").is_some());
                if frames {
                    return self.response_tables(items, table);
                }
                let name = self.table_name(table)?;
                let columns = self.getschema_objects(items, &name)?;
                let mut set = SchemaSet::new();
                set.tables.insert(name, columns);
                Ok(set)
            }
            _ => Err(self.not_a_schema()),
        }
    }

    fn not_a_schema(&self) -> SchemaFileError {
        let mut e = self.error(Some(1), "not a schema file");
        e.hint = Some(
            "expected `.show database schema as json` output, `getschema` output (CSV or JSON), or {\"Table\": {\"Column\": \"type\"}}"
                .into(),
        );
        e
    }

    /// `"Databases": {"DB": {"Tables": {...}, "Functions": {...}}}`.
    fn databases(&self, dbs: &Value) -> Result<SchemaSet, SchemaFileError> {
        let Value::Object(dbs) = dbs else {
            return Err(self.error(self.locate(&["Databases"]), "`Databases` is not an object"));
        };
        let mut set = SchemaSet::new();
        for (db_name, db) in dbs {
            let Value::Object(db) = db else {
                return Err(self.error(
                    self.locate(&[db_name]),
                    format!("database `{db_name}` is not an object"),
                ));
            };
            for kind in ["Tables", "ExternalTables", "MaterializedViews"] {
                let Some(tables) = get(db, kind) else {
                    continue;
                };
                let Value::Object(tables) = tables else {
                    continue;
                };
                for (key, t) in tables {
                    let name = t
                        .get("Name")
                        .and_then(Value::as_str)
                        .unwrap_or(key)
                        .to_string();
                    let columns = match t.get("OrderedColumns") {
                        Some(Value::Array(cols)) => self.kusto_columns(cols, &name)?,
                        _ => {
                            return Err(self.error(
                                self.locate(&[db_name, key]),
                                format!("table `{name}` has no `OrderedColumns` list"),
                            ))
                        }
                    };
                    set.tables.insert(name, columns);
                }
            }
            if let Some(Value::Object(functions)) = get(db, "Functions") {
                for (key, f) in functions {
                    let name = f
                        .get("Name")
                        .and_then(Value::as_str)
                        .unwrap_or(key)
                        .to_string();
                    let spec = self.kusto_function(f, &name)?;
                    set.functions.insert(name, spec);
                }
            }
        }
        Ok(set)
    }

    /// `[{"Name": "c", "Type": "System.String", "CslType": "string"}]`.
    fn kusto_columns(&self, cols: &[Value], table: &str) -> Result<Columns, SchemaFileError> {
        let mut columns = Vec::new();
        for c in cols {
            let Value::Object(c) = c else {
                return Err(self.error(
                    self.locate(&[table]),
                    format!("a column of `{table}` is not an object"),
                ));
            };
            let name = get_str(c, "Name").unwrap_or("");
            let line = || self.locate(&[table, name]);
            let ty_name = get_str(c, "CslType").or_else(|| get_str(c, "Type"));
            let Some(ty_name) = ty_name else {
                return Err(self.error(
                    line(),
                    format!("column `{name}` of `{table}` has no `CslType` or `Type`"),
                ));
            };
            let ty = self.column_type(ty_name, table, name, line())?;
            self.push_column(&mut columns, table, name, ty, line())?;
        }
        Ok(columns)
    }

    /// A function of `.show database schema as json`.
    fn kusto_function(&self, f: &Value, name: &str) -> Result<FunctionSpec, SchemaFileError> {
        let Value::Object(f) = f else {
            return Err(self.error(
                self.locate(&[name]),
                format!("function `{name}` is not an object"),
            ));
        };
        let mut params = Vec::new();
        let mut tabular_param = false;
        if let Some(Value::Array(ps)) = get(f, "InputParameters") {
            for p in ps {
                let Value::Object(p) = p else { continue };
                let pname = get_str(p, "Name").unwrap_or("").to_string();
                if get(p, "Columns").is_some() {
                    tabular_param = true;
                    continue;
                }
                let line = self.locate(&[name, &pname]);
                let ty_name = get_str(p, "CslType")
                    .or_else(|| get_str(p, "Type"))
                    .unwrap_or("");
                let ty = self.column_type(ty_name, name, &pname, line)?;
                let required = !matches!(get(p, "CslDefaultValue"), Some(v) if !v.is_null());
                params.push(FunctionParam {
                    name: pname,
                    ty,
                    required,
                });
            }
        }
        let output = match get(f, "OutputColumns") {
            Some(Value::Array(cols)) => self.kusto_columns(cols, name)?,
            _ => Vec::new(),
        };
        Ok(FunctionSpec {
            params,
            output,
            body: get_str(f, "Body").map(str::to_string),
            tabular_param,
        })
    }

    /// A query response: Log Analytics (`tables[0].columns/rows`), Kusto
    /// v1 (`Tables[0].Columns/Rows`) or v2 (frames, the first
    /// `DataTable`), holding `getschema` rows.
    fn response_tables(
        &self,
        frames: &[Value],
        table: Option<&str>,
    ) -> Result<SchemaSet, SchemaFileError> {
        let first = frames.iter().find(|f| {
            f.get("FrameType").is_none()
                || (f.get("FrameType").and_then(Value::as_str) == Some("DataTable")
                    && f.get("TableKind").and_then(Value::as_str) != Some("QueryProperties")
                    && f.get("TableKind").and_then(Value::as_str)
                        != Some("QueryCompletionInformation"))
        });
        let Some(Value::Object(t)) = first else {
            return Err(self.not_a_schema());
        };
        let (Some(Value::Array(cols)), Some(Value::Array(rows))) =
            (get(t, "columns"), get(t, "rows"))
        else {
            return Err(self.error(
                self.locate(&["tables"]).or(self.locate(&["Tables"])),
                "the response's first table has no `columns` and `rows`",
            ));
        };
        let names: Vec<&str> = cols
            .iter()
            .map(|c| {
                c.get("name")
                    .or_else(|| c.get("ColumnName"))
                    .and_then(Value::as_str)
                    .unwrap_or("")
            })
            .collect();
        let mut objects = Vec::with_capacity(rows.len());
        for row in rows {
            let Value::Array(cells) = row else {
                return Err(self.error(
                    self.locate(&["rows"]),
                    "a row of the response is not an array",
                ));
            };
            let obj: Map<String, Value> = names
                .iter()
                .zip(cells)
                .map(|(n, v)| (n.to_string(), v.clone()))
                .collect();
            objects.push(Value::Object(obj));
        }
        let name = self.table_name(table)?;
        let columns = self.getschema_objects(&objects, &name)?;
        let mut set = SchemaSet::new();
        set.tables.insert(name, columns);
        Ok(set)
    }

    /// `getschema` rows as objects: `ColumnName`, `ColumnOrdinal`,
    /// `DataType`, `ColumnType` (the KQL type, preferred).
    fn getschema_objects(&self, rows: &[Value], table: &str) -> Result<Columns, SchemaFileError> {
        let mut cells = Vec::with_capacity(rows.len());
        for row in rows {
            let Value::Object(row) = row else {
                return Err(self.not_a_schema());
            };
            let Some(name) = get_str(row, "ColumnName") else {
                let mut e = self.error(Some(1), "a getschema row has no `ColumnName`");
                e.hint = Some(
                    "getschema rows have ColumnName, ColumnOrdinal, DataType and ColumnType".into(),
                );
                return Err(e);
            };
            let ordinal = get(row, "ColumnOrdinal").and_then(Value::as_i64);
            let ty = get_str(row, "ColumnType")
                .filter(|t| !t.is_empty())
                .or_else(|| get_str(row, "DataType"))
                .unwrap_or("");
            let line = self.locate(&[name]);
            cells.push((ordinal, name.to_string(), ty.to_string(), line));
        }
        self.getschema_columns(cells, table)
    }

    /// Columns from getschema rows (ordinal, name, type, line), in ordinal
    /// order when every row has one.
    fn getschema_columns(
        &self,
        mut rows: Vec<(Option<i64>, String, String, Option<usize>)>,
        table: &str,
    ) -> Result<Columns, SchemaFileError> {
        if rows.is_empty() {
            return Err(self.error(
                None,
                format!("the getschema output for `{table}` has no rows"),
            ));
        }
        if rows.iter().all(|r| r.0.is_some()) {
            rows.sort_by_key(|r| r.0);
        }
        let mut columns = Vec::with_capacity(rows.len());
        for (_, name, ty, line) in rows {
            let ty = self.column_type(&ty, table, &name, line)?;
            self.push_column(&mut columns, table, &name, ty, line)?;
        }
        Ok(columns)
    }

    /// `getschema` output as CSV.
    fn csv(&self, text: &str, table: &str) -> Result<Columns, SchemaFileError> {
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l))
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((header_line, header)) = lines.next() else {
            return Err(self.error(None, "the schema file is empty"));
        };
        let header = split_csv(header).map_err(|m| self.error(Some(header_line), m))?;
        let find = |key: &str| {
            header
                .iter()
                .position(|h| h.trim().eq_ignore_ascii_case(key))
        };
        let (Some(name_at), kql_at, net_at, ordinal_at) = (
            find("ColumnName"),
            find("ColumnType"),
            find("DataType"),
            find("ColumnOrdinal"),
        ) else {
            return Err(self.not_a_schema());
        };
        if kql_at.is_none() && net_at.is_none() {
            return Err(self.not_a_schema());
        }
        let mut rows = Vec::new();
        for (line, text) in lines {
            let cells = split_csv(text).map_err(|m| self.error(Some(line), m))?;
            if cells.len() != header.len() {
                return Err(self.error(
                    Some(line),
                    format!(
                        "{} fields where the header has {}",
                        cells.len(),
                        header.len()
                    ),
                ));
            }
            let cell = |at: Option<usize>| at.and_then(|i| cells.get(i)).map(|s| s.trim());
            let name = cell(Some(name_at)).unwrap_or("").to_string();
            let ordinal = match cell(ordinal_at) {
                Some(o) => Some(o.parse::<i64>().map_err(|_| {
                    self.error(Some(line), format!("ColumnOrdinal `{o}` is not a number"))
                })?),
                None => None,
            };
            let ty = cell(kql_at)
                .filter(|t| !t.is_empty())
                .or(cell(net_at))
                .unwrap_or("")
                .to_string();
            rows.push((ordinal, name, ty, Some(line)));
        }
        self.getschema_columns(rows, table)
    }

    /// `{"Table": {"Column": "type"}}` or `{"Table": [{"name": "c", "type": "t"}]}`.
    fn plain(&self, obj: &Map<String, Value>) -> Result<SchemaSet, SchemaFileError> {
        if obj.is_empty() {
            return Err(self.not_a_schema());
        }
        let mut set = SchemaSet::new();
        for (table, spec) in obj {
            let mut columns = Vec::new();
            match spec {
                Value::Object(cols) => {
                    for (name, ty) in cols {
                        let line = self.locate(&[table, name]);
                        let Some(ty_name) = ty.as_str() else {
                            return Err(self.error(
                                line,
                                format!("the type of column `{name}` of `{table}` is not a string"),
                            ));
                        };
                        let ty = self.column_type(
                            ty_name,
                            table,
                            name,
                            self.locate(&[table, name, ty_name]),
                        )?;
                        self.push_column(&mut columns, table, name, ty, line)?;
                    }
                }
                Value::Array(cols) => {
                    for c in cols {
                        let Value::Object(c) = c else {
                            return Err(self.error(
                                self.locate(&[table]),
                                format!("a column of `{table}` is not an object"),
                            ));
                        };
                        let name = get_str(c, "name")
                            .or_else(|| get_str(c, "ColumnName"))
                            .unwrap_or("");
                        let line = self.locate(&[table, name]);
                        let ty_name = get_str(c, "type")
                            .or_else(|| get_str(c, "CslType"))
                            .or_else(|| get_str(c, "ColumnType"))
                            .or_else(|| get_str(c, "DataType"))
                            .unwrap_or("");
                        let ty = self.column_type(ty_name, table, name, line)?;
                        self.push_column(&mut columns, table, name, ty, line)?;
                    }
                }
                _ => {
                    let mut e = self.error(
                        self.locate(&[table]),
                        format!("`{table}` is neither an object of columns nor a list of them"),
                    );
                    e.hint = Some(
                        "write {\"Table\": {\"Column\": \"type\"}} or {\"Table\": [{\"name\": \"Column\", \"type\": \"type\"}]}"
                            .into(),
                    );
                    return Err(e);
                }
            }
            set.tables.insert(table.clone(), columns);
        }
        Ok(set)
    }
}

/// Gives the only table of `set` the name `table`, when one was given.
fn rename_single(
    mut set: SchemaSet,
    table: Option<&str>,
    p: &Parser<'_>,
) -> Result<SchemaSet, SchemaFileError> {
    let Some(name) = table else { return Ok(set) };
    if set.tables.len() != 1 {
        let mut e = p.error(
            None,
            format!(
                "NAME=FILE names one table, but the file describes {}",
                set.tables.len()
            ),
        );
        e.hint = Some("give the file without a NAME= prefix".into());
        return Err(e);
    }
    if let Some((_, columns)) = set.tables.pop() {
        set.tables.insert(name.to_string(), columns);
    }
    Ok(set)
}

/// Splits one CSV record (RFC 4180 quoting) with the engine's CSV rules.
fn split_csv(line: &str) -> Result<Vec<String>, String> {
    match kqlite_engine::io::csv::split_records(line, ',', "") {
        Ok(records) => Ok(records
            .into_iter()
            .next()
            .map(|(_, r)| r)
            .unwrap_or_default()),
        Err(kqlite_engine::io::LoadError::Syntax { message, .. }) => Err(message),
        Err(kqlite_engine::io::LoadError::UnclosedQuote { .. }) => {
            Err("a quoted field is not closed".to_string())
        }
        Err(e) => Err(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str, file: &str) -> SchemaSet {
        match parse(text, file, None) {
            Ok(s) => s,
            Err(e) => panic!("{}", e.with_hint()),
        }
    }

    fn columns(set: &SchemaSet, table: &str) -> Vec<(String, DataType)> {
        set.table(table).map(<[_]>::to_vec).unwrap_or_default()
    }

    const SHOW_SCHEMA: &str = r#"{"Databases": {"Ws": {"Name": "Ws", "Tables": {
        "MyApp_CL": {"Name": "MyApp_CL", "DefaultColumn": null, "OrderedColumns": [
            {"Name": "TimeGenerated", "Type": "System.DateTime", "CslType": "datetime"},
            {"Name": "User_s", "Type": "System.String"},
            {"Name": "Count_d", "Type": "System.Double"},
            {"Name": "Ok_b", "Type": "System.Boolean"},
            {"Name": "Amount", "Type": "System.Data.SqlTypes.SqlDecimal"},
            {"Name": "Props", "Type": "System.Object", "CslType": "dynamic"}]}},
        "PrettyName": null, "MajorVersion": 1, "MinorVersion": 1,
        "Functions": {"MyAppFailures": {"Name": "MyAppFailures",
            "InputParameters": [{"Name": "lookback", "Type": "System.TimeSpan", "CslType": "timespan", "CslDefaultValue": "1d"}],
            "Body": "{ MyApp_CL | where TimeGenerated > ago(lookback) | project TimeGenerated, User_s }",
            "Folder": "", "DocString": "", "FunctionKind": "Unknown", "OutputColumns": []}}}}}"#;

    #[test]
    fn show_database_schema_json_gives_tables_with_csl_or_dotnet_types() {
        let set = parsed(SHOW_SCHEMA, "schema.json");
        assert_eq!(
            columns(&set, "MyApp_CL"),
            vec![
                ("TimeGenerated".to_string(), DataType::DateTime),
                ("User_s".to_string(), DataType::String),
                ("Count_d".to_string(), DataType::Real),
                ("Ok_b".to_string(), DataType::Bool),
                ("Amount".to_string(), DataType::Decimal),
                ("Props".to_string(), DataType::Dynamic),
            ]
        );
        assert_eq!(
            set.function_names().collect::<Vec<_>>(),
            vec!["MyAppFailures"]
        );
    }

    #[test]
    fn a_function_without_output_columns_gets_them_from_its_body() {
        let set = parsed(SHOW_SCHEMA, "schema.json");
        let mut engine = Engine::new();
        let notes = set.install(&mut engine);
        assert!(notes.is_empty(), "{notes:?}");
        assert!(engine
            .check("MyAppFailures(2d) | where User_s != ''")
            .is_empty());
        assert!(engine
            .check("MyAppFailures() | project TimeGenerated")
            .is_empty());
        assert!(!engine.check("MyAppFailures() | project Count_d").is_empty());
    }

    #[test]
    fn a_function_body_may_call_a_function_declared_after_it() {
        let text = r#"{"Databases": {"Ws": {"Tables": {"T": {"OrderedColumns": [{"Name": "a", "CslType": "long"}]}},
            "Functions": {
                "Outer": {"Name": "Outer", "InputParameters": [], "Body": "{ Inner() | extend b = a * 2 }"},
                "Inner": {"Name": "Inner", "InputParameters": [], "Body": "{ T | where a > 0 }"},
                "Broken": {"Name": "Broken", "InputParameters": [], "Body": "{ Nowhere }"}}}}}"#;
        let set = parsed(text, "schema.json");
        let mut engine = Engine::new();
        let notes = set.install(&mut engine);
        assert!(engine.check("Outer() | project a, b").is_empty());
        assert_eq!(notes.len(), 1, "{notes:?}");
        assert!(notes.iter().all(|n| n.contains("`Broken`")), "{notes:?}");
    }

    #[test]
    fn show_schema_output_quoted_as_a_csv_cell_is_read_too() {
        let cell = format!("\"{}\"", SHOW_SCHEMA.replace('"', "\"\""));
        let set = parsed(&cell, "export.csv");
        assert_eq!(columns(&set, "MyApp_CL").len(), 6);
    }

    #[test]
    fn getschema_csv_names_the_table_after_the_file_and_orders_by_ordinal() {
        let csv = "ColumnName,ColumnOrdinal,DataType,ColumnType\n\
                   User_s,1,System.String,string\n\
                   TimeGenerated,0,System.DateTime,datetime\n\
                   \"Odd, name\",2,System.Int64,\n";
        let set = parsed(csv, "schemas/MyApp_CL.csv");
        assert_eq!(
            columns(&set, "MyApp_CL"),
            vec![
                ("TimeGenerated".to_string(), DataType::DateTime),
                ("User_s".to_string(), DataType::String),
                ("Odd, name".to_string(), DataType::Long),
            ]
        );
    }

    #[test]
    fn getschema_csv_takes_the_table_name_given() {
        let csv = "ColumnName,ColumnOrdinal,DataType,ColumnType\r\nA,0,System.Int32,int\r\n";
        let set = parse(csv, "export.csv", Some("Other_CL")).unwrap_or_default();
        assert_eq!(
            columns(&set, "Other_CL"),
            vec![("A".to_string(), DataType::Int)]
        );
    }

    #[test]
    fn getschema_json_rows_and_query_responses_are_read() {
        let rows = r#"[{"ColumnName": "A", "ColumnOrdinal": 0, "DataType": "System.String", "ColumnType": "string"},
                       {"ColumnName": "B", "ColumnOrdinal": 1, "DataType": "System.Int64", "ColumnType": "long"}]"#;
        let want = vec![
            ("A".to_string(), DataType::String),
            ("B".to_string(), DataType::Long),
        ];
        assert_eq!(columns(&parsed(rows, "T1.json"), "T1"), want);
        let log_analytics = r#"{"tables": [{"name": "PrimaryResult",
            "columns": [{"name": "ColumnName", "type": "string"}, {"name": "ColumnOrdinal", "type": "int"},
                        {"name": "DataType", "type": "string"}, {"name": "ColumnType", "type": "string"}],
            "rows": [["A", 0, "System.String", "string"], ["B", 1, "System.Int64", "long"]]}]}"#;
        assert_eq!(columns(&parsed(log_analytics, "T2.json"), "T2"), want);
        let v2 = r#"[{"FrameType": "DataSetHeader"}, {"FrameType": "DataTable", "TableKind": "PrimaryResult",
            "Columns": [{"ColumnName": "ColumnName"}, {"ColumnName": "ColumnOrdinal"}, {"ColumnName": "DataType"}, {"ColumnName": "ColumnType"}],
            "Rows": [["A", 0, "System.String", "string"], ["B", 1, "System.Int64", "long"]]}]"#;
        assert_eq!(columns(&parsed(v2, "T3.json"), "T3"), want);
    }

    #[test]
    fn a_plain_object_of_tables_takes_kql_type_names_or_column_lists() {
        let text = r#"{"A_CL": {"x": "string", "n": "long", "when": "datetime", "r": "double"},
                       "B_CL": [{"name": "id", "type": "guid"}, {"name": "d", "type": "dynamic"}]}"#;
        let set = parsed(text, "custom.json");
        assert_eq!(
            columns(&set, "A_CL"),
            vec![
                ("x".to_string(), DataType::String),
                ("n".to_string(), DataType::Long),
                ("when".to_string(), DataType::DateTime),
                ("r".to_string(), DataType::Real),
            ]
        );
        assert_eq!(
            columns(&set, "B_CL"),
            vec![
                ("id".to_string(), DataType::Guid),
                ("d".to_string(), DataType::Dynamic),
            ]
        );
    }

    #[test]
    fn malformed_json_is_an_error_naming_the_file_line_and_column() {
        let text = "{\n  \"A_CL\": {\n    \"x\": \"string\",\n  }\n}";
        let e = parse(text, "bad.json", None).err();
        let e = e.unwrap_or_else(|| panic!("malformed JSON was accepted"));
        assert_eq!((e.file.as_str(), e.line), ("bad.json", Some(4)));
        assert!(e.to_string().starts_with("bad.json:4:"), "{e}");
    }

    #[test]
    fn an_unknown_type_is_an_error_on_its_line_listing_the_valid_types() {
        let text = "{\n  \"A_CL\": {\n    \"x\": \"string\",\n    \"y\": \"strng\"\n  }\n}";
        let e = parse(text, "custom.json", None).err();
        let e = e.unwrap_or_else(|| panic!("an unknown type was accepted"));
        assert_eq!(e.line, Some(4));
        assert!(
            e.message.contains("`strng`") && e.message.contains("`y`"),
            "{e}"
        );
        let hint = e.hint.unwrap_or_default();
        assert!(hint.contains("string") && hint.contains("datetime") && hint.contains("dynamic"));
    }

    #[test]
    fn an_unknown_type_in_getschema_csv_names_its_line() {
        let csv = "ColumnName,ColumnOrdinal,DataType,ColumnType\nA,0,System.String,string\nB,1,System.Foo,\n";
        let e = parse(csv, "T.csv", None).err();
        assert_eq!(e.and_then(|e| e.line), Some(3));
    }

    #[test]
    fn a_csv_without_the_getschema_header_is_not_a_schema() {
        let e = parse("a,b\n1,2\n", "T.csv", None).err();
        assert!(e.is_some_and(|e| e.message.contains("not a schema file")));
    }

    #[test]
    fn a_repeated_column_is_an_error() {
        let text = r#"{"A_CL": [{"name": "x", "type": "string"}, {"name": "x", "type": "long"}]}"#;
        assert!(parse(text, "c.json", None).is_err());
    }

    #[test]
    fn odd_input_is_an_error_not_a_panic() {
        for text in [
            "",
            "[]",
            "{}",
            "null",
            "[1]",
            "\"\"",
            "{\"Databases\": 1}",
            "{\"tables\": []}",
            "{\"tables\": [{\"columns\": 1}]}",
            "{\"A\": 1}",
            "{\"A\": [1]}",
            "ColumnName,ColumnType\n\"A,string\n",
            "\u{feff}ColumnName,ColumnType\nA,string,extra\n",
        ] {
            assert!(parse(text, "x.json", None).is_err(), "{text:?}");
        }
    }

    #[test]
    fn a_file_s_table_replaces_a_built_in_table_of_the_same_name() {
        let mut engine = Engine::new();
        crate::catalog::install(&mut engine, crate::catalog::Environment::Sentinel);
        assert!(!engine.check("SigninLogs | project MyExtra").is_empty());
        let set = parsed(r#"{"SigninLogs": {"MyExtra": "string"}}"#, "c.json");
        set.install(&mut engine);
        assert!(engine.check("SigninLogs | project MyExtra").is_empty());
    }

    #[test]
    fn dotnet_and_kql_type_names_convert() {
        assert_eq!(type_from_name("System.Int32"), Some(DataType::Int));
        assert_eq!(type_from_name("System.SByte"), Some(DataType::Bool));
        assert_eq!(type_from_name("System.TimeSpan"), Some(DataType::TimeSpan));
        assert_eq!(type_from_name("System.Guid"), Some(DataType::Guid));
        assert_eq!(type_from_name("String"), Some(DataType::String));
        assert_eq!(type_from_name("boolean"), Some(DataType::Bool));
        assert_eq!(type_from_name("System.Foo"), None);
    }
}
