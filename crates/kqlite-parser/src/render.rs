//! Renders a [`Diagnostic`] against its query text in rustc's style, so the
//! `kqlite` command and embedders show errors the same way:
//!
//! ```text
//! error[E0011]: expected `|` before `where`
//!  --> query.kql:1:3
//!   |
//! 1 | T where x
//!   |   ^^^^^
//!   |
//!   = help: tabular operators are chained with `|`: `| where ...`
//! ```
//!
//! [`render`] writes plain text; [`render_color`] adds ANSI colors for a
//! terminal. Columns count characters, not bytes; a span over several lines
//! is underlined on its first line; labels are underlined with `-` under
//! their own lines. A source line longer than 160 characters is cut to a
//! window around its marks, with `...` where text was left out, and a
//! message, label or hint longer than 240 characters is clipped in its
//! middle, so a diagnostic on a 100 KB one-line query stays a few lines long.
//!
//! ```
//! use kqlite_parser::{parse, render::render};
//!
//! let query = "SigninLogs\n| wher ResultType == 0";
//! let err = parse(query).unwrap_err();
//! let expected = r#"error[E0004]: unknown operator `wher`
//!  --> query.kql:2:3
//!   |
//! 2 | | wher ResultType == 0
//!   |   ^^^^
//!   |
//!   = help: did you mean `where`?
//! "#;
//! assert_eq!(render("query.kql", query, &err.diagnostics()[0]), expected);
//! ```

use std::fmt::Write;

use crate::diagnostic::{Diagnostic, Severity};
use crate::span::{LineIndex, Span};

/// Renders `d` against `source` (the text of `file_name`, which the
/// `-->` line names) as plain text, one `\n`-terminated line after another.
pub fn render(file_name: &str, source: &str, d: &Diagnostic) -> String {
    Renderer::new(file_name, source, false).diagnostic(d)
}

/// [`render`] with ANSI colors, for a terminal.
pub fn render_color(file_name: &str, source: &str, d: &Diagnostic) -> String {
    Renderer::new(file_name, source, true).diagnostic(d)
}

/// Renders many diagnostics against one source: it indexes the source's
/// lines once, so rendering `n` diagnostics of an `m`-byte query costs
/// `O(m + n log m)` rather than [`render`]'s `O(n * m)`.
///
/// ```
/// use kqlite_parser::{parse, render::{render, SourceRenderer}};
///
/// let query = "SigninLogs\n| wher ResultType == 0";
/// let err = parse(query).unwrap_err();
/// let d = &err.diagnostics()[0];
/// let renderer = SourceRenderer::new("query.kql", query, false);
/// assert_eq!(renderer.render(d), render("query.kql", query, d));
/// ```
pub struct SourceRenderer<'a>(Renderer<'a>);

impl<'a> SourceRenderer<'a> {
    /// A renderer for `source` (the text of `file_name`), with ANSI colors
    /// when `color` is set.
    pub fn new(file_name: &'a str, source: &'a str, color: bool) -> SourceRenderer<'a> {
        SourceRenderer(Renderer::new(file_name, source, color))
    }

    /// `d` rendered as [`render`] (or [`render_color`]) would.
    pub fn render(&self, d: &Diagnostic) -> String {
        self.0.diagnostic(d)
    }
}

struct Renderer<'a> {
    file_name: &'a str,
    source: &'a str,
    index: LineIndex,
    color: bool,
}

/// Longest source line shown whole, in characters.
const MAX_LINE_CHARS: usize = 160;
/// Characters kept before the first mark of a cut line.
const CONTEXT_CHARS: usize = 60;
/// Stands for the text left out of a cut line.
const ELLIPSIS: &str = "...";

/// ANSI styles.
const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BLUE: &str = "\x1b[1;34m";

/// Where a span sits on one line: 1-based line, character offset of its
/// start within the line, and its width in characters (at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mark {
    line: usize,
    col: usize,
    width: usize,
}

/// Longest message, label or hint shown whole, in characters (a message
/// can quote a name that is as long as the query).
const MAX_MESSAGE_CHARS: usize = 240;

