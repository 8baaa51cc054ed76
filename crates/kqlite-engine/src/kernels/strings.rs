//! String predicates: `has` term matching, `contains`, `startswith`,
//! `endswith`, `like` and `matches regex`.
//!
//! Case-insensitive forms fold ASCII without allocating; a needle is folded
//! once per call, never per row.

use kqlite_parser::ast::{StrOp, StrOpKind};

use super::access::{self, rows_for, string_predicate, strs, Strs};
use crate::function::{ColumnarValue, FunctionError};
use crate::types::DataType;

/// Whether byte `b` belongs to a term: ASCII letters and digits, and every
/// byte of a non-ASCII character (so `é` does not split a term).
#[inline]
pub(crate) fn is_term_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// A prepared needle for one string operator.
#[derive(Debug, Clone)]
pub(crate) struct Needle {
    /// The needle, lowercased (ASCII) unless case-sensitive.
    text: String,
    case_sensitive: bool,
    /// Whether the needle starts / ends with a term character, i.e. whether
    /// a term boundary is required there.
    starts_term: bool,
    ends_term: bool,
    /// Lowercase the haystack fully (non-ASCII needle, case-insensitive).
    unicode_fold: bool,
}

impl Needle {
    /// Prepares `needle` for matching.
    pub(crate) fn new(needle: &str, case_sensitive: bool) -> Needle {
        let unicode_fold = !case_sensitive && !needle.is_ascii();
        let text = if case_sensitive {
            needle.to_string()
        } else if unicode_fold {
            needle.to_lowercase()
        } else {
            needle.to_ascii_lowercase()
        };
        let bytes = text.as_bytes();
        Needle {
            starts_term: bytes.first().is_some_and(|&b| is_term_byte(b)),
            ends_term: bytes.last().is_some_and(|&b| is_term_byte(b)),
            text,
            case_sensitive,
            unicode_fold,
        }
    }

    /// Whether the needle is empty.
    pub(crate) fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    #[inline]
    fn eq_at(&self, hay: &[u8], at: usize) -> bool {
        let n = self.text.as_bytes();
        match hay.get(at..at + n.len()) {
            Some(window) if self.case_sensitive => window == n,
            Some(window) => window
                .iter()
                .zip(n)
                .all(|(h, c)| h.to_ascii_lowercase() == *c),
            None => false,
        }
    }

    /// Calls `f` with every start offset where the needle occurs; stops when
    /// `f` returns true and reports it.
    fn any_occurrence(&self, hay: &str, mut f: impl FnMut(&[u8], usize) -> bool) -> bool {
        if self.unicode_fold {
            let folded = hay.to_lowercase();
            let fb = folded.as_bytes();
            return folded
                .match_indices(self.text.as_str())
                .any(|(at, _)| f(fb, at));
        }
        let hb = hay.as_bytes();
        let n = self.text.as_bytes();
        let Some(&first) = n.first() else {
            return f(hb, 0);
        };
        if n.len() > hb.len() {
            return false;
        }
        let upper = first.to_ascii_uppercase();
        let case_sensitive = self.case_sensitive;
        (0..=hb.len() - n.len()).any(|at| {
            let b = hb[at];
            (b == first || (!case_sensitive && b == upper)) && self.eq_at(hb, at) && f(hb, at)
        })
    }

    /// `contains`: the needle occurs anywhere.
    pub(crate) fn contained_in(&self, hay: &str) -> bool {
        self.any_occurrence(hay, |_, _| true)
    }

    /// `startswith`.
    pub(crate) fn prefix_of(&self, hay: &str) -> bool {
        if self.unicode_fold {
            return hay.to_lowercase().starts_with(&self.text);
        }
        self.eq_at(hay.as_bytes(), 0)
    }

    /// `endswith`.
    pub(crate) fn suffix_of(&self, hay: &str) -> bool {
        if self.unicode_fold {
            return hay.to_lowercase().ends_with(&self.text);
        }
        let hb = hay.as_bytes();
        hb.len() >= self.text.len() && self.eq_at(hb, hb.len() - self.text.len())
    }

    /// Term matching: `has` needs a term boundary on both sides of the
    /// match, `hasprefix` before it, `hassuffix` after it. A boundary is only
    /// required where the needle itself begins or ends with a term character.
    pub(crate) fn term_match(&self, hay: &str, before: bool, after: bool) -> bool {
        if self.is_empty() {
            // Kusto: an empty needle is found in every string.
            return true;
        }
        let len = self.text.len();
        self.any_occurrence(hay, |hb, at| {
            let ok_before = !(before && self.starts_term)
                || at == 0
                || hb.get(at - 1).is_none_or(|&b| !is_term_byte(b));
            let end = at + len;
            let ok_after =
                !(after && self.ends_term) || hb.get(end).is_none_or(|&b| !is_term_byte(b));
            ok_before && ok_after
        })
    }

