//! Functions real Sentinel and Defender detections call that need more
//! than a value-to-value rule:
//!
//! - `parse_command_line(command_line, "windows")`: the arguments of a
//!   Windows command line, split the way `CommandLineToArgvW` splits it.
//! - `parse_user_agent(user_agent, look_for)`: binds (its result is a
//!   dynamic bag), but evaluating it fails: Kusto matches against the large
//!   ua-parser regex database, which kqlite does not ship.
//! - `extract_json`/`extractjson(path, json[, typeof(T)])`: one element of
//!   a JSON text picked by a JSONPath, as a string (the binder converts it
//!   when a type is given).
//! - `translate(search, replacement, text)`: character-for-character
//!   replacement.
//! - `column_ifexists`/`columnifexists` and `ingestion_time`: bound from the
//!   input schema by the binder; the entries here give their types and
//!   stand in where no row is in scope.

use std::sync::Arc;

use super::{arg, arity, expect, rowwise, scalar_arg, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError, FunctionProperties};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    let column_ifexists = Func {
        name: "column_ifexists",
        signature: |a| {
            arity(a, 2, 2)?;
            expect(a, 0, "a string", |t| t == DataType::String)?;
            Ok(a.get(1).copied().unwrap_or(DataType::Dynamic))
        },
        // Reached only when no input column matched: the default.
        properties: FunctionProperties::PLAIN,
        evaluate: |a, _, _| Ok(arg(a, 1)),
    };
    let extract_json = Func {
        name: "extract_json",
        signature: |a| {
            arity(a, 2, 2)?;
            expect(a, 0, "a string", |t| t == DataType::String)?;
            expect(a, 1, "a string", |t| {
                matches!(t, DataType::String | DataType::Dynamic)
            })?;
            Ok(DataType::String)
        },
        properties: FunctionProperties::PLAIN,
        evaluate: extract_json,
    };
    vec![
        extract_json,
        Func {
            name: "extractjson",
            ..extract_json
        },
        Func::plain(
            "translate",
            |a| {
                arity(a, 3, 3)?;
                for i in 0..3 {
                    expect(a, i, "a string", |t| t == DataType::String)?;
                }
                Ok(DataType::String)
            },
            |a, rows, _| {
                Ok(rowwise(a, rows, DataType::String, |v| match v {
                    [search, replacement, text] => Value::string(translate(
                        &search.to_string(),
                        &replacement.to_string(),
                        &text.to_string(),
                    )),
                    _ => Value::string(""),
                }))
            },
        ),
        column_ifexists,
        Func {
            name: "columnifexists",
            ..column_ifexists
        },
        Func {
            name: "ingestion_time",
            signature: |a| arity(a, 0, 0).map(|_| DataType::DateTime),
            // Reached only where the input has neither `_IngestionTime`
            // nor `TimeGenerated`.
            properties: FunctionProperties::PLAIN,
            evaluate: |_, _, _| Ok(ColumnarValue::Scalar(Value::Null, DataType::DateTime)),
        },
        Func::plain(
            "parse_command_line",
            |a| {
                arity(a, 2, 2)?;
                expect(a, 0, "a string", |t| t == DataType::String)?;
                expect(a, 1, "a string", |t| t == DataType::String)?;
                Ok(DataType::Dynamic)
            },
            parse_command_line,
        ),
        Func::plain(
            "parse_user_agent",
            |a| {
                arity(a, 2, 2)?;
                expect(a, 0, "a string", |t| {
                    matches!(t, DataType::String | DataType::Dynamic)
                })?;
                expect(a, 1, "a string or a dynamic array", |t| {
                    matches!(t, DataType::String | DataType::Dynamic)
                })?;
                Ok(DataType::Dynamic)
            },
            |_, _, _| {
                Err(FunctionError::Invalid(
                    "not supported: `parse_user_agent` needs a user-agent database, \
                     which kqlite does not ship"
                        .into(),
                ))
            },
        ),
    ]
}