/// `text`, or its start and end around `...` when it is longer than
/// [`MAX_MESSAGE_CHARS`].
fn clip(text: &str) -> std::borrow::Cow<'_, str> {
    let len = text.chars().count();
    if len <= MAX_MESSAGE_CHARS {
        return std::borrow::Cow::Borrowed(text);
    }
    let head: String = text.chars().take(MAX_MESSAGE_CHARS * 2 / 3).collect();
    let tail: String = text.chars().skip(len - MAX_MESSAGE_CHARS / 3).collect();
    std::borrow::Cow::Owned(format!("{head}{ELLIPSIS}{tail}"))
}

/// The part of a line to show: at most [`MAX_LINE_CHARS`] characters,
/// starting a little before the first mark. Returns the shown text and
/// the marks moved into it.
fn cut_line(text: &str, marks: &[Mark]) -> (String, Vec<Mark>) {
    let len = text.chars().count();
    if len <= MAX_LINE_CHARS {
        return (text.to_string(), marks.to_vec());
    }
    let first = marks.iter().map(|m| m.col).min().unwrap_or(0);
    let lo = first
        .saturating_sub(CONTEXT_CHARS)
        .min(len.saturating_sub(MAX_LINE_CHARS));
    let hi = lo.saturating_add(MAX_LINE_CHARS).min(len);
    let prefix = if lo > 0 { ELLIPSIS } else { "" };
    let suffix = if hi < len { ELLIPSIS } else { "" };
    let body: String = text.chars().skip(lo).take(hi - lo).collect();
    let shift = prefix.len();
    let moved = marks
        .iter()
        .map(|m| {
            let start = m.col.clamp(lo, hi);
            let end = m.col.saturating_add(m.width).clamp(start, hi);
            Mark {
                line: m.line,
                col: start - lo + shift,
                width: (end - start).max(1),
            }
        })
        .collect();
    (format!("{prefix}{body}{suffix}"), moved)
}

