//! The KQL syntax tree.
//!
//! Scalar and tabular expressions share one [`Expr`] type, as in Kusto's own
//! grammar: the pipe is the loosest binary form (`T | where x > 1` is an
//! [`ExprKind::Pipe`]), so `toscalar(T | count)`, `x in (T | project y)` and
//! `let t = T | take 5;` need no special cases. The binder decides which
//! expressions are tabular.
//!
//! Every node carries a [`Span`]; equality compares spans too. Use
//! [`Script::without_spans`] (or the printer round trip) to compare shapes.

use crate::span::Span;

/// A whole query text: statements separated by `;`.
#[derive(Debug, Clone, PartialEq)]
pub struct Script {
    /// Statements in source order; the last tabular [`StatementKind::Query`] is
    /// the result.
    pub statements: Vec<Statement>,
    /// The whole text.
    pub span: Span,
}

/// One `;`-separated statement.
#[derive(Debug, Clone, PartialEq)]
pub struct Statement {
    /// What the statement is.
    pub kind: StatementKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of statement.
#[derive(Debug, Clone, PartialEq)]
pub enum StatementKind {
    /// `let LookbackPeriod = 24h;`, `let T = SigninLogs | take 5;`,
    /// `let f = (x: long) { x + 1 };`
    Let(LetStatement),
    /// A query expression: `SigninLogs | where ResultType == 0`.
    Query(Expr),
    /// `declare query_parameters(Start: datetime, Limit: long = 10);`
    DeclareQueryParameters(Vec<Parameter>),
    /// `set querytrace;`, `set truncationmaxrecords = 100;`
    Set(SetStatement),
    /// `declare pattern p = (a: string)[b: string] { ("x").["y"] = { T }; };`
    DeclarePattern(PatternDecl),
}

/// A `declare pattern` statement: a table-valued mapping from constant
/// arguments (and an optional path) to queries.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternDecl {
    /// The pattern's name.
    pub name: Ident,
    /// Argument parameters `(a: string, ...)`.
    pub params: Vec<Parameter>,
    /// The path parameter `[b: string]`, if any.
    pub path: Option<Parameter>,
    /// The rules, in order.
    pub rules: Vec<PatternRule>,
}

/// One rule of a pattern: `("x").["y"] = { query };`.
#[derive(Debug, Clone, PartialEq)]
pub struct PatternRule {
    /// Argument values.
    pub args: Vec<Expr>,
    /// Path value, if the pattern has a path.
    pub path: Option<Expr>,
    /// The query.
    pub body: Expr,
    /// Where it is.
    pub span: Span,
}

/// `let name = value`.
#[derive(Debug, Clone, PartialEq)]
pub struct LetStatement {
    /// The bound name.
    pub name: Ident,
    /// What it is bound to.
    pub value: LetValue,
}

/// The right-hand side of a `let`.
#[derive(Debug, Clone, PartialEq)]
pub enum LetValue {
    /// A scalar or tabular expression: `24h`, `SigninLogs | take 10`,
    /// `materialize(T | summarize count())`.
    Expr(Expr),
    /// A user function: `(T: (x: long), n: int = 3) { T | take n }`.
    Function(FunctionDef),
}

/// A user-defined function (lambda) body with its parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct FunctionDef {
    /// Parameters in order.
    pub params: Vec<Parameter>,
    /// Statements inside `{ ... }`: zero or more `let`s, then one expression.
    pub body: Vec<Statement>,
    /// From `(` to `}`.
    pub span: Span,
}

/// A typed parameter: `x: long = 10`, `T: (TimeGenerated: datetime)`, `T: (*)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// The parameter name.
    pub name: Ident,
    /// Its declared type.
    pub ty: ParamType,
    /// Default value, if any.
    pub default: Option<Expr>,
    /// Where it is.
    pub span: Span,
}

