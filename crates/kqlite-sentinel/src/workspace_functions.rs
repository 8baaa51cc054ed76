//! Workspace functions and Sentinel parsers read from a folder, so that a
//! detection calling `imDns(...)` or `CiscoSEGEvent` is checked and run
//! against the function's real code.
//!
//! [`load`] reads a folder recursively (or one file):
//!
//! - `.kql`, `.csl` and `.kusto` files are either a script of `let`
//!   statements, each of which becomes a function (`let F = (a: string) {
//!   ... };` keeps its parameters, `let T = Table | where ...;` takes
//!   none), or a query, which becomes a function without parameters named
//!   by the file's stem;
//! - `.yaml` and `.yml` files are Sentinel parser files as the
//!   Azure-Sentinel repository writes them: `ParserName`, `ParserQuery` and
//!   `ParserParams` (a list of `Name`, `Type` and optional `Default`), or
//!   `FunctionName` (and `FunctionAlias`), `FunctionQuery` and
//!   `FunctionParams`. An ASIM parser's `EquivalentBuiltInParser` (such as
//!   `_Im_Dns` for `imDns`) names the same code. YAML files without a query
//!   field (rules, for instance) are skipped.
//!
//! A file that cannot be read or does not parse is reported with its path,
//! line and column, and the others are read on.
//!
//! ```
//! use kqlite_sentinel::workspace_functions::read_parser_yaml;
//!
//! let yaml = "ParserName: Failures\nParserParams:\n  - Name: code\n    Type: string\n    Default: '50126'\nParserQuery: |\n  SigninLogs | where ResultType == code\n";
//! let functions = read_parser_yaml(yaml, "Failures.yaml").unwrap();
//! assert_eq!(functions[0].name, "Failures");
//! let mut engine = kqlite_engine::Engine::new();
//! kqlite_sentinel::catalog::install(&mut engine, kqlite_sentinel::catalog::Environment::Sentinel);
//! for f in functions {
//!     engine.add_stored_function(f.name, f.function);
//! }
//! assert!(engine.check("Failures(code = '0') | project UserPrincipalName").is_empty());
//! ```

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use kqlite_engine::catalog::{StoredFunction, StoredPart};
use kqlite_engine::Engine;
use kqlite_parser::ast::{self, LetValue, StatementKind};
use kqlite_parser::span::LineIndex;

use crate::rule::yaml::{Document, Node};

/// Extensions of KQL files.
const KQL_EXTENSIONS: [&str; 3] = ["kql", "csl", "kusto"];
/// Extensions of parser YAML files.
const YAML_EXTENSIONS: [&str; 2] = ["yaml", "yml"];

/// One function read from a file.
#[derive(Debug, Clone)]
pub struct LoadedFunction {
    /// The name queries call it by.
    pub name: String,
    /// Its code.
    pub function: StoredFunction,
}

/// A file that could not be read as functions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionFileError {
    /// The file.
    pub path: String,
    /// 1-based line of the problem (0 when it is about the whole file).
    pub line: usize,
    /// 1-based column (0 when it is about the whole file).
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FunctionFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.path, self.message)
        } else {
            write!(
                f,
                "{}:{}:{}: {}",
                self.path, self.line, self.column, self.message
            )
        }
    }
}

impl std::error::Error for FunctionFileError {}

/// What [`load`] found: the functions, in file order, and the files it
/// could not use.
#[derive(Debug, Clone, Default)]
pub struct WorkspaceFunctions {
    /// Every function read (a later one replaces an earlier one of the same
    /// name when installed).
    pub functions: Vec<LoadedFunction>,
    /// Files that could not be read or parsed.
    pub errors: Vec<FunctionFileError>,
}

impl WorkspaceFunctions {
    /// Adds every function to `engine`'s catalog.
    pub fn install(&self, engine: &mut Engine) {
        for f in &self.functions {
            engine.add_stored_function(f.name.clone(), f.function.clone());
        }
    }
}

