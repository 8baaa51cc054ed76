//! Printer round trips: parse → print → parse gives the same tree, for the
//! shipped detection and for generated expressions and pipelines.

use kqlite_parser::ast::*;
use kqlite_parser::{parse, Span};
use proptest::prelude::*;

fn assert_round_trips(text: &str) {
    let first = parse(text).unwrap_or_else(|e| panic!("{text}\n{e}"));
    let printed = first.to_string();
    let second =
        parse(&printed).unwrap_or_else(|e| panic!("reprinted text does not parse: {e}\n{printed}"));
    assert_eq!(second.without_spans(), first.without_spans(), "{printed}");
}

#[test]
fn the_shipped_detection_parses_and_round_trips() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../queries/t1078_004_cloud_accounts.kql"
    );
    let text = std::fs::read_to_string(path).expect("the shipped query is readable");
    let script = parse(&text).expect("the shipped query parses");
    let lets = script
        .statements
        .iter()
        .filter(|s| matches!(s.kind, StatementKind::Let(_)))
        .count();
    assert_eq!((script.statements.len(), lets), (6, 5));
    assert_round_trips(&text);
}

#[test]
fn handwritten_queries_round_trip() {
    for text in [
        "let f = (T: (x: long, *), n: int = 3) { T | take n };\nf(U)",
        "T | where a in~ ('x', 'y') and b !between (1 .. 2) or c matches regex '^a'",
        "T | join kind=inner (U | where x > 1) on $left.a == $right.b | project-away b*",
        "print d = dynamic({'a': [1, 2.5, \"x\", null, datetime(2020-01-01), 1h]}), t = time(-1d), g = guid(00000000-0000-0000-0000-000000000001)",
        "T | summarize hint.shufflekey=k c = count(), (a, b) = f(x) by bin(t, 1h) | sort by c desc nulls last",
        "T | mv-apply x to typeof(long) on (top 1 by x) | parse s with 'a' n: long * 'b' m",
        "T | scan declare (s: string = 'x') with (step a optional output=last: x > 1 => s = 'y'; step b: true;)",
        "range x from 1 to 10 step 2 | make-series avg(x) default = 0 on x from 1 to 10 step 1 by k",
        "datatable(a: long, b: string) [1, 'x', -2, 'y'] | fork (take 1) named = (count)",
        "union withsource=Src isfuzzy=true A, ['B*'], (C | take 1) | render timechart with (title='t')",
        "T | extend ['my col'] = x.['a b'][0], ['and'] = 1 | project-rename n = ['my col']",
        "set truncationmaxrecords = 100;\ndeclare query_parameters(n: long = 5);\nT | take n",
        "externaldata(a: string, b: int,) [h@'https://x/y.csv'] with (format='csv', ignoreFirstRecord=true)",
        "T | evaluate pivot(k, sum(v), a) : (a: string, x: long) | where x > 1",
        "T | parse-kv s as (k: string, v: long) with (pair_delimiter=' ', kv_delimiter='=', quote='\"', greedy=true)",
        "search in (A, B) Col:'x' and Other:abc* and 'y'",
        "find withsource=S in (A, B) where x == 1 project a, b",
    ] {
        assert_round_trips(text);
    }
}

// ----- generated trees ------------------------------------------------------------

const PIPE: u8 = 0;
const OR: u8 = 1;
const CMP: u8 = 3;
const ADD: u8 = 4;
const UNARY: u8 = 6;
const POSTFIX: u8 = 7;

fn e(kind: ExprKind) -> Expr {
    Expr {
        kind,
        span: Span::default(),
    }
}

fn level(x: &Expr) -> u8 {
    match &x.kind {
        ExprKind::Pipe { .. } | ExprKind::Source(_) => PIPE,
        ExprKind::Binary { op, .. } => bin_level(*op),
        ExprKind::List { .. } | ExprKind::Between { .. } => CMP,
        ExprKind::Unary { .. } => UNARY,
        _ => POSTFIX,
    }
}

fn bin_level(op: BinaryOp) -> u8 {
    match op {
        BinaryOp::Or => 1,
        BinaryOp::And => 2,
        BinaryOp::Add | BinaryOp::Sub => ADD,
        BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 5,
        _ => CMP,
    }
}

/// `x`, parenthesised when it binds looser than `min` (as a parser would
/// have produced it from text).
fn wrap(x: Expr, min: u8) -> Expr {
    if level(&x) < min {
        e(ExprKind::Paren(Box::new(x)))
    } else {
        x
    }
}

