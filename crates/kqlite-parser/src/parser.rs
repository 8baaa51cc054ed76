//! Query text to [`Script`]: a recursive-descent parser over nom lexemes.
//!
//! Statements and tabular operators are parsed by keyword; scalar
//! expressions by precedence climbing. Once a keyword has matched the parser
//! is committed (it never backtracks out of an operator), so an error points
//! at the real problem rather than at the keyword. Nesting is counted and
//! limited by [`ParseOptions::max_depth`], so hostile input returns an error
//! instead of overflowing the stack.

use crate::ast::*;
use crate::diagnostic::{codes, Diagnostic, ParseError};
use crate::lex;
use crate::span::Span;

// The parser is one `Parser` type split by concern: statements and
// expressions here, literals and tabular operators in their own files.
#[path = "parser_graph.rs"]
mod graph;
#[path = "parser_literals.rs"]
mod literals;
#[path = "parser_ops.rs"]
mod ops;
#[cfg(test)]
#[path = "parser_tests.rs"]
mod tests;

use ops::OPERATORS;

/// Limits for [`parse_with`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseOptions {
    /// Deepest syntax tree accepted (default 256): each parenthesis, unary
    /// operator, call, subquery and dynamic array or object is a level, and
    /// so is each link of a chain (`a - b - c`, `x.a.b`), because
    /// everything that walks the tree (even `Drop`) recurses. The stages of
    /// a pipeline (`T | op | op`) are one flat list and do not count, nor
    /// do long runs of one associative operator (they are regrouped).
    pub max_depth: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        ParseOptions { max_depth: 256 }
    }
}

/// Parses a query text with the default [`ParseOptions`].
pub fn parse(text: &str) -> Result<Script, ParseError> {
    parse_with(text, &ParseOptions::default())
}

/// Parses a query text.
///
/// Fails with [`codes::TOO_LARGE`] past `u32::MAX` bytes and with
/// [`codes::TOO_DEEP`] past `max_depth`. The parser also watches its own
/// stack use: a query that is within `max_depth` but too deep for the
/// caller's stack (unoptimized builds need ~40 KiB per level) is re-parsed
/// on a helper thread with a 64 MiB stack.
pub fn parse_with(text: &str, options: &ParseOptions) -> Result<Script, ParseError> {
    if u32::try_from(text.len()).is_err() {
        return Err(ParseError::from(Diagnostic::error(
            codes::TOO_LARGE,
            format!(
                "query text is {} bytes; the limit is {} bytes",
                text.len(),
                u32::MAX
            ),
            Span::new(0, 0),
        )));
    }
    match run(text, options, STACK_BUDGET) {
        (Err(e), true) => {
            // Deep but within `max_depth`: retry where there is room.
            let big = std::thread::scope(|scope| {
                std::thread::Builder::new()
                    .stack_size(BIG_STACK)
                    .spawn_scoped(scope, || run(text, options, BIG_STACK - (4 << 20)).0)
                    .ok()
                    .and_then(|h| h.join().ok())
            });
            big.unwrap_or(Err(e))
        }
        (result, _) => result,
    }
}

/// One parse with a stack budget; the flag says whether the budget ran out.
fn run(
    text: &str,
    options: &ParseOptions,
    stack_budget: usize,
) -> (Result<Script, ParseError>, bool) {
    let mut p = Parser {
        src: text,
        bytes: text.as_bytes(),
        pos: 0,
        depth: 0,
        max_depth: options.max_depth,
        trivia: (0, 0),
        stack_base: 0,
        stack_budget,
        stack_exhausted: false,
        source_ok: false,
        in_search: false,
    };
    let base = 0u8;
    p.stack_base = std::ptr::addr_of!(base) as usize;
    let result = p.script().map_err(|d| ParseError::from(*d));
    (result, p.stack_exhausted)
}

type PResult<T> = Result<T, Box<Diagnostic>>;

/// Operators that also start a query, so a line starting with one after a
/// finished query is a second query rather than a missing `|`.
const SOURCE_WORDS: &[&str] = &[
    "print",
    "range",
    "datatable",
    "union",
    "search",
    "find",
    "externaldata",
    "let",
    "set",
    "declare",
];

const JOIN_KINDS: &[&str] = &[
    "inner",
    "innerunique",
    "leftouter",
    "rightouter",
    "fullouter",
    "leftanti",
    "rightanti",
    "leftsemi",
    "rightsemi",
    "anti",
    "leftantisemi",
    "rightantisemi",
    "semi",
];

/// Binding strength of binary operators (the pipe is 0, postfix tighter).
const OR: u8 = 1;
const AND: u8 = 2;
const CMP: u8 = 3;
const ADD: u8 = 4;
const MUL: u8 = 5;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Bin(BinaryOp),
    List(ListOp),
    Between(bool),
}

struct Parser<'a> {
    src: &'a str,
    bytes: &'a [u8],
    pos: usize,
    depth: usize,
    max_depth: usize,
    /// The last run of trivia skipped, so spans end at the last token rather
    /// than after the whitespace and comments following it.
    trivia: (usize, usize),
    /// Address of a local in [`parse_with`], for [`Parser::stack_used`].
    stack_base: usize,
    /// Stack this parse may use.
    stack_budget: usize,
    /// Whether an error came from the stack budget rather than `max_depth`.
    stack_exhausted: bool,
    /// Whether the next primary may be a source operator (`print`, `union`,
    /// `range`, ...): only at the start of a full expression, since a source
    /// runs on to the end of the text and so cannot be an operand.
    source_ok: bool,
    /// Inside a `search` predicate, where `Column:term` restricts a term to
    /// one column.
    in_search: bool,
}

/// Stack the parser may use on the caller's thread: half of the 2 MiB a
/// spawned thread gets by default.
const STACK_BUDGET: usize = 1 << 20;

/// Stack of the helper thread that parses queries nested too deeply for
/// [`STACK_BUDGET`] but within `max_depth` (unoptimized builds use ~40 KiB
/// per level).
const BIG_STACK: usize = 64 << 20;

/// Runs of one associative operator longer than this many links are
/// rebalanced: `a or b or c ...` with 10,000 terms becomes a tree 14 levels
/// deep instead of 10,000, so nothing that walks it recurses per term.
/// Shorter runs keep the left-to-right tree evaluation order implies.
pub const BALANCE_AFTER: usize = 64;

/// Whether a run of `op` may be regrouped without changing its value:
/// `and`, `or` (three-valued logic is associative), `+` and `*` (whose
/// only difference regrouped is the rounding of `real`s in chains longer
/// than [`BALANCE_AFTER`]).
fn is_associative(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Or | BinaryOp::And | BinaryOp::Add | BinaryOp::Mul
    )
}

/// `e` with its last run of operators, when that is a long run of one
/// associative operator, rebalanced.
fn end_run(e: Expr, run: Option<(Op, usize)>) -> Expr {
    match run {
        Some((Op::Bin(op), n)) if n > BALANCE_AFTER && is_associative(op) => balance(e, op),
        _ => e,
    }
}

