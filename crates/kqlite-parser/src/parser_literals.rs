//! Literals: numbers and timespans, the string forms, `datetime(...)`,
//! `dynamic(...)`, `guid(...)` and the typed nulls.

use super::*;

impl<'a> Parser<'a> {
    // ----- literals -----------------------------------------------------------------

    /// One string literal or several adjacent ones (concatenated).
    pub(super) fn string_literal(&mut self) -> PResult<String> {
        let mut out = self.one_string()?;
        loop {
            let save = self.pos;
            self.skip_ws();
            let b0 = self.at(0);
            let b1 = self.at(1);
            let b2 = self.at(2);
            let more = matches!(b0, Some(b'"' | b'\'' | b'`'))
                || (b0 == Some(b'@') && matches!(b1, Some(b'"' | b'\'')))
                || (matches!(b0, Some(b'h' | b'H'))
                    && (matches!(b1, Some(b'"' | b'\''))
                        || (b1 == Some(b'@') && matches!(b2, Some(b'"' | b'\'')))));
            if b0 == Some(b'`') && !self.rest().starts_with("```") {
                self.pos = save;
                return Ok(out);
            }
            if !more {
                self.pos = save;
                return Ok(out);
            }
            out.push_str(&self.one_string()?);
        }
    }

    fn one_string(&mut self) -> PResult<String> {
        let start = self.pos;
        if matches!(self.at(0), Some(b'h' | b'H')) {
            self.pos += 1;
        }
        if self.rest().starts_with("```") {
            self.pos += 3;
            let Some(end) = self.rest().find("```") else {
                let span = Span::new(start, self.src.len());
                return Err(Box::new(
                    Diagnostic::error(
                        codes::UNTERMINATED_STRING,
                        "unterminated string literal",
                        span,
                    )
                    .with_hint("close the multi-line string with ```"),
                ));
            };
            let s = self.rest()[..end].to_string();
            self.pos += end + 3;
            return Ok(s);
        }
        let verbatim = self.at(0) == Some(b'@');
        if verbatim {
            self.pos += 1;
        }
        let Some(quote) = self.at(0) else {
            return Err(self.expected("a string literal"));
        };
        if quote != b'"' && quote != b'\'' {
            return Err(self.expected("a string literal"));
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let rest = self.rest();
            // The run of ordinary characters up to a quote, backslash or line break.
            let run = rest
                .bytes()
                .take_while(|&b| b != quote && b != b'\n' && b != b'\r' && (verbatim || b != b'\\'))
                .count();
            out.push_str(&rest[..run]);
            self.pos += run;
            match self.at(0) {
                Some(b) if b == quote => {
                    self.pos += 1;
                    if verbatim && self.at(0) == Some(quote) {
                        out.push(quote as char);
                        self.pos += 1;
                        continue;
                    }
                    return Ok(out);
                }
                Some(b'\\') => {
                    let esc_start = self.pos;
                    self.pos += 1;
                    let c = self.rest().chars().next();
                    match c {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some('r') => out.push('\r'),
                        Some('0') => out.push('\0'),
                        Some('\\') => out.push('\\'),
                        Some('"') => out.push('"'),
                        Some('\'') => out.push('\''),
                        Some('u') => {
                            let hex = self.src.get(self.pos + 1..self.pos + 5).unwrap_or("");
                            let ch = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32);
                            match ch {
                                Some(ch) if hex.len() == 4 => {
                                    out.push(ch);
                                    self.pos += 4;
                                }
                                _ => {
                                    return Err(err(
                                        codes::BAD_LITERAL,
                                        "invalid `\\u` escape: expected four hex digits",
                                        Span::new(esc_start, self.pos + 1),
                                    ))
                                }
                            }
                        }
                        Some('\n' | '\r') | None => continue,
                        Some(other) => {
                            // Kusto keeps unknown escapes (regex text such as `\d`) as written.
                            out.push('\\');
                            out.push(other);
                        }
                    }
                    self.pos += c.map_or(0, char::len_utf8);
                }
                _ => {
                    let span = Span::new(start, self.pos);
                    let q = quote as char;
                    return Err(Box::new(
                        Diagnostic::error(
                            codes::UNTERMINATED_STRING,
                            "unterminated string literal",
                            span,
                        )
                        .with_hint(format!(
                            "add the closing `{q}`; use ``` for text spanning lines"
                        )),
                    ));
                }
            }
        }
    }

    pub(super) fn number_literal(&mut self) -> PResult<Literal> {
        let start = self.pos;
        let rest = self.rest();
        if rest.starts_with("0x") || rest.starts_with("0X") {
            let hex = lex::hex_digits(&rest[2..]).unwrap_or("");
            let v = i64::from_str_radix(hex, 16).ok();
            self.pos += 2 + hex.len();
            return match v {
                Some(v) if !hex.is_empty() => Ok(Literal::Long(Some(v))),
                _ => Err(err(
                    codes::BAD_LITERAL,
                    "invalid hexadecimal literal",
                    self.span_from(start),
                )),
            };
        }
        let Some((text, real)) = lex::number(rest) else {
            return Err(self.expected("a number"));
        };
        self.pos += text.len();
        let unit = lex::letters(self.rest());
        if !unit.is_empty() || self.at(0).is_some_and(lex::is_ident_char) {
            let whole = lex::ident(self.rest()).unwrap_or(unit);
            self.pos += whole.len();
            let span = self.span_from(start);
            let Some(mult) = lex::timespan_unit(whole) else {
                let shown = &self.src[span.range()];
                return Err(Box::new(
                    Diagnostic::error(codes::BAD_TIMESPAN, format!("invalid timespan literal `{shown}`"), span)
                        .with_hint("timespan units are d, h, m, s, ms, microsecond and tick (also day(s), hour(s), min, minute(s), sec, second(s), millisecond(s))"),
                ));
            };
            return ticks_of(text, real, mult)
                .map(|t| Literal::TimeSpan(Some(t)))
                .ok_or_else(|| err(codes::BAD_LITERAL, "timespan literal out of range", span));
        }
        let span = self.span_from(start);
        if real {
            text.parse::<f64>()
                .map(|v| Literal::Real(Some(v)))
                .map_err(|_| err(codes::BAD_LITERAL, "invalid real literal", span))
        } else {
            text.parse::<i64>()
                .map(|v| Literal::Long(Some(v)))
                .map_err(|_| {
                    err(
                        codes::BAD_LITERAL,
                        format!("integer literal `{text}` does not fit in a long"),
                        span,
                    )
                })
        }
    }

    /// The raw text between `(` and the matching `)` after a literal keyword.
    fn paren_text(&mut self, word: &str) -> PResult<(String, Span)> {
        self.pos += word.len();
        let open = self.expect("(", "`(`")?;
        let rest = self.rest();
        let Some(end) = rest
            .find([')', '\n'])
            .filter(|&i| rest.as_bytes()[i] == b')')
        else {
            return Err(Box::new(
                Diagnostic::error(
                    codes::UNBALANCED,
                    format!("unclosed `(` in `{word}(...)`"),
                    open,
                )
                .with_hint("add the missing `)`"),
            ));
        };
        let inner_span = Span::new(self.pos, self.pos + end);
        let text = rest[..end].trim().to_string();
        self.pos += end + 1;
        Ok((text, inner_span))
    }

    /// `datetime(...)`, `dynamic(...)`, `long(null)`, `typeof(string)`, ...:
    /// `Ok(None)` when `word(` is an ordinary call.
    pub(super) fn typed_literal(&mut self, word: &str) -> PResult<Option<Literal>> {
        let save = self.pos;
        match word {
            "datetime" | "date" => {
                let (text, span) = self.paren_text(word)?;
                if text == "null" {
                    return Ok(Some(Literal::DateTime(None)));
                }
                let ok = !text.is_empty()
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b" -:./+,_\"'".contains(&b));
                if !ok {
                    return Err(err(
                        codes::BAD_LITERAL,
                        format!("invalid datetime literal `{text}`"),
                        span,
                    ));
                }
                Ok(Some(Literal::DateTime(Some(text))))
            }
            "timespan" | "time" => {
                let (text, span) = self.paren_text(word)?;
                if text == "null" {
                    return Ok(Some(Literal::TimeSpan(None)));
                }
                match parse_time_text(&text) {
                    Some(t) => Ok(Some(Literal::TimeSpan(Some(t)))),
                    None => Err(Box::new(
                        Diagnostic::error(
                            codes::BAD_TIMESPAN,
                            format!("invalid timespan literal `{text}`"),
                            span,
                        )
                        .with_hint("write `time(1.02:03:04.5)`, `time(2h)` or `time(3)` (days)"),
                    )),
                }
            }
            "guid" | "uniqueid" => {
                let (text, span) = self.paren_text(word)?;
                if text == "null" {
                    return Ok(Some(Literal::Guid(None)));
                }
                match parse_guid(&text) {
                    Some(g) => Ok(Some(Literal::Guid(Some(g)))),
                    None => Err(err(
                        codes::BAD_LITERAL,
                        format!("invalid guid literal `{text}`"),
                        span,
                    )),
                }
            }
            "decimal" => {
                let (text, span) = self.paren_text(word)?;
                if text == "null" {
                    return Ok(Some(Literal::Decimal(None)));
                }
                let body = text.strip_prefix(['-', '+']).unwrap_or(&text);
                if lex::number(body).is_some_and(|(n, _)| n.len() == body.len()) {
                    Ok(Some(Literal::Decimal(Some(text))))
                } else {
                    Err(err(
                        codes::BAD_LITERAL,
                        format!("invalid decimal literal `{text}`"),
                        span,
                    ))
                }
            }
            "typeof" => {
                self.pos += word.len();
                self.expect("(", "`(`")?;
                let ty = self.peek_word().and_then(TypeName::from_name);
                if let Some(ty) = ty {
                    self.pos += self.peek_word().map_or(0, str::len);
                    if self.eat(")").is_some() {
                        return Ok(Some(Literal::TypeOf(ty)));
                    }
                }
                self.pos = save;
                Ok(None)
            }
            "dynamic" => {
                self.pos += word.len();
                let open = self.expect("(", "`(`")?;
                let value = self.dynamic_value()?;
                self.close(")", "(", open)?;
                Ok(Some(Literal::Dynamic(value)))
            }
            "bool" | "boolean" | "int" | "long" | "real" | "double" => {
                self.pos += word.len();
                self.expect("(", "`(`")?;
                self.skip_ws();
                let neg = self.eat("-").is_some();
                let plus = !neg && self.eat("+").is_some();
                let value = self.peek_word();
                let lit = match (word, value) {
                    (_, Some("null")) if !neg && !plus => {
                        self.pos += 4;
                        Some(match word {
                            "bool" | "boolean" => Literal::Bool(None),
                            "int" => Literal::Int(None),
                            "long" => Literal::Long(None),
                            _ => Literal::Real(None),
                        })
                    }
                    ("bool" | "boolean", Some(w @ ("true" | "false"))) if !neg && !plus => {
                        self.pos += w.len();
                        Some(Literal::Bool(Some(w == "true")))
                    }
                    ("real" | "double", Some(w @ ("nan" | "inf"))) => {
                        self.pos += w.len();
                        Some(Literal::Real(Some(match (w, neg) {
                            ("nan", _) => f64::NAN,
                            (_, true) => f64::NEG_INFINITY,
                            _ => f64::INFINITY,
                        })))
                    }
                    (_, None) if self.peek().is_some_and(|b| b.is_ascii_digit()) => {
                        let (text, real) = lex::number(self.rest()).unwrap_or(("", false));
                        let signed = if neg {
                            format!("-{text}")
                        } else {
                            text.to_string()
                        };
                        self.pos += text.len();
                        match word {
                            "int" if !real => {
                                signed.parse::<i32>().ok().map(|v| Literal::Int(Some(v)))
                            }
                            "long" if !real => {
                                signed.parse::<i64>().ok().map(|v| Literal::Long(Some(v)))
                            }
                            "real" | "double" => {
                                signed.parse::<f64>().ok().map(|v| Literal::Real(Some(v)))
                            }
                            _ => None,
                        }
                    }
                    _ => None,
                };
                match lit {
                    Some(l) if self.eat(")").is_some() => Ok(Some(l)),
                    _ => {
                        self.pos = save;
                        Ok(None)
                    }
                }
            }
            _ => Ok(None),
        }
    }

    /// The JSON-like value inside `dynamic(...)`.
    pub(super) fn dynamic_value(&mut self) -> PResult<DynamicLiteral> {
        self.enter()?;
        let v = self.dynamic_value_inner();
        self.leave();
        v
    }

    fn dynamic_value_inner(&mut self) -> PResult<DynamicLiteral> {
        let Some(b0) = self.peek() else {
            return Err(self.expected("a dynamic value"));
        };
        match b0 {
            b'[' => {
                let open = Span::new(self.pos, self.pos + 1);
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat("]").is_some() {
                    return Ok(DynamicLiteral::Array(items));
                }
                loop {
                    items.push(self.dynamic_value()?);
                    if self.comma(&["]"])? {
                        continue;
                    }
                    self.close("]", "[", open)?;
                    return Ok(DynamicLiteral::Array(items));
                }
            }
            b'{' => {
                let open = Span::new(self.pos, self.pos + 1);
                self.pos += 1;
                let mut items = Vec::new();
                if self.eat("}").is_some() {
                    return Ok(DynamicLiteral::Object(items));
                }
                loop {
                    self.skip_ws();
                    let key = if matches!(self.at(0), Some(b'"' | b'\'' | b'@')) {
                        self.string_literal()?
                    } else if let Some(w) = self.peek_word() {
                        self.pos += w.len();
                        w.to_string()
                    } else {
                        return Err(self.expected("a property name"));
                    };
                    self.expect(":", "`:` after the property name")?;
                    let value = self.dynamic_value()?;
                    items.push((key, value));
                    if self.comma(&["}"])? {
                        continue;
                    }
                    self.close("}", "{", open)?;
                    return Ok(DynamicLiteral::Object(items));
                }
            }
            b'"' | b'\'' | b'@' => Ok(DynamicLiteral::String(self.string_literal()?)),
            b'-' | b'+' | b'0'..=b'9' => {
                let start = self.pos;
                let neg = b0 == b'-';
                if !b0.is_ascii_digit() {
                    self.pos += 1;
                }
                self.skip_ws();
                let l = self.number_literal()?;
                let span = self.span_from(start);
                let bad = || err(codes::BAD_LITERAL, "number out of range", span);
                Ok(match l {
                    Literal::Long(Some(v)) => DynamicLiteral::Long(if neg {
                        v.checked_neg().ok_or_else(bad)?
                    } else {
                        v
                    }),
                    Literal::Real(Some(v)) => DynamicLiteral::Real(if neg { -v } else { v }),
                    Literal::TimeSpan(Some(t)) => {
                        DynamicLiteral::TimeSpan(if neg { -t } else { t })
                    }
                    _ => return Err(bad()),
                })
            }
            _ => {
                let Some(word) = self.peek_word() else {
                    return Err(self.expected("a dynamic value"));
                };
                match word {
                    "null" => {
                        self.pos += 4;
                        Ok(DynamicLiteral::Null)
                    }
                    "true" => {
                        self.pos += 4;
                        Ok(DynamicLiteral::Bool(true))
                    }
                    "false" => {
                        self.pos += 5;
                        Ok(DynamicLiteral::Bool(false))
                    }
                    _ => {
                        let start = self.pos;
                        let lit = self.typed_literal(word)?;
                        let span = self.span_from(start);
                        match lit {
                            Some(Literal::DateTime(Some(t))) => Ok(DynamicLiteral::DateTime(t)),
                            Some(Literal::TimeSpan(Some(t))) => Ok(DynamicLiteral::TimeSpan(t)),
                            Some(Literal::Guid(Some(g))) => Ok(DynamicLiteral::Guid(g)),
                            Some(Literal::Long(Some(v))) => Ok(DynamicLiteral::Long(v)),
                            Some(Literal::Int(Some(v))) => Ok(DynamicLiteral::Long(v as i64)),
                            Some(Literal::Real(Some(v))) => Ok(DynamicLiteral::Real(v)),
                            Some(Literal::Bool(Some(v))) => Ok(DynamicLiteral::Bool(v)),
                            // `dynamic({...})` nested inside a dynamic literal.
                            Some(Literal::Dynamic(d)) => Ok(d),
                            Some(_) => Ok(DynamicLiteral::Null),
                            None => Err(err(
                                codes::BAD_LITERAL,
                                format!("`{word}` is not allowed inside `dynamic(...)`"),
                                if span.is_empty() {
                                    self.next_span()
                                } else {
                                    span
                                },
                            )),
                        }
                    }
                }
            }
        }
    }
}

