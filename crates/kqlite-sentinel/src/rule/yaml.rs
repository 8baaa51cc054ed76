//! A YAML (and JSON) reader that remembers where every value sits in the
//! file, so a diagnostic about a rule's query or one of its fields points
//! at a line and column of the rule file.
//!
//! [`Document::read`] parses the first document of a file into a small
//! tree of [`Node`]s; [`Document::text_field`] turns a scalar into a
//! [`Field`]: its value and a [`SourceMap`] from byte offsets in the value
//! to byte offsets in the file. Block scalars (`|`, `>`), plain scalars,
//! single- and double-quoted scalars (and so JSON strings, since JSON is
//! YAML) are all mapped, escapes and line folding included. A byte-order
//! mark and CRLF line breaks are fine.
//!
//! ```
//! use kqlite_sentinel::rule::yaml::Document;
//!
//! let text = "name: demo\nquery: |\n  SigninLogs\n  | take 1\n";
//! let doc = Document::read(text).unwrap();
//! let query = doc.text_field(doc.root(), "query").unwrap();
//! assert_eq!(query.value, "SigninLogs\n| take 1\n");
//! // Byte 0 of the query is the `S` on line 3, column 3 of the file.
//! assert_eq!(query.map.file_offset(0), text.find("SigninLogs").unwrap());
//! ```

use kqlite_parser::{Diagnostic, Span};
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use super::codes;

/// Deepest nesting of mappings and sequences read; deeper files are
/// malformed rules (this also bounds the recursion that drops the tree).
pub const MAX_NESTING: usize = 128;

/// How a scalar was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScalarStyle {
    /// `key: text`.
    Plain,
    /// `key: 'text'`.
    SingleQuoted,
    /// `key: "text"` (also every JSON string).
    DoubleQuoted,
    /// `key: |` followed by indented lines.
    Literal,
    /// `key: >` followed by indented lines (line breaks fold to spaces).
    Folded,
}

/// A scalar: its value and where its text starts in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scalar {
    /// The value, with escapes and folding applied.
    pub value: String,
    /// How it was written.
    pub style: ScalarStyle,
    /// Byte offset in the file of the first character of its text (the
    /// quote or the `|`/`>` indicator where there is one).
    pub start: usize,
}

impl Scalar {
    /// Whether this is YAML's null: `null`, `Null`, `NULL`, `~` or an empty
    /// value, written without quotes.
    pub fn is_null(&self) -> bool {
        self.style == ScalarStyle::Plain
            && matches!(self.value.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }
}

/// A node of a YAML document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// A scalar value.
    Scalar(Scalar),
    /// A sequence, with the byte offset where it starts.
    Seq(Vec<Node>, usize),
    /// A mapping: keys (scalars) and values in file order, with the byte
    /// offset where it starts.
    Map(Vec<(Scalar, Node)>, usize),
    /// An alias (`*name`); its target is not resolved.
    Alias(usize),
}

impl Node {
    /// The value of `key` in a mapping (the first one if repeated).
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries, _) => entries.iter().find(|(k, _)| k.value == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The key scalar of `key` in a mapping.
    pub fn key(&self, key: &str) -> Option<&Scalar> {
        match self {
            Node::Map(entries, _) => entries.iter().find(|(k, _)| k.value == key).map(|(k, _)| k),
            _ => None,
        }
    }

    /// The items of a sequence (empty for anything else).
    pub fn items(&self) -> &[Node] {
        match self {
            Node::Seq(items, _) => items,
            _ => &[],
        }
    }

    /// The entries of a mapping (empty for anything else).
    pub fn entries(&self) -> &[(Scalar, Node)] {
        match self {
            Node::Map(entries, _) => entries,
            _ => &[],
        }
    }

    /// The scalar, if this is one.
    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            Node::Scalar(s) => Some(s),
            _ => None,
        }
    }

    /// Byte offset in the file where the node starts.
    pub fn start(&self) -> usize {
        match self {
            Node::Scalar(s) => s.start,
            Node::Seq(_, start) | Node::Map(_, start) | Node::Alias(start) => *start,
        }
    }
}