/// The left-deep chain `e` of `op` as a balanced tree of the same
/// operands in the same order, built without recursion.
fn balance(e: Expr, op: BinaryOp) -> Expr {
    let whole = e.span;
    let mut operands = Vec::new();
    let mut cur = e;
    loop {
        match cur.kind {
            ExprKind::Binary { op: o, left, right } if o == op => {
                operands.push(*right);
                cur = *left;
            }
            kind => {
                operands.push(Expr {
                    kind,
                    span: cur.span,
                });
                break;
            }
        }
    }
    operands.reverse();
    while operands.len() > 1 {
        let mut next = Vec::with_capacity(operands.len().div_ceil(2));
        let mut items = operands.into_iter();
        while let Some(left) = items.next() {
            match items.next() {
                Some(right) => {
                    let span = Span::new(left.span.start as usize, right.span.end as usize);
                    next.push(Expr {
                        kind: ExprKind::Binary {
                            op,
                            left: Box::new(left),
                            right: Box::new(right),
                        },
                        span,
                    });
                }
                None => next.push(left),
            }
        }
        operands = next;
    }
    // There is always one operand left; the fallback only keeps this total.
    operands.pop().unwrap_or(Expr {
        kind: ExprKind::Star,
        span: whole,
    })
}

/// Whether `e` is a source operator that runs on to the end of its text
/// (everything but `datatable(...)[...]`), so it cannot be an operand.
fn is_open_source(e: &Expr) -> bool {
    matches!(&e.kind, ExprKind::Source(op) if !matches!(op.kind, OperatorKind::Datatable(_)))
}

fn source_operand_error(span: Span) -> Box<Diagnostic> {
    Box::new(
        Diagnostic::error(
            codes::UNEXPECTED,
            "a tabular source (`print`, `union`, `range`, ...) cannot be an operand",
            span,
        )
        .with_hint("put the source in parentheses, or start a new statement after `;`"),
    )
}

fn err(code: &'static str, message: impl Into<String>, span: Span) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(code, message, span))
}

/// Edit distance, for "did you mean".
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev.last().copied().unwrap_or(0)
}

fn closest<'w>(word: &str, candidates: &[&'w str]) -> Option<&'w str> {
    let lower = word.to_ascii_lowercase();
    candidates
        .iter()
        .map(|c| (distance(&lower, c), *c))
        .filter(|(d, c)| *d <= 2.max(c.len() / 4) && *d < c.len())
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

impl<'a> Parser<'a> {
    // ----- low-level cursor -------------------------------------------------

    fn skip_ws(&mut self) {
        if self.pos == self.trivia.1 && self.pos != 0 {
            return;
        }
        if let Some(rest) = self.src.get(self.pos..) {
            let len = lex::trivia_len(rest);
            if len > 0 {
                self.trivia = (self.pos, self.pos + len);
                self.pos += len;
            }
        }
    }