/// Reads the functions of every KQL and parser YAML file under `path` (a
/// folder, searched recursively in name order, each real folder once), or
/// of the one file `path` names.
pub fn load(path: &Path) -> WorkspaceFunctions {
    let mut out = WorkspaceFunctions::default();
    let mut files = Vec::new();
    let mut visited = HashSet::new();
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => walk(path, &mut visited, &mut files, &mut out.errors),
        Ok(_) => files.push(path.to_path_buf()),
        Err(e) => out
            .errors
            .push(whole_file(path, format!("cannot read: {e}"))),
    }
    for file in files {
        match load_file(&file) {
            Ok(fs) => out.functions.extend(fs),
            Err(e) => out.errors.push(e),
        }
    }
    out
}

fn whole_file(path: &Path, message: String) -> FunctionFileError {
    FunctionFileError {
        path: path.display().to_string(),
        line: 0,
        column: 0,
        message,
    }
}

fn extension(p: &Path) -> Option<String> {
    p.extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
}

/// Collects the KQL and YAML files under `dir`, depth-first in name order.
/// Each real folder is entered once (by its canonical path), so symbolic
/// link loops end.
fn walk(
    dir: &Path,
    visited: &mut HashSet<PathBuf>,
    files: &mut Vec<PathBuf>,
    errors: &mut Vec<FunctionFileError>,
) {
    let real = match std::fs::canonicalize(dir) {
        Ok(r) => r,
        Err(e) => return errors.push(whole_file(dir, format!("cannot read: {e}"))),
    };
    if !visited.insert(real) {
        return;
    }
    let mut entries: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
        Err(e) => return errors.push(whole_file(dir, format!("cannot read: {e}"))),
    };
    entries.sort();
    for entry in entries {
        // Follows links; a broken link is skipped.
        let Ok(meta) = std::fs::metadata(&entry) else {
            continue;
        };
        if meta.is_dir() {
            walk(&entry, visited, files, errors);
        } else if extension(&entry).is_some_and(|e| {
            KQL_EXTENSIONS.contains(&e.as_str()) || YAML_EXTENSIONS.contains(&e.as_str())
        }) {
            files.push(entry);
        }
    }
}

/// Reads the functions of one KQL or parser YAML file (none for other
/// extensions, or YAML without a query field).
pub fn load_file(path: &Path) -> Result<Vec<LoadedFunction>, FunctionFileError> {
    let ext = extension(path).unwrap_or_default();
    let is_kql = KQL_EXTENSIONS.contains(&ext.as_str());
    if !is_kql && !YAML_EXTENSIONS.contains(&ext.as_str()) {
        return Ok(Vec::new());
    }
    let text =
        std::fs::read_to_string(path).map_err(|e| whole_file(path, format!("cannot read: {e}")))?;
    let origin = path.display().to_string();
    if is_kql {
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        read_kql(&text, &origin, stem)
    } else {
        read_parser_yaml(&text, &origin)
    }
}

fn at(origin: &str, text: &str, offset: usize, message: String) -> FunctionFileError {
    let (line, column) = LineIndex::new(text).line_col(offset);
    FunctionFileError {
        path: origin.to_string(),
        line,
        column,
        message,
    }
}

