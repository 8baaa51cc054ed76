//! The bound plan: logical operators over typed, resolved expressions.
//!
//! Column references are indexes into the operator's input schema, function
//! calls hold their resolved implementation, and constants are already folded,
//! so evaluation never looks anything up by name per row.

use std::sync::Arc;

use kqlite_parser::ast::{BinaryOp, ListOp, UnaryOp};
use kqlite_parser::Span;

use crate::function::{AggregateFunction, ScalarFunction};
use crate::table::Table;
use crate::types::DataType;
use crate::value::Value;

/// Column names and types of a plan's output, in order.
pub type Schema = Vec<(String, DataType)>;

/// A typed scalar expression.
#[derive(Clone)]
pub struct BoundExpr {
    /// What it computes.
    pub kind: BoundExprKind,
    /// Its result type.
    pub ty: DataType,
    /// Where it came from in the query text.
    pub span: Span,
}

impl std::fmt::Debug for BoundExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.kind, self.ty)
    }
}

/// The right-hand side of a list operator.
#[derive(Debug, Clone)]
pub enum ListItems {
    /// Constant items, dynamic arrays already flattened.
    Values(Vec<Value>),
    /// The first column of a tabular expression, evaluated once per query.
    Table(Arc<Plan>),
}

/// The kinds of bound expression.
#[derive(Clone)]
pub enum BoundExprKind {
    /// A constant.
    Literal(Value),
    /// Input column `i`.
    Column(usize),
    /// The input column of this name, as `dynamic`, found when the query
    /// runs: a column of a schema known only then (`evaluate pivot`
    /// without an output schema).
    ColumnByName(String),
    /// Like [`BoundExprKind::ColumnByName`], but a column the run does not
    /// have reads as nulls (an open union leg laid out by name).
    OptionalColumn(String),
    /// A binary operator.
    Binary {
        /// Operator.
        op: BinaryOp,
        /// Left operand.
        left: Box<BoundExpr>,
        /// Right operand.
        right: Box<BoundExpr>,
    },
    /// A unary operator.
    Unary {
        /// Operator.
        op: UnaryOp,
        /// Operand.
        operand: Box<BoundExpr>,
    },
    /// `x in (...)`, `x has_any (...)`.
    List {
        /// Operator.
        op: ListOp,
        /// The tested value.
        expr: Box<BoundExpr>,
        /// The items.
        items: ListItems,
    },
    /// `x between (a .. b)`.
    Between {
        /// `!between`.
        negated: bool,
        /// Tested value.
        expr: Box<BoundExpr>,
        /// Lower bound.
        low: Box<BoundExpr>,
        /// Upper bound.
        high: Box<BoundExpr>,
    },
    /// `x.key` on a dynamic value.
    Member {
        /// The object.
        target: Box<BoundExpr>,
        /// Property name.
        key: String,
    },
    /// `x[i]` / `x['key']`.
    Index {
        /// The array or bag.
        target: Box<BoundExpr>,
        /// The index.
        index: Box<BoundExpr>,
    },
    /// A scalar function call.
    Call {
        /// The implementation.
        func: Arc<dyn ScalarFunction>,
        /// Arguments.
        args: Vec<BoundExpr>,
    },
    /// A conversion (`mv-expand ... to typeof(long)`).
    Cast {
        /// The value converted.
        expr: Box<BoundExpr>,
        /// Target type.
        to: DataType,
    },
    /// `toscalar(T)`: the first cell of a tabular expression.
    ToScalar(Arc<Plan>),
    /// `row_number([start])` over the serialized input.
    RowNumber {
        /// First number.
        start: i64,
        /// Restart the numbering at rows where this is true.
        restart: Option<Box<BoundExpr>>,
    },
    /// `prev(x, n, default)` (`forward` false) or `next(...)` (true).
    Shift {
        /// The shifted value.
        expr: Box<BoundExpr>,
        /// Offset (positive).
        offset: usize,
        /// Value outside the table.
        default: Option<Box<BoundExpr>>,
        /// `next` rather than `prev`.
        forward: bool,
    },
}

