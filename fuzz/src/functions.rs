//! Generated `print` queries of nested single-row functions that can make
//! a value much larger or deeper than their arguments.

use std::fmt;

use arbitrary::{Arbitrary, Result, Unstructured};

/// What an argument must be.
#[derive(Clone, Copy)]
enum Kind {
    /// A string.
    S,
    /// A long.
    L,
    /// A dynamic value.
    D,
}

use Kind::{D, L, S};

/// Functions that grow, shrink or nest values, with their argument kinds
/// and the kind they return.
const FUNCTIONS: &[(&str, &[Kind], Kind)] = &[
    ("strrep", &[S, L], S),
    ("strrep", &[S, L, S], S),
    ("replace_string", &[S, S, S], S),
    ("replace_regex", &[S, S, S], S),
    ("replace_strings", &[S, D, D], S),
    ("strcat", &[S, S, S], S),
    ("translate", &[S, S, S], S),
    ("reverse", &[S], S),
    ("url_decode", &[S], S),
    ("zlib_compress_to_base64_string", &[S], S),
    ("zlib_decompress_from_base64_string", &[S], S),
    ("gzip_compress_to_base64_string", &[S], S),
    ("gzip_decompress_from_base64_string", &[S], S),
    ("base64_encode_tostring", &[S], S),
    ("base64_decode_tostring", &[S], S),
    ("tostring", &[D], S),
    ("dynamic_to_json", &[D], S),
    ("strcat_array", &[D, S], S),
    ("parse_json", &[S], D),
    ("todynamic", &[S], D),
    ("bag_set_key", &[D, S, D], D),
    ("bag_remove_keys", &[D, D], D),
    ("bag_merge", &[D, D], D),
    ("bag_pack", &[S, D], D),
    ("bag_keys", &[D], D),
    ("pack_array", &[D, D], D),
    ("array_concat", &[D, D], D),
    ("set_union", &[D, D], D),
    ("zip", &[D, D], D),
    ("repeat", &[D, L], D),
    ("range", &[L, L, L], D),
    ("split", &[S, S], D),
    ("extract_all", &[S, S], D),
    ("treepath", &[D], D),
    ("array_length", &[D], L),
    ("strlen", &[S], L),
];

/// Longs that matter at the edges of sizes and counts.
const LONGS: &[&str] = &[
    "0", "1", "-1", "2", "3", "10", "100", "1000", "65536", "1000000", "100000000",
    "2147483647", "9223372036854775807", "-9223372036854775808",
];

/// Dynamic literals of several shapes.
const DYNAMICS: &[&str] = &[
    "dynamic(null)",
    "dynamic({})",
    "dynamic([])",
    "dynamic({\"a\": {\"b\": [1, 2, {\"c\": \"d\"}]}})",
    "dynamic([1, [2, [3, [4]]]])",
    "dynamic(\"a.b\")",
    "dynamic(['$.a', '$.a.b', 'x'])",
];

/// Characters a generated string literal is made of: JSON and JSONPath
/// punctuation, regex metacharacters and base64 letters.
const CHARS: &[u8] = b"ab$.[]'{}:,\"()*+?\\|^-09=/xyzAZ%_ ";

/// One generated query.
#[derive(Debug, Clone)]
pub struct FunctionCase {
    /// The query text.
    pub query: String,
}

impl fmt::Display for FunctionCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.query)
    }
}

impl<'a> Arbitrary<'a> for FunctionCase {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let kind = *u.choose(&[S, D, L])?;
        let e = expr(u, kind, 4)?;
        let query = if u.ratio(1u8, 4u8)? {
            // A few rows, so the columnar path runs too.
            format!("range i from 1 to 3 step 1 | extend x = {e}")
        } else {
            format!("print x = {e}")
        };
        Ok(FunctionCase { query })
    }
}

fn expr(u: &mut Unstructured<'_>, kind: Kind, depth: u32) -> Result<String> {
    if depth > 0 && u.ratio(2u8, 3u8)? {
        let fitting: Vec<&(&str, &[Kind], Kind)> = FUNCTIONS
            .iter()
            .filter(|(_, _, ret)| same(*ret, kind))
            .collect();
        if let Ok(&&(name, args, _)) = u.choose(&fitting) {
            let mut parts = Vec::with_capacity(args.len());
            for a in args {
                parts.push(expr(u, *a, depth - 1)?);
            }
            return Ok(format!("{name}({})", parts.join(", ")));
        }
    }
    Ok(match kind {
        S => string_literal(u)?,
        L => (*u.choose(LONGS)?).to_string(),
        D => {
            if u.ratio(1u8, 3u8)? {
                format!("parse_json({})", string_literal(u)?)
            } else {
                (*u.choose(DYNAMICS)?).to_string()
            }
        }
    })
}

fn same(a: Kind, b: Kind) -> bool {
    matches!((a, b), (S, S) | (L, L) | (D, D))
}

/// A single-quoted literal of up to 40 characters from [`CHARS`], or a
/// deep JSON text.
fn string_literal(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(1u8, 10u8)? {
        let n = u.int_in_range(100..=20_000usize)?;
        let open = if u.arbitrary()? { "[" } else { "{\"a\":" };
        let close = if open == "[" { "]" } else { "}" };
        return Ok(format!("'{}{}'", open.repeat(n), close.repeat(n)));
    }
    let len = u.int_in_range(0..=40usize)?;
    let mut s = String::from("'");
    for _ in 0..len {
        let c = *u.choose(CHARS)?;
        match c {
            b'\'' => s.push_str("\\'"),
            b'\\' => s.push_str("\\\\"),
            c => s.push(char::from(c)),
        }
    }
    s.push('\'');
    Ok(s)
}