impl<'a> Renderer<'a> {
    fn new(file_name: &'a str, source: &'a str, color: bool) -> Renderer<'a> {
        Renderer {
            file_name,
            source,
            index: LineIndex::new(source),
            color,
        }
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.color {
            format!("{style}{text}{RESET}")
        } else {
            text.to_string()
        }
    }

    fn line_text(&self, line: usize) -> &'a str {
        self.source
            .get(self.index.line_range(self.source, line))
            .unwrap_or("")
    }

    fn mark(&self, span: Span) -> Mark {
        let start = (span.start as usize).min(self.source.len());
        let (line, _) = self.index.line_col(start);
        let range = self.index.line_range(self.source, line);
        let text = self.line_text(line);
        let before = start.saturating_sub(range.start).min(text.len());
        let col = text.get(..before).map_or(before, |s| s.chars().count());
        let end = (span.end as usize).clamp(start, range.end.max(start));
        let width = self
            .source
            .get(start..end)
            .map_or(end - start, |s| s.chars().count())
            .max(1);
        Mark { line, col, width }
    }

    fn diagnostic(&self, d: &Diagnostic) -> String {
        let (word, style) = match d.severity {
            Severity::Error => ("error", RED),
            Severity::Warning => ("warning", YELLOW),
        };
        let primary = self.mark(d.span);
        let labels: Vec<(Mark, &str)> = d
            .labels
            .iter()
            .map(|(s, t)| (self.mark(*s), t.as_str()))
            .collect();
        let widest = labels
            .iter()
            .map(|(m, _)| m.line)
            .chain([primary.line])
            .max()
            .unwrap_or(1);
        let gutter = widest.to_string().len();
        let pad = " ".repeat(gutter);
        let bar = self.paint(BLUE, "|");

        let mut out = String::new();
        let head = format!("{word}[{}]", d.code);
        let _ = writeln!(
            out,
            "{}{}",
            self.paint(style, &head),
            self.paint(BOLD, &format!(": {}", clip(&d.message)))
        );
        let _ = writeln!(
            out,
            "{pad}{} {}:{}:{}",
            self.paint(BLUE, "-->"),
            self.file_name,
            primary.line,
            primary.col + 1
        );
        // Every line with a mark, in source order; the primary mark first.
        let marks: Vec<(Mark, char, &str, Option<&str>)> =
            std::iter::once((primary, '^', style, None))
                .chain(labels.into_iter().map(|(m, t)| (m, '-', BLUE, Some(t))))
                .collect();
        let mut lines: Vec<usize> = marks.iter().map(|(m, ..)| m.line).collect();
        lines.sort_unstable();
        lines.dedup();
        for line in lines {
            let _ = writeln!(out, "{pad} {bar}");
            let number = format!("{line:>gutter$}");
            let on_line: Vec<&(Mark, char, &str, Option<&str>)> =
                marks.iter().filter(|(m, ..)| m.line == line).collect();
            let spots: Vec<Mark> = on_line.iter().map(|(m, ..)| *m).collect();
            let (shown, moved) = cut_line(self.line_text(line), &spots);
            let _ = writeln!(out, "{} {bar} {shown}", self.paint(BLUE, &number));
            for ((_, ch, style, label), mark) in on_line.iter().zip(&moved) {
                self.underline(&mut out, &shown, mark, *ch, style, *label, gutter);
            }
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{pad} {} {}: {}",
                self.paint(BLUE, "="),
                self.paint(BOLD, "help"),
                clip(hint)
            );
        }
        out
    }

    #[allow(clippy::too_many_arguments)] // one call site; a struct would only rename them
    fn underline(
        &self,
        out: &mut String,
        shown: &str,
        mark: &Mark,
        ch: char,
        style: &str,
        label: Option<&str>,
        gutter: usize,
    ) {
        // Keep tabs so the marks line up under tab-indented text.
        let indent: String = shown
            .chars()
            .take(mark.col)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        let indent = if indent.chars().count() < mark.col {
            format!("{indent}{}", " ".repeat(mark.col - indent.chars().count()))
        } else {
            indent
        };
        let marks: String = std::iter::repeat_n(ch, mark.width).collect();
        let text = match label {
            Some(l) => format!("{marks} {}", clip(l)),
            None => marks,
        };
        let _ = writeln!(
            out,
            "{} {} {indent}{}",
            " ".repeat(gutter),
            self.paint(BLUE, "|"),
            self.paint(style, &text)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_huge_line_is_cut_to_a_window_around_the_caret() {
        let source = format!("print x = {}", "1 + ".repeat(50_000)) + "(";
        let at = source.len() - 1;
        let d = Diagnostic::error("E0001", "unclosed", Span::new(at, at + 1));
        let out = render("q.kql", &source, &d);
        assert!(out.len() < 600, "{out}");
        let lines: Vec<&str> = out.lines().collect();
        let code = lines
            .iter()
            .find(|l| l.contains("1 + 1"))
            .expect("the code line");
        let caret = lines
            .iter()
            .find(|l| l.contains('^'))
            .expect("the caret line");
        assert!(code.contains("| ..."), "{code}");
        // The caret sits under the `(`.
        let col = caret.find('^').expect("a caret");
        assert_eq!(code.get(col..col + 1), Some("("), "{code}\n{caret}");
    }

    #[test]
    fn a_message_quoting_a_huge_name_is_clipped() {
        let name = "a".repeat(100_000);
        let d = Diagnostic::error(
            "E1001",
            format!("unknown name `{name}`"),
            Span::new(10, 100_010),
        )
        .with_hint(format!("did you mean `{name}x`?"));
        let out = render("q.kql", &format!("print x = {name}"), &d);
        assert!(out.len() < 2_000, "{} bytes", out.len());
        assert!(
            out.contains("unknown name `aaa") && out.contains("aaa`"),
            "{out}"
        );
    }

    #[test]
    fn a_short_line_is_shown_whole() {
        let d = Diagnostic::error("E0001", "bad", Span::new(6, 7));
        let out = render("q.kql", "print x", &d);
        assert!(out.contains("1 | print x\n"), "{out}");
        assert!(!out.contains("..."), "{out}");
    }

    #[test]
    fn a_mark_in_the_middle_of_a_huge_line_has_text_cut_on_both_sides() {
        let source = "a".repeat(10_000) + "X" + &"b".repeat(10_000);
        let d = Diagnostic::error("E0001", "here", Span::new(10_000, 10_001));
        let out = render("q.kql", &source, &d);
        let code = out
            .lines()
            .find(|l| l.contains('X'))
            .expect("the code line");
        assert!(code.contains("...a") && code.ends_with("b..."), "{code}");
        assert!(code.chars().count() < MAX_LINE_CHARS + 20);
    }

    #[test]
    fn a_warning_is_labelled_as_such() {
        let d = Diagnostic::warning("E1001", "string compared with a number", Span::new(0, 1));
        assert!(render("q.kql", "x", &d).starts_with("warning[E1001]"));
    }
}