/// The type of a function or query parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum ParamType {
    /// A scalar type: `long`, `string`, `dynamic`.
    Scalar(TypeName),
    /// A tabular type: `(x: long, y: string)`; `wildcard` when it ends in `*`
    /// (`(*)`, `(x: long, *)`).
    Tabular {
        /// Required columns.
        columns: Vec<ColumnDecl>,
        /// Whether other columns are accepted.
        wildcard: bool,
    },
}

/// `name: type`, as in `datatable(...)` schemas and tabular parameter types.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnDecl {
    /// Column name.
    pub name: Ident,
    /// Column type.
    pub ty: TypeName,
    /// Where it is.
    pub span: Span,
}

/// `set name [= value]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SetStatement {
    /// Option name (may contain dots).
    pub name: Ident,
    /// Option value as written (identifier, number or string literal).
    pub value: Option<Expr>,
}

/// KQL's scalar type names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TypeName {
    /// `bool` (alias `boolean`).
    Bool,
    /// `int` (32-bit).
    Int,
    /// `long` (64-bit).
    Long,
    /// `real` (alias `double`).
    Real,
    /// `decimal` (128-bit).
    Decimal,
    /// `string`.
    String,
    /// `datetime` (alias `date`).
    DateTime,
    /// `timespan` (alias `time`).
    TimeSpan,
    /// `guid` (alias `uniqueid`).
    Guid,
    /// `dynamic`.
    Dynamic,
}

impl TypeName {
    /// Parses a type name or one of its aliases.
    pub fn from_name(name: &str) -> Option<TypeName> {
        Some(match name {
            "bool" | "boolean" => TypeName::Bool,
            "int" => TypeName::Int,
            "long" => TypeName::Long,
            "real" | "double" => TypeName::Real,
            "decimal" => TypeName::Decimal,
            "string" => TypeName::String,
            "datetime" | "date" => TypeName::DateTime,
            "timespan" | "time" => TypeName::TimeSpan,
            "guid" | "uniqueid" => TypeName::Guid,
            "dynamic" => TypeName::Dynamic,
            _ => return None,
        })
    }

    /// The canonical KQL name.
    pub fn as_str(self) -> &'static str {
        match self {
            TypeName::Bool => "bool",
            TypeName::Int => "int",
            TypeName::Long => "long",
            TypeName::Real => "real",
            TypeName::Decimal => "decimal",
            TypeName::String => "string",
            TypeName::DateTime => "datetime",
            TypeName::TimeSpan => "timespan",
            TypeName::Guid => "guid",
            TypeName::Dynamic => "dynamic",
        }
    }
}

/// A name: a column, table, `let` binding, function or option.
///
/// Quoted forms (`['My Column']`, `["x"]`) hold the unquoted text; the printer
/// quotes names that need it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ident {
    /// The name, unquoted.
    pub name: String,
    /// Where it is (including any quotes).
    pub span: Span,
}