/// Byte offsets in a scalar's value mapped to byte offsets in the file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SourceMap {
    /// `offsets[i]` is the file offset of value byte `i`; the last entry is
    /// where the value ends in the file.
    offsets: Vec<u32>,
}

impl SourceMap {
    /// The file offset of value byte `offset` (offsets past the end map to
    /// the end of the value).
    pub fn file_offset(&self, offset: usize) -> usize {
        let i = offset.min(self.offsets.len().saturating_sub(1));
        self.offsets.get(i).map_or(0, |&o| o as usize)
    }

    /// The file span of a span in the value.
    pub fn span(&self, span: Span) -> Span {
        let start = self.file_offset(span.start as usize);
        let last = self.offsets.last().map_or(0, |&o| o as usize);
        let end = if span.end > span.start {
            (self.file_offset(span.end as usize - 1) + 1).min(last.max(start))
        } else {
            start
        };
        Span::new(start, end.max(start))
    }

    /// The file span of the whole value.
    pub fn whole(&self) -> Span {
        let len = self.offsets.len().saturating_sub(1);
        self.span(Span::new(0, len))
    }
}

/// A scalar's value with its place in the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The value.
    pub value: String,
    /// Where each byte of the value comes from.
    pub map: SourceMap,
}

impl Field {
    /// The file span of the whole value (of its first character when it
    /// is empty).
    pub fn span(&self) -> Span {
        self.map.whole()
    }
}

/// A parsed YAML or JSON file.
#[derive(Debug, Clone)]
pub struct Document<'a> {
    text: &'a str,
    root: Node,
}

impl<'a> Document<'a> {
    /// Parses the first document of `text`. A syntax error, or nesting
    /// deeper than [`MAX_NESTING`], is one diagnostic at its place.
    pub fn read(text: &'a str) -> Result<Document<'a>, Diagnostic> {
        let bom = if text.starts_with('\u{feff}') { 3 } else { 0 };
        let body = text.get(bom..).unwrap_or("");
        let offsets = CharOffsets::new(body, bom);
        let mut builder = Builder {
            stack: Vec::new(),
            root: None,
            too_deep: None,
            offsets: &offsets,
            skipped_depth: 0,
            text,
            after_prev: bom,
        };
        let mut parser = Parser::new_from_str(body);
        if let Err(e) = parser.load(&mut builder, false) {
            let at = offsets.byte(e.marker().index());
            return Err(Diagnostic::error(
                codes::MALFORMED,
                format!("the file is not valid YAML or JSON: {}", e.info()),
                Span::new(at, at + 1),
            ));
        }
        if let Some(at) = builder.too_deep {
            return Err(Diagnostic::error(
                codes::MALFORMED,
                format!("the file nests more than {MAX_NESTING} levels deep"),
                Span::new(at, at + 1),
            ));
        }
        let root = builder.root.unwrap_or(Node::Map(Vec::new(), bom));
        Ok(Document { text, root })
    }

    /// The top node.
    pub fn root(&self) -> &Node {
        &self.root
    }

    /// The file text.
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The scalar value of `key` in the mapping `node`, with its source map;
    /// `None` when the key is absent or its value is YAML's null (`null`,
    /// `~` or nothing, unquoted).
    pub fn text_field(&self, node: &Node, key: &str) -> Option<Field> {
        node.get(key)
            .filter(|n| !n.as_scalar().is_some_and(Scalar::is_null))
            .and_then(|n| self.field(n))
    }

    /// A scalar node as a [`Field`] (`None` for mappings and sequences).
    pub fn field(&self, node: &Node) -> Option<Field> {
        let scalar = node.as_scalar()?;
        Some(self.scalar_field(scalar))
    }

    /// A scalar (e.g. a mapping key) as a [`Field`].
    pub fn scalar_field(&self, scalar: &Scalar) -> Field {
        Field {
            value: scalar.value.clone(),
            map: map_scalar(self.text, scalar),
        }
    }
}

/// Converts the parser's character indexes into byte offsets in the file.
struct CharOffsets {
    /// Byte offset of each character, when the text is not all ASCII.
    starts: Option<Vec<usize>>,
    base: usize,
    len: usize,
}

impl CharOffsets {
    fn new(body: &str, base: usize) -> CharOffsets {
        let starts = (!body.is_ascii()).then(|| body.char_indices().map(|(i, _)| i).collect());
        CharOffsets {
            starts,
            base,
            len: body.len(),
        }
    }