impl std::fmt::Debug for BoundExprKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BoundExprKind::Literal(v) => write!(f, "{v:?}"),
            BoundExprKind::Column(i) => write!(f, "#{i}"),
            BoundExprKind::ColumnByName(n) => write!(f, "#{n:?}"),
            BoundExprKind::OptionalColumn(n) => write!(f, "#{n:?}?"),
            BoundExprKind::Binary { op, left, right } => write!(f, "({left:?} {op:?} {right:?})"),
            BoundExprKind::Unary { op, operand } => write!(f, "{op:?}({operand:?})"),
            BoundExprKind::List { op, expr, items } => write!(f, "{op:?}({expr:?}, {items:?})"),
            BoundExprKind::Between {
                negated,
                expr,
                low,
                high,
            } => {
                write!(f, "between[{negated}]({expr:?}, {low:?}, {high:?})")
            }
            BoundExprKind::Member { target, key } => write!(f, "{target:?}.{key}"),
            BoundExprKind::Index { target, index } => write!(f, "{target:?}[{index:?}]"),
            BoundExprKind::Call { func, args } => write!(f, "{}({args:?})", func.name()),
            BoundExprKind::Cast { expr, to } => write!(f, "cast({expr:?}, {to})"),
            BoundExprKind::ToScalar(p) => write!(f, "toscalar({p:?})"),
            BoundExprKind::RowNumber { start, .. } => write!(f, "row_number({start})"),
            BoundExprKind::Shift {
                expr,
                offset,
                forward,
                ..
            } => {
                write!(f, "shift({expr:?}, {offset}, next={forward})")
            }
        }
    }
}

impl BoundExpr {
    /// A constant.
    pub fn literal(value: Value, ty: DataType, span: Span) -> BoundExpr {
        BoundExpr {
            kind: BoundExprKind::Literal(value),
            ty,
            span,
        }
    }

    /// A copy reading column `map(i)` wherever this reads column `i`; `None`
    /// when some column has no image or the value depends on row positions
    /// (`row_number`, `prev`, `next`).
    pub fn remap_columns(&self, map: &dyn Fn(usize) -> Option<usize>) -> Option<BoundExpr> {
        if let BoundExprKind::Column(i) = self.kind {
            return Some(BoundExpr {
                kind: BoundExprKind::Column(map(i)?),
                ty: self.ty,
                span: self.span,
            });
        }
        self.map_children(&mut |c| c.remap_columns(map))
    }

    /// The constant value, if the expression is a literal.
    pub fn as_literal(&self) -> Option<&Value> {
        if let BoundExprKind::Literal(v) = &self.kind {
            Some(v)
        } else {
            None
        }
    }
}

/// One aggregate of a `summarize`.
#[derive(Clone)]
pub struct Aggregate {
    /// The implementation.
    pub func: Arc<dyn AggregateFunction>,
    /// Arguments (`*` arguments already expanded).
    pub args: Vec<BoundExpr>,
    /// Constant arguments, by position.
    pub constants: Vec<Option<Value>>,
}

impl std::fmt::Debug for Aggregate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}({:?})", self.func.name(), self.args)
    }
}

/// One output of a `summarize`: an aggregate column, or the columns of an
/// `arg_max`/`arg_min` row pick.
#[derive(Debug, Clone)]
pub enum SummarizeItem {
    /// `name = agg(args)`.
    Aggregate(String, Aggregate),
    /// `arg_max(key, cols...)` / `arg_min(...)`: per group, the columns of
    /// the row where `key` is largest (smallest); the first row wins ties,
    /// and a group whose keys are all null picks its first row.
    Pick {
        /// `arg_max` rather than `arg_min`.
        max: bool,
        /// The compared value, output first under its name.
        key: (String, BoundExpr),
        /// The other output columns.
        columns: Vec<(String, BoundExpr)>,
    },
}

