//! Functions real Sentinel and Defender detections call that need more
//! than a value-to-value rule:
//!
//! - `parse_command_line(command_line, "windows")`: the arguments of a
//!   Windows command line, split the way `CommandLineToArgvW` splits it.
//! - `parse_user_agent(user_agent, look_for)`: binds (its result is a
//!   dynamic bag), but evaluating it fails: Kusto matches against the large
//!   ua-parser regex database, which kqlite does not ship.
//! - `column_ifexists`/`columnifexists` and `ingestion_time`: bound from the
//!   input schema by the binder; the entries here give their types and
//!   stand in where no row is in scope.

use std::sync::Arc;

use super::{arg, arity, expect, rowwise, scalar_arg, Func};
use crate::function::{ColumnarValue, EvalContext, FunctionError};
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
        evaluate: |a, _, _| Ok(arg(a, 1)),
    };
    vec![
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
            evaluate: |_, _, _| Ok(ColumnarValue::Scalar(Value::Null, DataType::DateTime)),
        },
        Func {
            name: "parse_command_line",
            signature: |a| {
                arity(a, 2, 2)?;
                expect(a, 0, "a string", |t| t == DataType::String)?;
                expect(a, 1, "a string", |t| t == DataType::String)?;
                Ok(DataType::Dynamic)
            },
            evaluate: parse_command_line,
        },
        Func {
            name: "parse_user_agent",
            signature: |a| {
                arity(a, 2, 2)?;
                expect(a, 0, "a string", |t| {
                    matches!(t, DataType::String | DataType::Dynamic)
                })?;
                expect(a, 1, "a string or a dynamic array", |t| {
                    matches!(t, DataType::String | DataType::Dynamic)
                })?;
                Ok(DataType::Dynamic)
            },
            evaluate: |_, _, _| {
                Err(FunctionError::Invalid(
                    "not supported: `parse_user_agent` needs a user-agent database, \
                     which kqlite does not ship"
                        .into(),
                ))
            },
        },
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
