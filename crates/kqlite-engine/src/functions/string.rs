//! String functions: `strlen`, `tolower`, `substring`, `strcat`, `split`,
//! `replace_regex`, `extract`, ...

use std::sync::Arc;

use super::{arg, arity, as_long, as_text, rowwise, Func};
use crate::function::{check_value_size, ColumnarValue, EvalContext, FunctionError, ValueBudget};
use crate::kernels::access::{self, rows_for, strs};
use crate::kernels::{self, compile_regex, convert};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

pub(super) fn functions() -> Vec<Func> {
    vec![
        Func::plain("strlen", |a| arity(a, 1, 1).map(|_| DataType::Long), strlen),
        Func::plain(
            "tolower",
            |a| arity(a, 1, 1).map(|_| DataType::String),
            |a, r, _| {
                Ok(map_text(&arg(a, 0), r, |s, out| {
                    out.push_str(&s.to_lowercase())
                }))
            },
        ),
        Func::plain(
            "toupper",
            |a| arity(a, 1, 1).map(|_| DataType::String),
            |a, r, _| {
                Ok(map_text(&arg(a, 0), r, |s, out| {
                    out.push_str(&s.to_uppercase())
                }))
            },
        ),
        Func::plain(
            "reverse",
            |a| arity(a, 1, 1).map(|_| DataType::String),
            |a, r, _| {
                Ok(map_text(&arg(a, 0), r, |s, out| {
                    out.extend(s.chars().rev())
                }))
            },
        ),
        Func::plain("trim", two_strings, |a, r, _| trim(a, r, true, true)),
        Func::plain("trim_start", two_strings, |a, r, _| trim(a, r, true, false)),
        Func::plain("trim_end", two_strings, |a, r, _| trim(a, r, false, true)),
        Func::plain(
            "substring",
            |a| arity(a, 2, 3).map(|_| DataType::String),
            substring,
        ),
        Func::plain(
            "strcat",
            |a| arity(a, 1, 64).map(|_| DataType::String),
            |a, r, _| strcat(a, r, ""),
        ),
        Func::plain(
            "strcat_delim",
            |a| arity(a, 3, 65).map(|_| DataType::String),
            strcat_delim,
        ),
        Func::plain(
            "split",
            |a| arity(a, 2, 3).map(|_| DataType::Dynamic),
            split,
        ),
        Func::plain(
            "replace_string",
            |a| arity(a, 3, 3).map(|_| DataType::String),
            replace_string,
        ),
        Func::plain(
            "replace_regex",
            |a| arity(a, 3, 3).map(|_| DataType::String),
            replace_regex,
        ),
        Func::plain("extract", extract_type, extract),
        Func::plain(
            "extract_all",
            |a| arity(a, 2, 3).map(|_| DataType::Dynamic),
            extract_all,
        ),
        Func::plain(
            "indexof",
            |a| arity(a, 2, 5).map(|_| DataType::Long),
            indexof,
        ),
        Func::plain(
            "countof",
            |a| arity(a, 2, 3).map(|_| DataType::Long),
            countof,
        ),
        Func::plain(
            "replace",
            |a| arity(a, 3, 3).map(|_| DataType::String),
            replace_legacy,
        ),
        Func::plain(
            "strrep",
            |a| arity(a, 2, 3).map(|_| DataType::String),
            strrep,
        ),
        Func::plain("strcmp", |a| arity(a, 2, 2).map(|_| DataType::Long), strcmp),
        Func::plain(
            "isascii",
            |a| arity(a, 1, 1).map(|_| DataType::Bool),
            |a, r, _| text_test(a, r, str::is_ascii),
        ),
        Func::plain(
            "isutf8",
            |a| arity(a, 1, 1).map(|_| DataType::Bool),
            |a, r, _| text_test(a, r, |_| true),
        ),
        Func::plain(
            "parse_url",
            |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            parse_url,
        ),
        Func::plain(
            "replace_strings",
            |a| arity(a, 3, 3).map(|_| DataType::String),
            replace_strings,
        ),
        Func::plain(
            "unicode_codepoints_to_string",
            |a| arity(a, 1, 64).map(|_| DataType::String),
            codepoints_to_string,
        ),
        Func::plain(
            "unicode_codepoints_from_string",
            |a| arity(a, 1, 1).map(|_| DataType::Dynamic),
            codepoints_from_string,
        ),
        Func::plain(
            "string_size",
            |a| arity(a, 1, 1).map(|_| DataType::Long),
            |a, r, _| {
                let text = kernels::strings::as_string(&arg(a, 0), r);
                let (n, scalar) = rows_for(&[&text], r);
                let s = strs(&text).ok_or(FunctionError::Invalid("expects a string".into()))?;
                Ok(access::longs(n, scalar, |i| Some(s.get(i).len() as i64)))
            },
        ),
        Func::plain(
            "regex_quote",
            |a| arity(a, 1, 1).map(|_| DataType::String),
            |a, r, _| {
                let text = kernels::strings::as_string(&arg(a, 0), r);
                let (n, scalar) = rows_for(&[&text], r);
                let s = strs(&text).ok_or(FunctionError::Invalid("expects a string".into()))?;
                Ok(access::map_strings(s, n, scalar, regex_quote))
            },
        ),
        Func::plain(
            "has_any_index",
            |a| arity(a, 2, 2).map(|_| DataType::Long),
            has_any_index,
        ),
        Func::plain(
            "indexof_regex",
            |a| arity(a, 2, 5).map(|_| DataType::Long),
            indexof_regex,
        ),
    ]
}