/// An expression, scalar or tabular.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is.
    pub span: Span,
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A literal: `0`, `"KP"`, `24h`, `datetime(2024-01-01)`, `dynamic(["a"])`.
    Literal(Literal),
    /// A name: `ResultType`, `SigninLogs`, `LookbackPeriod`.
    Name(Ident),
    /// `$left` or `$right` in a join condition.
    JoinSide(JoinSide),
    /// Member access: `LocationDetails.countryOrRegion`.
    Member {
        /// The object.
        target: Box<Expr>,
        /// The member name.
        member: Ident,
    },
    /// Indexing: `Tags[0]`, `Bag['key']`, `T[-1]`.
    Index {
        /// The array or bag.
        target: Box<Expr>,
        /// The index or key.
        index: Box<Expr>,
    },
    /// A function call: `ago(LookbackPeriod)`, `count()`, `iff(a, b, c)`,
    /// `materialize(T)`, `toscalar(T | count)`, `table("T")`.
    Call(Call),
    /// `*` as a call argument (`count(*)`) or column wildcard.
    Star,
    /// `-x`, `+x`.
    Unary {
        /// The operator.
        op: UnaryOp,
        /// Its operand.
        operand: Box<Expr>,
    },
    /// A binary operator: `a + b`, `x == 0`, `ClientApp has "SMTP"`, `a and b`.
    Binary {
        /// The operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<Expr>,
        /// Right operand.
        right: Box<Expr>,
    },
    /// `x in ("a", "b")`, `x !in~ (T | project y)`, `x has_any (L)`.
    List {
        /// The operator.
        op: ListOp,
        /// The value tested.
        expr: Box<Expr>,
        /// The parenthesised list (a single element may be tabular or a
        /// dynamic array).
        list: Vec<Expr>,
    },
    /// `x between (1 .. 10)`, `x !between (a .. b)`.
    Between {
        /// Whether it is `!between`.
        negated: bool,
        /// The value tested.
        expr: Box<Expr>,
        /// Lower bound (inclusive).
        low: Box<Expr>,
        /// Upper bound (inclusive).
        high: Box<Expr>,
    },
    /// A parenthesised expression, kept so the printer reproduces the text's
    /// grouping: `(a or b) and c`.
    Paren(Box<Expr>),
    /// A pipeline: tabular operators applied in order to an input,
    /// `T | where x > 0 | take 5`. It is a flat chain, not nesting: the
    /// parser puts every stage of one pipeline in `ops` (never empty), so
    /// the input is not itself a pipeline unless it is parenthesised, and
    /// code walking the tree loops over the stages.
    Pipe {
        /// The input table expression (the pipeline's source).
        input: Box<Expr>,
        /// The operators, first applied first.
        ops: Vec<Operator>,
    },
    /// A source that is an operator with no input: `print x = 1`,
    /// `range x from 1 to 10 step 1`, `datatable(...)[...]`, `union A, B`,
    /// `externaldata(...)[...]`, `find ...`, `search ...`.
    Source(Box<Operator>),
}

/// `$left` / `$right`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinSide {
    /// `$left`.
    Left,
    /// `$right`.
    Right,
}

/// A call: `name(args)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// Function name.
    pub name: Ident,
    /// Positional arguments in order.
    pub args: Vec<Expr>,
    /// Named arguments in plugin calls: `bag_unpack(x, columnsConflict='keep_source')`.
    pub named: Vec<(Ident, Expr)>,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnaryOp {
    /// `-x`
    Neg,
    /// `+x`
    Plus,
}

/// Binary operators, tightest first in the listed groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `%`
    Mod,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `==`
    Eq,
    /// `!=` (also `<>`)
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
    /// `=~` (case-insensitive equality)
    EqTilde,
    /// `!~`
    NotEqTilde,
    /// A string operator: `has`, `contains_cs`, `!startswith`, `matches regex`, ...
    Str(StrOp),
    /// `and`
    And,
    /// `or`
    Or,
}

/// A string predicate operator with its negation and case flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StrOp {
    /// The base operator.
    pub kind: StrOpKind,
    /// `!has`, `!contains`, ...
    pub negated: bool,
    /// `has_cs`, `contains_cs`, ...
    pub case_sensitive: bool,
}

/// The base string operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StrOpKind {
    /// `has`: whole-term match.
    Has,
    /// `hasprefix`: a term starts with the needle.
    HasPrefix,
    /// `hassuffix`: a term ends with the needle.
    HasSuffix,
    /// `contains`: substring.
    Contains,
    /// `startswith`
    StartsWith,
    /// `endswith`
    EndsWith,
    /// `matches regex` (always case-sensitive, never negated).
    MatchesRegex,
    /// `like` (SQL-style wildcards, `!like`).
    Like,
}

/// Operators taking a parenthesised list on the right.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListOp {
    /// `in`
    In,
    /// `!in`
    NotIn,
    /// `in~`
    InCi,
    /// `!in~`
    NotInCi,
    /// `has_any`
    HasAny,
    /// `has_all`
    HasAll,
}