fn ident_strategy() -> impl Strategy<Value = Ident> {
    prop_oneof![
        8 => "[A-Za-z_][A-Za-z0-9_]{0,6}",
        1 => "[ a-z'\"\\\\.-]{1,6}",
        1 => prop::sample::select(vec!["and", "by", "count", "kind", "true", "where", "on"]).prop_map(String::from),
    ]
    .prop_map(|name| Ident { name, span: Span::default() })
}

/// Function names that are not literal keywords or sources.
fn call_name() -> impl Strategy<Value = Ident> {
    prop::sample::select(vec![
        "f",
        "strcat",
        "ago",
        "count",
        "iff",
        "tostring",
        "bin",
        "not",
        "array_length",
    ])
    .prop_map(|n| Ident {
        name: n.to_string(),
        span: Span::default(),
    })
}

fn dynamic_strategy() -> impl Strategy<Value = DynamicLiteral> {
    let leaf = prop_oneof![
        Just(DynamicLiteral::Null),
        any::<bool>().prop_map(DynamicLiteral::Bool),
        (-1_000_000i64..1_000_000).prop_map(DynamicLiteral::Long),
        (-1e6f64..1e6).prop_map(DynamicLiteral::Real),
        "[ -~]{0,6}".prop_map(DynamicLiteral::String),
        (0i64..1_000_000_000_000).prop_map(DynamicLiteral::TimeSpan),
        "20[0-9]{2}-0[1-9]-1[0-9]".prop_map(DynamicLiteral::DateTime),
        any::<u128>().prop_map(DynamicLiteral::Guid),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(DynamicLiteral::Array),
            prop::collection::vec(("[a-z]{1,4}", inner), 0..3).prop_map(DynamicLiteral::Object),
        ]
    })
}

fn literal_strategy() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<Option<bool>>().prop_map(Literal::Bool),
        any::<Option<i32>>().prop_map(Literal::Int),
        (i64::MIN + 1..i64::MAX).prop_map(|v| Literal::Long(Some(v))),
        Just(Literal::Long(None)),
        any::<f64>()
            .prop_filter("NaN is never equal", |v| !v.is_nan())
            .prop_map(|v| Literal::Real(Some(v))),
        "-?[0-9]{1,5}(\\.[0-9]{1,3})?".prop_map(|d| Literal::Decimal(Some(d))),
        ".{0,8}".prop_map(Literal::String),
        "20[0-9]{2}-0[1-9]-1[0-9]( 0[0-9]:[0-5][0-9])?".prop_map(|d| Literal::DateTime(Some(d))),
        Just(Literal::DateTime(None)),
        (i64::MIN + 1..i64::MAX).prop_map(|t| Literal::TimeSpan(Some(t))),
        (0i64..100).prop_map(|n| Literal::TimeSpan(Some(n * 36_000_000_000))),
        any::<Option<u128>>().prop_map(Literal::Guid),
        dynamic_strategy().prop_map(Literal::Dynamic),
        prop::sample::select(vec![TypeName::Long, TypeName::String, TypeName::Dynamic])
            .prop_map(Literal::TypeOf),
    ]
}

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    let str_op = (
        prop::sample::select(vec![
            StrOpKind::Has,
            StrOpKind::HasPrefix,
            StrOpKind::HasSuffix,
            StrOpKind::Contains,
            StrOpKind::StartsWith,
            StrOpKind::EndsWith,
            StrOpKind::Like,
        ]),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(kind, negated, case_sensitive)| {
            BinaryOp::Str(StrOp {
                kind,
                negated,
                case_sensitive,
            })
        });
    prop_oneof![
        3 => prop::sample::select(vec![
            BinaryOp::Mul, BinaryOp::Div, BinaryOp::Mod, BinaryOp::Add, BinaryOp::Sub, BinaryOp::Eq, BinaryOp::NotEq,
            BinaryOp::Lt, BinaryOp::LtEq, BinaryOp::Gt, BinaryOp::GtEq, BinaryOp::EqTilde, BinaryOp::NotEqTilde,
            BinaryOp::And, BinaryOp::Or,
        ]),
        1 => str_op,
        1 => Just(BinaryOp::Str(StrOp { kind: StrOpKind::MatchesRegex, negated: false, case_sensitive: true })),
    ]
}