/// `regex_quote(text)`: the text with every character that is not an
/// ASCII letter, digit or `_` (nor part of a non-ASCII character) escaped
/// by a backslash, as RE2's quoting does, so it matches itself literally; a
/// NUL becomes `\x00`.
fn regex_quote(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '\0' => out.push_str("\\x00"),
            c if c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii() => out.push(c),
            c => {
                out.push('\\');
                out.push(c);
            }
        }
    }
}

/// `has_any_index(text, values)`: the index in `values` of the first item
/// that `text` has as a term (case-insensitive, as `has`); -1 when none is,
/// or `values` is empty. Items that are not strings match their `tostring`.
fn has_any_index(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [
        kernels::strings::as_string(&arg(args, 0), rows),
        kernels::cast(&arg(args, 1), DataType::Dynamic, rows),
    ];
    // A constant list is prepared once.
    let prepared = |v: &Value| -> Vec<kernels::strings::Needle> {
        match v {
            Value::Dynamic(Dynamic::Array(items)) => items
                .iter()
                .map(|d| {
                    let text = match d {
                        Dynamic::String(x) => x.to_string(),
                        other => Value::Dynamic(other.clone()).to_string(),
                    };
                    kernels::strings::Needle::new(&text, false)
                })
                .collect(),
            _ => Vec::new(),
        }
    };
    let constant = match parts.get(1) {
        Some(ColumnarValue::Scalar(v, _)) => Some(prepared(v)),
        _ => None,
    };
    Ok(rowwise(&parts, rows, DataType::Long, |v| {
        let text = v.first().map(as_text).unwrap_or_default();
        let own;
        let needles = match &constant {
            Some(n) => n,
            None => {
                own = prepared(v.get(1).unwrap_or(&Value::Null));
                &own
            }
        };
        let at = needles.iter().position(|n| n.has(&text));
        Value::Long(at.map_or(-1, |i| i as i64))
    }))
}

/// `replace(regex, rewrite, text)`: the deprecated argument order of
/// `replace_regex(text, regex, rewrite)`.
fn replace_legacy(
    args: &[ColumnarValue],
    rows: usize,
    ctx: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let reordered = [arg(args, 2), arg(args, 0), arg(args, 1)];
    replace_regex(&reordered, rows, ctx)
}

/// `strrep(text, times[, delimiter])`: the text repeated (at most 1024 times).
fn strrep(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut failed: Option<FunctionError> = None;
    let out = rowwise(args, rows, DataType::String, |v| {
        if failed.is_some() {
            return Value::Null;
        }
        let text = v.first().map(as_text).unwrap_or_default();
        let delim = v.get(2).map(as_text).unwrap_or_default();
        let times = v.get(1).and_then(as_long).unwrap_or(0).clamp(0, 1024) as usize;
        // The result's size is known before it is built.
        let size = text
            .len()
            .saturating_mul(times)
            .saturating_add(delim.len().saturating_mul(times.saturating_sub(1)));
        if let Err(e) = check_value_size(size) {
            failed = Some(e);
            return Value::Null;
        }
        Value::string(vec![text.as_str(); times].join(&delim))
    });
    failed.map_or(Ok(out), Err)
}

/// `replace_strings(text, lookups, rewrites)`: lookups apply in priority
/// order: the first lookup's matches are replaced, then the next lookup
/// applies only to the text between them, and so on, so replaced text is
/// never replaced again. A non-string rewrite keeps the matched text.
fn replace_strings(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let parts = [
        kernels::strings::as_string(&arg(args, 0), rows),
        kernels::cast(&arg(args, 1), DataType::Dynamic, rows),
        kernels::cast(&arg(args, 2), DataType::Dynamic, rows),
    ];
    Ok(rowwise(&parts, rows, DataType::String, |v| {
        let text = v.first().map(as_text).unwrap_or_default();
        let items = |x: Option<&Value>| -> Vec<Dynamic> {
            match x {
                Some(Value::Dynamic(Dynamic::Array(a))) => a.iter().cloned().collect(),
                _ => Vec::new(),
            }
        };
        let (lookups, rewrites) = (items(v.get(1)), items(v.get(2)));
        let pairs: Vec<(String, Option<String>)> = lookups
            .iter()
            .enumerate()
            .filter_map(|(k, l)| {
                let Dynamic::String(l) = l else { return None };
                let rewrite = match rewrites.get(k) {
                    Some(Dynamic::String(r)) => Some(r.to_string()),
                    _ => None,
                };
                Some((l.to_string(), rewrite))
            })
            .collect();
        let mut out = String::with_capacity(text.len());
        replace_in_order(&text, &pairs, &mut out);
        Value::string(out)
    }))
}

fn replace_in_order(text: &str, pairs: &[(String, Option<String>)], out: &mut String) {
    // Depth-first over (segment, next lookup), with an explicit stack so a
    // long lookup list cannot exhaust the call stack.
    enum Work<'a> {
        Segment(&'a str, usize),
        Literal(&'a str),
    }
    let mut stack = vec![Work::Segment(text, 0)];
    while let Some(work) = stack.pop() {
        match work {
            Work::Literal(t) => out.push_str(t),
            Work::Segment(t, k) => match pairs.get(k) {
                None => out.push_str(t),
                Some((lookup, _)) if lookup.is_empty() => stack.push(Work::Segment(t, k + 1)),
                Some((lookup, rewrite)) => {
                    let replacement = rewrite.as_deref().unwrap_or(lookup);
                    let segments: Vec<&str> = t.split(lookup.as_str()).collect();
                    for (i, seg) in segments.iter().enumerate().rev() {
                        stack.push(Work::Segment(seg, k + 1));
                        if i > 0 {
                            stack.push(Work::Literal(replacement));
                        }
                    }
                }
            },
        }
    }
}

/// `unicode_codepoints_to_string(cp, ...)`: code points (or arrays of them)
/// to text; invalid code points make the result empty.
fn codepoints_to_string(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::String, |v| {
        let mut out = String::new();
        for x in v {
            let points: Vec<Option<i64>> = match x {
                Value::Dynamic(Dynamic::Array(a)) => a.iter().map(convert::dyn_to_long).collect(),
                other => vec![as_long(other)],
            };
            for p in points {
                match p
                    .and_then(|p| u32::try_from(p).ok())
                    .and_then(char::from_u32)
                {
                    Some(c) => out.push(c),
                    None => return Value::string(""),
                }
            }
        }
        Value::string(out)
    }))
}