/// Literal values. `None` payloads are typed nulls: `long(null)`.
#[derive(Debug, Clone, PartialEq)]
pub enum Literal {
    /// `true`, `false`, `bool(null)`.
    Bool(Option<bool>),
    /// `int(5)`, `int(null)`.
    Int(Option<i32>),
    /// `0`, `50126`, `long(null)`.
    Long(Option<i64>),
    /// `1.5`, `1e3`, `real(null)`, `real(nan)`, `real(+inf)`.
    Real(Option<f64>),
    /// `decimal(1.25)`: the digits as written.
    Decimal(Option<String>),
    /// `"KP"`, `'x'`, `@"c:\x"`, `h"secret"`: the decoded text.
    String(String),
    /// `datetime(2024-01-01 10:00)`: the text inside the parentheses;
    /// `datetime(null)` is `None`. The binder converts it to ticks.
    DateTime(Option<String>),
    /// `24h`, `1.5d`, `time(1:00:00)`, `timespan(null)`: 100 ns ticks.
    TimeSpan(Option<i64>),
    /// `guid(...)`: the 128-bit value.
    Guid(Option<u128>),
    /// `dynamic([...])`, `dynamic({...})`, `dynamic(null)`.
    Dynamic(DynamicLiteral),
    /// `typeof(string)`: a type as a value (used by `mv-expand ... to typeof(...)`
    /// and `column_ifexists`-style calls).
    TypeOf(TypeName),
}

/// The JSON-like contents of `dynamic(...)`.
#[derive(Debug, Clone, PartialEq)]
pub enum DynamicLiteral {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// An integer.
    Long(i64),
    /// A real.
    Real(f64),
    /// A string.
    String(String),
    /// A `datetime(...)` inside a dynamic literal: its text.
    DateTime(String),
    /// A timespan literal inside a dynamic literal: ticks.
    TimeSpan(i64),
    /// A guid inside a dynamic literal.
    Guid(u128),
    /// `[a, b]`
    Array(Vec<DynamicLiteral>),
    /// `{"k": v}` in source order.
    Object(Vec<(String, DynamicLiteral)>),
}

/// An expression with optional output names: `Country = tostring(x)`,
/// `(a, b) = f()`, or just `count()`.
#[derive(Debug, Clone, PartialEq)]
pub struct NamedExpr {
    /// Output names; empty when the column is named by default.
    pub names: Vec<Ident>,
    /// The expression.
    pub expr: Expr,
    /// Where it is.
    pub span: Span,
}

/// A `name=value` operator parameter: `kind=leftouter`, `hint.strategy=shuffle`,
/// `withsource=TableName`, `isfuzzy=true`, `bagexpansion=array`.
#[derive(Debug, Clone, PartialEq)]
pub struct OperatorParam {
    /// Parameter name (dotted names like `hint.strategy` kept whole).
    pub name: Ident,
    /// Its value: a name, literal or expression.
    pub value: Expr,
    /// Where it is.
    pub span: Span,
}

/// A tabular operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// What the operator is.
    pub kind: OperatorKind,
    /// From the keyword to the end of the operator.
    pub span: Span,
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortOrder {
    /// `asc`
    Asc,
    /// `desc`
    Desc,
}

/// Where nulls sort.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NullsOrder {
    /// `nulls first`
    First,
    /// `nulls last`
    Last,
}

/// `expr [asc|desc] [nulls first|last]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    /// The sort expression.
    pub expr: Expr,
    /// Explicit direction (default desc).
    pub order: Option<SortOrder>,
    /// Explicit null placement.
    pub nulls: Option<NullsOrder>,
    /// Where it is.
    pub span: Span,
}

/// A `datatable(schema) [values]` source.
#[derive(Debug, Clone, PartialEq)]
pub struct Datatable {
    /// Parameters before the schema (`datatable with (...)` is not KQL; kept for
    /// `externaldata` options).
    pub columns: Vec<ColumnDecl>,
    /// Values in row-major order.
    pub values: Vec<Expr>,
}

/// One piece of a `parse` pattern.
#[derive(Debug, Clone, PartialEq)]
pub enum ParsePart {
    /// A string literal to match.
    Text(String),
    /// A column to extract, with optional type: `Name:string`.
    Column {
        /// Column name.
        name: Ident,
        /// Optional type.
        ty: Option<TypeName>,
    },
    /// `*`: skip anything.
    Star,
}