/// Reads a KQL file: a script of `let`s gives one function per `let`; a
/// script ending in a query is one function without parameters named
/// `stem`. `origin` labels the file in errors.
pub fn read_kql(
    text: &str,
    origin: &str,
    stem: &str,
) -> Result<Vec<LoadedFunction>, FunctionFileError> {
    let script = kqlite_parser::parse(text).map_err(|e| {
        let d = e.diagnostics().first();
        let offset = d.map_or(0, |d| d.span.start as usize);
        let message = d.map_or_else(|| "does not parse".to_string(), |d| d.message.clone());
        at(origin, text, offset, message)
    })?;
    let shared: Arc<str> = Arc::from(text);
    let ends_in_query = matches!(
        script.statements.last().map(|s| &s.kind),
        Some(StatementKind::Query(_))
    );
    if ends_in_query {
        if stem.is_empty() {
            return Err(at(
                origin,
                text,
                0,
                "the file has no name to call it by".into(),
            ));
        }
        let def = ast::FunctionDef {
            params: Vec::new(),
            body: script.statements,
            span: script.span,
        };
        return Ok(vec![LoadedFunction {
            name: stem.to_string(),
            function: StoredFunction::from_def(def, Arc::clone(&shared), origin),
        }]);
    }
    let mut out = Vec::new();
    for stmt in script.statements {
        let StatementKind::Let(l) = stmt.kind else {
            continue;
        };
        let def = match l.value {
            LetValue::Function(f) => f,
            LetValue::Expr(e) => ast::FunctionDef {
                params: Vec::new(),
                span: e.span,
                body: vec![ast::Statement {
                    span: e.span,
                    kind: StatementKind::Query(e),
                }],
            },
        };
        out.push(LoadedFunction {
            name: l.name.name,
            function: StoredFunction::from_def(def, Arc::clone(&shared), origin),
        });
    }
    Ok(out)
}

/// Reads a Sentinel parser YAML file (see the module docs); none when it
/// has no `ParserQuery` or `FunctionQuery`. `origin` labels the file.
pub fn read_parser_yaml(
    text: &str,
    origin: &str,
) -> Result<Vec<LoadedFunction>, FunctionFileError> {
    let doc =
        Document::read(text).map_err(|d| at(origin, text, d.span.start as usize, d.message))?;
    let root = doc.root();
    let query_key = ["ParserQuery", "FunctionQuery"]
        .into_iter()
        .find(|k| root.get(k).is_some());
    let Some(query_key) = query_key else {
        return Ok(Vec::new());
    };
    let Some(query) = doc.text_field(root, query_key) else {
        let start = root.get(query_key).map_or(0, Node::start);
        return Err(at(
            origin,
            text,
            start,
            format!("`{query_key}` is not text"),
        ));
    };
    let scalar = |key: &str| {
        root.get(key)
            .and_then(Node::as_scalar)
            .filter(|s| !s.is_null())
            .map(|s| s.value.trim().to_string())
    };
    let mut names: Vec<String> = Vec::new();
    for key in [
        "ParserName",
        "FunctionName",
        "FunctionAlias",
        "EquivalentBuiltInParser",
    ] {
        if let Some(n) = scalar(key) {
            if !n.is_empty() && !names.contains(&n) {
                names.push(n);
            }
        }
    }
    if names.is_empty() {
        return Err(at(
            origin,
            text,
            0,
            format!("a `{query_key}` without a `ParserName` or `FunctionName`"),
        ));
    }
    let params_node = ["ParserParams", "FunctionParams"]
        .into_iter()
        .find_map(|k| root.get(k));
    let params = match params_node {
        Some(node) => params_text(node).map_err(|(offset, m)| at(origin, text, offset, m))?,
        None => String::new(),
    };
    let function = StoredFunction::parse(&params, &query.value, origin).map_err(|e| {
        let d = e.diagnostics.first();
        let message = d.map_or_else(|| "does not parse".to_string(), |d| d.message.clone());
        let offset = match (e.part, d) {
            (StoredPart::Body, Some(d)) => query.map.file_offset(d.span.start as usize),
            _ => params_node.map_or(0, Node::start),
        };
        let message = match e.part {
            StoredPart::Params => format!("in the parameters: {message}"),
            StoredPart::Body => message,
        };
        at(origin, text, offset, message)
    })?;
    let index = LineIndex::new(text);
    let map = query.map.clone();
    let function = function.with_locator(Arc::new(move |offset| {
        index.line_col(map.file_offset(offset))
    }));
    Ok(names
        .into_iter()
        .map(|name| LoadedFunction {
            name,
            function: function.clone(),
        })
        .collect())
}