fn codepoints_from_string(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let text = kernels::strings::as_string(&arg(args, 0), rows);
    Ok(rowwise(&[text], rows, DataType::Dynamic, |v| {
        let s = v.first().map(as_text).unwrap_or_default();
        Value::Dynamic(Dynamic::Array(Arc::new(
            s.chars().map(|c| Dynamic::Long(c as i64)).collect(),
        )))
    }))
}

/// `strcmp(a, b)`: -1, 0 or 1 by ordinal comparison.
fn strcmp(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let a = kernels::strings::as_string(&arg(args, 0), rows);
    let b = kernels::strings::as_string(&arg(args, 1), rows);
    let (n, scalar) = rows_for(&[&a, &b], rows);
    let (Some(x), Some(y)) = (strs(&a), strs(&b)) else {
        return Err(FunctionError::Invalid("strcmp expects strings".into()));
    };
    Ok(access::longs(n, scalar, |i| {
        Some(x.get(i).cmp(y.get(i)) as i64)
    }))
}

fn text_test(
    args: &[ColumnarValue],
    rows: usize,
    f: impl Fn(&str) -> bool,
) -> Result<ColumnarValue, FunctionError> {
    let text = kernels::strings::as_string(&arg(args, 0), rows);
    let (n, scalar) = rows_for(&[&text], rows);
    let s = strs(&text).ok_or(FunctionError::Invalid("expects a string".into()))?;
    Ok(access::string_predicate(s, n, scalar, f))
}

/// `parse_url(url)`: a bag with `Scheme`, `Host`, `Port`, `Path`, `Username`,
/// `Password`, `Query Parameters` and `Fragment`; an empty bag when the text
/// is not an absolute URL.
fn parse_url(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Dynamic, |v| {
        let text = v.first().map(as_text).unwrap_or_default();
        Value::Dynamic(url_parts(&text).unwrap_or_else(|| Dynamic::Bag(Arc::default())))
    }))
}

fn url_parts(text: &str) -> Option<Dynamic> {
    let (scheme, rest) = text.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
    {
        return None;
    }
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (u, h),
        None => ("", authority),
    };
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if p.bytes().all(|b| b.is_ascii_digit()) && !h.is_empty() => (h, p),
        _ => (hostport, ""),
    };
    let mut params: indexmap::IndexMap<Arc<str>, Dynamic> = indexmap::IndexMap::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, val) = pair.split_once('=').unwrap_or((pair, ""));
        params.insert(k.into(), Dynamic::String(val.into()));
    }
    let text = |s: &str| Dynamic::String(s.into());
    let bag: indexmap::IndexMap<Arc<str>, Dynamic> = [
        ("Scheme", text(scheme)),
        ("Host", text(host)),
        ("Port", text(port)),
        ("Path", text(path)),
        ("Username", text(user)),
        ("Password", text(password)),
        ("Query Parameters", Dynamic::Bag(Arc::new(params))),
        ("Fragment", text(fragment)),
    ]
    .into_iter()
    .map(|(k, d)| (Arc::from(k), d))
    .collect();
    Some(Dynamic::Bag(Arc::new(bag)))
}

fn two_strings(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 2, 2).map(|_| DataType::String)
}

/// Applies `f` to each row's text (once per distinct value for dictionary
/// columns).
fn map_text(v: &ColumnarValue, rows: usize, f: impl FnMut(&str, &mut String)) -> ColumnarValue {
    let text = kernels::strings::as_string(v, rows);
    let (n, scalar) = rows_for(&[&text], rows);
    match strs(&text) {
        Some(s) => access::map_strings(s, n, scalar, f),
        None => ColumnarValue::Scalar(Value::string(""), DataType::String),
    }
}

/// `strlen`: length in UTF-16 code units, as .NET counts (so a combining
/// sequence counts each code point).
fn strlen(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let text = kernels::strings::as_string(&arg(args, 0), rows);
    let (n, scalar) = rows_for(&[&text], rows);
    let s = strs(&text).ok_or(FunctionError::Invalid("strlen expects a string".into()))?;
    Ok(access::longs(n, scalar, |i| {
        Some(s.get(i).encode_utf16().count() as i64)
    }))
}

/// A constant regex argument, compiled once.
fn const_regex(args: &[ColumnarValue], i: usize) -> Result<regex::Regex, FunctionError> {
    match args.get(i) {
        Some(ColumnarValue::Scalar(Value::String(p), _)) => compile_regex(p),
        _ => Err(FunctionError::NotConstant { index: i }),
    }
}