/// One `mv-expand` / `mv-apply` item: `[Name =] expr [to typeof(T)]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ExpandItem {
    /// The expression and its output name.
    pub expr: NamedExpr,
    /// `to typeof(T)` conversion.
    pub to_type: Option<TypeName>,
}

/// The operators of a subquery with an implicit input, as in
/// `mv-apply x on (top 1 by x)`, `partition by k (take 3)`, `fork (where a) (take 1)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Subquery {
    /// Operators applied in order to the implicit input.
    pub ops: Vec<Operator>,
    /// Where it is.
    pub span: Span,
}

/// Every tabular operator kqlite parses. Most take the piped input; the
/// source forms (`print`, `range`, `datatable`, `union`, `externaldata`,
/// `find`, `search`) also appear as [`ExprKind::Source`].
#[derive(Debug, Clone, PartialEq)]
pub enum OperatorKind {
    /// `where ResultType == 0` (also `filter`).
    Where(Expr),
    /// `extend Country = tostring(LocationDetails.countryOrRegion)`.
    Extend(Vec<NamedExpr>),
    /// `project TimeGenerated, Name = UserPrincipalName`.
    Project(Vec<NamedExpr>),
    /// `project-away Col, Prefix*`.
    ProjectAway(Vec<Ident>),
    /// `project-keep Col, Prefix*`.
    ProjectKeep(Vec<Ident>),
    /// `project-rename New = Old`: (new, old) pairs.
    ProjectRename(Vec<(Ident, Ident)>),
    /// `project-reorder B, A* asc`.
    ProjectReorder(Vec<(Ident, Option<SortOrder>)>),
    /// `summarize [hints] Agg, Name = agg(x) [by k, bin(T, 1h)]`.
    Summarize {
        /// `hint.shufflekey = x`, `hint.strategy = shuffle`.
        params: Vec<OperatorParam>,
        /// Aggregations.
        aggregates: Vec<NamedExpr>,
        /// Group keys.
        by: Vec<NamedExpr>,
    },
    /// `sort by TimeGenerated desc` (also `order by`).
    Sort {
        /// Hints (`hint.strategy`).
        params: Vec<OperatorParam>,
        /// Sort keys, most significant first.
        keys: Vec<SortKey>,
    },
    /// `take 10` (also `limit`).
    Take(Expr),
    /// `top 5 by count_ desc`.
    Top {
        /// Number of rows.
        count: Expr,
        /// The sort key.
        key: SortKey,
    },
    /// `top-nested 3 of Country by count(), top-nested 2 of City by count()`.
    TopNested(Vec<TopNestedClause>),
    /// `count`.
    Count,
    /// `distinct UserPrincipalName, IPAddress` or `distinct *`.
    Distinct(Vec<Expr>),
    /// `join kind=inner (T2) on Key` / `on $left.a == $right.b`.
    Join {
        /// `kind=...`, hints.
        params: Vec<OperatorParam>,
        /// The right table.
        right: Expr,
        /// Join conditions: names or `$left.a == $right.b` equalities.
        on: Vec<Expr>,
    },
    /// `lookup kind=leftouter (Dim) on Key`.
    Lookup {
        /// `kind=...`.
        params: Vec<OperatorParam>,
        /// The dimension table.
        right: Expr,
        /// Join conditions.
        on: Vec<Expr>,
    },
    /// `union kind=outer withsource=T isfuzzy=true A, B, (C | take 1)`.
    Union {
        /// `kind`, `withsource`, `isfuzzy`.
        params: Vec<OperatorParam>,
        /// Tables (names may contain wildcards).
        tables: Vec<Expr>,
    },
    /// `mv-expand [params] x, y to typeof(long) [limit n]`.
    MvExpand {
        /// `bagexpansion=`, `with_itemindex=`, `kind=`.
        params: Vec<OperatorParam>,
        /// Expanded columns.
        items: Vec<ExpandItem>,
        /// `limit n`.
        limit: Option<Expr>,
    },
    /// `mv-apply x to typeof(long) on (top 1 by x)`.
    MvApply {
        /// Parameters.
        params: Vec<OperatorParam>,
        /// Expanded items.
        items: Vec<ExpandItem>,
        /// `limit n`.
        limit: Option<Expr>,
        /// The subquery applied to each record's expansion.
        on: Subquery,
    },
    /// `parse [kind=regex flags=U] Col with "a" x:long "b" *`.
    Parse {
        /// `kind`, `flags`.
        params: Vec<OperatorParam>,
        /// The parsed expression.
        expr: Expr,
        /// The pattern.
        pattern: Vec<ParsePart>,
    },
    /// `parse-where`: like `parse`, dropping rows that do not match.
    ParseWhere {
        /// `kind`, `flags`.
        params: Vec<OperatorParam>,
        /// The parsed expression.
        expr: Expr,
        /// The pattern.
        pattern: Vec<ParsePart>,
    },
    /// `parse-kv Col as (k: string, v: long) with (pair_delimiter=',')`.
    ParseKv {
        /// The parsed expression.
        expr: Expr,
        /// Output columns.
        columns: Vec<ColumnDecl>,
        /// `with (...)` options.
        with: Vec<OperatorParam>,
    },
    /// `make-series Agg default=0 on TimeGenerated from a to b step 1h by k`.
    MakeSeries(Box<MakeSeries>),
    /// `evaluate bag_unpack(x)`, `evaluate pivot(k) : (a: string, b: long)`.
    Evaluate {
        /// Hints.
        params: Vec<OperatorParam>,
        /// The plugin call.
        call: Call,
        /// The declared output schema after `:`, if any.
        schema: Option<Vec<ColumnDecl>>,
    },
    /// `render timechart with (title="x")`.
    Render {
        /// Visualization name.
        chart: Ident,
        /// `with (...)` properties.
        with: Vec<OperatorParam>,
    },
    /// `serialize [Num = row_number()]`.
    Serialize(Vec<NamedExpr>),
    /// `as [hint.materialized=true] Name`.
    As {
        /// Hints.
        params: Vec<OperatorParam>,
        /// The name.
        name: Ident,
    },
    /// `invoke f(args)`.
    Invoke(Call),
    /// `getschema`.
    GetSchema,
    /// `sample 10`.
    Sample(Expr),
    /// `sample-distinct 10 of Col`.
    SampleDistinct {
        /// Number of values.
        count: Expr,
        /// The column.
        of: Expr,
    },
    /// `top-hitters N of Expr [by SumExpr]`.
    TopHitters {
        /// Number of values.
        count: Expr,
        /// The values counted (or summed over).
        of: Expr,
        /// The summed expression, if given (else rows are counted).
        by: Option<Expr>,
    },
    /// `partition [hints] by Col (subquery)` or `{ expr }`.
    Partition {
        /// Hints.
        params: Vec<OperatorParam>,
        /// Partition key column.
        by: Expr,
        /// Body.
        body: PartitionBody,
    },
    /// `scan [with_match_id=Id] [declare (...)] with (step s: pred => assignments; ...)`.
    Scan(Box<Scan>),
    /// `facet by A, B [with (subquery)]`.
    Facet {
        /// Facet columns.
        by: Vec<Ident>,
        /// Optional `with (...)` subquery.
        with: Option<Subquery>,
    },
    /// `fork (where x) (take 1)` or `fork name=(...)`.
    Fork(Vec<(Option<Ident>, Subquery)>),
    /// `search [kind=...] [in (T1, T2)] predicate`.
    Search {
        /// `kind=case_sensitive`.
        params: Vec<OperatorParam>,
        /// `in (...)` tables.
        tables: Vec<Ident>,
        /// The predicate.
        predicate: Expr,
    },
    /// `find [in (T1, T2)] where predicate [project ...]`.
    Find {
        /// `withsource=`, `kind=`.
        params: Vec<OperatorParam>,
        /// `in (...)` tables.
        tables: Vec<Expr>,
        /// The predicate.
        predicate: Expr,
        /// The `project` list; empty for `project-smart` (the default).
        project: Vec<FindItem>,
    },
    /// `reduce [kind=source] by Col [with threshold=0.1]`.
    Reduce {
        /// `kind=source`.
        params: Vec<OperatorParam>,
        /// The column.
        by: Expr,
        /// `with` parameters.
        with: Vec<OperatorParam>,
    },
    /// `consume`.
    Consume(Vec<OperatorParam>),
    /// `make-graph Src --> Dst [with Nodes on Id, ...] [with_node_id=Name]`.
    MakeGraph(Box<MakeGraph>),
    /// `graph-match [cycles=...] (a)-[e]->(b) [where P] [project ...]`, or
    /// `graph-shortest-paths [output=...] ...` (`shortest` set).
    GraphMatch(Box<GraphMatch>),
    /// `graph-to-table nodes [as N] [with_node_id=C][, edges ...]`.
    GraphToTable(Vec<GraphToTableItem>),
    /// `graph-mark-components [kind=weak|strong] [with_component_id=C]`.
    GraphMarkComponents(Vec<OperatorParam>),
    /// `graph-merge RightGraph [on a, $left.b == $right.c]`.
    GraphMerge {
        /// The right graph.
        right: Expr,
        /// Which edges merge: names or `$left.a == $right.b` equalities;
        /// none unions the edges.
        on: Vec<Expr>,
    },
    /// `print x = 1, y = "a"`.
    Print(Vec<NamedExpr>),
    /// `range x from 1 to 10 step 1`.
    Range {
        /// Output column.
        name: Ident,
        /// Start (inclusive).
        from: Expr,
        /// End (inclusive).
        to: Expr,
        /// Step.
        step: Expr,
    },
    /// `datatable(x: long, y: string) [1, "a", 2, "b"]`.
    Datatable(Datatable),
    /// `externaldata(x: string) [@"https://..."] with (format="csv")`.
    Externaldata {
        /// Schema.
        columns: Vec<ColumnDecl>,
        /// Storage URIs.
        uris: Vec<Expr>,
        /// `with (...)` options.
        with: Vec<OperatorParam>,
    },
}