    /// `has`.
    pub(crate) fn has(&self, hay: &str) -> bool {
        self.term_match(hay, true, true)
    }
}

/// Compiles a `like` pattern (`%` any run, `_` one character) as a regex.
fn like_regex(pattern: &str, case_sensitive: bool) -> Result<regex::Regex, FunctionError> {
    let mut re = String::from(if case_sensitive { "(?s)^" } else { "(?si)^" });
    for c in pattern.chars() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            c => re.push_str(&regex::escape(c.encode_utf8(&mut [0; 4]))),
        }
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| FunctionError::Invalid(format!("invalid pattern: {e}")))
}

/// Most heap a compiled regex program may take: 1 MiB. Matching time
/// grows with the program's size times the text's, so a pattern of tens
/// of kilobytes over a long text could run for minutes; RE2, Kusto's
/// engine, bounds its programs the same way (8 MiB for program and DFA
/// together by default). A pattern past the limit is invalid.
pub(crate) const MAX_REGEX_PROGRAM_BYTES: usize = 1 << 20;

/// Longest regex pattern accepted: 16 KiB of text (a 300-name alternation
/// is about 6 KiB). Parsing a pattern takes
/// memory many times its length before the program cap
/// ([`MAX_REGEX_PROGRAM_BYTES`]) can apply, so a pattern built by another
/// function (megabytes long) is refused before it is parsed.
pub(crate) const MAX_REGEX_PATTERN_BYTES: usize = 16 << 10;

/// Compiles a regex for `matches regex`, `extract` and friends, with
/// Kusto's (RE2's) reading of the pattern.
pub(crate) fn compile_regex(pattern: &str) -> Result<regex::Regex, FunctionError> {
    if pattern.len() > MAX_REGEX_PATTERN_BYTES {
        return Err(FunctionError::Invalid(format!(
            "invalid regular expression: the pattern is {} bytes long, more than the limit of {MAX_REGEX_PATTERN_BYTES}",
            pattern.len()
        )));
    }
    regex::RegexBuilder::new(&re2_syntax(pattern))
        .size_limit(MAX_REGEX_PROGRAM_BYTES)
        .build()
        .map_err(|e| FunctionError::Invalid(format!("invalid regular expression: {e}")))
}

/// Rewrites what RE2, Kusto's regex engine, reads differently from the
/// `regex` crate, so a pattern means what it means in Kusto:
///
/// - a `{` that does not open a counted repetition (`{2}`, `{2,}`,
///   `{2,5}`) is a literal brace, as in `\\w+{.*}`;
/// - inside a character class, `[` is a literal (RE2 has no nested classes,
///   only POSIX ones such as `[[:digit:]]`), and so are `&&` and `~~`
///   (set operations in the `regex` crate): `[[]` is the class of `[`.
///
/// Escapes are left alone.
pub(crate) fn re2_syntax(pattern: &str) -> std::borrow::Cow<'_, str> {
    if !pattern.contains(['{', '[', '\\']) {
        return std::borrow::Cow::Borrowed(pattern);
    }
    let bytes = pattern.as_bytes();
    let mut out = String::with_capacity(pattern.len() + 4);
    // Where the open class's items start (after `[` and a leading `^`/`]`).
    let mut class_items: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let Some(c) = pattern[i..].chars().next() else {
            break;
        };
        let len = c.len_utf8();
        match (c, class_items) {
            ('\\', _) if bytes.get(i + 1) == Some(&b'0') => {
                // An octal escape, `\0` for NUL (the `regex` crate reads
                // `\0` as a backreference).
                let digits = bytes[i + 2..]
                    .iter()
                    .take(2)
                    .take_while(|b| (b'0'..=b'7').contains(b))
                    .count();
                let code = bytes[i + 1..i + 2 + digits]
                    .iter()
                    .fold(0u32, |n, b| n * 8 + u32::from(b - b'0'));
                out.push_str(&format!("\\x{{{code:02x}}}"));
                i += 2 + digits;
                continue;
            }
            ('\\', _) => {
                let next = pattern[i + 1..].chars().next().map_or(0, char::len_utf8);
                out.push_str(&pattern[i..i + 1 + next]);
                i += 1 + next;
                continue;
            }
            ('[', None) => {
                let mut start = i + 1;
                if bytes.get(start) == Some(&b'^') {
                    start += 1;
                }
                if bytes.get(start) == Some(&b']') {
                    start += 1;
                }
                out.push_str(&pattern[i..start]);
                class_items = Some(start);
                i = start;
                continue;
            }
            ('[', Some(_)) if bytes.get(i + 1) == Some(&b':') => {
                // A POSIX class: copy through its `:]`.
                let end = pattern[i..].find(":]").map_or(bytes.len(), |e| i + e + 2);
                out.push_str(&pattern[i..end]);
                i = end;
                continue;
            }
            ('[', Some(_)) => {
                out.push_str("\\[");
                i += 1;
                continue;
            }
            ('&' | '~', Some(_)) if bytes.get(i + 1) == Some(&(c as u8)) => {
                out.push('\\');
                out.push(c);
                i += 1;
                continue;
            }
            (']', Some(_)) => class_items = None,
            ('{', None) if !counted_repetition(&bytes[i + 1..]) => {
                out.push_str("\\{");
                i += 1;
                continue;
            }
            _ => {}
        }
        out.push(c);
        i += len;
    }
    std::borrow::Cow::Owned(out)
}