/// Ticks of `text` (a number) times `mult`, rounding reals.
fn ticks_of(text: &str, real: bool, mult: i64) -> Option<i64> {
    if real {
        let v = text.parse::<f64>().ok()? * mult as f64;
        if !v.is_finite() || v.abs() >= 9.2e18 {
            return None;
        }
        Some(v.round() as i64)
    } else {
        text.parse::<i64>().ok()?.checked_mul(mult)
    }
}

/// The inside of `time(...)`/`timespan(...)`: `2h`, `-1.5d`, `3` (days),
/// `1.02:03:04.5`, `02:03:04`, `02:03`.
fn parse_time_text(text: &str) -> Option<i64> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b.trim_start()),
        None => (false, text),
    };
    let (num, real) = lex::number(body)?;
    let unit = &body[num.len()..];
    let ticks = if unit.is_empty() {
        ticks_of(num, real, lex::timespan_unit("d")?)?
    } else if let Some(mult) = lex::timespan_unit(unit) {
        ticks_of(num, real, mult)?
    } else if unit.starts_with(':') || (unit.starts_with('.') && body.contains(':')) {
        clock_ticks(body)?
    } else {
        return None;
    };
    Some(if neg { -ticks } else { ticks })
}

/// `[d.]hh:mm[:ss[.fffffff]]`.
fn clock_ticks(text: &str) -> Option<i64> {
    // Each component is plain digits (no sign), and the sum is checked.
    fn number(s: &str) -> Option<i64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    }
    let (days, clock) = match text.split_once('.') {
        Some((d, rest)) if !d.contains(':') => (number(d)?, rest),
        _ => (0, text),
    };
    let mut parts = clock.split(':');
    let h = number(parts.next()?)?;
    let m = number(parts.next()?)?;
    let (s, frac) = match parts.next() {
        Some(sec) => match sec.split_once('.') {
            Some((s, f)) => (number(s)?, f),
            None => (number(sec)?, ""),
        },
        None => (0, ""),
    };
    if parts.next().is_some() || frac.len() > 7 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_ticks: i64 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<7}").parse().ok()?
    };
    let clock_secs = h
        .checked_mul(3600)?
        .checked_add(m.checked_mul(60)?)?
        .checked_add(s)?;
    let secs = days.checked_mul(86_400)?.checked_add(clock_secs)?;
    secs.checked_mul(10_000_000)?.checked_add(frac_ticks)
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (or 32 bare hex digits).
fn parse_guid(text: &str) -> Option<u128> {
    let hex: String = text.chars().filter(|c| *c != '-').collect();
    let groups: Vec<usize> = text.split('-').map(str::len).collect();
    let shape_ok = groups == [8, 4, 4, 4, 12] || groups == [32];
    if !shape_ok || hex.len() != 32 {
        return None;
    }
    u128::from_str_radix(&hex, 16).ok()
}