/// One item of `find ... project`.
#[derive(Debug, Clone, PartialEq)]
pub enum FindItem {
    /// `Name` or `Name:type` (the value cast to the type in the result).
    Column(Ident, Option<TypeName>),
    /// `pack_all()`: the row's other columns in one property bag.
    PackAll(Span),
}

/// Body of `partition`.
#[derive(Debug, Clone, PartialEq)]
pub enum PartitionBody {
    /// `( operators )` applied to each partition.
    Subquery(Subquery),
    /// `{ expression }` referencing the partition via `as`.
    Expr(Expr),
}

/// One `top-nested` clause: `top-nested [N] of [Name =] Expr [with others = V] by [Name =] Agg [asc|desc]`.
#[derive(Debug, Clone, PartialEq)]
pub struct TopNestedClause {
    /// Number of values, if given.
    pub count: Option<Expr>,
    /// The grouped expression.
    pub of: NamedExpr,
    /// `with others = V`.
    pub with_others: Option<Expr>,
    /// The aggregation ranking the groups.
    pub by: NamedExpr,
    /// Order.
    pub order: Option<SortOrder>,
    /// Where it is.
    pub span: Span,
}

/// `make-series` in full.
#[derive(Debug, Clone, PartialEq)]
pub struct MakeSeries {
    /// Hints / `kind=nonempty`.
    pub params: Vec<OperatorParam>,
    /// Aggregations with their `default=` values.
    pub aggregates: Vec<(NamedExpr, Option<Expr>)>,
    /// The axis column.
    pub on: Expr,
    /// `from start to end step s`, or `in range(start, end, step)`.
    pub from: Option<Expr>,
    /// End of the axis.
    pub to: Option<Expr>,
    /// Step.
    pub step: Expr,
    /// Group keys.
    pub by: Vec<NamedExpr>,
    /// The axis was given as `in range(start, stop, step)` (stop inclusive,
    /// bins from 0 rather than from start).
    pub in_range: bool,
}