impl SummarizeItem {
    /// Output column names, in order.
    pub fn names(&self) -> Vec<&str> {
        match self {
            SummarizeItem::Aggregate(n, _) => vec![n.as_str()],
            SummarizeItem::Pick { key, columns, .. } => std::iter::once(key.0.as_str())
                .chain(columns.iter().map(|(n, _)| n.as_str()))
                .collect(),
        }
    }
}

/// A sort key.
#[derive(Debug, Clone)]
pub struct SortSpec {
    /// The sorted value.
    pub expr: BoundExpr,
    /// Descending order.
    pub descending: bool,
    /// Nulls before other values.
    pub nulls_first: bool,
}

/// The kinds of join.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinKind {
    /// `innerunique` (the default): left rows de-duplicated by key.
    InnerUnique,
    /// `inner`
    Inner,
    /// `leftouter`
    LeftOuter,
    /// `rightouter`
    RightOuter,
    /// `fullouter`
    FullOuter,
    /// `leftanti` / `anti` / `leftantisemi`
    LeftAnti,
    /// `rightanti` / `rightantisemi`
    RightAnti,
    /// `leftsemi`
    LeftSemi,
    /// `rightsemi`
    RightSemi,
}

impl JoinKind {
    /// Parses a `kind=` value.
    pub fn from_name(name: &str) -> Option<JoinKind> {
        Some(match name {
            "innerunique" => JoinKind::InnerUnique,
            "inner" => JoinKind::Inner,
            "leftouter" => JoinKind::LeftOuter,
            "rightouter" => JoinKind::RightOuter,
            "fullouter" | "outer" => JoinKind::FullOuter,
            "leftanti" | "anti" | "leftantisemi" => JoinKind::LeftAnti,
            "rightanti" | "rightantisemi" => JoinKind::RightAnti,
            "leftsemi" | "semi" => JoinKind::LeftSemi,
            "rightsemi" => JoinKind::RightSemi,
            _ => return None,
        })
    }
}

/// Which side of a join an output column comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JoinSide {
    /// Left input column.
    Left(usize),
    /// Right input column.
    Right(usize),
}

/// How `mv-expand` expands property bags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BagExpansion {
    /// Each key becomes `{"key": value}`.
    Bag,
    /// Each key becomes `["key", value]`.
    Array,
}

