//! Renders a [`Diagnostic`] for a terminal, in rustc's style:
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
//! Plain text by default; [`render_color`] adds ANSI colors. Columns count
//! characters, not bytes; a span over several lines is underlined on its
//! first line.

use std::fmt::Write;

use kqlite_parser::diagnostic::{Diagnostic, Severity};
use kqlite_parser::span::{LineIndex, Span};

/// Renders `d` against `source` (the text of `file_name`) without colors.
pub fn render(file_name: &str, source: &str, d: &Diagnostic) -> String {
    Renderer::new(file_name, source, false).diagnostic(d)
}

/// Renders `d` with ANSI colors, for a terminal.
pub fn render_color(file_name: &str, source: &str, d: &Diagnostic) -> String {
    Renderer::new(file_name, source, true).diagnostic(d)
}

/// Renders `d` for standard error: colored when it is a terminal and
/// `NO_COLOR` is not set, plain otherwise.
pub fn render_for_stderr(file_name: &str, source: &str, d: &Diagnostic) -> String {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none() {
        render_color(file_name, source, d)
    } else {
        render(file_name, source, d)
    }
}

struct Renderer<'a> {
    file_name: &'a str,
    source: &'a str,
    index: LineIndex,
    color: bool,
}

/// ANSI styles.
const RESET: &str = "\x1b[0m";
const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[1;31m";
const YELLOW: &str = "\x1b[1;33m";
const BLUE: &str = "\x1b[1;34m";

/// Where a span sits on one line: 1-based line, character offset of its
/// start within the line, and its width in characters (at least 1).
struct Mark {
    line: usize,
    col: usize,
    width: usize,
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
            self.paint(BOLD, &format!(": {}", d.message))
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
        let mut marks: Vec<(Mark, char, &str, Option<&str>)> = vec![(primary, '^', style, None)];
        marks.extend(labels.into_iter().map(|(m, t)| (m, '-', BLUE, Some(t))));
        let mut lines: Vec<usize> = marks.iter().map(|(m, ..)| m.line).collect();
        lines.sort_unstable();
        lines.dedup();
        for line in lines {
            let _ = writeln!(out, "{pad} {bar}");
            let number = format!("{line:>gutter$}");
            let _ = writeln!(
                out,
                "{} {bar} {}",
                self.paint(BLUE, &number),
                self.line_text(line)
            );
            for (mark, ch, style, label) in marks.iter().filter(|(m, ..)| m.line == line) {
                self.underline(&mut out, mark, *ch, style, *label, gutter);
            }
        }
        if let Some(hint) = &d.hint {
            let _ = writeln!(out, "{pad} {bar}");
            let _ = writeln!(
                out,
                "{pad} {} {}: {hint}",
                self.paint(BLUE, "="),
                self.paint(BOLD, "help")
            );
        }
        out
    }

    fn underline(
        &self,
        out: &mut String,
        mark: &Mark,
        ch: char,
        style: &str,
        label: Option<&str>,
        gutter: usize,
    ) {
        // Keep tabs so the marks line up under tab-indented text.
        let indent: String = self
            .line_text(mark.line)
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
            Some(l) => format!("{marks} {l}"),
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
    fn a_warning_is_labelled_as_such() {
        let d = Diagnostic::warning("E1001", "string compared with a number", Span::new(0, 1));
        assert!(render("q.kql", "x", &d).starts_with("warning[E1001]"));
    }
}