/// `scan` in full.
#[derive(Debug, Clone, PartialEq)]
pub struct Scan {
    /// `with_match_id=`, `partition by`? (parameters).
    pub params: Vec<OperatorParam>,
    /// `order by` keys, if any.
    pub order_by: Vec<SortKey>,
    /// `partition by` columns, if any.
    pub partition_by: Vec<Expr>,
    /// `declare (name: type [= default], ...)`.
    pub declare: Vec<Parameter>,
    /// The steps.
    pub steps: Vec<ScanStep>,
}

/// `step s [optional] [output=all|last|none]: predicate [=> a = x, b = y];`.
#[derive(Debug, Clone, PartialEq)]
pub struct ScanStep {
    /// Step name.
    pub name: Ident,
    /// `optional` keyword.
    pub optional: bool,
    /// `output=` value.
    pub output: Option<Ident>,
    /// Match predicate.
    pub predicate: Expr,
    /// Assignments after `=>`.
    pub assignments: Vec<(Ident, Expr)>,
    /// Where it is.
    pub span: Span,
}

/// `make-graph` in full.
#[derive(Debug, Clone, PartialEq)]
pub struct MakeGraph {
    /// Column of the edges holding each edge's source node id.
    pub source: Ident,
    /// Column of the edges holding each edge's target node id.
    pub target: Ident,
    /// `with Nodes1 on Id1, Nodes2 on Id2`: node tables and their id columns.
    pub nodes: Vec<(Expr, Ident)>,
    /// `with_node_id=Name`.
    pub params: Vec<OperatorParam>,
    /// `partitioned-by Column (graph operators)`.
    pub partitioned_by: Option<(Ident, Subquery)>,
}