/// `parse_command_line(text, parser)`: a dynamic array of the arguments.
/// The only parser is `"windows"` (any case); a constant other parser is an
/// error, a per-row one gives null for that row.
fn parse_command_line(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    if let Some(p) = scalar_arg(args, 1) {
        if !is_windows(p) {
            return Err(FunctionError::Invalid(format!(
                "`parse_command_line` supports only the \"windows\" parser, got \"{p}\""
            )));
        }
    }
    let (text, parser) = (arg(args, 0), arg(args, 1));
    Ok(rowwise(
        &[text, parser],
        rows,
        DataType::Dynamic,
        |v| match v {
            [text, parser] if is_windows(parser) => {
                let items = split_windows_command_line(&text.to_string())
                    .into_iter()
                    .map(|s| Dynamic::String(Arc::from(s)))
                    .collect();
                Value::Dynamic(Dynamic::Array(Arc::new(items)))
            }
            _ => Value::Null,
        },
    ))
}

/// `extract_json(path, json)`: the element of `json` at the JSONPath
/// `path` as text (a string element unquoted, others as JSON); `""` when the
/// text is not JSON or nothing is at the path.
fn extract_json(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let (path, json) = (arg(args, 0), arg(args, 1));
    Ok(rowwise(&[path, json], rows, DataType::String, |v| {
        let [path, json] = v else {
            return Value::string("");
        };
        let doc = match json {
            Value::Dynamic(d) => d.clone(),
            Value::String(s) => match serde_json::from_str::<serde_json::Value>(s) {
                Ok(j) => Dynamic::from_json(&j),
                Err(_) => return Value::string(""),
            },
            _ => return Value::string(""),
        };
        match json_path(&doc, &path.to_string()) {
            Some(Dynamic::Null) | None => Value::string(""),
            Some(Dynamic::String(s)) => Value::String(s.clone()),
            Some(other) => Value::string(other.to_json().to_string()),
        }
    }))
}

/// The node at a JSONPath: `$`, then `.key`, `['key']` or `[index]` steps
/// (a negative index counts from the end).
pub(crate) fn json_path<'a>(doc: &'a Dynamic, path: &str) -> Option<&'a Dynamic> {
    let mut rest = path.trim().strip_prefix('$')?;
    let mut node = doc;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('.') {
            let end = r.find(['.', '[']).unwrap_or(r.len());
            let (key, next) = r.split_at(end);
            node = match node {
                Dynamic::Bag(b) => b.get(key)?,
                _ => return None,
            };
            rest = next;
        } else if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']')?;
            let (inner, next) = r.split_at(end);
            let inner = inner.trim();
            let unquoted = inner.trim_matches(|c| c == '\'' || c == '"');
            node = match node {
                Dynamic::Bag(b) if unquoted.len() != inner.len() => b.get(unquoted)?,
                Dynamic::Array(a) => {
                    let i: i64 = inner.parse().ok()?;
                    let len = i64::try_from(a.len()).ok()?;
                    let j = if i < 0 { len.checked_add(i)? } else { i };
                    a.get(usize::try_from(j).ok()?)?
                }
                _ => return None,
            };
            rest = next.get(1..).unwrap_or("");
        } else {
            return None;
        }
    }
    Some(node)
}

/// Replaces each character of `text` found in `search` by the character at
/// the same position in `replacement` (its last character when it is
/// shorter); with an empty `replacement` those characters are removed.
fn translate(search: &str, replacement: &str, text: &str) -> String {
    let replacement: Vec<char> = replacement.chars().collect();
    // Each character's first position in `search`, looked up in constant
    // time (a scan of `search` per character of `text` took seconds on
    // long texts).
    let mut at: rustc_hash::FxHashMap<char, usize> = rustc_hash::FxHashMap::default();
    for (i, s) in search.chars().enumerate() {
        at.entry(s).or_insert(i);
    }
    text.chars()
        .filter_map(|c| match at.get(&c) {
            None => Some(c),
            Some(&i) => replacement.get(i).or(replacement.last()).copied(),
        })
        .collect()
}