/// A logical operator tree.
#[derive(Debug, Clone)]
pub enum Plan {
    /// A catalog table.
    Scan {
        /// Its name.
        table: String,
    },
    /// Constant rows (`datatable`, `getschema`, folded `print`).
    Values(Arc<Table>),
    /// One row of computed values (`print`).
    Print {
        /// Output columns.
        columns: Vec<(String, BoundExpr)>,
    },
    /// `range name from a to b step s` (inclusive).
    Range {
        /// Output column.
        name: String,
        /// Start.
        from: BoundExpr,
        /// End (inclusive).
        to: BoundExpr,
        /// Step.
        step: BoundExpr,
    },
    /// Rows where the predicate is true.
    Filter {
        /// Input.
        input: Arc<Plan>,
        /// Predicate (bool).
        predicate: BoundExpr,
    },
    /// Computes output columns; `Column(i)` outputs share the input column.
    Project {
        /// Input.
        input: Arc<Plan>,
        /// Output columns.
        columns: Vec<(String, BoundExpr)>,
    },
    /// `extend`: computes columns one after another; each expression reads
    /// the input as extended by the items before it. An item replaces the
    /// column of the same name in place, or is appended.
    Extend {
        /// Input.
        input: Arc<Plan>,
        /// Name, output position (before pruning) and value of each item.
        columns: Vec<(String, usize, BoundExpr)>,
    },
    /// Hash aggregation.
    Summarize {
        /// Input.
        input: Arc<Plan>,
        /// Group keys with their output names.
        keys: Vec<(String, BoundExpr)>,
        /// Aggregates and row picks, in output order.
        aggregates: Vec<SummarizeItem>,
    },
    /// Stable sort.
    Sort {
        /// Input.
        input: Arc<Plan>,
        /// Keys, most significant first.
        keys: Vec<SortSpec>,
    },
    /// The first `count` rows.
    Take {
        /// Input.
        input: Arc<Plan>,
        /// Row count.
        count: BoundExpr,
    },
    /// `count`: one row, column `Count`.
    Count {
        /// Input.
        input: Arc<Plan>,
    },
    /// `union`: inputs aligned by column name.
    Union {
        /// Inputs, each with the input column feeding every output column.
        inputs: Vec<(Arc<Plan>, Vec<Option<usize>>)>,
        /// `withsource=` column name and each input's source name.
        source: Option<(String, Vec<String>)>,
        /// Output columns (after the `withsource` column).
        columns: Schema,
    },
    /// A hash join.
    Join {
        /// Left input.
        left: Arc<Plan>,
        /// Right input.
        right: Arc<Plan>,
        /// Join kind.
        kind: JoinKind,
        /// Key columns of the left input.
        left_keys: Vec<usize>,
        /// Key columns of the right input, pairwise with `left_keys`.
        right_keys: Vec<usize>,
        /// Output columns.
        output: Vec<JoinSide>,
        /// The operator's text, for errors (the memory limit).
        span: Span,
    },
    /// `mv-expand`.
    MvExpand {
        /// Input.
        input: Arc<Plan>,
        /// Expanded columns (indexes into the input) and target types.
        columns: Vec<(usize, Option<DataType>)>,
        /// Bag expansion mode.
        bag: BagExpansion,
        /// `with_itemindex=` column appended to the output.
        item_index: Option<String>,
        /// `limit n`.
        limit: Option<usize>,
    },
    /// `parse` / `parse-where`: extracts columns with a compiled pattern.
    Parse {
        /// Input.
        input: Arc<Plan>,
        /// The parsed text (converted to string if needed).
        expr: BoundExpr,
        /// The pattern, anchored at the start, one group per column.
        pattern: Arc<regex::Regex>,
        /// Output columns and their types, in pattern order.
        columns: Vec<(String, DataType)>,
        /// `kind=relaxed`: a value of the wrong type is null instead of
        /// failing the whole match.
        relaxed: bool,
        /// `parse-where`: drop rows that do not match.
        drop_unmatched: bool,
    },
    /// `make-series`: per group, one array per aggregate over the axis bins,
    /// and the axis itself as an array.
    MakeSeries {
        /// Input.
        input: Arc<Plan>,
        /// Group keys.
        keys: Vec<(String, BoundExpr)>,
        /// Aggregates with their names and the value of empty bins.
        aggregates: Vec<(String, Aggregate, Value)>,
        /// The axis column's name and value.
        axis: (String, BoundExpr),
        /// First bin (`from`), else the earliest value binned.
        from: Option<BoundExpr>,
        /// End of the axis, exclusive (`to`), else the last value.
        to: Option<BoundExpr>,
        /// Bin size.
        step: BoundExpr,
        /// `kind=nonempty` and the `in range(...)` form.
        options: SeriesOptions,
    },
    /// The per-record input of an `mv-apply` subquery.
    Input,
    /// `mv-apply`: runs `subquery` on each record's expansion; the output
    /// is the record's `keep` columns followed by the subquery's columns.
    MvApply {
        /// Input.
        input: Arc<Plan>,
        /// Expansion and subquery, reading [`Plan::Input`].
        subquery: Arc<Plan>,
        /// Input columns carried to the output.
        keep: Vec<usize>,
        /// Names and types of the subquery's output columns.
        columns: Schema,
    },
    /// Evaluated once per query and shared by every reference
    /// (`materialize`, `as hint.materialized`).
    Materialize {
        /// Cache slot.
        id: usize,
        /// The plan.
        input: Arc<Plan>,
    },
    /// `scan`: matches rows against a sequence of steps, row by row.
    ScanSteps {
        /// Input (in its serialized order).
        input: Arc<Plan>,
        /// Declarations and steps.
        spec: Arc<ScanSpec>,
    },
    /// `externaldata`: rows read from data the embedder supplied for each
    /// URI, laid out as the declared schema.
    ExternalData(Arc<ExternalSpec>),
    /// `parse-kv`: extracts the declared keys' values from a text column.
    ParseKv {
        /// Input.
        input: Arc<Plan>,
        /// The parsed text (converted to string if needed).
        expr: BoundExpr,
        /// How the text is split and which keys are extracted.
        spec: Arc<ParseKvSpec>,
    },
    /// `evaluate pivot(...)`: the input is the summary (group keys, the
    /// pivot column as a string, the aggregate); each distinct pivot value
    /// becomes a column.
    Pivot {
        /// The summary.
        input: Arc<Plan>,
        /// Number of leading group-key columns in the input.
        keys: usize,
        /// The aggregate's value for a missing (key, pivot value) pair.
        fill: Value,
        /// `: (a:string, ...)` output schema, when declared.
        declared: Option<Schema>,
        /// The `evaluate` operator, for errors.
        span: Span,
    },
    /// `evaluate bag_unpack(...)` over rows known only when the query runs:
    /// each property of the bags becomes a column. Binding sees an open
    /// schema (or the declared one).
    BagUnpack {
        /// The rows holding the bags.
        input: Arc<Plan>,
        /// The column, prefix and conflict rule.
        spec: Arc<crate::bind::evaluate::BagUnpack>,
        /// `: (a:string, ...)` output schema, when declared.
        declared: Option<Schema>,
        /// The `evaluate` operator, for errors.
        span: Span,
    },
    /// `make-graph`: a graph, not a table, read only by the graph operators.
    MakeGraph {
        /// The edges, a row per edge.
        edges: Arc<Plan>,
        /// Node tables (`with T on Id`).
        nodes: Vec<Arc<Plan>>,
        /// Columns and options.
        spec: Arc<crate::bind::graph::MakeGraphSpec>,
    },
    /// `graph-mark-components`: the input graph with a component id
    /// property on every node.
    GraphMarkComponents {
        /// The graph.
        input: Arc<Plan>,
        /// Strongly (else weakly) connected components.
        strong: bool,
        /// The property holding the component id.
        name: String,
    },
    /// `graph-match` / `graph-shortest-paths`: a row per match of a pattern.
    GraphMatch {
        /// The graph.
        input: Arc<Plan>,
        /// The pattern, its conditions and output.
        spec: Arc<crate::bind::graph::GraphMatchSpec>,
    },
    /// `make-graph ... partitioned-by Column (operators)`: a graph per value
    /// of the column, each run through `body`, results concatenated.
    GraphPartition {
        /// The edges.
        edges: Arc<Plan>,
        /// Node tables.
        nodes: Vec<Arc<Plan>>,
        /// The graph's columns and options.
        spec: Arc<crate::bind::graph::MakeGraphSpec>,
        /// The partition column in the edges, then in each node table.
        columns: Vec<usize>,
        /// The graph operators, over the partition's graph.
        body: Arc<Plan>,
    },
    /// `graph-to-table`: a graph's nodes or edges as a table.
    GraphToTable {
        /// The graph.
        input: Arc<Plan>,
        /// Which table and its id columns.
        spec: Arc<crate::bind::graph::GraphToTableSpec>,
    },
    /// An `evaluate` plugin whose output columns are known while binding.
    Plugin {
        /// Input, projected to the columns the plugin reads.
        input: Arc<Plan>,
        /// Other tabular arguments (lookup tables).
        others: Vec<Arc<Plan>>,
        /// The plugin and its constant arguments.
        spec: Arc<PluginSpec>,
    },
    /// An operator that brings its own walk, schema, explain line and
    /// evaluation ([`super::operator::PlanOperator`]); every pass handles
    /// all of them in one arm. (A plan is reachable through
    /// `Engine::bind` but cannot be named outside the crate, and its
    /// extension operators are the crate's own.)
    #[allow(private_interfaces)]
    Extension(Arc<dyn super::operator::PlanOperator>),
}