fn expr_strategy() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        3 => literal_strategy().prop_map(|l| e(ExprKind::Literal(l))),
        3 => ident_strategy().prop_map(|i| e(ExprKind::Name(i))),
        1 => prop::sample::select(vec![JoinSide::Left, JoinSide::Right]).prop_map(|s| e(ExprKind::JoinSide(s))),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            (binary_op(), inner.clone(), inner.clone()).prop_map(|(op, l, r)| {
                let lv = bin_level(op);
                let left = wrap(l, if lv == CMP { CMP + 1 } else { lv });
                e(ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(wrap(r, lv + 1)),
                })
            }),
            (
                prop::sample::select(vec![UnaryOp::Neg, UnaryOp::Plus]),
                inner.clone()
            )
                .prop_map(|(op, x)| e(ExprKind::Unary {
                    op,
                    operand: Box::new(wrap(x, UNARY))
                })),
            (inner.clone(), ident_strategy()).prop_map(|(t, member)| e(ExprKind::Member {
                target: Box::new(wrap(t, POSTFIX)),
                member,
            })),
            (inner.clone(), inner.clone()).prop_map(|(t, i)| e(ExprKind::Index {
                target: Box::new(wrap(t, POSTFIX)),
                index: Box::new(i),
            })),
            (call_name(), prop::collection::vec(inner.clone(), 0..3)).prop_map(|(name, args)| e(
                ExprKind::Call(Call {
                    name,
                    args,
                    named: vec![]
                })
            )),
            (
                prop::sample::select(vec![
                    ListOp::In,
                    ListOp::NotIn,
                    ListOp::InCi,
                    ListOp::NotInCi,
                    ListOp::HasAny,
                    ListOp::HasAll
                ]),
                inner.clone(),
                prop::collection::vec(inner.clone(), 1..3),
            )
                .prop_map(|(op, x, list)| e(ExprKind::List {
                    op,
                    expr: Box::new(wrap(x, CMP + 1)),
                    list
                })),
            (any::<bool>(), inner.clone(), inner.clone(), inner.clone()).prop_map(
                |(negated, x, lo, hi)| {
                    e(ExprKind::Between {
                        negated,
                        expr: Box::new(wrap(x, CMP + 1)),
                        low: Box::new(wrap(lo, OR)),
                        high: Box::new(wrap(hi, OR)),
                    })
                }
            ),
            inner.prop_map(|x| e(ExprKind::Paren(Box::new(x)))),
        ]
    })
}

fn named(names: Option<Ident>, x: Expr) -> NamedExpr {
    NamedExpr {
        names: names.into_iter().collect(),
        expr: wrap(x, OR),
        span: Span::default(),
    }
}

fn named_strategy() -> impl Strategy<Value = NamedExpr> {
    (prop::option::of(ident_strategy()), expr_strategy()).prop_map(|(n, x)| named(n, x))
}

fn sort_key_strategy() -> impl Strategy<Value = SortKey> {
    (
        expr_strategy(),
        prop::option::of(prop::sample::select(vec![SortOrder::Asc, SortOrder::Desc])),
        prop::option::of(prop::sample::select(vec![
            NullsOrder::First,
            NullsOrder::Last,
        ])),
    )
        .prop_map(|(x, order, nulls)| SortKey {
            expr: wrap(x, OR),
            order,
            nulls,
            span: Span::default(),
        })
}

fn name_expr(i: Ident) -> Expr {
    e(ExprKind::Name(i))
}