/// `trim(regex, text)`: removes leading and/or trailing matches of `regex`.
fn trim(
    args: &[ColumnarValue],
    rows: usize,
    start: bool,
    end: bool,
) -> Result<ColumnarValue, FunctionError> {
    let pattern = match args.first() {
        Some(ColumnarValue::Scalar(Value::String(p), _)) => p.clone(),
        _ => return Err(FunctionError::NotConstant { index: 0 }),
    };
    let lead = compile_regex(&format!("^(?:{pattern})+"))?;
    let trail = compile_regex(&format!("(?:{pattern})+$"))?;
    Ok(map_text(&arg(args, 1), rows, |s, out| {
        let mut t = s;
        if start {
            if let Some(m) = lead.find(t) {
                t = &t[m.end()..];
            }
        }
        if end {
            if let Some(m) = trail.find(t) {
                t = &t[..m.start()];
            }
        }
        out.push_str(t);
    }))
}

/// `substring(text, start[, length])` in characters; out-of-range parts are
/// clipped.
fn substring(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let text = kernels::strings::as_string(&arg(args, 0), rows);
    let rest: Vec<ColumnarValue> = args.iter().skip(1).cloned().collect();
    let mut all = vec![text];
    all.extend(rest);
    Ok(rowwise(&all, rows, DataType::String, |v| {
        let s = v.first().map(as_text).unwrap_or_default();
        let Some(start) = v.get(1).and_then(as_long) else {
            return Value::string("");
        };
        let len = s.chars().count() as i64;
        let start = if start < 0 {
            len.saturating_add(start).max(0)
        } else {
            start.min(len)
        };
        let take = match v.get(2) {
            Some(x) => match as_long(x) {
                Some(l) => l.max(0),
                None => return Value::string(""),
            },
            None => len,
        };
        Value::string(
            s.chars()
                .skip(start as usize)
                .take(take as usize)
                .collect::<String>(),
        )
    }))
}

fn strcat(
    args: &[ColumnarValue],
    rows: usize,
    delim: &str,
) -> Result<ColumnarValue, FunctionError> {
    let texts: Vec<ColumnarValue> = args.iter().map(|a| convert::to_string(a, rows)).collect();
    let views: Vec<_> = texts.iter().filter_map(strs).collect();
    let refs: Vec<&ColumnarValue> = texts.iter().collect();
    let (n, scalar) = rows_for(&refs, rows);
    let mut failed: Option<FunctionError> = None;
    let out = access::strings(n, scalar, |i, out| {
        if failed.is_some() {
            return;
        }
        // The row's size is summed before it is built.
        let size = views.iter().map(|v| v.get(i).len()).fold(
            delim.len().saturating_mul(views.len()),
            usize::saturating_add,
        );
        if let Err(e) = check_value_size(size) {
            failed = Some(e);
            return;
        }
        for (k, v) in views.iter().enumerate() {
            if k > 0 {
                out.push_str(delim);
            }
            out.push_str(v.get(i));
        }
    });
    failed.map_or(Ok(out), Err)
}

/// `strcat_delim(delim, a, b, ...)`.
fn strcat_delim(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let delim = match args.first() {
        Some(ColumnarValue::Scalar(v, _)) => v.to_string(),
        _ => return Err(FunctionError::NotConstant { index: 0 }),
    };
    strcat(args.get(1..).unwrap_or_default(), rows, &delim)
}

/// `split(text, delimiter[, index])`: a dynamic array of parts; with an
/// index, an array holding just that part (empty when out of range).
fn split(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let mut failed: Option<FunctionError> = None;
    let out = rowwise(args, rows, DataType::Dynamic, |v| {
        if failed.is_some() {
            return Value::Null;
        }
        let s = v.first().map(as_text).unwrap_or_default();
        let d = v.get(1).map(as_text).unwrap_or_default();
        let parts: Vec<Dynamic> = if d.is_empty() {
            vec![Dynamic::String(s.as_str().into())]
        } else {
            // Parts are counted as they are cut, so a text of many
            // delimiters stops at the cap on one array.
            let mut budget = ValueBudget::default();
            let mut parts = Vec::new();
            for p in s.split(d.as_str()) {
                if let Err(e) = crate::function::tick_stop(parts.len())
                    .and_then(|()| budget.add(1, p.len().saturating_add(3)))
                {
                    failed = Some(e);
                    return Value::Null;
                }
                parts.push(Dynamic::String(p.into()));
            }
            parts
        };
        let parts = match v.get(2) {
            None => parts,
            Some(i) => match as_long(i) {
                Some(k) if k >= 0 => parts.into_iter().skip(k as usize).take(1).collect(),
                _ => Vec::new(),
            },
        };
        Value::Dynamic(Dynamic::Array(Arc::new(parts)))
    });
    failed.map_or(Ok(out), Err)
}

/// `replace_string(text, lookup, rewrite)`: every occurrence, case-sensitive.
fn replace_string(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    if let (Some(ColumnarValue::Scalar(l, _)), Some(ColumnarValue::Scalar(r, _))) =
        (args.get(1), args.get(2))
    {
        let (lookup, rewrite) = (l.to_string(), r.to_string());
        let mut failed: Option<FunctionError> = None;
        let out = map_text(&arg(args, 0), rows, |s, out| {
            if failed.is_some() {
                return;
            }
            if lookup.is_empty() {
                out.push_str(s);
            } else if let Err(e) = crate::function::check_stop_for(s.len())
                .and_then(|()| replaced_size(s, &lookup, &rewrite))
            {
                failed = Some(e);
            } else {
                out.push_str(&s.replace(&lookup, &rewrite));
            }
        });
        return failed.map_or(Ok(out), Err);
    }
    let mut failed: Option<FunctionError> = None;
    let out = rowwise(args, rows, DataType::String, |v| {
        if failed.is_some() {
            return Value::Null;
        }
        let s = v.first().map(as_text).unwrap_or_default();
        let l = v.get(1).map(as_text).unwrap_or_default();
        let r = v.get(2).map(as_text).unwrap_or_default();
        if l.is_empty() {
            return Value::string(s);
        }
        if let Err(e) =
            crate::function::check_stop_for(s.len()).and_then(|()| replaced_size(&s, &l, &r))
        {
            failed = Some(e);
            return Value::Null;
        }
        Value::string(s.replace(&l, &r))
    });
    failed.map_or(Ok(out), Err)
}