fn is_windows(v: &Value) -> bool {
    matches!(v, Value::String(s) if s.eq_ignore_ascii_case("windows"))
}

/// Splits a Windows command line into arguments as `CommandLineToArgvW`
/// does:
///
/// - The first argument, the program, ends at the first space or tab, or,
///   when it starts with `"`, at the next `"`; backslashes are plain there.
/// - After it, spaces and tabs outside quotes separate arguments; `"`
///   starts and ends a quoted part, which may sit inside a word.
/// - Backslashes are literal unless a `"` follows: then 2n backslashes give
///   n backslashes and the quote toggles quoting, while 2n+1 give n
///   backslashes and a literal `"`.
/// - Inside quotes, `""` gives a literal `"` and ends the quoted part (a
///   third quote in a row gives another literal quote).
///
/// An empty or all-blank line has no arguments.
pub(crate) fn split_windows_command_line(line: &str) -> Vec<String> {
    let is_blank = |c: char| c == ' ' || c == '\t';
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while chars.next_if(|c| is_blank(*c)).is_some() {}
    if chars.peek().is_none() {
        return out;
    }
    // The program name.
    let mut program = String::new();
    if chars.next_if_eq(&'"').is_some() {
        for c in chars.by_ref() {
            if c == '"' {
                break;
            }
            program.push(c);
        }
    } else {
        while let Some(c) = chars.next_if(|c| !is_blank(*c)) {
            program.push(c);
        }
    }
    out.push(program);
    // The remaining arguments.
    loop {
        while chars.next_if(|c| is_blank(*c)).is_some() {}
        if chars.peek().is_none() {
            break;
        }
        let mut current = String::new();
        let mut quoted = false;
        let mut backslashes = 0usize;
        while let Some(&c) = chars.peek() {
            if is_blank(c) && !quoted {
                break;
            }
            chars.next();
            match c {
                '\\' => backslashes += 1,
                '"' => {
                    current.extend(std::iter::repeat_n('\\', backslashes / 2));
                    let escaped = backslashes % 2 == 1;
                    backslashes = 0;
                    if escaped {
                        current.push('"');
                        continue;
                    }
                    // Count the run of quotes: the first toggles quoting;
                    // within quotes, a second one emits a literal quote and
                    // closes the quoted part, and so on.
                    let mut count = if quoted { 1 } else { 0 } + 1;
                    while chars.next_if_eq(&'"').is_some() {
                        count += 1;
                        if count == 3 {
                            current.push('"');
                            count = 0;
                        }
                    }
                    quoted = count == 1;
                }
                other => {
                    current.extend(std::iter::repeat_n('\\', backslashes));
                    backslashes = 0;
                    current.push(other);
                }
            }
        }
        current.extend(std::iter::repeat_n('\\', backslashes));
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{call, s};
    use super::*;

    fn split(line: &str) -> Vec<String> {
        split_windows_command_line(line)
    }

    #[test]
    fn the_documented_example_splits_into_two_arguments() {
        let out = call(
            "parse_command_line",
            &[s("echo \"hello world!\""), s("windows")],
        );
        assert_eq!(
            out,
            Value::Dynamic(Dynamic::from_json(&serde_json::json!([
                "echo",
                "hello world!"
            ])))
        );
    }

    #[test]
    fn backslashes_before_quotes_follow_the_windows_rules() {
        assert_eq!(split(r#"a "b c" d"#), ["a", "b c", "d"]);
        assert_eq!(split(r#"a\\\"b c d"#), [r#"a\\\"b"#, "c", "d"]);
        assert_eq!(split(r#"x a\\\"b c"#), ["x", r#"a\"b"#, "c"]);
        assert_eq!(split(r#"x a\\\\"b c" d"#), ["x", r#"a\\b c"#, "d"]);
        assert_eq!(split(r#"x a\\b c"#), ["x", r#"a\\b"#, "c"]);
        assert_eq!(split(r#"x "" y"#), ["x", "", "y"]);
        // `""` inside quotes is a literal quote that also ends the quoted
        // part, so the next quote opens a new one.
        assert_eq!(split(r#"x "a""b" c"#), ["x", r#"a"b c"#]);
        assert_eq!(split(r#"x """a b"#), ["x", r#""a"#, "b"]);
        assert_eq!(
            split(r#""C:\Program Files\app.exe" -enc AB=="#),
            [r"C:\Program Files\app.exe", "-enc", "AB=="]
        );
        assert_eq!(split("  \t "), Vec::<String>::new());
        assert_eq!(split(r#"x trailing\"#), ["x", r"trailing\"]);
    }

    #[test]
    fn null_and_empty_command_lines_give_an_empty_array() {
        let empty = Value::Dynamic(Dynamic::Array(Arc::new(Vec::new())));
        assert_eq!(call("parse_command_line", &[s(""), s("Windows")]), empty);
        let f = crate::registry::Registry::builtin()
            .scalar("parse_command_line")
            .unwrap();
        let out = f
            .invoke(
                &[
                    ColumnarValue::Scalar(Value::Null, DataType::String),
                    ColumnarValue::Scalar(s("windows"), DataType::String),
                ],
                1,
                &EvalContext { now: 0 },
            )
            .unwrap();
        assert_eq!(out.get(0), empty);
    }

    #[test]
    fn translate_is_linear_in_its_text_and_search() {
        // Found by the `functions` fuzz target: 100 KB of text against
        // 100 KB of search characters took seconds.
        let long = "{\"a\":".repeat(20_000);
        let absent = "z".repeat(100_000);
        let start = std::time::Instant::now();
        assert_eq!(translate(&long, "xy", &absent), absent);
        let out = translate(&long, "xy", &long);
        assert_eq!(
            out.chars().filter(|&c| c == 'y').count(),
            long.len() - 20_000
        );
        assert!(start.elapsed() < std::time::Duration::from_secs(5));
        assert_eq!(translate("aba", "xyz", "abc"), "xyc");
    }

    #[test]
    fn translate_matches_the_documented_examples() {
        assert_eq!(call("translate", &[s("abc"), s("x"), s("abc")]), s("xxx"));
        assert_eq!(call("translate", &[s("abc"), s(""), s("ab")]), s(""));
        assert_eq!(
            call("translate", &[s("krasp"), s("otsku"), s("spark")]),
            s("kusto")
        );
        assert_eq!(call("translate", &[s("\0"), s(""), s("a\0b")]), s("ab"));
    }

    #[test]
    fn extract_json_picks_an_element_by_json_path() {
        let doc = r#"{"name": "John", "age": 30, "tags": [{"Value": "a"}, {"Value": "b"}]}"#;
        assert_eq!(call("extract_json", &[s("$.name"), s(doc)]), s("John"));
        assert_eq!(call("extractjson", &[s("$.age"), s(doc)]), s("30"));
        assert_eq!(
            call("extract_json", &[s("$.tags[1].Value"), s(doc)]),
            s("b")
        );
        assert_eq!(
            call("extract_json", &[s("$['tags'][-1]"), s(doc)]),
            s(r#"{"Value":"b"}"#)
        );
        assert_eq!(call("extract_json", &[s("$.missing"), s(doc)]), s(""));
        assert_eq!(call("extract_json", &[s("$.name"), s("not json")]), s(""));
        assert_eq!(call("extract_json", &[s("$.name"), s("")]), s(""));
    }

    #[test]
    fn parse_user_agent_binds_but_does_not_evaluate() {
        let f = crate::registry::Registry::builtin()
            .scalar("parse_user_agent")
            .unwrap();
        assert_eq!(
            f.return_type(&[DataType::String, DataType::String]),
            Ok(DataType::Dynamic)
        );
        let err = f
            .invoke(
                &[
                    ColumnarValue::Scalar(s("Mozilla/5.0"), DataType::String),
                    ColumnarValue::Scalar(s("browser"), DataType::String),
                ],
                1,
                &EvalContext { now: 0 },
            )
            .unwrap_err();
        assert!(err.to_string().contains("user-agent database"), "{err}");
    }
}