    fn byte(&self, char_index: usize) -> usize {
        let within = match &self.starts {
            None => char_index.min(self.len),
            Some(starts) => starts.get(char_index).copied().unwrap_or(self.len),
        };
        self.base + within
    }
}

enum Frame {
    Seq(Vec<Node>, usize),
    Map(Vec<(Scalar, Node)>, Option<Scalar>, usize),
}

struct Builder<'o> {
    stack: Vec<Frame>,
    root: Option<Node>,
    too_deep: Option<usize>,
    offsets: &'o CharOffsets,
    /// Containers opened past [`MAX_NESTING`] and not yet closed.
    skipped_depth: usize,
    text: &'o str,
    /// A byte offset at or before the start of the next node's text.
    after_prev: usize,
}

/// Where a block scalar's `|` or `>` indicator is: the parser marks block
/// scalars where they end, so search forward from the previous node for an
/// indicator that ends its line (after an optional chomping/indentation
/// indicator and comment).
fn block_indicator(text: &str, from: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = from;
    while i < bytes.len() {
        if matches!(bytes.get(i), Some(b'|' | b'>')) {
            let rest = text.get(i + 1..).unwrap_or("");
            let line = rest.split('\n').next().unwrap_or("").trim_end_matches('\r');
            let header = line.split('#').next().unwrap_or("");
            if header
                .trim()
                .chars()
                .all(|c| c.is_ascii_digit() || c == '+' || c == '-')
                && (line.len() == header.len() || header.ends_with([' ', '\t']))
            {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

impl Builder<'_> {
    fn add(&mut self, node: Node) {
        match self.stack.last_mut() {
            None => {
                if self.root.is_none() {
                    self.root = Some(node);
                }
            }
            Some(Frame::Seq(items, _)) => items.push(node),
            Some(Frame::Map(entries, pending, _)) => match pending.take() {
                Some(key) => entries.push((key, node)),
                None => {
                    let key = match node {
                        Node::Scalar(s) => s,
                        // A complex key: keep its place, give it no name.
                        other => Scalar {
                            value: String::new(),
                            style: ScalarStyle::Plain,
                            start: other.start(),
                        },
                    };
                    *pending = Some(key);
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder<'_> {
    fn on_event(&mut self, ev: Event, mark: Marker) {
        let mut at = self.offsets.byte(mark.index());
        if let Event::Scalar(_, TScalarStyle::Literal | TScalarStyle::Folded, ..) = &ev {
            at = block_indicator(self.text, self.after_prev.min(at)).unwrap_or(at);
        }
        if let Event::Scalar(value, style, ..) = &ev {
            let width = match style {
                TScalarStyle::Plain => value.len(),
                _ => 1,
            };
            self.after_prev = at + width;
        } else {
            self.after_prev = at;
        }
        if self.skipped_depth > 0 {
            match ev {
                Event::SequenceStart(..) | Event::MappingStart(..) => self.skipped_depth += 1,
                Event::SequenceEnd | Event::MappingEnd => self.skipped_depth -= 1,
                _ => {}
            }
            return;
        }
        match ev {
            Event::SequenceStart(..) | Event::MappingStart(..)
                if self.stack.len() >= MAX_NESTING =>
            {
                self.too_deep.get_or_insert(at);
                self.skipped_depth = 1;
            }
            Event::SequenceStart(..) => self.stack.push(Frame::Seq(Vec::new(), at)),
            Event::MappingStart(..) => self.stack.push(Frame::Map(Vec::new(), None, at)),
            Event::SequenceEnd | Event::MappingEnd => {
                let node = match self.stack.pop() {
                    Some(Frame::Seq(items, start)) => Node::Seq(items, start),
                    Some(Frame::Map(entries, _, start)) => Node::Map(entries, start),
                    None => return,
                };
                self.add(node);
            }
            Event::Scalar(value, style, _, _) => {
                let style = match style {
                    TScalarStyle::SingleQuoted => ScalarStyle::SingleQuoted,
                    TScalarStyle::DoubleQuoted => ScalarStyle::DoubleQuoted,
                    TScalarStyle::Literal => ScalarStyle::Literal,
                    TScalarStyle::Folded => ScalarStyle::Folded,
                    TScalarStyle::Plain => ScalarStyle::Plain,
                };
                self.add(Node::Scalar(Scalar {
                    value,
                    style,
                    start: at,
                }));
            }
            Event::Alias(_) => self.add(Node::Alias(at)),
            _ => {}
        }
    }
}

/// Maps each byte of `scalar.value` to the file byte it was read from, by
/// walking the scalar's text in the file alongside its value: indentation,
/// quotes, escapes and folded line breaks are stepped over. Where the two
/// disagree (which a correct parser never produces) the remaining bytes map
/// to where the walk stopped, so the map is never out of the file.
fn map_scalar(text: &str, scalar: &Scalar) -> SourceMap {
    let bytes = text.as_bytes();
    let len = text.len();
    let mut p = scalar.start.min(len);
    let mut block_indent = None;
    match scalar.style {
        ScalarStyle::SingleQuoted | ScalarStyle::DoubleQuoted => p = (p + 1).min(len),
        ScalarStyle::Literal | ScalarStyle::Folded => {
            // Skip the header line, then measure the first non-blank line's
            // indentation: every content line starts after that much.
            while p < len && bytes.get(p) != Some(&b'\n') {
                p += 1;
            }
            p = (p + 1).min(len);
            let mut q = p;
            let mut indent = 0;
            while q < len {
                match bytes.get(q) {
                    Some(b' ') => indent += 1,
                    Some(b'\r' | b'\n') => indent = 0,
                    _ => break,
                }
                q += 1;
            }
            block_indent = Some(indent);
        }
        ScalarStyle::Plain => {}
    }
    let double = scalar.style == ScalarStyle::DoubleQuoted;
    let literal = scalar.style == ScalarStyle::Literal;
    let mut at_line_start = block_indent.is_some();
    let mut offsets: Vec<u32> = Vec::with_capacity(scalar.value.len() + 1);
    let to_u32 = |o: usize| u32::try_from(o).unwrap_or(u32::MAX);
    for ch in scalar.value.chars() {
        let mut found = None;
        while p < len {
            if at_line_start {
                at_line_start = false;
                let mut skipped = 0;
                while skipped < block_indent.unwrap_or(0) && bytes.get(p) == Some(&b' ') {
                    p += 1;
                    skipped += 1;
                }
                continue;
            }
            let Some(rc) = text.get(p..).and_then(|s| s.chars().next()) else {
                p += 1;
                continue;
            };
            if double && rc == '\\' {
                let (step, produces) = escape(bytes, p);
                if produces {
                    found = Some((p, false));
                    p += step;
                    break;
                }
                p += step;
                continue;
            }
            if rc == ch {
                found = Some((p, true));
                p += rc.len_utf8();
                if rc == '\n' {
                    at_line_start = block_indent.is_some();
                }
                break;
            }
            if ch == ' ' && !literal && (rc == '\n' || rc == '\r') {
                // A folded line break: the space stands for the break and
                // the next line's indentation.
                found = Some((p, false));
                while p < len && matches!(bytes.get(p), Some(b'\r' | b'\n')) {
                    p += 1;
                }
                at_line_start = block_indent.is_some();
                if block_indent.is_none() {
                    while p < len && matches!(bytes.get(p), Some(b' ' | b'\t')) {
                        p += 1;
                    }
                }
                break;
            }
            if rc == '\n' {
                at_line_start = block_indent.is_some();
            }
            p += rc.len_utf8();
        }
        let (at, same) = found.unwrap_or((p.min(len), false));
        for k in 0..ch.len_utf8() {
            offsets.push(to_u32(if same { at + k } else { at }));
        }
    }
    offsets.push(to_u32(p.min(len)));
    SourceMap { offsets }
}

/// The length of the escape sequence at `p` (a backslash) in a
/// double-quoted scalar, and whether it produces a character (a line
/// continuation produces none).
fn escape(bytes: &[u8], p: usize) -> (usize, bool) {
    let hex = |from: usize, n: usize| -> Option<u32> {
        let digits = bytes.get(from..from + n)?;
        let s = std::str::from_utf8(digits).ok()?;
        u32::from_str_radix(s, 16).ok()
    };
    match bytes.get(p + 1) {
        Some(b'x') => (4, true),
        Some(b'U') => (10, true),
        Some(b'u') => {
            // A JSON surrogate pair (`\ud83d\ude00`) is one character.
            let high = hex(p + 2, 4).is_some_and(|h| (0xD800..0xDC00).contains(&h));
            let low_follows = bytes.get(p + 6) == Some(&b'\\')
                && bytes.get(p + 7) == Some(&b'u')
                && hex(p + 8, 4).is_some_and(|l| (0xDC00..0xE000).contains(&l));
            if high && low_follows {
                (12, true)
            } else {
                (6, true)
            }
        }
        Some(b'\r' | b'\n') => {
            let mut q = p + 1;
            while matches!(bytes.get(q), Some(b'\r' | b'\n')) {
                q += 1;
            }
            while matches!(bytes.get(q), Some(b' ' | b'\t')) {
                q += 1;
            }
            (q - p, false)
        }
        Some(_) => (2, true),
        None => (1, false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Asserts that every non-space byte of the field's value maps to the
    /// same byte in the file.
    fn assert_maps_faithfully(text: &str, field: &Field) {
        for (i, ch) in field.value.char_indices() {
            if ch.is_whitespace() {
                continue;
            }
            let at = field.map.file_offset(i);
            let in_file = text.get(at..).and_then(|s| s.chars().next());
            // An escaped character maps to its backslash.
            let escaped = in_file == Some('\\') && field.value.get(i..i + 1) != Some("\\");
            assert!(
                in_file == Some(ch) || escaped,
                "value byte {i} maps to file byte {at}"
            );
        }
    }

    fn line_col(text: &str, offset: usize) -> (usize, usize) {
        let index = kqlite_parser::span::LineIndex::new(text);
        index.line_col(offset)
    }

    #[test]
    fn a_literal_block_maps_every_line_past_its_indentation() {
        let text = "id: x\nquery: |\n  SigninLogs\n    | where ResultType == \"0\"\n\n  | take 5\nkind: Scheduled\n";
        let doc = Document::read(text).unwrap();
        let q = doc.text_field(doc.root(), "query").unwrap();
        assert_eq!(
            q.value,
            "SigninLogs\n  | where ResultType == \"0\"\n\n| take 5\n"
        );
        assert_maps_faithfully(text, &q);
        let at = q.value.find("ResultType").unwrap();
        assert_eq!(line_col(text, q.map.file_offset(at)), (4, 13));
        let take = q.value.find("take").unwrap();
        assert_eq!(line_col(text, q.map.file_offset(take)), (6, 5));
    }

    #[test]
    fn a_folded_block_maps_folded_breaks_to_the_line_ends() {
        let text = "query: >\n  SigninLogs\n  | take 5\n";
        let doc = Document::read(text).unwrap();
        let q = doc.text_field(doc.root(), "query").unwrap();
        assert_eq!(q.value, "SigninLogs | take 5\n");
        assert_maps_faithfully(text, &q);
        assert_eq!(
            line_col(text, q.map.file_offset(q.value.find("take").unwrap())),
            (3, 5)
        );
    }

    #[test]
    fn quoted_scalars_map_past_escapes_and_doubled_quotes() {
        let text = "a: \"T | where X == \\\"v\\\" and Y\"\nb: 'it''s Z'\nc: plain Q\n";
        let doc = Document::read(text).unwrap();
        let a = doc.text_field(doc.root(), "a").unwrap();
        assert_eq!(a.value, "T | where X == \"v\" and Y");
        assert_maps_faithfully(text, &a);
        assert_eq!(
            a.map.file_offset(a.value.find('Y').unwrap()),
            text.find('Y').unwrap()
        );
        let b = doc.text_field(doc.root(), "b").unwrap();
        assert_eq!(b.value, "it's Z");
        assert_eq!(b.map.file_offset(5), text.find('Z').unwrap());
        let c = doc.text_field(doc.root(), "c").unwrap();
        assert_eq!(c.map.file_offset(6), text.find('Q').unwrap());
    }

    #[test]
    fn a_bom_and_crlf_line_breaks_keep_offsets_in_the_file() {
        let text = "\u{feff}id: x\r\nquery: |\r\n  SigninLogs\r\n  | where Bad == 1\r\n";
        let doc = Document::read(text).unwrap();
        let q = doc.text_field(doc.root(), "query").unwrap();
        assert_eq!(q.value, "SigninLogs\n| where Bad == 1\n");
        assert_maps_faithfully(text, &q);
        assert_eq!(
            q.map.file_offset(q.value.find("Bad").unwrap()),
            text.find("Bad").unwrap()
        );
        assert_eq!(
            line_col(text, q.map.file_offset(q.value.find("Bad").unwrap())),
            (4, 11)
        );
    }

    #[test]
    fn json_strings_map_past_their_escapes() {
        let text = "{\n  \"properties\": {\n    \"query\": \"SigninLogs\\n| where A == \\\"\\u00e9\\\"\\r\\n| project B\\/C\"\n  }\n}\n";
        let doc = Document::read(text).unwrap();
        let props = doc.root().get("properties").unwrap();
        let q = doc.text_field(props, "query").unwrap();
        assert_eq!(q.value, "SigninLogs\n| where A == \"é\"\r\n| project B/C");
        assert_maps_faithfully(text, &q);
        assert_eq!(
            q.map.file_offset(q.value.find('B').unwrap()),
            text.find('B').unwrap()
        );
        assert_eq!(
            q.map.file_offset(q.value.find('é').unwrap()),
            text.find("\\u00e9").unwrap()
        );
    }

    #[test]
    fn non_ascii_text_before_a_value_keeps_byte_offsets_right() {
        let text = "name: Détection ünïcode\nquery: T | take 1\n";
        let doc = Document::read(text).unwrap();
        let q = doc.text_field(doc.root(), "query").unwrap();
        assert_eq!(q.map.file_offset(0), text.find("T |").unwrap());
    }

    #[test]
    fn a_syntax_error_is_one_diagnostic_on_its_line() {
        let text = "id: x\nquery: |\n  T\nbad: [unclosed\n";
        let e = Document::read(text).unwrap_err();
        assert_eq!(e.code, codes::MALFORMED);
        assert!(line_col(text, e.span.start as usize).0 >= 4, "{e:?}");
    }

    #[test]
    fn nesting_past_the_limit_is_an_error_not_a_crash() {
        let text = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
        let e = Document::read(&text).unwrap_err();
        assert_eq!(e.code, codes::MALFORMED);
    }

    #[test]
    fn the_map_never_points_outside_the_file() {
        let text = "q: \"abc";
        // Unterminated: an error, not a panic.
        assert!(Document::read(text).is_err());
        let weird = Scalar {
            value: "zzzz".into(),
            style: ScalarStyle::Literal,
            start: 2,
        };
        let map = map_scalar("x: |", &weird);
        assert!(map.file_offset(3) <= 4);
        assert!(map.whole().end <= 4);
    }
}