fn operator_strategy() -> impl Strategy<Value = OperatorKind> {
    let exprs = || prop::collection::vec(named_strategy(), 1..3);
    prop_oneof![
        expr_strategy().prop_map(|x| OperatorKind::Where(wrap(x, OR))),
        exprs().prop_map(OperatorKind::Extend),
        exprs().prop_map(OperatorKind::Project),
        (exprs(), prop::collection::vec(named_strategy(), 0..2)).prop_map(|(aggregates, by)| {
            OperatorKind::Summarize {
                params: vec![],
                aggregates,
                by,
            }
        }),
        prop::collection::vec(sort_key_strategy(), 1..3).prop_map(|keys| OperatorKind::Sort {
            params: vec![],
            keys
        }),
        expr_strategy().prop_map(|x| OperatorKind::Take(wrap(x, OR))),
        (expr_strategy(), sort_key_strategy()).prop_map(|(c, key)| OperatorKind::Top {
            count: wrap(c, OR),
            key
        }),
        prop::collection::vec(expr_strategy().prop_map(|x| wrap(x, OR)), 1..3)
            .prop_map(OperatorKind::Distinct),
        Just(OperatorKind::Count),
        Just(OperatorKind::GetSchema),
        (
            prop::sample::select(vec!["inner", "leftouter", "leftanti"]),
            ident_strategy(),
            prop::collection::vec(ident_strategy(), 1..3)
        )
            .prop_map(|(kind, right, on)| OperatorKind::Join {
                params: vec![OperatorParam {
                    name: Ident {
                        name: "kind".into(),
                        span: Span::default()
                    },
                    value: name_expr(Ident {
                        name: kind.into(),
                        span: Span::default()
                    }),
                    span: Span::default(),
                }],
                right: name_expr(right),
                on: on.into_iter().map(name_expr).collect(),
            }),
        prop::collection::vec(ident_strategy(), 1..3).prop_map(OperatorKind::ProjectAway),
        prop::collection::vec((ident_strategy(), ident_strategy()), 1..3)
            .prop_map(OperatorKind::ProjectRename),
        prop::collection::vec(named_strategy(), 0..2).prop_map(OperatorKind::Serialize),
        (
            named_strategy(),
            prop::option::of(prop::sample::select(vec![TypeName::Long, TypeName::String]))
        )
            .prop_map(|(expr, to_type)| OperatorKind::MvExpand {
                params: vec![],
                items: vec![ExpandItem { expr, to_type }],
                limit: None
            }),
        (
            prop::option::of(ident_strategy()),
            prop::option::of(ident_strategy()),
            prop::sample::select(vec![
                EdgeDirection::Right,
                EdgeDirection::Left,
                EdgeDirection::Any
            ]),
            prop::option::of((0i64..3, 3i64..6)),
            prop::collection::vec(named_strategy(), 0..2),
        )
            .prop_map(|(a, e, direction, range, project)| {
                let node = |name| GraphNodePattern {
                    name,
                    span: Span::default(),
                };
                OperatorKind::GraphMatch(Box::new(GraphMatch {
                    shortest: false,
                    params: vec![],
                    pattern: vec![GraphPath {
                        first: node(a),
                        steps: vec![(
                            GraphEdgePattern {
                                name: e,
                                direction,
                                range,
                                span: Span::default(),
                            },
                            node(None),
                        )],
                    }],
                    predicate: None,
                    project,
                }))
            }),
        (
            ident_strategy(),
            prop::collection::vec(ident_strategy(), 0..3)
        )
            .prop_map(|(graph, keys)| OperatorKind::GraphMerge {
                right: name_expr(graph),
                on: keys.into_iter().map(name_expr).collect(),
            }),
    ]
}

fn pipeline_strategy() -> impl Strategy<Value = Expr> {
    (
        ident_strategy(),
        prop::collection::vec(operator_strategy(), 0..4),
    )
        .prop_map(|(table, ops)| {
            let source = name_expr(table);
            if ops.is_empty() {
                return source;
            }
            e(ExprKind::Pipe {
                input: Box::new(source),
                ops: ops
                    .into_iter()
                    .map(|kind| Operator {
                        kind,
                        span: Span::default(),
                    })
                    .collect(),
            })
        })
}

fn script_of(x: Expr) -> Script {
    Script {
        statements: vec![Statement {
            kind: StatementKind::Query(x),
            span: Span::default(),
        }],
        span: Span::default(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn printed_expressions_parse_back_to_the_same_tree(x in expr_strategy()) {
        let script = script_of(e(ExprKind::Source(Box::new(Operator {
            kind: OperatorKind::Print(vec![named(None, x)]),
            span: Span::default(),
        }))));
        let printed = script.to_string();
        let parsed = parse(&printed).map_err(|err| TestCaseError::fail(format!("{err}\n{printed}")))?;
        prop_assert_eq!(parsed.without_spans(), script, "{}", printed);
    }

    #[test]
    fn printed_pipelines_parse_back_to_the_same_tree(x in pipeline_strategy()) {
        let script = script_of(x);
        let printed = script.to_string();
        let parsed = parse(&printed).map_err(|err| TestCaseError::fail(format!("{err}\n{printed}")))?;
        prop_assert_eq!(parsed.without_spans(), script, "{}", printed);
    }
}