    fn rest(&self) -> &'a str {
        self.src.get(self.pos..).unwrap_or("")
    }

    fn at(&self, k: usize) -> Option<u8> {
        self.bytes.get(self.pos + k).copied()
    }

    fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.at(0)
    }

    fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }

    fn starts(&mut self, s: &str) -> bool {
        self.skip_ws();
        self.rest().starts_with(s)
    }

    /// Consumes punctuation `s` if it is next.
    fn eat(&mut self, s: &str) -> Option<Span> {
        if self.starts(s) {
            let start = self.pos;
            self.pos += s.len();
            Some(Span::new(start, self.pos))
        } else {
            None
        }
    }

    /// Whether a single `=` (not `==`, `=~`, `=>`) is next.
    fn at_assign(&mut self) -> bool {
        self.peek() == Some(b'=') && !matches!(self.at(1), Some(b'=' | b'~' | b'>'))
    }

    fn eat_assign(&mut self) -> Option<Span> {
        if self.at_assign() {
            self.eat("=")
        } else {
            None
        }
    }

    fn here(&mut self) -> Span {
        self.skip_ws();
        Span::new(self.pos, self.pos)
    }

    fn peek_word(&mut self) -> Option<&'a str> {
        self.skip_ws();
        lex::ident(self.rest())
    }

    fn is_word(&mut self, w: &str) -> bool {
        self.peek_word() == Some(w)
    }

    fn eat_word(&mut self, w: &str) -> Option<Span> {
        if self.is_word(w) {
            let start = self.pos;
            self.pos += w.len();
            Some(Span::new(start, self.pos))
        } else {
            None
        }
    }

    /// A description of what is next, for error messages.
    fn found(&mut self) -> String {
        self.skip_ws();
        match self.at(0) {
            None => "end of input".to_string(),
            Some(_) => {
                let len = self.token_len();
                if let Some(w) = self.rest().get(..len).filter(|w| w.len() > 1) {
                    format!("`{w}`")
                } else {
                    let c = self.rest().chars().next().unwrap_or(' ');
                    format!("`{c}`")
                }
            }
        }
    }

    /// The span of the next token (a word, or one character).
    fn next_span(&mut self) -> Span {
        self.skip_ws();
        Span::new(self.pos, self.pos + self.token_len())
    }

    /// Length of the token at the cursor: a word, a number with its unit,
    /// or one character.
    fn token_len(&self) -> usize {
        let rest = self.rest();
        if let Some(w) = lex::ident(rest) {
            return w.len();
        }
        if rest.as_bytes().first().is_some_and(u8::is_ascii_digit) {
            return rest
                .bytes()
                .take_while(|b| lex::is_ident_char(*b) || *b == b'.')
                .count();
        }
        rest.chars().next().map_or(0, char::len_utf8)
    }

    /// A zero-width span just after the previous token, for "expected X"
    /// errors where the next token is on another line or absent.
    fn after_prev(&mut self) -> Span {
        self.skip_ws();
        let end = if self.pos == self.trivia.1 {
            self.trivia.0
        } else {
            self.pos
        };
        Span::new(end, end)
    }

    fn expected(&mut self, what: &str) -> Box<Diagnostic> {
        let found = self.found();
        let span = self.next_span();
        err(
            codes::UNEXPECTED,
            format!("expected {what}, found {found}"),
            span,
        )
    }

    fn expect_lazy(&mut self, s: &str, what: impl FnOnce() -> String) -> PResult<Span> {
        match self.eat(s) {
            Some(span) => Ok(span),
            None => {
                let what = what();
                Err(self.expected(&what))
            }
        }
    }

    fn expect(&mut self, s: &str, what: &str) -> PResult<Span> {
        match self.eat(s) {
            Some(span) => Ok(span),
            None => Err(self.expected(what)),
        }
    }

    fn expect_word(&mut self, w: &str, context: impl std::fmt::Display) -> PResult<Span> {
        match self.eat_word(w) {
            Some(span) => Ok(span),
            None => Err(self.expected(&format!("`{w}` {context}"))),
        }
    }

    /// Expects a closing delimiter, pointing back at the opener if missing.
    fn close(&mut self, close: &str, open: &str, open_span: Span) -> PResult<Span> {
        if let Some(span) = self.eat(close) {
            return Ok(span);
        }
        let found = self.found();
        let here = self.next_span();
        if self.at_end() {
            return Err(Box::new(
                Diagnostic::error(codes::UNBALANCED, format!("unclosed `{open}`"), open_span)
                    .with_label(
                        here,
                        format!("expected `{close}` before the end of the query"),
                    )
                    .with_hint(format!("add the missing `{close}`")),
            ));
        }
        if self.at_assign() {
            return Err(self.assignment_error());
        }
        Err(Box::new(
            Diagnostic::error(
                codes::UNBALANCED,
                format!("expected `{close}` to close `{open}`, found {found}"),
                here,
            )
            .with_label(open_span, format!("this `{open}` is not closed")),
        ))
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        let out_of_stack = self.stack_used() > self.stack_budget;
        self.stack_exhausted |= out_of_stack;
        if self.depth > self.max_depth || out_of_stack {
            let span = self.next_span();
            return Err(err(
                codes::TOO_DEEP,
                format!(
                    "the query nests deeper than {} levels",
                    self.max_depth.min(self.depth)
                ),
                span,
            ));
        }
        Ok(())
    }

    /// Bytes of stack used since parsing started, measured from the address
    /// of a local. Unoptimized builds use far more stack per level than
    /// optimized ones; this keeps both within a small thread's stack.
    fn stack_used(&self) -> usize {
        let here = 0u8;
        self.stack_base.abs_diff(std::ptr::addr_of!(here) as usize)
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    fn span_from(&self, start: usize) -> Span {
        let end = if self.pos == self.trivia.1 {
            self.trivia.0.max(start)
        } else {
            self.pos
        };
        Span::new(start, end)
    }

    // ----- statements ---------------------------------------------------------

    fn script(&mut self) -> PResult<Script> {
        let mut statements = Vec::new();
        loop {
            while self.eat(";").is_some() {}
            if self.at_end() {
                break;
            }
            let stmt = self.statement()?;
            let is_query = matches!(stmt.kind, StatementKind::Query(_));
            let end = stmt.span;
            statements.push(stmt);
            if self.at_end() {
                break;
            }
            if self.eat(";").is_some() {
                continue;
            }
            return Err(self.missing_separator(is_query, end));
        }
        Ok(Script {
            statements,
            span: Span::new(0, self.src.len()),
        })
    }

    /// The error for text after a complete statement with no `;` before it.
    fn missing_separator(&mut self, after_query: bool, prev: Span) -> Box<Diagnostic> {
        if let Some(d) = self.leftover_error() {
            return d;
        }
        let here = self.next_span();
        if self.peek() == Some(b')') {
            return err(
                codes::UNBALANCED,
                "unexpected `)` with no matching `(`",
                here,
            );
        }
        let starts_statement =
            matches!(self.peek(), Some(b) if lex::is_ident_start(b) || b == b'[' || b == b'(');
        let new_line = self
            .src
            .get(prev.end as usize..here.start as usize)
            .is_some_and(|gap| gap.contains('\n'));
        if after_query && starts_statement && new_line {
            let end = Span::new(prev.end as usize, prev.end as usize);
            return Box::new(
                Diagnostic::error(
                    codes::MISSING_SEMICOLON,
                    "two query statements must be separated by `;`",
                    here,
                )
                .with_label(end, "the previous query ends here")
                .with_hint(
                    "a query text holds one query (its result is the output); delete one, or end the first with `;`",
                ),
            );
        }
        if !after_query {
            return Box::new(
                Diagnostic::error(
                    codes::MISSING_SEMICOLON,
                    "expected `;` after the `let` statement",
                    here,
                )
                .with_hint("end every `let` statement with `;`"),
            );
        }
        let found = self.found();
        Box::new(
            Diagnostic::error(
                codes::UNEXPECTED,
                format!("unexpected {found}; expected `|`, `;` or the end of the query"),
                here,
            )
            .with_hint("is a `,` or a `|` missing before it?"),
        )
    }

    /// Errors for the common leftovers after an operator or expression: a
    /// lone `=`, or an operator name with no `|` before it.
    fn leftover_error(&mut self) -> Option<Box<Diagnostic>> {
        if self.at_assign() {
            return Some(self.assignment_error());
        }
        let word = self.peek_word()?;
        let name = self.operator_name_at().unwrap_or(word);
        if OPERATORS.contains(&name) && !SOURCE_WORDS.contains(&name) {
            let span = Span::new(self.pos, self.pos + name.len());
            return Some(Box::new(
                Diagnostic::error(
                    codes::MISSING_PIPE,
                    format!("expected `|` before `{name}`"),
                    span,
                )
                .with_hint(format!(
                    "tabular operators are chained with `|`: `| {name} ...`"
                )),
            ));
        }
        None
    }

    fn assignment_error(&mut self) -> Box<Diagnostic> {
        let span = self.next_span();
        Box::new(
            Diagnostic::error(
                codes::ASSIGN_NOT_COMPARE,
                "`=` is assignment; use `==` to compare",
                span,
            )
            .with_hint("write `==` (or `=~` to ignore case)"),
        )
    }

    fn statement(&mut self) -> PResult<Statement> {
        self.skip_ws();
        let start = self.pos;
        let kind = if self.is_word("declare") && self.word_after_is("pattern") {
            self.eat_word("declare");
            self.eat_word("pattern");
            StatementKind::DeclarePattern(self.pattern_decl()?)
        } else if self.eat_word("let").is_some() {
            StatementKind::Let(self.let_statement()?)
        } else if self.is_word("declare") && self.word_after_is("query_parameters") {
            self.eat_word("declare");
            self.eat_word("query_parameters");
            let open = self.expect("(", "`(` after `declare query_parameters`")?;
            let params = self.parameters(open)?;
            StatementKind::DeclareQueryParameters(params)
        } else if self.is_word("set") && self.word_after_is_ident() {
            self.eat_word("set");
            let name = self.dotted_name()?;
            let value = if self.eat_assign().is_some() {
                Some(self.expr_np("=")?)
            } else {
                None
            };
            StatementKind::Set(SetStatement { name, value })
        } else {
            StatementKind::Query(self.expr()?)
        };
        Ok(Statement {
            kind,
            span: self.span_from(start),
        })
    }

    /// `name = (params)[path] { rules };` after `declare pattern`.
    fn pattern_decl(&mut self) -> PResult<PatternDecl> {
        let name = self.ident()?;
        if self.eat_assign().is_none() {
            return Err(self.expected("`=` after the pattern name"));
        }
        let open = self.expect("(", "`(` and the pattern's parameters")?;
        let params = self.parameters(open)?;
        let path = if let Some(open) = self.eat("[") {
            self.skip_ws();
            let start = self.pos;
            let pname = self.ident()?;
            self.expect(":", "`:` and a type after the path parameter")?;
            let ty = ParamType::Scalar(self.type_name()?);
            let param = Parameter {
                name: pname,
                ty,
                default: None,
                span: self.span_from(start),
            };
            self.close("]", "[", open)?;
            Some(param)
        } else {
            None
        };
        let brace = self.expect("{", "`{` to start the pattern's rules")?;
        self.enter()?;
        let mut rules = Vec::new();
        loop {
            while self.eat(";").is_some() {}
            if self.peek() == Some(b'}') || self.at_end() {
                break;
            }
            self.skip_ws();
            let start = self.pos;
            let open = self.expect("(", "`(` and a rule's argument values")?;
            let mut args = Vec::new();
            if self.eat(")").is_none() {
                loop {
                    args.push(self.expr()?);
                    if self.comma(&[")"])? {
                        continue;
                    }
                    self.close(")", "(", open)?;
                    break;
                }
            }
            let path = if self.eat(".").is_some() {
                let open = self.expect("[", "`[` and the rule's path value")?;
                let e = self.expr()?;
                self.close("]", "[", open)?;
                Some(e)
            } else {
                None
            };
            if self.eat_assign().is_none() {
                return Err(self.expected("`=` and the rule's query"));
            }
            let body_open = self.expect("{", "`{` and the rule's query")?;
            let body = self.expr()?;
            while self.eat(";").is_some() {}
            self.close("}", "{", body_open)?;
            rules.push(PatternRule {
                args,
                path,
                body,
                span: self.span_from(start),
            });
        }
        self.close("}", "{", brace)?;
        self.leave();
        Ok(PatternDecl {
            name,
            params,
            path,
            rules,
        })
    }

    fn word_after_is(&mut self, w: &str) -> bool {
        let save = self.pos;
        let first = self.peek_word().map_or(0, str::len);
        self.pos += first;
        let ok = self.is_word(w);
        self.pos = save;
        ok
    }

    fn word_after_is_ident(&mut self) -> bool {
        let save = self.pos;
        let first = self.peek_word().map_or(0, str::len);
        self.pos += first;
        let ok = self.peek_word().is_some();
        self.pos = save;
        ok
    }

    fn let_statement(&mut self) -> PResult<LetStatement> {
        let digit_name = self.digit_name_assign();
        if digit_name.is_none() && self.peek_word().is_none() && self.peek() != Some(b'[') {
            return Err(self.expected("a name after `let`"));
        }
        let assigned = digit_name.is_some();
        let name = match digit_name {
            Some(n) => n,
            None => self.ident()?,
        };
        if !assigned && self.eat_assign().is_none() {
            let found = self.found();
            let span = self.next_span();
            return Err(Box::new(
                Diagnostic::error(
                    codes::UNEXPECTED,
                    format!("expected `=` after `let {}`, found {found}", name.name),
                    span,
                )
                .with_label(name.span, "the name being bound")
                .with_hint(format!("write `let {} = <value>;`", name.name)),
            ));
        }
        self.skip_ws();
        let save = self.pos;
        if self.eat_word("view").is_some() && self.peek() == Some(b'(') {
            return Ok(LetStatement {
                name,
                value: LetValue::Function(self.function_def()?),
            });
        }
        self.pos = save;
        if self.peek() == Some(b'(') && self.looks_like_function() {
            return Ok(LetStatement {
                name,
                value: LetValue::Function(self.function_def()?),
            });
        }
        if !self.can_start_expr() {
            let found = self.found();
            let span = self.next_span();
            return Err(err(
                codes::EXPECTED_EXPR,
                format!(
                    "expected an expression after `let {} =`, found {found}",
                    name.name
                ),
                span,
            ));
        }
        Ok(LetStatement {
            name,
            value: LetValue::Expr(self.expr()?),
        })
    }

    /// After `(`: `)` then `{`, or `name:` — a parameter list, not a
    /// parenthesised expression.
    fn looks_like_function(&mut self) -> bool {
        let save = self.pos;
        self.pos += 1;
        let result = if self.eat(")").is_some() {
            self.peek() == Some(b'{')
        } else if self.ident().is_ok() {
            self.peek() == Some(b':')
        } else {
            false
        };
        self.pos = save;
        result
    }

    fn function_def(&mut self) -> PResult<FunctionDef> {
        self.skip_ws();
        let start = self.pos;
        let open = self.expect("(", "`(`")?;
        let params = self.parameters(open)?;
        let brace = self.expect("{", "`{` to start the function body")?;
        self.enter()?;
        let mut body = Vec::new();
        loop {
            while self.eat(";").is_some() {}
            if self.peek() == Some(b'}') || self.at_end() {
                break;
            }
            let stmt = self.statement()?;
            let is_query = matches!(stmt.kind, StatementKind::Query(_));
            let end = stmt.span;
            body.push(stmt);
            if self.eat(";").is_some() || self.peek() == Some(b'}') {
                continue;
            }
            if self.at_end() {
                break;
            }
            return Err(self.missing_separator(is_query, end));
        }
        self.close("}", "{", brace)?;
        self.leave();
        Ok(FunctionDef {
            params,
            body,
            span: self.span_from(start),
        })
    }

    /// `name: type [= default], ...)` after the opening `(`.
    fn parameters(&mut self, open: Span) -> PResult<Vec<Parameter>> {
        let mut params = Vec::new();
        if self.eat(")").is_some() {
            return Ok(params);
        }
        loop {
            self.skip_ws();
            let start = self.pos;
            let name = self.ident()?;
            self.expect_lazy(":", || {
                format!("`:` and a type after parameter `{}`", name.name)
            })?;
            let ty = if let Some(open) = self.eat("(") {
                let (columns, wildcard) = self.tabular_type(open)?;
                ParamType::Tabular { columns, wildcard }
            } else {
                ParamType::Scalar(self.type_name()?)
            };
            let default = if self.eat_assign().is_some() {
                Some(self.expr_np("=")?)
            } else {
                None
            };
            params.push(Parameter {
                name,
                ty,
                default,
                span: self.span_from(start),
            });
            if self.comma(&[")"])? {
                continue;
            }
            self.close(")", "(", open)?;
            return Ok(params);
        }
    }

    /// `x: long, *)` after `(`.
    fn tabular_type(&mut self, open: Span) -> PResult<(Vec<ColumnDecl>, bool)> {
        let mut columns = Vec::new();
        let mut wildcard = false;
        if self.eat(")").is_some() {
            return Ok((columns, wildcard));
        }
        loop {
            if self.eat("*").is_some() {
                wildcard = true;
            } else {
                columns.push(self.column_decl()?);
            }
            if self.comma(&[")"])? {
                continue;
            }
            self.close(")", "(", open)?;
            return Ok((columns, wildcard));
        }
    }

    fn column_decl(&mut self) -> PResult<ColumnDecl> {
        self.skip_ws();
        let start = self.pos;
        let name = self.ident()?;
        self.expect_lazy(":", || {
            format!("`:` and a type after column `{}`", name.name)
        })?;
        let ty = self.type_name()?;
        Ok(ColumnDecl {
            name,
            ty,
            span: self.span_from(start),
        })
    }

    /// `a: long, b: string)` after `(`.
    fn column_decls(&mut self, open: Span) -> PResult<Vec<ColumnDecl>> {
        let mut columns = Vec::new();
        if self.eat(")").is_some() {
            return Ok(columns);
        }
        loop {
            columns.push(self.column_decl()?);
            if self.comma(&[")"])? {
                continue;
            }
            self.close(")", "(", open)?;
            return Ok(columns);
        }
    }

    /// `a: long, b: string,)` after `(`: like [`Self::column_decls`], but a
    /// comma before the `)` is accepted (the `externaldata` schema allows it).
    pub(crate) fn column_decls_trailing(&mut self, open: Span) -> PResult<Vec<ColumnDecl>> {
        let mut columns = Vec::new();
        loop {
            if self.eat(")").is_some() {
                return Ok(columns);
            }
            columns.push(self.column_decl()?);
            if self.eat(",").is_some() {
                continue;
            }
            self.close(")", "(", open)?;
            return Ok(columns);
        }
    }

    pub(super) fn type_name(&mut self) -> PResult<TypeName> {
        let Some(word) = self.peek_word() else {
            return Err(self.expected("a type name"));
        };
        let span = self.next_span();
        match TypeName::from_name(word) {
            Some(ty) => {
                self.pos += word.len();
                Ok(ty)
            }
            None => {
                let mut d =
                    Diagnostic::error(codes::UNKNOWN_TYPE, format!("unknown type `{word}`"), span);
                const TYPES: &[&str] = &[
                    "bool", "int", "long", "real", "decimal", "string", "datetime", "timespan",
                    "guid", "dynamic",
                ];
                if let Some(s) = closest(word, TYPES) {
                    d = d.with_hint(format!("did you mean `{s}`?"));
                }
                Err(Box::new(d))
            }
        }
    }

    /// After an item of a comma list: consumes `,` and returns true, or
    /// returns false. A comma followed by one of `ends` (or `|`, `;`, the
    /// end) is a trailing comma.
    fn comma(&mut self, ends: &[&str]) -> PResult<bool> {
        let Some(span) = self.eat(",") else {
            return Ok(false);
        };
        self.skip_ws();
        let trailing = self.at_end()
            || ends.iter().any(|e| {
                self.rest().starts_with(e)
                    && (!e.as_bytes()[0].is_ascii_alphabetic() || self.is_word(e))
            })
            || (self.peek() == Some(b'|'))
            || (self.peek() == Some(b';'));
        if trailing {
            return Err(Box::new(
                Diagnostic::error(codes::TRAILING_COMMA, "trailing comma", span)
                    .with_hint("remove the `,` or add the missing item after it"),
            ));
        }
        Ok(true)
    }

    // ----- names ----------------------------------------------------------------

    /// A plain or quoted (`['x']`, `["x"]`) identifier.
    fn ident(&mut self) -> PResult<Ident> {
        self.skip_ws();
        let start = self.pos;
        if let Some(word) = lex::ident(self.rest()) {
            self.pos += word.len();
            return Ok(Ident {
                name: word.to_string(),
                span: self.span_from(start),
            });
        }
        if self.at(0) == Some(b'[') {
            let save = self.pos;
            self.pos += 1;
            self.skip_ws();
            if matches!(self.at(0), Some(b'\'' | b'"')) {
                let name = self.string_literal()?;
                let open = Span::new(save, save + 1);
                self.close("]", "[", open)?;
                return Ok(Ident {
                    name,
                    span: self.span_from(start),
                });
            }
            self.pos = save;
        }
        Err(self.expected("a name"))
    }

    /// A name that may contain `*` wildcards (`project-away Prefix*`, `union Sec*`).
    fn wildcard_ident(&mut self) -> PResult<Ident> {
        self.skip_ws();
        let start = self.pos;
        let len = self
            .rest()
            .bytes()
            .take_while(|b| lex::is_ident_char(*b) || *b == b'*')
            .count();
        if len == 0 || self.at(0).is_some_and(|b| b.is_ascii_digit()) {
            return self.ident();
        }
        self.pos += len;
        Ok(Ident {
            name: self.src[start..self.pos].to_string(),
            span: self.span_from(start),
        })
    }

    /// `a.b.c` kept whole as one name (`hint.strategy`, `set` options).
    fn dotted_name(&mut self) -> PResult<Ident> {
        self.skip_ws();
        let start = self.pos;
        let first = self.ident()?;
        let mut name = first.name;
        while self.at(0) == Some(b'.') && self.at(1).is_some_and(lex::is_ident_start) {
            self.pos += 1;
            let word = lex::ident(self.rest()).unwrap_or("");
            self.pos += word.len();
            name.push('.');
            name.push_str(word);
        }
        Ok(Ident {
            name,
            span: self.span_from(start),
        })
    }

    fn ident_list(&mut self, after: &str, wildcard: bool) -> PResult<Vec<Ident>> {
        let mut out = Vec::new();
        if !self
            .peek()
            .is_some_and(|b| lex::is_ident_start(b) || b == b'[' || (wildcard && b == b'*'))
        {
            return Err(self.expected(&format!("a column name after `{after}`")));
        }
        loop {
            out.push(if wildcard {
                self.wildcard_ident()?
            } else {
                self.ident()?
            });
            if !self.comma(&[")"])? {
                return Ok(out);
            }
        }
    }

    // ----- expressions ------------------------------------------------------------

    fn can_start_expr(&mut self) -> bool {
        match self.peek() {
            None => false,
            Some(b) => {
                lex::is_ident_start(b)
                    || b.is_ascii_digit()
                    || matches!(
                        b,
                        b'"' | b'\'' | b'(' | b'[' | b'-' | b'+' | b'@' | b'$' | b'`' | b'*'
                    )
            }
        }
    }

    /// Checks an expression can start here, else "expected an expression after `{after}`".
    fn need_expr(&mut self, after: &str) -> PResult<()> {
        if self.can_start_expr() && (self.peek() != Some(b'*') || self.star_ok()) {
            return Ok(());
        }
        if self.at_assign() {
            return Err(self.assignment_error());
        }
        let found = self.found();
        let span = if matches!(self.peek(), None | Some(b'|' | b';' | b')' | b']' | b'}')) {
            self.after_prev()
        } else {
            self.next_span()
        };
        Err(err(
            codes::EXPECTED_EXPR,
            format!("expected an expression after `{after}`, found {found}"),
            span,
        ))
    }

    fn star_ok(&self) -> bool {
        let mut k = 1;
        while self.at(k).is_some_and(|b| b.is_ascii_whitespace()) {
            k += 1;
        }
        // `count(*)`, `distinct *`, `search *`, `search * has "x"`.
        matches!(self.at(k), Some(b')' | b',' | b'|' | b';') | None)
            || self
                .src
                .get(self.pos + k..)
                .is_some_and(|r| r.starts_with("has") || r.starts_with("contains"))
    }

    /// A full expression, pipes included.
    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        self.skip_ws();
        let start = self.pos;
        let outer = std::mem::replace(&mut self.source_ok, true);
        let e = self.binary(OR);
        self.source_ok = outer;
        let mut e = e?;
        // A pipeline is a flat chain, not nesting: its stages are one list
        // and do not count against the depth limit (the binder bounds the
        // depth of the plan it builds).
        while self.peek() == Some(b'|') {
            self.pos += 1;
            let op = self.operator()?;
            let span = self.span_from(start);
            match &mut e.kind {
                ExprKind::Pipe { ops, .. } => {
                    ops.push(op);
                    e.span = span;
                }
                _ => {
                    e = Expr {
                        kind: ExprKind::Pipe {
                            input: Box::new(e),
                            ops: vec![op],
                        },
                        span,
                    }
                }
            }
        }
        self.leave();
        Ok(e)
    }

    /// An expression without a top-level pipe (operator arguments).
    fn expr_np(&mut self, after: &str) -> PResult<Expr> {
        self.need_expr(after)?;
        self.enter()?;
        let e = self.binary(OR);
        self.leave();
        e
    }

    fn peek_op(&mut self) -> Option<(Op, u8, usize)> {
        use BinaryOp as B;
        let b0 = self.peek()?;
        let b1 = self.at(1);
        let sym = |op, level, len| Some((Op::Bin(op), level, len));
        match b0 {
            b'=' => match b1 {
                Some(b'=') => return sym(B::Eq, CMP, 2),
                Some(b'~') => return sym(B::EqTilde, CMP, 2),
                _ => return None,
            },
            b'<' => match b1 {
                Some(b'=') => return sym(B::LtEq, CMP, 2),
                Some(b'>') => return sym(B::NotEq, CMP, 2),
                _ => return sym(B::Lt, CMP, 1),
            },
            b'>' => match b1 {
                Some(b'=') => return sym(B::GtEq, CMP, 2),
                _ => return sym(B::Gt, CMP, 1),
            },
            b'+' => return sym(B::Add, ADD, 1),
            b'-' => return sym(B::Sub, ADD, 1),
            b'*' => return sym(B::Mul, MUL, 1),
            b'/' => return sym(B::Div, MUL, 1),
            b'%' => return sym(B::Mod, MUL, 1),
            b'!' => match b1 {
                Some(b'=') => return sym(B::NotEq, CMP, 2),
                Some(b'~') => return sym(B::NotEqTilde, CMP, 2),
                _ => {}
            },
            _ => {}
        }
        let (negated, off) = if b0 == b'!' { (true, 1) } else { (false, 0) };
        let word = lex::ident(self.src.get(self.pos + off..)?)?;
        let len = off + word.len();
        if !negated {
            match word {
                "and" => return sym(B::And, AND, len),
                "or" => return sym(B::Or, OR, len),
                "has_any" => return Some((Op::List(ListOp::HasAny), CMP, len)),
                "has_all" => return Some((Op::List(ListOp::HasAll), CMP, len)),
                _ => {}
            }
        }
        match word {
            "in" => {
                let ci = self.at(len) == Some(b'~');
                let op = match (negated, ci) {
                    (false, false) => ListOp::In,
                    (true, false) => ListOp::NotIn,
                    (false, true) => ListOp::InCi,
                    (true, true) => ListOp::NotInCi,
                };
                return Some((Op::List(op), CMP, len + usize::from(ci)));
            }
            "between" => return Some((Op::Between(negated), CMP, len)),
            "notbetween" if !negated => return Some((Op::Between(true), CMP, len)),
            "matches" if !negated => {
                let after = self.src.get(self.pos + len..)?;
                let ws = lex::trivia_len(after);
                if lex::ident(after.get(ws..)?) == Some("regex") {
                    let op = StrOp {
                        kind: StrOpKind::MatchesRegex,
                        negated: false,
                        case_sensitive: true,
                    };
                    return sym(B::Str(op), CMP, len + ws + 5);
                }
                return None;
            }
            _ => {}
        }
        let (base, cs) = match word.strip_suffix("_cs") {
            Some(base) => (base, true),
            None => (word, false),
        };
        let (kind, extra_neg, cs) = match base {
            "has" => (StrOpKind::Has, false, cs),
            "hasprefix" => (StrOpKind::HasPrefix, false, cs),
            "hassuffix" => (StrOpKind::HasSuffix, false, cs),
            "contains" => (StrOpKind::Contains, false, cs),
            "containscs" => (StrOpKind::Contains, false, true),
            "notcontains" => (StrOpKind::Contains, true, cs),
            "notcontainscs" => (StrOpKind::Contains, true, true),
            "nothas" => (StrOpKind::Has, true, cs),
            "startswith" => (StrOpKind::StartsWith, false, cs),
            "endswith" => (StrOpKind::EndsWith, false, cs),
            "like" => (StrOpKind::Like, false, cs),
            "notlike" => (StrOpKind::Like, true, cs),
            _ => return None,
        };
        if negated && extra_neg {
            return None;
        }
        let op = StrOp {
            kind,
            negated: negated || extra_neg,
            case_sensitive: cs,
        };
        sym(B::Str(op), CMP, len)
    }

    fn binary(&mut self, min: u8) -> PResult<Expr> {
        self.skip_ws();
        let start = self.pos;
        let mut left = self.unary()?;
        let mut after_cmp = false;
        // After `in (...)` or `between (...)` nothing has absorbed the
        // tighter operators, so `x in (1) + 1` would read as `(x in (1)) + 1`.
        let mut after_list = false;
        let depth = self.depth;
        // The current run of one operator (levels only fall along this
        // loop, so a run ends for good when another operator comes).
        let mut run: Option<(Op, usize)> = None;
        while let Some((op, level, len)) = self.peek_op() {
            if level < min {
                break;
            }
            let op_span = Span::new(self.pos, self.pos + len);
            if is_open_source(&left) {
                return Err(source_operand_error(op_span));
            }
            if after_list && level > CMP {
                return Err(Box::new(
                    Diagnostic::error(
                        codes::UNEXPECTED,
                        "an arithmetic operator cannot follow `in (...)` or `between (...)`",
                        op_span,
                    )
                    .with_hint("add parentheses around the part that comes first"),
                ));
            }
            if level == CMP && after_cmp {
                return Err(Box::new(
                    Diagnostic::error(
                        codes::CHAINED_COMPARISON,
                        "comparison operators cannot be chained",
                        op_span,
                    )
                    .with_hint("add parentheses, or join the comparisons with `and`"),
                ));
            }
            self.pos += len;
            let run_len = match run {
                Some((o, n)) if o == op => n + 1,
                _ => {
                    left = end_run(left, run);
                    1
                }
            };
            run = Some((op, run_len));
            // A long run of one associative operator is rebalanced when it
            // ends, so its links past the first few are not nesting.
            if run_len <= BALANCE_AFTER || !matches!(op, Op::Bin(b) if is_associative(b)) {
                self.enter()?;
            }
            let src = self.src;
            let op_text = &src[op_span.range()];
            let kind = match op {
                Op::Bin(op) => {
                    self.need_expr(op_text)?;
                    let right = self.binary(level + 1)?;
                    ExprKind::Binary {
                        op,
                        left: Box::new(left),
                        right: Box::new(right),
                    }
                }
                Op::List(op) => {
                    let list = self.list_operand(op_text)?;
                    ExprKind::List {
                        op,
                        expr: Box::new(left),
                        list,
                    }
                }
                Op::Between(negated) => {
                    let open = self.expect_lazy("(", || format!("`(` after `{op_text}`"))?;
                    let low = self.expr_np("(")?;
                    self.expect("..", "`..` between the bounds")?;
                    let high = self.expr_np("..")?;
                    self.close(")", "(", open)?;
                    ExprKind::Between {
                        negated,
                        expr: Box::new(left),
                        low: Box::new(low),
                        high: Box::new(high),
                    }
                }
            };
            after_cmp = level == CMP;
            after_list = matches!(kind, ExprKind::List { .. } | ExprKind::Between { .. });
            left = Expr {
                kind,
                span: self.span_from(start),
            };
        }
        self.depth = depth;
        Ok(end_run(left, run))
    }

    /// The right side of `in`, `has_any`, ...: `(a, b)`, `(T | project x)`,
    /// or (leniently) a single operand.
    fn list_operand(&mut self, op_text: &str) -> PResult<Vec<Expr>> {
        if let Some(open) = self.eat("(") {
            self.enter()?;
            let mut list = Vec::new();
            if self.eat(")").is_none() {
                loop {
                    self.need_expr(if list.is_empty() { "(" } else { "," })?;
                    list.push(self.expr()?);
                    if self.comma(&[")"])? {
                        continue;
                    }
                    self.close(")", "(", open)?;
                    break;
                }
            }
            self.leave();
            return Ok(list);
        }
        self.need_expr(op_text)?;
        Ok(vec![self.unary()?])
    }

    fn unary(&mut self) -> PResult<Expr> {
        let op = match self.peek() {
            Some(b'-') => UnaryOp::Neg,
            Some(b'+') => UnaryOp::Plus,
            _ => return self.postfix(),
        };
        let start = self.pos;
        self.pos += 1;
        self.source_ok = false;
        self.need_expr(if op == UnaryOp::Neg { "-" } else { "+" })?;
        self.enter()?;
        let operand = self.unary()?;
        self.leave();
        Ok(Expr {
            kind: ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span: self.span_from(start),
        })
    }

    fn postfix(&mut self) -> PResult<Expr> {
        self.skip_ws();
        let start = self.pos;
        let mut e = self.primary()?;
        let depth = self.depth;
        loop {
            if matches!(self.peek(), Some(b'.' | b'[')) {
                if is_open_source(&e) {
                    return Err(source_operand_error(self.next_span()));
                }
                self.enter()?;
            }
            match self.peek() {
                Some(b'.') if self.at(1) != Some(b'.') => {
                    self.pos += 1;
                    self.skip_ws();
                    if self.at(0) == Some(b'[') && !matches!(self.at(1), Some(b'\'' | b'"')) {
                        // `x.[i]` is `x[i]`.
                        continue;
                    }
                    let member = if self.at(0) == Some(b'[')
                        || self.at(0).is_some_and(lex::is_ident_start)
                    {
                        self.ident()?
                    } else if self.at(0) == Some(b'$') {
                        let s = self.pos;
                        self.pos += 1;
                        let w = lex::ident(self.rest()).unwrap_or("");
                        self.pos += w.len();
                        Ident {
                            name: self.src[s..self.pos].to_string(),
                            span: self.span_from(s),
                        }
                    } else {
                        return Err(self.expected("a member name after `.`"));
                    };
                    e = Expr {
                        kind: ExprKind::Member {
                            target: Box::new(e),
                            member,
                        },
                        span: self.span_from(start),
                    };
                }
                Some(b'[') => {
                    let open = Span::new(self.pos, self.pos + 1);
                    self.pos += 1;
                    self.need_expr("[")?;
                    let index = self.expr()?;
                    self.close("]", "[", open)?;
                    e = Expr {
                        kind: ExprKind::Index {
                            target: Box::new(e),
                            index: Box::new(index),
                        },
                        span: self.span_from(start),
                    };
                }
                Some(b':')
                    if self.in_search
                        && self.at(1) != Some(b':')
                        && matches!(e.kind, ExprKind::Name(_)) =>
                {
                    self.depth = depth;
                    return self.search_column_term(e, start);
                }
                _ => {
                    self.depth = depth;
                    return Ok(e);
                }
            }
        }
    }

    /// `Column:"term"` / `Column:term` in a `search` predicate (after the
    /// column): `Column has "term"`, or `hasprefix`/`hassuffix`/`contains`
    /// for a term ending, starting or both with `*`.
    fn search_column_term(&mut self, column: Expr, start: usize) -> PResult<Expr> {
        self.pos += 1;
        self.skip_ws();
        let term_start = self.pos;
        let term = match self.peek() {
            Some(b'"' | b'\'' | b'@') => self.string_literal()?,
            _ => {
                let rest = self.rest();
                let n = rest
                    .find(|c: char| c.is_whitespace() || matches!(c, ')' | '(' | '|' | ';' | ','))
                    .unwrap_or(rest.len());
                if n == 0 {
                    return Err(self.expected("a search term after `:`"));
                }
                self.pos += n;
                rest.get(..n).unwrap_or_default().to_string()
            }
        };
        let (kind, term) = match (term.strip_prefix('*'), term.strip_suffix('*')) {
            (Some(t), Some(_)) if term.len() >= 2 => (
                StrOpKind::Contains,
                t.strip_suffix('*').unwrap_or(t).to_string(),
            ),
            (Some(t), _) => (StrOpKind::HasSuffix, t.to_string()),
            (_, Some(t)) => (StrOpKind::HasPrefix, t.to_string()),
            _ => (StrOpKind::Has, term),
        };
        Ok(Expr {
            kind: ExprKind::Binary {
                op: BinaryOp::Str(StrOp {
                    kind,
                    negated: false,
                    case_sensitive: false,
                }),
                left: Box::new(column),
                right: Box::new(Expr {
                    kind: ExprKind::Literal(Literal::String(term)),
                    span: self.span_from(term_start),
                }),
            },
            span: self.span_from(start),
        })
    }

    fn primary(&mut self) -> PResult<Expr> {
        self.skip_ws();
        // Only the first primary of a full expression may be a source.
        let source_ok = std::mem::replace(&mut self.source_ok, false);
        if self.at(0) == Some(b'(') {
            return self.paren();
        }
        self.primary_other(source_ok)
    }

    /// `( expr )`, kept small: it is on the stack once per nesting level.
    fn paren(&mut self) -> PResult<Expr> {
        let start = self.pos;
        let open = Span::new(self.pos, self.pos + 1);
        self.pos += 1;
        self.need_expr("(")?;
        let inner = self.expr()?;
        self.close(")", "(", open)?;
        Ok(Expr {
            kind: ExprKind::Paren(Box::new(inner)),
            span: self.span_from(start),
        })
    }

    fn primary_other(&mut self, source_ok: bool) -> PResult<Expr> {
        let start = self.pos;
        let Some(b0) = self.at(0) else {
            return Err(err(
                codes::EXPECTED_EXPR,
                "expected an expression, found end of input",
                self.here(),
            ));
        };
        let lit = |p: &Self, l: Literal| Expr {
            kind: ExprKind::Literal(l),
            span: p.span_from(start),
        };
        match b0 {
            b'(' => {
                let open = Span::new(self.pos, self.pos + 1);
                self.pos += 1;
                self.need_expr("(")?;
                let inner = self.expr()?;
                self.close(")", "(", open)?;
                return Ok(Expr {
                    kind: ExprKind::Paren(Box::new(inner)),
                    span: self.span_from(start),
                });
            }
            b'"' | b'\'' | b'`' => {
                let s = self.string_literal()?;
                return Ok(lit(self, Literal::String(s)));
            }
            b'@' if matches!(self.at(1), Some(b'"' | b'\'')) => {
                let s = self.string_literal()?;
                return Ok(lit(self, Literal::String(s)));
            }
            b'h' | b'H'
                if matches!(self.at(1), Some(b'"' | b'\''))
                    || (self.at(1) == Some(b'@') && matches!(self.at(2), Some(b'"' | b'\''))) =>
            {
                let s = self.string_literal()?;
                return Ok(lit(self, Literal::String(s)));
            }
            b'0'..=b'9' => {
                match self.number_literal() {
                    Ok(l) => return Ok(lit(self, l)),
                    // A word starting with digits that is no literal
                    // (`5Minutebin`, `1d_window`) is a name, as Kusto's
                    // grammar reads it.
                    Err(e) => match self.digit_name(start) {
                        Some(id) => {
                            return Ok(Expr {
                                span: id.span,
                                kind: ExprKind::Name(id),
                            })
                        }
                        None => return Err(e),
                    },
                }
            }
            b'[' => {
                let name = self.ident()?;
                return Ok(Expr {
                    kind: ExprKind::Name(name),
                    span: self.span_from(start),
                });
            }
            b'$' => {
                let word = lex::ident(self.src.get(self.pos + 1..).unwrap_or(""));
                let side = match word {
                    Some("left") => JoinSide::Left,
                    Some("right") => JoinSide::Right,
                    // `$table` (the source table of `search` and `union`
                    // rows) and other `$` names are ordinary names.
                    Some(w) => {
                        self.pos += 1 + w.len();
                        let id = Ident {
                            name: format!("${w}"),
                            span: self.span_from(start),
                        };
                        return Ok(Expr {
                            span: id.span,
                            kind: ExprKind::Name(id),
                        });
                    }
                    None => return Err(self.expected("`$left`, `$right` or a name after `$`")),
                };
                self.pos += 1 + word.map_or(0, str::len);
                return Ok(Expr {
                    kind: ExprKind::JoinSide(side),
                    span: self.span_from(start),
                });
            }
            b'*' => {
                self.pos += 1;
                return Ok(Expr {
                    kind: ExprKind::Star,
                    span: self.span_from(start),
                });
            }
            _ => {}
        }
        let Some(word) = lex::ident(self.rest()) else {
            let found = self.found();
            let span = self.next_span();
            if b0 == b')' {
                return Err(err(
                    codes::EXPECTED_EXPR,
                    "expected an expression, found `)`",
                    span,
                ));
            }
            return Err(err(
                codes::EXPECTED_EXPR,
                format!("expected an expression, found {found}"),
                span,
            ));
        };
        let word_end = self.pos + word.len();
        let paren_next = {
            let after = self.src.get(word_end..).unwrap_or("");
            after.as_bytes().get(lex::trivia_len(after)) == Some(&b'(')
        };
        match word {
            "true" | "True" | "TRUE" => {
                self.pos = word_end;
                return Ok(lit(self, Literal::Bool(Some(true))));
            }
            "false" | "False" | "FALSE" => {
                self.pos = word_end;
                return Ok(lit(self, Literal::Bool(Some(false))));
            }
            _ => {}
        }
        if let Some(e) = self.source(word, start, source_ok)? {
            return Ok(e);
        }
        if paren_next {
            if let Some(l) = self.typed_literal(word)? {
                return Ok(lit(self, l));
            }
            let call = self.call()?;
            return Ok(Expr {
                kind: ExprKind::Call(call),
                span: self.span_from(start),
            });
        }
        self.pos = word_end;
        Ok(Expr {
            kind: ExprKind::Name(Ident {
                name: word.to_string(),
                span: self.span_from(start),
            }),
            span: self.span_from(start),
        })
    }

    /// `name(args)`: positional args, `*`, and `name = value` named args.
    fn call(&mut self) -> PResult<Call> {
        let name = self.ident()?;
        let open = self.expect("(", "`(`")?;
        self.enter()?;
        let mut args = Vec::new();
        let mut named = Vec::new();
        if self.eat(")").is_none() {
            loop {
                self.skip_ws();
                if let Some(n) = self.digit_name_assign() {
                    let v = self.expr_np("=")?;
                    named.push((n, v));
                } else if self.peek_word().is_some() && self.named_arg_next() {
                    let n = self.ident()?;
                    self.eat_assign();
                    let v = self.expr_np("=")?;
                    named.push((n, v));
                } else {
                    let after = if args.is_empty() && named.is_empty() {
                        "("
                    } else {
                        ","
                    };
                    self.need_expr(after)?;
                    args.push(self.expr()?);
                }
                if self.comma(&[")"])? {
                    continue;
                }
                self.close(")", "(", open)?;
                break;
            }
        }
        self.leave();
        Ok(Call { name, args, named })
    }

    /// A name starting with a digit (`5h_MovingAvg = ...`), which Kusto
    /// accepts as an output name before `=`; consumes the `=` too.
    fn digit_name_assign(&mut self) -> Option<Ident> {
        if !self.peek().is_some_and(|b| b.is_ascii_digit()) {
            return None;
        }
        let start = self.pos;
        let len = self
            .rest()
            .bytes()
            .take_while(|b| lex::is_ident_char(*b))
            .count();
        let token = &self.src[start..start + len];
        if !token.bytes().any(|b| b.is_ascii_alphabetic() || b == b'_') {
            return None;
        }
        self.pos += len;
        if !self.at_assign() {
            self.pos = start;
            return None;
        }
        let span = Span::new(start, start + len);
        self.eat_assign();
        Some(Ident {
            name: token.to_string(),
            span,
        })
    }

    /// A word from `start` that begins with digits and holds a letter or
    /// `_` but is no number or timespan literal: a name. Sets the position
    /// after it.
    fn digit_name(&mut self, start: usize) -> Option<Ident> {
        let len = self
            .src
            .get(start..)?
            .bytes()
            .take_while(|b| lex::is_ident_char(*b))
            .count();
        let token = self.src.get(start..start + len)?;
        // Names, not mistyped timespans: a `_` in the word, or a unit
        // followed by more letters (`5Minutebin`); `5x` and `5mins` stay
        // literal errors.
        let suffix = token.trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
        let lower = suffix.to_ascii_lowercase();
        let longest_unit = (1..=lower.len()).rev().find(|n| {
            lower
                .get(..*n)
                .is_some_and(|u| lex::timespan_unit(u).is_some())
        });
        let unit_then_word = longest_unit.is_some_and(|n| lower.len() - n >= 2);
        if !(token.contains('_') || unit_then_word) {
            return None;
        }
        self.pos = start + len;
        Some(Ident {
            name: token.to_string(),
            span: Span::new(start, start + len),
        })
    }

    fn named_arg_next(&mut self) -> bool {
        let save = self.pos;
        let w = self.peek_word().map_or(0, str::len);
        self.pos += w;
        let ok = self.at_assign();
        self.pos = save;
        ok
    }
}