/// Whether `rest` (what follows a `{`) is `n}`, `n,}` or `n,m}`.
fn counted_repetition(rest: &[u8]) -> bool {
    let digits = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if digits == 0 {
        return false;
    }
    match rest.get(digits) {
        Some(b'}') => true,
        Some(b',') => {
            let more = rest[digits + 1..]
                .iter()
                .take_while(|b| b.is_ascii_digit())
                .count();
            rest.get(digits + 1 + more) == Some(&b'}')
        }
        _ => false,
    }
}

/// Evaluates one string operator on string operands.
pub(crate) fn string_op(
    op: StrOp,
    l: &ColumnarValue,
    r: &ColumnarValue,
    rows: usize,
) -> Result<ColumnarValue, FunctionError> {
    let l = as_string(l, rows);
    let r = as_string(r, rows);
    let (n, scalar) = rows_for(&[&l, &r], rows);
    let (Some(ls), Some(rs)) = (strs(&l), strs(&r)) else {
        return Err(FunctionError::Invalid(
            "string operator on non-string operands".to_string(),
        ));
    };
    let negated = op.negated;
    if let Strs::Scalar(needle) = rs {
        return match op.kind {
            StrOpKind::MatchesRegex => {
                let re = compile_regex(needle)?;
                Ok(string_predicate(ls, n, scalar, |s| {
                    re.is_match(s) != negated
                }))
            }
            StrOpKind::Like => {
                let re = like_regex(needle, op.case_sensitive)?;
                Ok(string_predicate(ls, n, scalar, |s| {
                    re.is_match(s) != negated
                }))
            }
            kind => {
                let nd = Needle::new(needle, op.case_sensitive);
                Ok(string_predicate(ls, n, scalar, |s| {
                    apply_needle(kind, &nd, s) != negated
                }))
            }
        };
    }
    // A per-row needle: prepare it per row.
    let mut err = None;
    let out = access::bools(n, scalar, |i| {
        let (hay, needle) = (ls.get(i), rs.get(i));
        let hit = match op.kind {
            StrOpKind::MatchesRegex => match compile_regex(needle) {
                Ok(re) => re.is_match(hay),
                Err(e) => {
                    err = Some(e);
                    false
                }
            },
            StrOpKind::Like => match like_regex(needle, op.case_sensitive) {
                Ok(re) => re.is_match(hay),
                Err(e) => {
                    err = Some(e);
                    false
                }
            },
            kind => apply_needle(kind, &Needle::new(needle, op.case_sensitive), hay),
        };
        Some(hit != negated)
    });
    match err {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn apply_needle(kind: StrOpKind, nd: &Needle, hay: &str) -> bool {
    match kind {
        StrOpKind::Has => nd.has(hay),
        StrOpKind::HasPrefix => nd.term_match(hay, true, false),
        StrOpKind::HasSuffix => nd.term_match(hay, false, true),
        StrOpKind::Contains => nd.contained_in(hay),
        StrOpKind::StartsWith => nd.prefix_of(hay),
        StrOpKind::EndsWith => nd.suffix_of(hay),
        StrOpKind::MatchesRegex | StrOpKind::Like => false,
    }
}

/// Converts a non-string operand to its `tostring` text (string operators
/// accept any type, as Kusto does).
pub(crate) fn as_string(v: &ColumnarValue, rows: usize) -> ColumnarValue {
    if v.data_type() == DataType::String {
        v.clone()
    } else {
        super::convert::to_string(v, rows)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_brace_that_opens_no_repetition_is_a_literal_as_in_re2() {
        let re = super::compile_regex(r"(SMB_REALM_TRAVERSAL\w+{.*})").expect("compiles");
        assert_eq!(
            re.captures("x SMB_REALM_TRAVERSAL_a{b} y")
                .and_then(|c| c.get(1))
                .map(|m| m.as_str()),
            Some("SMB_REALM_TRAVERSAL_a{b}")
        );
        assert!(super::compile_regex("Get-Killdate|Invoke-{x}").is_ok());
        assert!(super::compile_regex("a{,3}")
            .expect("compiles")
            .is_match("a{,3}"));
        // Counted repetitions, escapes and classes keep their meaning.
        assert!(super::compile_regex("^a{2,3}$")
            .expect("compiles")
            .is_match("aaa"));
        assert!(!super::compile_regex("^a{2}$")
            .expect("compiles")
            .is_match("a{2}"));
        assert!(super::compile_regex(r"^\{[{]$")
            .expect("compiles")
            .is_match("{{"));
        assert_eq!(super::re2_syntax(r"\d{4}-x{y}"), r"\d{4}-x\{y}");
    }

    #[test]
    fn an_octal_escape_is_a_character_as_in_re2() {
        let re = super::compile_regex("\\0").expect("compiles");
        assert_eq!(re.replace_all("a\0b\0", ""), "ab");
        assert!(super::compile_regex("^a\\012b$")
            .expect("compiles")
            .is_match("a\nb"));
        assert!(super::compile_regex(r"^\\0$")
            .expect("compiles")
            .is_match("\\0"));
    }

    #[test]
    fn a_bracket_inside_a_class_is_a_literal_as_in_re2() {
        let re = super::compile_regex("^(?:[[])+").expect("compiles");
        assert_eq!(re.find("[[x").map(|m| m.as_str()), Some("[["));
        assert!(super::compile_regex("[[:digit:]]+")
            .expect("compiles")
            .is_match("42"));
        assert!(super::compile_regex("^[]a]+$")
            .expect("compiles")
            .is_match("]a]"));
        assert!(super::compile_regex("^[a&&b]+$")
            .expect("compiles")
            .is_match("a&b"));
        assert!(super::compile_regex("^[^[]+$")
            .expect("compiles")
            .is_match("abc"));
    }

    use super::*;

    fn has(hay: &str, needle: &str) -> bool {
        Needle::new(needle, false).has(hay)
    }

    #[test]
    fn has_matches_whole_terms_only() {
        assert!(!has("KustoExplorerQueryRun", "Explorer"));
        assert!(!has("IMAP4", "IMAP"));
        assert!(has("IMAP4 client", "imap4"));
        assert!(has("Exchange ActiveSync", "activesync"));
        assert!(!has("ExchangeActiveSync", "Exchange"));
    }

    #[test]
    fn has_matches_a_consecutive_term_sequence() {
        assert!(has("Outlook Anywhere (RPC over HTTP)", "Outlook Anywhere"));
        assert!(has("Exchange Web Services", "exchange web services"));
        assert!(!has("Exchange Web Servicesx", "Exchange Web Services"));
    }

    #[test]
    fn underscore_splits_terms() {
        assert!(has("user_name", "name"));
        assert!(has("abc_def", "abc"));
    }

    #[test]
    fn has_cs_is_case_sensitive() {
        assert!(!Needle::new("imap", true).has("IMAP mail"));
        assert!(Needle::new("IMAP", true).has("IMAP mail"));
    }

    #[test]
    fn hasprefix_and_hassuffix_anchor_one_side() {
        let p = Needle::new("Expl", false);
        assert!(p.term_match("Kusto Explorer", true, false));
        assert!(!p.term_match("KustoExplorer", true, false));
        let s = Needle::new("lorer", false);
        assert!(s.term_match("KustoExplorer run", false, true));
        assert!(!s.term_match("Explorers", false, true));
    }

    #[test]
    fn contains_startswith_endswith_ignore_case() {
        let n = Needle::new("EXPLO", false);
        assert!(n.contained_in("KustoExplorer"));
        assert!(Needle::new("kusto", false).prefix_of("KustoExplorer"));
        assert!(Needle::new("RER", false).suffix_of("KustoExplorer"));
        assert!(!Needle::new("RER", true).suffix_of("KustoExplorer"));
    }

    #[test]
    fn case_folding_handles_non_ascii_needles() {
        assert!(Needle::new("ÉTÉ", false).contained_in("un été chaud"));
        assert!(has("un été chaud", "été"));
        assert!(!has("unété", "été"));
    }

    #[test]
    fn like_uses_sql_wildcards() {
        let re = like_regex("Ab%_z", false).unwrap();
        assert!(re.is_match("abcdz"));
        assert!(!re.is_match("abz"));
    }
}