/// `graph-match` or `graph-shortest-paths` in full.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphMatch {
    /// `graph-shortest-paths` rather than `graph-match`.
    pub shortest: bool,
    /// `cycles=` (graph-match) or `output=` (graph-shortest-paths).
    pub params: Vec<OperatorParam>,
    /// Comma-separated paths of the pattern.
    pub pattern: Vec<GraphPath>,
    /// `where` constraints.
    pub predicate: Option<Expr>,
    /// `project` list.
    pub project: Vec<NamedExpr>,
}

/// One path of a graph pattern: a node, then edges each leading to a node.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphPath {
    /// The first node.
    pub first: GraphNodePattern,
    /// Each edge and the node it leads to.
    pub steps: Vec<(GraphEdgePattern, GraphNodePattern)>,
}

/// `(n)` or `()` in a graph pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphNodePattern {
    /// The variable, if named.
    pub name: Option<Ident>,
    /// Where it is.
    pub span: Span,
}

/// Which way a pattern edge points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EdgeDirection {
    /// `-->` / `-[e]->`: from the left node to the right one.
    Right,
    /// `<--` / `<-[e]-`: from the right node to the left one.
    Left,
    /// `--` / `-[e]-`: either way.
    Any,
}

/// `-[e]->`, `<--`, `-[e*1..3]-` in a graph pattern.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphEdgePattern {
    /// The variable, if named.
    pub name: Option<Ident>,
    /// Its direction.
    pub direction: EdgeDirection,
    /// `*min..max` of a variable length edge.
    pub range: Option<(i64, i64)>,
    /// Where it is.
    pub span: Span,
}

/// One table `graph-to-table` exports.
#[derive(Debug, Clone, PartialEq)]
pub struct GraphToTableItem {
    /// `nodes` or `edges`.
    pub kind: Ident,
    /// `as Name`.
    pub alias: Option<Ident>,
    /// `with_node_id=`, `with_source_id=`, `with_target_id=`.
    pub params: Vec<OperatorParam>,
    /// Where it is.
    pub span: Span,
}
