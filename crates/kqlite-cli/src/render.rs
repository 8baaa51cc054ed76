//! Diagnostics for standard error, rendered by [`kqlite_parser::render`].

use kqlite_parser::diagnostic::Diagnostic;
use kqlite_parser::render::{render, render_color};

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