/// Checks the size `s` takes with every `lookup` replaced by `rewrite`
/// against the cap on one value, before it is built (matches are counted
/// only when the rewrite is the longer).
fn replaced_size(s: &str, lookup: &str, rewrite: &str) -> Result<(), FunctionError> {
    if rewrite.len() <= lookup.len() {
        return Ok(());
    }
    let grow = rewrite.len() - lookup.len();
    // Texts that cannot reach the cap even if all of it matched are not
    // searched twice.
    let worst = (s.len() / lookup.len().max(1)).saturating_mul(grow);
    if s.len().saturating_add(worst) <= crate::function::MAX_VALUE_BYTES {
        return Ok(());
    }
    let n = s.matches(lookup).count();
    check_value_size(s.len().saturating_add(n.saturating_mul(grow)))
}

/// Converts Kusto's `\1` group references to the regex crate's `${1}`.
fn rewrite_template(rewrite: &str) -> String {
    let mut out = String::with_capacity(rewrite.len());
    let mut chars = rewrite.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek().is_some_and(char::is_ascii_digit) => {
                out.push_str("${");
                while let Some(d) = chars.peek().copied().filter(char::is_ascii_digit) {
                    out.push(d);
                    chars.next();
                }
                out.push('}');
            }
            '$' => out.push_str("$$"),
            c => out.push(c),
        }
    }
    out
}

/// `replace_regex(text, regex, rewrite)`; `\1` in `rewrite` is a group.
/// At most 1,048,576 replacements in one value (`E1107` past that).
fn replace_regex(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let re = const_regex(args, 1)?;
    let rewrite = match args.get(2) {
        Some(ColumnarValue::Scalar(v, _)) => rewrite_template(&v.to_string()),
        _ => return Err(FunctionError::NotConstant { index: 2 }),
    };
    // One pass over the matches builds the result, counting replacements
    // and bytes as it goes: a pattern that matches the empty string
    // matches at every position, so a row stops at
    // [`crate::function::MAX_ARRAY_ELEMENTS`] replacements or at the cap
    // on one value instead of after all of them.
    let plain = !rewrite.contains('$');
    let literal = rewrite.replace("$$", "$");
    let mut failed: Option<FunctionError> = None;
    let out = map_text(&arg(args, 0), rows, |s, out| {
        if failed.is_some() {
            return;
        }
        let start = out.len();
        let mut budget = ValueBudget::default();
        let mut last = 0usize;
        let mut count = 0usize;
        let mut replace =
            |from: usize, to: usize, out: &mut String, expand: &dyn Fn(&mut String)| {
                out.push_str(s.get(last..from).unwrap_or_default());
                expand(out);
                last = to;
                budget.add(1, 0)?;
                count += 1;
                crate::function::tick_stop(count)?;
                check_value_size(out.len() - start)
            };
        if let Err(e) = crate::function::check_stop_for(s.len()) {
            failed = Some(e);
            return;
        }
        let done = if plain {
            re.find_iter(s).try_for_each(|m| {
                replace(m.start(), m.end(), out, &|o: &mut String| {
                    o.push_str(&literal)
                })
            })
        } else {
            re.captures_iter(s).try_for_each(|c| {
                let Some(m) = c.get(0) else {
                    return Ok(());
                };
                replace(m.start(), m.end(), out, &|o: &mut String| {
                    c.expand(&rewrite, o)
                })
            })
        };
        match done {
            Ok(()) => out.push_str(s.get(last..).unwrap_or_default()),
            Err(e) => {
                out.truncate(start);
                failed = Some(e);
            }
        }
    });
    failed.map_or(Ok(out), Err)
}

fn extract_type(a: &[DataType]) -> Result<DataType, FunctionError> {
    arity(a, 3, 4).map(|_| DataType::String)
}

/// `extract(regex, group, text)`: the group's text of the first match, or
/// `""` when there is none.
fn extract(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let re = const_regex(args, 0)?;
    let group = match args.get(1) {
        Some(ColumnarValue::Scalar(v, _)) => as_long(v).unwrap_or(0).max(0) as usize,
        _ => return Err(FunctionError::NotConstant { index: 1 }),
    };
    Ok(map_text(&arg(args, 2), rows, |s, out| {
        if let Some(m) = re.captures(s).and_then(|c| c.get(group)) {
            out.push_str(m.as_str());
        }
    }))
}