/// A bound `externaldata` source.
#[derive(Debug, Clone)]
pub struct ExternalSpec {
    /// Storage URIs, read in order and concatenated.
    pub uris: Vec<String>,
    /// The declared columns.
    pub columns: Schema,
    /// `format=`, lower-cased; `None` guesses it from each URI's extension.
    pub format: Option<String>,
    /// `ignoreFirstRecord=true`: skip each file's first record.
    pub ignore_first_record: bool,
    /// The operator, for errors.
    pub span: Span,
}

/// A bound `parse-kv`.
#[derive(Debug, Clone)]
pub struct ParseKvSpec {
    /// Output columns: key name and type, in declared order.
    pub columns: Schema,
    /// How pairs are found.
    pub mode: ParseKvMode,
}

/// How `parse-kv` finds key/value pairs.
#[derive(Debug, Clone)]
pub enum ParseKvMode {
    /// `with (pair_delimiter=..., kv_delimiter=..., quote=..., escape=...,
    /// greedy=...)`.
    Delimited {
        /// Separates pairs.
        pair_delimiter: String,
        /// Separates a key from its value.
        kv_delimiter: String,
        /// Characters that quote keys and values.
        quotes: Vec<char>,
        /// Characters that escape the next character inside quotes.
        escapes: Vec<char>,
        /// An unquoted value runs to the next `pair_delimiter` that is
        /// followed by a key and `kv_delimiter` (or the end), rather than to
        /// the first `pair_delimiter`.
        greedy: bool,
    },
    /// `with (regex=...)`: each match's first group is a key, its second
    /// the value.
    Regex(Arc<regex::Regex>),
}

