//! Adversarial input files for the loaders, described by a few numbers so
//! the fuzzer can grow them far beyond its own input size.

use arbitrary::{Arbitrary, Result, Unstructured};
use kqlite_engine::io::Format;

/// A shape of input file.
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// Every row has a key no other row has.
    NewKeyPerRow,
    /// One line of `size` bytes.
    GiantLine,
    /// NUL bytes among the text.
    NulBytes,
    /// A value nested `size` levels deep.
    DeepNesting,
    /// A quote that is never closed, followed by `rows` lines.
    UnterminatedQuote,
    /// Rows of `size` columns.
    WideRows,
    /// Raw fuzzer bytes repeated `rows` times.
    Repeated,
}

/// One generated input.
#[derive(Debug, Clone)]
pub struct ShapeCase {
    /// Its shape.
    pub shape: Shape,
    /// 0: JSON Lines, 1: JSON array, 2: Log Analytics, 3: CSV.
    pub format: u8,
    /// Whether the load is lenient.
    pub lenient: bool,
    /// Rows (capped at 20,000).
    pub rows: u16,
    /// Size or depth (capped at 1,000,000).
    pub size: u32,
    /// Raw bytes mixed into the text.
    pub noise: Vec<u8>,
}

impl<'a> Arbitrary<'a> for ShapeCase {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let shape = *u.choose(&[
            Shape::NewKeyPerRow,
            Shape::GiantLine,
            Shape::NulBytes,
            Shape::DeepNesting,
            Shape::UnterminatedQuote,
            Shape::WideRows,
            Shape::Repeated,
        ])?;
        Ok(ShapeCase {
            shape,
            format: u.arbitrary()?,
            lenient: u.arbitrary()?,
            rows: u.arbitrary()?,
            size: u.arbitrary()?,
            noise: u.arbitrary()?,
        })
    }
}

impl ShapeCase {
    /// The loader format.
    pub fn format(&self) -> Format {
        match self.format % 4 {
            0 => Format::JsonLines,
            1 => Format::JsonArray,
            2 => Format::LogAnalytics,
            _ => Format::Csv,
        }
    }

    /// The file's bytes.
    pub fn render(&self) -> Vec<u8> {
        let rows = usize::from(self.rows).min(20_000);
        let size = (self.size as usize).min(1_000_000);
        let csv = matches!(self.format(), Format::Csv);
        let noise = String::from_utf8_lossy(&self.noise).replace(['\n', '"'], " ");
        let mut out = String::new();
        match self.shape {
            Shape::NewKeyPerRow => {
                if csv {
                    out.push_str("a,b\n");
                }
                for i in 0..rows {
                    if csv {
                        out.push_str(&format!("{i},k{i}{noise}\n"));
                    } else {
                        out.push_str(&format!("{{\"k{i}\": {i}, \"a\": \"{noise}\"}}\n"));
                    }
                }
            }
            Shape::GiantLine => {
                let cell = "x".repeat(size);
                if csv {
                    out.push_str(&format!("a\n{cell}{noise}\n"));
                } else {
                    out.push_str(&format!("{{\"a\": \"{cell}{noise}\"}}\n"));
                }
            }
            Shape::NulBytes => {
                let nul = "\0".repeat(size.min(100_000).max(1));
                if csv {
                    out.push_str(&format!("a{nul},b\n1,{nul}\n"));
                } else {
                    out.push_str(&format!("{{\"a{nul}\": \"{nul}\"}}\n{nul}\n"));
                }
            }
            Shape::DeepNesting => {
                let n = size.min(200_000);
                let value = format!("{}{}", "[".repeat(n), "]".repeat(n));
                if csv {
                    out.push_str(&format!("a\n\"{value}\"\n"));
                } else {
                    out.push_str(&format!("{{\"a\": {value}}}\n"));
                }
            }
            Shape::UnterminatedQuote => {
                out.push_str("a,b\n1,2\n3,\"never closed\n");
                for i in 0..rows {
                    out.push_str(&format!("{i},{noise}\n"));
                }
            }
            Shape::WideRows => {
                let n = size.min(50_000);
                let names: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
                if csv {
                    out.push_str(&names.join(","));
                    out.push('\n');
                    for _ in 0..rows.min(10) {
                        out.push_str(&vec!["1"; n].join(","));
                        out.push('\n');
                    }
                } else {
                    let fields: Vec<String> = names.iter().map(|k| format!("\"{k}\": 1")).collect();
                    for _ in 0..rows.min(10) {
                        out.push_str(&format!("{{{}}}\n", fields.join(", ")));
                    }
                }
            }
            Shape::Repeated => {
                let mut bytes = Vec::new();
                for _ in 0..rows.min(2_000) {
                    bytes.extend_from_slice(&self.noise);
                }
                return bytes;
            }
        }
        if matches!(self.format(), Format::JsonArray | Format::LogAnalytics) {
            // A JSON array of the rows, or the rows as they are (the
            // loader's error is fine) for Log Analytics.
            let rows: Vec<&str> = out.lines().filter(|l| l.starts_with('{')).collect();
            if matches!(self.format(), Format::JsonArray) {
                return format!("[{}]", rows.join(",")).into_bytes();
            }
        }
        out.into_bytes()
    }
}