/// `extract_all(regex, [groups,] text)`: every match; with one capture group
/// an array of strings, with several an array of arrays; with `groups` (a
/// constant array of group indexes or names), arrays of those groups.
fn extract_all(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let re = const_regex(args, 0)?;
    let text = arg(args, args.len().saturating_sub(1));
    // An optional constant array of group indexes or names.
    let selected: Option<Vec<usize>> = if args.len() == 3 {
        let Some(ColumnarValue::Scalar(Value::Dynamic(Dynamic::Array(items)), _)) = args.get(1)
        else {
            return Err(FunctionError::NotConstant { index: 1 });
        };
        let names: Vec<Option<&str>> = re.capture_names().collect();
        let resolve = |d: &Dynamic| match d {
            Dynamic::Long(i) => usize::try_from(*i).ok().filter(|&i| i < names.len()),
            Dynamic::String(n) => names.iter().position(|x| *x == Some(n.as_ref())),
            _ => None,
        };
        let picked: Option<Vec<usize>> = items.iter().map(resolve).collect();
        Some(picked.ok_or(FunctionError::Invalid(
            "extract_all: unknown capture group".into(),
        ))?)
    } else {
        None
    };
    let groups = re.captures_len() - 1;
    let mut failed: Option<FunctionError> = None;
    let out = rowwise(&[text], rows, DataType::Dynamic, |v| {
        if failed.is_some() {
            return Value::Null;
        }
        let s = v.first().map(as_text).unwrap_or_default();
        let mut out = Vec::new();
        // Matches are counted as they are found (a pattern that matches
        // the empty string matches at every position), so a row stops at
        // the cap instead of after building every match.
        let mut budget = ValueBudget::default();
        for caps in re.captures_iter(&s) {
            let text = |g: usize| {
                caps.get(g)
                    .map_or(Dynamic::Null, |m| Dynamic::String(m.as_str().into()))
            };
            let picked: Vec<usize> = match (&selected, groups) {
                (Some(sel), _) => sel.clone(),
                (None, 0) => vec![0],
                (None, 1) => vec![1],
                (None, _) => (1..=groups).collect(),
            };
            let bytes = picked.iter().fold(1usize, |n, &g| {
                n.saturating_add(caps.get(g).map_or(4, |m| m.len().saturating_add(3)))
            });
            if let Err(e) = crate::function::tick_stop(out.len())
                .and_then(|()| budget.add(picked.len().max(1), bytes))
            {
                failed = Some(e);
                return Value::Null;
            }
            match (&selected, groups) {
                (None, 0 | 1) => out.push(picked.first().map_or(Dynamic::Null, |&g| text(g))),
                _ => out.push(Dynamic::Array(Arc::new(
                    picked.iter().map(|&g| text(g)).collect(),
                ))),
            }
        }
        if out.is_empty() {
            Value::Null
        } else {
            Value::Dynamic(Dynamic::Array(Arc::new(out)))
        }
    });
    failed.map_or(Ok(out), Err)
}

/// `indexof(text, lookup[, start[, length[, occurrence]]])`: the character
/// index of `lookup` in `text`, -1 when absent. A negative `start` counts
/// from the end; the search examines `length` characters from `start` (-1:
/// to the end) and the match must lie inside them; each further occurrence
/// is searched from one past the previous one with the same `length`. Null
/// when `length` is below -1 or `occurrence` is negative.
fn indexof(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    Ok(rowwise(args, rows, DataType::Long, |v| {
        let text: Vec<char> = v.first().map(as_text).unwrap_or_default().chars().collect();
        let lookup: Vec<char> = v.get(1).map(as_text).unwrap_or_default().chars().collect();
        let opt = |i: usize, default: i64| match v.get(i) {
            None => Some(default),
            Some(x) => as_long(x),
        };
        let (Some(start), Some(length), Some(occurrence)) = (opt(2, 0), opt(3, -1), opt(4, 1))
        else {
            return Value::Null;
        };
        if length < -1 || occurrence < 0 {
            return Value::Null;
        }
        let n = text.len();
        let mut from = if start < 0 {
            n.saturating_sub(usize::try_from(start.unsigned_abs()).unwrap_or(usize::MAX))
        } else {
            usize::try_from(start).unwrap_or(usize::MAX)
        };
        // `length` bounds where a match may start (Kusto finds "cde" in
        // "abcdefg" from 1 within 2 characters: it starts at 2), not where
        // it ends.
        let last_start = match usize::try_from(length) {
            Ok(len) => from.saturating_add(len),
            Err(_) => usize::MAX,
        };
        for k in 1..=occurrence.max(1) {
            if from > n {
                return Value::Long(-1);
            }
            let window = text.get(from..).unwrap_or_default();
            let found = if lookup.is_empty() {
                Some(0)
            } else {
                window
                    .windows(lookup.len())
                    .position(|w| w == lookup.as_slice())
            };
            let Some(at) = found.map(|p| from + p).filter(|&at| at < last_start) else {
                return Value::Long(-1);
            };
            if k == occurrence.max(1) {
                return Value::Long(at as i64);
            }
            from = at + 1;
        }
        Value::Long(-1)
    }))
}

/// `indexof_regex(text, regex[, start[, length[, occurrence]]])`: the
/// character index of the `occurrence`-th (non-overlapping) match inside
/// `length` characters from `start`, -1 when absent, null for a negative
/// start.
fn indexof_regex(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let re = const_regex(args, 1)?;
    let mut parts = vec![arg(args, 0)];
    parts.extend(args.iter().skip(2).cloned());
    Ok(rowwise(&parts, rows, DataType::Long, |v| {
        let text = v.first().map(as_text).unwrap_or_default();
        let opt = |i: usize, default: i64| match v.get(i) {
            None => Some(default),
            Some(x) => as_long(x),
        };
        let (Some(start), Some(length), Some(occurrence)) = (opt(1, 0), opt(2, -1), opt(3, 1))
        else {
            return Value::Null;
        };
        if start < 0 || occurrence < 1 {
            return Value::Null;
        }
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        let from = chars.get(start as usize).map_or(text.len(), |c| c.0);
        if start as usize > chars.len() {
            return Value::Long(-1);
        }
        let to = if length < 0 {
            text.len()
        } else {
            chars
                .get(start.saturating_add(length) as usize)
                .map_or(text.len(), |c| c.0)
        };
        let window = text.get(from..to).unwrap_or("");
        match re.find_iter(window).nth((occurrence - 1) as usize) {
            Some(m) => Value::Long((start as usize + window[..m.start()].chars().count()) as i64),
            None => Value::Long(-1),
        }
    }))
}