/// A bound `evaluate` plugin: what it computes and its output columns.
#[derive(Debug, Clone)]
pub struct PluginSpec {
    /// The plugin and its constant arguments.
    pub kind: PluginKind,
    /// Output columns.
    pub columns: Schema,
    /// The `evaluate` operator, for errors.
    pub span: Span,
}

/// The axis of a time-window plugin: its range and step, as integers
/// (datetime and timespan ticks, or plain numbers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeline {
    /// First bin.
    pub start: i64,
    /// Last instant analysed (inclusive).
    pub end: i64,
    /// Bin size.
    pub step: i64,
}

/// The plugins bound to [`Plan::Plugin`]. Unless noted, the input columns
/// are the id, the timeline value and then the dimension columns.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginKind {
    /// `rows_near`: the input's last column is the condition; keeps the
    /// rows within `before`/`after` rows of a true one and drops it.
    RowsNear {
        /// Rows kept before a true row.
        before: i64,
        /// Rows kept after a true row.
        after: i64,
    },
    /// One table of `funnel_sequence`: input columns are the id, the
    /// timeline and the state.
    FunnelSequence(Arc<super::plugins_extra::FunnelSequence>),
    /// `narrow`: a row per input cell (`Row`, `Column`, `Value` as text).
    Narrow,
    /// `dcount_intersect`: the input's last `count` columns are `hll`
    /// sketches; appends `s0`.. with the distinct counts of their running
    /// intersections.
    DcountIntersect {
        /// Number of sketches.
        count: usize,
    },
    /// `basket`: frequent closed patterns of column values (Apriori).
    Basket {
        /// Least share of the (weighted) rows a pattern must cover.
        threshold: f64,
        /// The weight column, if any (left out of the output).
        weight: Option<usize>,
        /// Most columns in one pattern.
        max_dimensions: usize,
        /// The value a pattern shows in a column it leaves open, by type.
        wildcards: Vec<(DataType, Value)>,
    },
    /// `autocluster`: a few patterns of column values found by growing
    /// seeds into general patterns (see `eval/basket.rs`).
    Autocluster {
        /// Balance of coverage against fixed columns (`SizeWeight`).
        size_weight: f64,
        /// The weight column, if any (left out of the output).
        weight: Option<usize>,
        /// Seeds (`NumSeeds`).
        seeds: usize,
        /// The value a pattern shows in a column it leaves open, by type.
        wildcards: Vec<(DataType, Value)>,
    },
    /// `diffpatterns`: patterns of column values whose share differs most
    /// between the rows of two values of a split column.
    Diffpatterns {
        /// The split column.
        split: usize,
        /// Set A's split value, as text.
        a: String,
        /// Set B's split value, as text.
        b: String,
        /// The weight column, if any (left out of the output).
        weight: Option<usize>,
        /// Least difference, as a share.
        threshold: f64,
        /// Most columns per pattern.
        max_dimensions: usize,
        /// The value a pattern shows in a column it leaves open, by type.
        wildcards: Vec<(DataType, Value)>,
    },
    /// `sequence_detect`: input columns are the timeline, one bool per
    /// step, then the dimensions; a row per occurrence of the steps in
    /// order.
    SequenceDetect {
        /// Steps.
        steps: usize,
        /// Dimensions.
        dims: usize,
        /// Longest time between two steps.
        step_window: i64,
        /// Longest time from the first step to the last.
        span: i64,
    },
    /// `funnel_sequence_completion`: input columns are the id, the
    /// timeline and the state.
    FunnelSequenceCompletion {
        /// Analysis windows.
        timeline: Timeline,
        /// The states in order.
        sequence: Vec<String>,
        /// Longest time allowed between two steps, one funnel each.
        periods: Vec<i64>,
    },
    /// The `reduce` operator: the input's last column is the reduced
    /// text; `source` keeps every row (and the other columns) and appends
    /// its `Pattern`, else a row per pattern.
    Reduce {
        /// Share of a term group's rows whose distinct terms at one
        /// position make that position a wildcard (`threshold=`).
        threshold: f64,
        /// `characters=`: the term separators, else every character
        /// that is not an ASCII letter or digit.
        separators: Option<String>,
        /// `kind=source`.
        source: bool,
    },
    /// `sliding_window_counts`: per bin, the count and distinct count of
    /// ids seen in the `lookback` ending with the bin.
    SlidingWindowCounts {
        /// Bins.
        timeline: Timeline,
        /// Window length.
        lookback: i64,
    },
    /// `active_users_count`: per bin, the distinct ids seen in the bin at a
    /// moment they had been seen in `active_periods` distinct periods of
    /// the `lookback` before it.
    ActiveUsersCount {
        /// Bins.
        timeline: Timeline,
        /// Window in which activity is counted.
        lookback: i64,
        /// Period length.
        period: i64,
        /// Minimum distinct periods.
        active_periods: i64,
    },
    /// `session_count`: per bin, the sessions starting in it; a session
    /// continues while an id reappears within `lookback`.
    SessionCount {
        /// Bins.
        timeline: Timeline,
        /// Gap that ends a session.
        lookback: i64,
    },
    /// `activity_engagement`: per bin, distinct ids in the inner window
    /// over distinct ids in the outer window ending with it.
    ActivityEngagement {
        /// Bins (the inner window).
        timeline: Timeline,
        /// Outer window.
        outer: i64,
    },
    /// `activity_metrics`: per window, distinct and new ids, and the share
    /// of the previous window's ids kept (retention) or lost (churn).
    ActivityMetrics {
        /// Windows.
        timeline: Timeline,
    },
    /// `activity_counts_metrics`: per window, the rows, distinct ids, ids
    /// never seen in earlier windows, and distinct ids seen so far.
    ActivityCountsMetrics {
        /// Windows.
        timeline: Timeline,
    },
    /// `new_activity_metrics`: per cohort of ids first seen in a window,
    /// the share of it seen again in each later window. With a lookback
    /// table (`others[0]`: id, timeline), ids seen there are never new.
    NewActivityMetrics {
        /// Windows.
        timeline: Timeline,
        /// Only this cohort's first window.
        cohort: Option<i64>,
    },
    /// `rolling_percentile`: input columns are the value, the index and
    /// the dimensions; per bin, the percentile of the values of the last
    /// `bins` bins.
    RollingPercentile {
        /// Percentile (0..100).
        percentile: f64,
        /// Bin size.
        step: i64,
        /// Window length in bins.
        bins: i64,
    },
    /// `ipv4_lookup` / `ipv6_lookup`: input columns are the source's
    /// columns then the address key; `others[0]` is the lookup table with
    /// its network key last.
    IpLookup {
        /// IPv6 addresses rather than IPv4.
        v6: bool,
        /// Number of source columns output.
        source_width: usize,
        /// Number of lookup columns output.
        lookup_width: usize,
        /// Keep source rows that match no network.
        return_unmatched: bool,
    },
    /// `geo_polygon_lookup` / `geo_line_lookup`: input columns are the
    /// source's columns then longitude and latitude; `others[0]` is the
    /// lookup table's output columns then its shape key. Every matching
    /// (source, lookup) pair is a row.
    GeoLookup {
        /// Lines matched within `radius` rather than polygons containing
        /// the point.
        lines: bool,
        /// Distance in meters within which a shape matches.
        radius: Option<f64>,
        /// Number of source columns output.
        source_width: usize,
        /// Number of lookup columns output.
        lookup_width: usize,
        /// Keep source rows that match no shape.
        return_unmatched: bool,
    },
    /// `top-nested`: the input is level 1's summary and `others` those of
    /// the next levels; level `k`'s summary has the keys of levels `1..=k`
    /// then level `k`'s aggregate. Each level keeps, per parent, its `count`
    /// best values ordered by aggregate then key.
    TopNested {
        /// Per level: how many values to keep (all when `None`), and
        /// whether the largest aggregates come first.
        levels: Vec<(Option<usize>, bool)>,
    },
    /// `schema_merge`: the input is `getschema` output of several tables.
    SchemaMerge {
        /// Columns must appear in the same relative order in every schema.
        preserve_order: bool,
    },
}