/// The KQL parameter list of `ParserParams`/`FunctionParams`: a list of
/// `{Name, Type, Default}` (a string default is quoted unless it already
/// is), or the list written out as text. Errors carry a file offset.
fn params_text(node: &Node) -> Result<String, (usize, String)> {
    if let Some(s) = node.as_scalar() {
        return Ok(if s.is_null() {
            String::new()
        } else {
            s.value.clone()
        });
    }
    let Node::Seq(items, _) = node else {
        return Err((node.start(), "parameters must be a list".to_string()));
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        let field = |key: &str| {
            item.get(key)
                .and_then(Node::as_scalar)
                .filter(|s| !s.is_null())
                .map(|s| s.value.trim().to_string())
        };
        let (Some(name), Some(ty)) = (field("Name"), field("Type")) else {
            return Err((
                item.start(),
                "a parameter needs a `Name` and a `Type`".into(),
            ));
        };
        let mut p = format!("{name}: {ty}");
        if let Some(default) = item.get("Default").and_then(Node::as_scalar) {
            if !default.is_null() || ty.eq_ignore_ascii_case("string") {
                let d = default.value.trim();
                let quoted =
                    d.starts_with(['\'', '"']) || d.starts_with("@'") || d.starts_with("@\"");
                if ty.eq_ignore_ascii_case("string") && !quoted {
                    p.push_str(&format!(
                        " = '{}'",
                        d.replace('\\', "\\\\").replace('\'', "\\'")
                    ));
                } else {
                    p.push_str(&format!(" = {d}"));
                }
            }
        }
        out.push(p);
    }
    Ok(out.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn engine_with(functions: &[LoadedFunction]) -> Engine {
        let mut engine = Engine::new();
        crate::catalog::install(&mut engine, crate::catalog::Environment::Sentinel);
        for f in functions {
            engine.add_stored_function(f.name.clone(), f.function.clone());
        }
        engine
    }

    #[test]
    fn a_kql_script_of_lets_gives_one_function_per_let_with_its_parameters() {
        let text = "// helpers\nlet Failed = (code: string = '50126') {\n  SigninLogs | where ResultType == code\n};\nlet Recent = SigninLogs | where TimeGenerated > ago(1d);\n";
        let fs = read_kql(text, "helpers.kql", "helpers").unwrap();
        let names: Vec<&str> = fs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["Failed", "Recent"]);
        assert_eq!(fs[0].function.def().params.len(), 1);
        let e = engine_with(&fs);
        assert!(e
            .check("Failed(code = '0') | project UserPrincipalName")
            .is_empty());
        assert!(e
            .check("Recent | summarize count() by UserPrincipalName")
            .is_empty());
    }

    #[test]
    fn a_bare_kql_query_is_a_function_named_by_the_file_stem() {
        let text = "let threshold = 5;\nSigninLogs\n| summarize n = count() by UserPrincipalName\n| where n > threshold\n";
        let fs = read_kql(text, "dir/NoisyUsers.kql", "NoisyUsers").unwrap();
        assert_eq!(fs.len(), 1);
        assert_eq!(fs[0].name, "NoisyUsers");
        assert!(fs[0].function.def().params.is_empty());
        let e = engine_with(&fs);
        assert!(e
            .check("NoisyUsers | project UserPrincipalName, n")
            .is_empty());
        let diags = e.check("NoisyUsers | project Nope");
        assert_eq!(diags.len(), 1, "{diags:#?}");
    }

    #[test]
    fn a_parser_yaml_with_parser_params_quotes_string_defaults() {
        let yaml = "Parser:\n  Title: demo\nParserName: imDemo\nEquivalentBuiltInParser: _Im_Demo\nParserParams:\n  - Name: starttime\n    Type: datetime\n    Default: datetime(null)\n  - Name: user\n    Type: string\n    Default: '*'\n  - Name: codes\n    Type: dynamic\n    Default: dynamic([])\nParserQuery: |\n  SigninLogs\n  | where isnull(starttime) or TimeGenerated >= starttime\n  | where user == '*' or UserPrincipalName == user\n  | where array_length(codes) == 0 or ResultType in (codes)\n";
        let fs = read_parser_yaml(yaml, "imDemo.yaml").unwrap();
        let names: Vec<&str> = fs.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["imDemo", "_Im_Demo"]);
        let params: Vec<String> = fs[0]
            .function
            .def()
            .params
            .iter()
            .map(|p| p.name.name.clone())
            .collect();
        assert_eq!(params, vec!["starttime", "user", "codes"]);
        let e = engine_with(&fs);
        assert!(e
            .check("imDemo(starttime = ago(1d), user = 'a@b.c') | project UserPrincipalName")
            .is_empty());
        assert!(e.check("_Im_Demo | take 1").is_empty());
    }

    #[test]
    fn a_function_yaml_with_function_params_as_text_is_read() {
        let yaml = "Function:\n  Title: demo\nFunctionName: DemoEvent\nFunctionAlias: DemoEvent\nFunctionParams: \"n: long = 3\"\nFunctionQuery: |\n  SigninLogs | take n\n";
        let fs = read_parser_yaml(yaml, "DemoEvent.yaml").unwrap();
        assert_eq!(fs.len(), 1);
        assert!(engine_with(&fs).check("DemoEvent(5) | count").is_empty());
    }

    #[test]
    fn an_error_in_a_parser_query_points_at_its_yaml_line() {
        let yaml = "ParserName: Bad\nParserQuery: |\n  SigninLogs\n  | wher ResultType == 0\n";
        let err = read_parser_yaml(yaml, "Bad.yaml").unwrap_err();
        assert_eq!((err.line, err.column), (4, 5), "{err}");
        assert!(err.to_string().starts_with("Bad.yaml:4:5: "), "{err}");
    }

    #[test]
    fn a_bind_error_inside_a_parser_names_the_yaml_line_at_the_call() {
        let yaml = "ParserName: Typo\nParserQuery: |\n  SigninLogs\n  | where ResultTyp == '0'\n";
        let fs = read_parser_yaml(yaml, "Typo.yaml").unwrap();
        let diags = engine_with(&fs).check("Typo | take 1");
        assert_eq!(diags.len(), 1, "{diags:#?}");
        assert!(
            diags[0]
                .message
                .starts_with("in workspace function `Typo` (Typo.yaml:4:11): unknown column"),
            "{}",
            diags[0].message
        );
    }

    #[test]
    fn yaml_without_a_query_field_is_not_a_function() {
        let yaml = "id: 1\nname: a rule\nquery: SigninLogs\n";
        assert!(read_parser_yaml(yaml, "rule.yaml").unwrap().is_empty());
    }

    #[test]
    fn a_broken_file_is_reported_and_the_others_are_read() {
        let dir = std::env::temp_dir().join(format!("kqlite-wsfuncs-{}", std::process::id()));
        let sub = dir.join("sub");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(dir.join("Good.kql"), "SigninLogs | take 1").unwrap();
        std::fs::write(sub.join("Broken.kql"), "SigninLogs\n| where (").unwrap();
        std::fs::write(sub.join("notes.txt"), "not a function").unwrap();
        #[cfg(unix)]
        let _ = std::os::unix::fs::symlink(&dir, sub.join("loop"));
        let loaded = load(&dir);
        let names: Vec<&str> = loaded.functions.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, vec!["Good"]);
        assert_eq!(loaded.errors.len(), 1, "{:?}", loaded.errors);
        assert!(loaded.errors[0].path.ends_with("Broken.kql"));
        assert_eq!(loaded.errors[0].line, 2);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