/// `countof(text, search[, kind])`: plain matches may overlap; regex
/// matches do not.
fn countof(
    args: &[ColumnarValue],
    rows: usize,
    _: &EvalContext,
) -> Result<ColumnarValue, FunctionError> {
    let regex_kind = matches!(args.get(2), Some(ColumnarValue::Scalar(Value::String(k), _)) if k.as_ref() == "regex");
    if regex_kind {
        let re = const_regex(args, 1)?;
        let text = kernels::strings::as_string(&arg(args, 0), rows);
        let (n, scalar) = rows_for(&[&text], rows);
        let s = strs(&text).ok_or(FunctionError::Invalid("countof expects a string".into()))?;
        return Ok(access::longs(n, scalar, |i| {
            Some(re.find_iter(s.get(i)).count() as i64)
        }));
    }
    Ok(rowwise(
        &args[..args.len().min(2)],
        rows,
        DataType::Long,
        |v| {
            let s = v.first().map(as_text).unwrap_or_default();
            let l = v.get(1).map(as_text).unwrap_or_default();
            if l.is_empty() {
                return Value::Long(0);
            }
            let count = (0..s.len())
                .filter(|&i| s.is_char_boundary(i) && s[i..].starts_with(l.as_str()))
                .count();
            Value::Long(count as i64)
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{call, s};
    use super::*;

    #[test]
    fn regex_quote_escapes_every_regex_character() {
        assert_eq!(
            call("regex_quote", &[s("(so$me.Te^xt)")]),
            s(r"\(so\$me\.Te\^xt\)")
        );
        assert_eq!(call("regex_quote", &[s("a_1 é")]), s(r"a_1\ é"));
        let quoted = call("regex_quote", &[s("1+1=2? [x]")]).to_string();
        let re = compile_regex(&quoted).expect("a valid pattern");
        assert!(re.is_match("1+1=2? [x]"));
        assert!(!re.is_match("11=2 x"));
    }

    fn arr(items: &[&str]) -> Value {
        Value::Dynamic(Dynamic::Array(Arc::new(
            items.iter().map(|x| Dynamic::String((*x).into())).collect(),
        )))
    }

    #[test]
    fn case_and_length_functions_work_on_characters() {
        assert_eq!(call("strlen", &[s("héllo")]), Value::Long(5));
        assert_eq!(call("strlen", &[s("C\u{327}edilla")]), Value::Long(8));
        assert_eq!(call("strlen", &[s("\u{1F600}")]), Value::Long(2));
        assert_eq!(call("toupper", &[s("abc")]), s("ABC"));
        assert_eq!(call("tolower", &[s("ÀB")]), s("àb"));
        assert_eq!(call("reverse", &[s("abc")]), s("cba"));
    }

    #[test]
    fn substring_clips_out_of_range_parts() {
        assert_eq!(
            call("substring", &[s("123456"), Value::Long(1), Value::Long(2)]),
            s("23")
        );
        assert_eq!(call("substring", &[s("123456"), Value::Long(4)]), s("56"));
        assert_eq!(call("substring", &[s("abc"), Value::Long(10)]), s(""));
    }

    #[test]
    fn extreme_indexes_give_empty_results_not_a_panic() {
        assert_eq!(
            call(
                "substring",
                &[s("abc"), Value::Long(i64::MIN), Value::Long(i64::MAX)]
            ),
            s("abc")
        );
        assert_eq!(
            call(
                "indexof_regex",
                &[s("abc"), s("c"), Value::Long(1), Value::Long(i64::MAX)]
            ),
            Value::Long(2)
        );
        assert_eq!(
            call("indexof", &[s("abc"), s("c"), Value::Long(i64::MAX)]),
            Value::Long(-1)
        );
    }

    #[test]
    fn strcat_joins_the_text_of_any_values() {
        assert_eq!(
            call("strcat", &[s("a"), Value::Long(1), Value::Bool(true)]),
            s("a1True")
        );
        assert_eq!(call("strcat_delim", &[s("-"), s("a"), s("b")]), s("a-b"));
    }

    #[test]
    fn split_returns_a_dynamic_array() {
        assert_eq!(call("split", &[s("a,b,c"), s(",")]), arr(&["a", "b", "c"]));
        assert_eq!(
            call("split", &[s("a,b,c"), s(","), Value::Long(1)]),
            arr(&["b"])
        );
    }

    #[test]
    fn regex_functions_use_group_references() {
        assert_eq!(call("replace", &[s("o"), s("0"), s("foo")]), s("f00"));
        assert_eq!(
            call(
                "replace_regex",
                &[s("abc123"), s("([a-z]+)([0-9]+)"), s(r"\2-\1")]
            ),
            s("123-abc")
        );
        assert_eq!(
            call("extract", &[s(r"(\d+)"), Value::Long(1), s("id=42;")]),
            s("42")
        );
        assert_eq!(
            call("extract", &[s(r"(\d+)"), Value::Long(1), s("none")]),
            s("")
        );
        assert_eq!(
            call("extract_all", &[s(r"(\d)"), s("a1b2")]),
            arr(&["1", "2"])
        );
        let groups = Value::Dynamic(Dynamic::from_json(&serde_json::json!(["first", 3])));
        let pairs = call(
            "extract_all",
            &[s(r"(?P<first>\w)(\w+)(\w)"), groups, s("abcd-efg")],
        );
        assert_eq!(
            pairs,
            Value::Dynamic(Dynamic::from_json(&serde_json::json!([
                ["a", "d"],
                ["e", "g"]
            ])))
        );
        assert_eq!(call("trim", &[s(r"\s"), s("  x  ")]), s("x"));
        assert_eq!(call("trim_start", &[s("-"), s("--x-")]), s("x-"));
    }

    #[test]
    fn replace_strings_replaces_in_one_pass() {
        let lookups = Value::Dynamic(Dynamic::from_json(&serde_json::json!(["cat", "dog"])));
        let rewrites = Value::Dynamic(Dynamic::from_json(&serde_json::json!(["dog", "pigeon"])));
        assert_eq!(
            call(
                "replace_strings",
                &[
                    s("A magic trick can turn a cat into a dog"),
                    lookups,
                    rewrites
                ]
            ),
            s("A magic trick can turn a dog into a pigeon")
        );
    }

    #[test]
    fn replace_strings_applies_lookups_in_priority_order() {
        let text = s("This is an example");
        let arr = |v: serde_json::Value| Value::Dynamic(Dynamic::from_json(&v));
        let first = call(
            "replace_strings",
            &[
                text.clone(),
                arr(serde_json::json!(["This", "is"])),
                arr(serde_json::json!(["This", "was"])),
            ],
        );
        assert_eq!(first, s("This was an example"));
        let second = call(
            "replace_strings",
            &[
                text.clone(),
                arr(serde_json::json!(["is", "This"])),
                arr(serde_json::json!(["was", "This"])),
            ],
        );
        assert_eq!(second, s("Thwas was an example"));
        let odd = call(
            "replace_strings",
            &[
                text,
                arr(serde_json::json!(["This", "is"])),
                arr(serde_json::json!([12345, "was"])),
            ],
        );
        assert_eq!(odd, s("This was an example"));
    }

    #[test]
    fn code_points_convert_both_ways() {
        let cps = [75, 117, 115, 116, 111].map(Value::Long);
        assert_eq!(call("unicode_codepoints_to_string", &cps), s("Kusto"));
        assert_eq!(
            call("unicode_codepoints_from_string", &[s("Kü")]),
            Value::Dynamic(Dynamic::from_json(&serde_json::json!([75, 252])))
        );
        assert_eq!(call("string_size", &[s("hé")]), Value::Long(3));
    }

    #[test]
    fn strrep_strcmp_and_text_tests() {
        assert_eq!(
            call("strrep", &[s("ab"), Value::Long(3), s(",")]),
            s("ab,ab,ab")
        );
        assert_eq!(call("strcmp", &[s("a"), s("b")]), Value::Long(-1));
        assert_eq!(call("isascii", &[s("é")]), Value::Bool(false));
    }

    #[test]
    fn parse_url_splits_the_parts() {
        let url = s("https://user:pw@www.contoso.com:1234/path/a?k1=v1&k2=v2#frag");
        let want = serde_json::json!({
            "Scheme": "https", "Host": "www.contoso.com", "Port": "1234", "Path": "/path/a",
            "Username": "user", "Password": "pw",
            "Query Parameters": {"k1": "v1", "k2": "v2"}, "Fragment": "frag"
        });
        assert_eq!(
            call("parse_url", &[url]),
            Value::Dynamic(Dynamic::from_json(&want))
        );
        assert_eq!(
            call("parse_url", &[s("not a url")]),
            Value::Dynamic(Dynamic::from_json(&serde_json::json!({})))
        );
    }

    #[test]
    fn indexof_regex_finds_non_overlapping_occurrences() {
        assert_eq!(
            call("indexof_regex", &[s("abcabc"), s("a.c")]),
            Value::Long(0)
        );
        assert_eq!(
            call(
                "indexof_regex",
                &[
                    s("abcabcdefg"),
                    s("a.c"),
                    Value::Long(0),
                    Value::Long(9),
                    Value::Long(2)
                ]
            ),
            Value::Long(3)
        );
        assert_eq!(
            call(
                "indexof_regex",
                &[
                    s("abcabc"),
                    s("a.c"),
                    Value::Long(1),
                    Value::Long(-1),
                    Value::Long(2)
                ]
            ),
            Value::Long(-1)
        );
        assert_eq!(
            call(
                "indexof_regex",
                &[
                    s("ababaa"),
                    s("a.a"),
                    Value::Long(0),
                    Value::Long(-1),
                    Value::Long(2)
                ]
            ),
            Value::Long(-1)
        );
        assert_eq!(
            call("indexof_regex", &[s("abcabc"), s("a|ab"), Value::Long(-1)]),
            Value::Null
        );
    }

    #[test]
    fn indexof_and_countof_find_occurrences() {
        assert_eq!(call("indexof", &[s("abcdefg"), s("cde")]), Value::Long(2));
        assert_eq!(call("indexof", &[s("abcdefg"), s("z")]), Value::Long(-1));
        assert_eq!(call("countof", &[s("aaa"), s("aa")]), Value::Long(2));
        assert_eq!(
            call("countof", &[s("aaa"), s("a+"), s("regex")]),
            Value::Long(1)
        );
        assert_eq!(
            call("replace_string", &[s("a.b.c"), s("."), s("/")]),
            s("a/b/c")
        );
    }
}