/// A bound `scan`: its step expressions read a context row laid out as the
/// input columns, the declared columns (at their defaults), then for each
/// step the input and declared columns of that step's state.
#[derive(Debug, Clone)]
pub struct ScanSpec {
    /// Number of input columns.
    pub input_width: usize,
    /// Declared columns: name, type and default.
    pub declared: Vec<(String, DataType, Value)>,
    /// The steps, first to last.
    pub steps: Vec<ScanStepSpec>,
    /// `with_match_id=` column name.
    pub match_id: Option<String>,
}

/// One bound `scan` step.
#[derive(Debug, Clone)]
pub struct ScanStepSpec {
    /// Whether matching rows are output (`output=none` is false).
    pub output: bool,
    /// The match condition over the context row.
    pub condition: BoundExpr,
    /// Assignments: declared column index and value over the context row.
    pub assignments: Vec<(usize, BoundExpr)>,
}

impl Plan {
    /// Every catalog table the plan reads, in first-seen order.
    pub fn tables(&self, out: &mut Vec<String>) {
        self.apply(&mut |p| {
            if let Plan::Scan { table } = p {
                if !out.contains(table) {
                    out.push(table.clone());
                }
            }
        });
    }
}

/// How a `make-series` lays out its axis and treats empty input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeriesOptions {
    /// `kind=nonempty`: empty input still gives a row of default values.
    pub nonempty: bool,
    /// `in range(start, stop, step)`: `stop` is inclusive and bins start at
    /// multiples of `step` (`bin()`), not at `start` (`bin_at()`).
    pub in_range: bool,
}
