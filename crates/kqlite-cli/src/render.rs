//! Diagnostics for standard error, rendered by [`kqlite_parser::render`].

use kqlite_parser::diagnostic::Diagnostic;
use kqlite_parser::render::{render, render_color, SourceRenderer};

/// Renders `d` for standard error: colored when it is a terminal and
/// `NO_COLOR` is not set, plain otherwise.
pub fn render_for_stderr(file_name: &str, source: &str, d: &Diagnostic) -> String {
    if stderr_color() {
        render_color(file_name, source, d)
    } else {
        render(file_name, source, d)
    }
}

/// Renders every diagnostic of `diagnostics` for standard error as
/// [`render_for_stderr`] does, indexing `source` once (a query with 100,000
/// warnings renders in linear time).
pub fn render_all_for_stderr<'d>(
    file_name: &str,
    source: &str,
    diagnostics: impl IntoIterator<Item = &'d Diagnostic>,
) -> String {
    let renderer = stderr_renderer(file_name, source);
    let mut out = String::new();
    for d in diagnostics {
        out.push_str(&renderer.render(d));
    }
    out
}

/// A renderer of diagnostics on `source` for standard error (colored as
/// [`render_for_stderr`] decides), to render many with one line index.
pub fn stderr_renderer<'a>(file_name: &'a str, source: &'a str) -> SourceRenderer<'a> {
    SourceRenderer::new(file_name, source, stderr_color())
}

/// Whether standard error gets ANSI colors: it is a terminal and
/// `NO_COLOR` is not set.
fn stderr_color() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
}
