//! Unit tests of the parser: shapes, spans and errors.

use super::*;

fn query(text: &str) -> Expr {
    let script = parse(text).unwrap_or_else(|e| panic!("{text:?}: {e}"));
    match script.statements.last().map(|s| &s.kind) {
        Some(StatementKind::Query(e)) => e.without_spans(),
        other => panic!("not a query: {other:?}"),
    }
}

/// The last operator of a pipeline.
fn last_op(text: &str) -> OperatorKind {
    match query(text).kind {
        ExprKind::Pipe { mut ops, .. } => ops.pop().expect("a stage").kind,
        ExprKind::Source(op) => op.kind,
        other => panic!("not a pipe: {other:?}"),
    }
}

/// The predicate of `T | where ...`.
fn predicate(cond: &str) -> Expr {
    match last_op(&format!("T | where {cond}")) {
        OperatorKind::Where(e) => e,
        other => panic!("{other:?}"),
    }
}

fn literal(text: &str) -> Literal {
    match last_op(&format!("print {text}")) {
        OperatorKind::Print(items) => match &items[0].expr.kind {
            ExprKind::Literal(l) => l.clone(),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

fn error(text: &str) -> Diagnostic {
    match parse(text) {
        Ok(s) => panic!("{text:?} parsed: {s:?}"),
        Err(e) => e.diagnostics()[0].clone(),
    }
}

fn binary(e: &Expr) -> (BinaryOp, &Expr, &Expr) {
    match &e.kind {
        ExprKind::Binary { op, left, right } => (*op, left, right),
        other => panic!("not binary: {other:?}"),
    }
}

const SEC: i64 = 10_000_000;

#[test]
fn or_binds_looser_than_and_which_binds_looser_than_comparison() {
    let e = predicate("a or b and c == d + e * f");
    let (op, _, right) = binary(&e);
    assert_eq!(op, BinaryOp::Or);
    let (op, _, right) = binary(right);
    assert_eq!(op, BinaryOp::And);
    let (op, _, right) = binary(right);
    assert_eq!(op, BinaryOp::Eq);
    let (op, _, right) = binary(right);
    assert_eq!(op, BinaryOp::Add);
    assert_eq!(binary(right).0, BinaryOp::Mul);
}

#[test]
fn arithmetic_is_left_associative_and_unary_binds_tightest() {
    let e = predicate("a - b - c > -x * 2");
    let (_, left, right) = binary(&e);
    let (op, inner, _) = binary(left);
    assert_eq!(op, BinaryOp::Sub);
    assert_eq!(binary(inner).0, BinaryOp::Sub);
    let (op, neg, _) = binary(right);
    assert_eq!(op, BinaryOp::Mul);
    assert!(matches!(
        neg.kind,
        ExprKind::Unary {
            op: UnaryOp::Neg,
            ..
        }
    ));
}

#[test]
fn comparisons_do_not_chain() {
    assert_eq!(error("T | where a < b < c").code, codes::CHAINED_COMPARISON);
    assert!(parse("T | where (a < b) == true").is_ok());
}

#[test]
fn postfix_member_index_and_call_nest_left_to_right() {
    let e = predicate("parse_json(x).a['b'][0].c == 1");
    let (_, left, _) = binary(&e);
    let ExprKind::Member { target, member } = &left.kind else {
        panic!("{left:?}")
    };
    assert_eq!(member.name, "c");
    let ExprKind::Index { target, index } = &target.kind else {
        panic!()
    };
    assert!(matches!(
        index.kind,
        ExprKind::Literal(Literal::Long(Some(0)))
    ));
    let ExprKind::Index { target, index } = &target.kind else {
        panic!()
    };
    assert!(matches!(&index.kind, ExprKind::Literal(Literal::String(s)) if s == "b"));
    let ExprKind::Member { target, .. } = &target.kind else {
        panic!()
    };
    assert!(matches!(&target.kind, ExprKind::Call(c) if c.name.name == "parse_json"));
}

#[test]
fn dot_bracket_is_indexing() {
    let e = predicate("x.[0] == 1");
    assert!(matches!(binary(&e).1.kind, ExprKind::Index { .. }));
}

#[test]
fn every_string_operator_maps_to_its_kind_negation_and_case() {
    let cases = [
        ("has", StrOpKind::Has, false, false),
        ("!has", StrOpKind::Has, true, false),
        ("has_cs", StrOpKind::Has, false, true),
        ("!has_cs", StrOpKind::Has, true, true),
        ("hasprefix", StrOpKind::HasPrefix, false, false),
        ("!hassuffix_cs", StrOpKind::HasSuffix, true, true),
        ("contains", StrOpKind::Contains, false, false),
        ("!contains_cs", StrOpKind::Contains, true, true),
        ("startswith", StrOpKind::StartsWith, false, false),
        ("!endswith_cs", StrOpKind::EndsWith, true, true),
        ("matches regex", StrOpKind::MatchesRegex, false, true),
        ("like", StrOpKind::Like, false, false),
        ("!like", StrOpKind::Like, true, false),
    ];
    for (text, kind, negated, case_sensitive) in cases {
        let e = predicate(&format!("x {text} 'a'"));
        assert_eq!(
            binary(&e).0,
            BinaryOp::Str(StrOp {
                kind,
                negated,
                case_sensitive
            }),
            "{text}"
        );
    }
}

#[test]
fn list_operators_take_a_parenthesised_list() {
    for (text, op) in [
        ("in", ListOp::In),
        ("!in", ListOp::NotIn),
        ("in~", ListOp::InCi),
        ("!in~", ListOp::NotInCi),
        ("has_any", ListOp::HasAny),
        ("has_all", ListOp::HasAll),
    ] {
        let e = predicate(&format!("x {text} ('a', 'b')"));
        let ExprKind::List { op: got, list, .. } = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!((*got, list.len()), (op, 2), "{text}");
    }
    let e = predicate("x in (T | project y)");
    let ExprKind::List { list, .. } = &e.kind else {
        panic!()
    };
    assert!(matches!(list[0].kind, ExprKind::Pipe { .. }));
}

#[test]
fn between_takes_a_range() {
    let e = predicate("x !between (1 .. 10)");
    assert!(matches!(e.kind, ExprKind::Between { negated: true, .. }));
    assert!(parse("T | where x between(1..10)").is_ok());
}

#[test]
fn comparison_operators_all_parse() {
    for (text, op) in [
        ("==", BinaryOp::Eq),
        ("!=", BinaryOp::NotEq),
        ("<>", BinaryOp::NotEq),
        ("<", BinaryOp::Lt),
        ("<=", BinaryOp::LtEq),
        (">", BinaryOp::Gt),
        (">=", BinaryOp::GtEq),
        ("=~", BinaryOp::EqTilde),
        ("!~", BinaryOp::NotEqTilde),
    ] {
        assert_eq!(binary(&predicate(&format!("a {text} b"))).0, op, "{text}");
    }
}

#[test]
fn numbers_are_long_or_real() {
    assert_eq!(literal("42"), Literal::Long(Some(42)));
    assert_eq!(literal("1.5"), Literal::Real(Some(1.5)));
    assert_eq!(literal("1e3"), Literal::Real(Some(1000.0)));
    assert_eq!(literal("2.5E-1"), Literal::Real(Some(0.25)));
    assert_eq!(literal("0x1F"), Literal::Long(Some(31)));
    assert_eq!(error("print 99999999999999999999").code, codes::BAD_LITERAL);
}

#[test]
fn timespans_accept_every_unit_spelling() {
    let cases = [
        ("1d", 86_400 * SEC),
        ("2days", 2 * 86_400 * SEC),
        ("24h", 86_400 * SEC),
        ("24hours", 86_400 * SEC),
        ("30m", 1_800 * SEC),
        ("1min", 60 * SEC),
        ("10s", 10 * SEC),
        ("1sec", SEC),
        ("100ms", SEC / 10),
        ("1millisecond", 10_000),
        ("10microseconds", 100),
        ("1tick", 1),
        ("1.5d", 129_600 * SEC),
    ];
    for (text, ticks) in cases {
        assert_eq!(literal(text), Literal::TimeSpan(Some(ticks)), "{text}");
    }
}

#[test]
fn time_and_timespan_calls_accept_clock_and_unit_forms() {
    assert_eq!(
        literal("time(1.02:03:04.5)"),
        Literal::TimeSpan(Some((93_784 * SEC) + SEC / 2))
    );
    assert_eq!(
        literal("timespan(2h)"),
        Literal::TimeSpan(Some(7_200 * SEC))
    );
    assert_eq!(
        literal("time(3)"),
        Literal::TimeSpan(Some(3 * 86_400 * SEC))
    );
    assert_eq!(literal("time(00:30)"), Literal::TimeSpan(Some(1_800 * SEC)));
    assert_eq!(literal("timespan(null)"), Literal::TimeSpan(None));
    assert_eq!(error("print time(abc)").code, codes::BAD_TIMESPAN);
}

#[test]
fn a_number_with_an_unknown_unit_is_a_bad_timespan() {
    let d = error("print 5x");
    assert_eq!(d.code, codes::BAD_TIMESPAN);
    assert_eq!(d.message, "invalid timespan literal `5x`");
    assert_eq!(d.span, Span::new(6, 8));
}

#[test]
fn strings_decode_escapes_and_every_quoting_form() {
    assert_eq!(
        literal(r#""a\"b\\c\n""#),
        Literal::String("a\"b\\c\n".into())
    );
    assert_eq!(literal(r"'it\'s'"), Literal::String("it's".into()));
    assert_eq!(literal(r#"@"c:\temp""#), Literal::String(r"c:\temp".into()));
    assert_eq!(literal(r"@'c:\temp'"), Literal::String(r"c:\temp".into()));
    assert_eq!(
        literal("```line1\nline2```"),
        Literal::String("line1\nline2".into())
    );
    assert_eq!(literal("h'secret'"), Literal::String("secret".into()));
    assert_eq!(literal("H\"secret\""), Literal::String("secret".into()));
    assert_eq!(literal("h@'c:\\x'"), Literal::String("c:\\x".into()));
    assert_eq!(literal("'a' \"b\" @'c'"), Literal::String("abc".into()));
    assert_eq!(literal(r#""\u0041""#), Literal::String("A".into()));
    assert_eq!(literal(r#""\d+""#), Literal::String(r"\d+".into()));
}

#[test]
fn an_unterminated_string_points_at_its_opening_quote() {
    let d = error("print 'abc\n| take 1");
    assert_eq!(d.code, codes::UNTERMINATED_STRING);
    assert_eq!(d.span.start, 6);
}

#[test]
fn typed_literals_and_nulls() {
    assert_eq!(
        literal("datetime(2024-01-01 10:00)"),
        Literal::DateTime(Some("2024-01-01 10:00".into()))
    );
    assert_eq!(literal("datetime(null)"), Literal::DateTime(None));
    assert_eq!(literal("long(null)"), Literal::Long(None));
    assert_eq!(literal("int(-5)"), Literal::Int(Some(-5)));
    assert_eq!(literal("real(nan)").to_string(), "real(nan)");
    assert_eq!(
        literal("real(-inf)"),
        Literal::Real(Some(f64::NEG_INFINITY))
    );
    assert_eq!(literal("bool(null)"), Literal::Bool(None));
    assert_eq!(literal("true"), Literal::Bool(Some(true)));
    assert_eq!(
        literal("decimal(1.25)"),
        Literal::Decimal(Some("1.25".into()))
    );
    assert_eq!(literal("typeof(string)"), Literal::TypeOf(TypeName::String));
    assert_eq!(
        literal("guid(74be27de-1e4e-49d9-b579-fe0b331d3642)"),
        Literal::Guid(Some(0x74be27de_1e4e_49d9_b579_fe0b331d3642))
    );
    assert_eq!(error("print guid(nope)").code, codes::BAD_LITERAL);
    // `long(x)` of a non-literal is an ordinary call (a conversion).
    let OperatorKind::Print(items) = last_op("print long(x)") else {
        panic!()
    };
    assert!(matches!(&items[0].expr.kind, ExprKind::Call(c) if c.name.name == "long"));
}

#[test]
fn dynamic_literals_nest_and_hold_typed_values() {
    let l = literal(
        r#"dynamic({"a": [1, -2.5, 'x', null, true], 'b': {"t": datetime(2020-01-01), "d": 1h}})"#,
    );
    let Literal::Dynamic(DynamicLiteral::Object(items)) = l else {
        panic!()
    };
    assert_eq!(items[0].0, "a");
    assert_eq!(
        items[0].1,
        DynamicLiteral::Array(vec![
            DynamicLiteral::Long(1),
            DynamicLiteral::Real(-2.5),
            DynamicLiteral::String("x".into()),
            DynamicLiteral::Null,
            DynamicLiteral::Bool(true),
        ])
    );
    let DynamicLiteral::Object(inner) = &items[1].1 else {
        panic!()
    };
    assert_eq!(inner[0].1, DynamicLiteral::DateTime("2020-01-01".into()));
    assert_eq!(inner[1].1, DynamicLiteral::TimeSpan(3_600 * SEC));
    assert_eq!(
        literal("dynamic(null)"),
        Literal::Dynamic(DynamicLiteral::Null)
    );
}

#[test]
fn a_dynamic_call_nested_in_a_dynamic_literal_keeps_its_value() {
    let l = literal("dynamic({'x': dynamic({'y': 1}), 'e': dynamic({})})");
    let Literal::Dynamic(DynamicLiteral::Object(items)) = l else {
        panic!()
    };
    assert_eq!(
        items[0].1,
        DynamicLiteral::Object(vec![("y".into(), DynamicLiteral::Long(1))])
    );
    assert_eq!(items[1].1, DynamicLiteral::Object(Vec::new()));
}

#[test]
fn calls_take_star_and_named_arguments() {
    let OperatorKind::Summarize { aggregates, .. } = last_op("T | summarize count(), c = count(*)")
    else {
        panic!()
    };
    assert!(matches!(&aggregates[0].expr.kind, ExprKind::Call(c) if c.args.is_empty()));
    assert!(
        matches!(&aggregates[1].expr.kind, ExprKind::Call(c) if matches!(c.args[0].kind, ExprKind::Star))
    );
    let OperatorKind::Evaluate { call, .. } =
        last_op("T | evaluate bag_unpack(x, columnsConflict='keep_source')")
    else {
        panic!()
    };
    assert_eq!(call.named[0].0.name, "columnsConflict");
}

#[test]
fn keywords_are_contextual_so_operator_names_work_as_columns() {
    let OperatorKind::Project(items) = last_op("T | project count, kind, Type, title, ['where']")
    else {
        panic!()
    };
    assert_eq!(items.len(), 5);
    assert!(parse("T | extend kind = 1, count = 2 | where title == 'x'").is_ok());
}

#[test]
fn kql_is_case_sensitive() {
    let d = error("T | WHERE x");
    assert_eq!(d.code, codes::UNKNOWN_OPERATOR);
    assert_eq!(d.hint.as_deref(), Some("did you mean `where`?"));
}

#[test]
fn statements_allow_comments_and_a_trailing_semicolon() {
    let s = parse("// head\nlet x = 1; // one\nT // table\n| take x // n\n;;").unwrap();
    assert_eq!(s.statements.len(), 2);
}

#[test]
fn two_queries_without_a_semicolon_are_rejected() {
    let d = error("T\n| take 1\nU\n| take 2");
    assert_eq!(d.code, codes::MISSING_SEMICOLON);
    assert_eq!(d.message, "two query statements must be separated by `;`");
    assert!(parse("T\n| take 1;\nU\n| take 2").is_ok());
}

#[test]
fn let_binds_scalars_tables_functions_and_materialize() {
    let s = parse(
        "let n = 5;\nlet t = T | take n;\nlet m = materialize(T | summarize count());\n\
         let f = (T: (x: long, *), k: string = 'a', U: (*)) { T | where x > 0 };\nlet v = view () { T };\nf(t)",
    )
    .unwrap();
    let StatementKind::Let(f) = &s.statements[3].kind else {
        panic!()
    };
    let LetValue::Function(def) = &f.value else {
        panic!()
    };
    assert_eq!(def.params.len(), 3);
    assert!(
        matches!(&def.params[0].ty, ParamType::Tabular { columns, wildcard: true } if columns.len() == 1)
    );
    assert!(def.params[1].default.is_some());
    assert!(
        matches!(&def.params[2].ty, ParamType::Tabular { columns, wildcard: true } if columns.is_empty())
    );
    let StatementKind::Let(v) = &s.statements[4].kind else {
        panic!()
    };
    assert!(matches!(v.value, LetValue::Function(_)));
}

#[test]
fn let_without_equals_says_so() {
    let d = error("let x 5;");
    assert!(
        d.message.starts_with("expected `=` after `let x`"),
        "{}",
        d.message
    );
}

#[test]
fn declare_and_set_statements_parse() {
    let s = parse("declare query_parameters(Start: datetime, Limit: long = 10);\nset querytrace;\nset truncationmaxrecords = 100;\nT").unwrap();
    assert!(
        matches!(&s.statements[0].kind, StatementKind::DeclareQueryParameters(p) if p.len() == 2)
    );
    assert!(matches!(
        &s.statements[1].kind,
        StatementKind::Set(SetStatement { value: None, .. })
    ));
    assert!(matches!(
        &s.statements[2].kind,
        StatementKind::Set(SetStatement { value: Some(_), .. })
    ));
}

#[test]
fn sources_parse_as_source_operators() {
    for text in [
        "print x = 1, 'a'",
        "range x from 1 to 10 step 1",
        "datatable(a: long, b: string) [1, 'x', 2, 'y',]",
        "union kind=outer withsource=Src A, (B | take 1), Sec*",
        "externaldata(x: string) [@'https://example.invalid/a.csv'] with (format='csv')",
        "find in (A, B) where x == 1 project a, b",
        "search 'error'",
        "search in (A, B) * has 'x'",
        "table('My Table')",
        "['My Table'] | take 1",
    ] {
        parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
    assert!(matches!(
        last_op("range x from 1 to 3 step 1"),
        OperatorKind::Range { .. }
    ));
}

#[test]
fn find_parses_every_documented_form_and_prints_back() {
    for text in [
        "find in (A, B) where x == 1 project a, b:string, pack_all()",
        "find withsource=S in (A*, (B | take 1)) where * has 'x' project-smart",
        "find x == 'a' or y == 'b'",
        "find 'term'",
        "find x == 1 project pack_all()",
    ] {
        let script = parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let OperatorKind::Find { project, .. } = last_op(text) else {
            panic!("{text}: not a find");
        };
        if text.contains("pack_all") {
            assert!(
                project.iter().any(|i| matches!(i, FindItem::PackAll(_))),
                "{text}"
            );
        }
        let printed = script.to_string();
        let again = parse(&printed).unwrap_or_else(|e| panic!("{printed}: {e}"));
        assert_eq!(script.without_spans(), again.without_spans(), "{printed}");
    }
    let OperatorKind::Find { project, .. } = last_op("find in (A) where x == 1 project b:long")
    else {
        panic!("not a find");
    };
    assert!(matches!(
        project.as_slice(),
        [FindItem::Column(id, Some(TypeName::Long))] if id.name == "b"
    ));
}

#[test]
fn every_tabular_operator_parses_to_its_node() {
    type Check = fn(&OperatorKind) -> bool;
    let cases: &[(&str, Check)] = &[
        ("where x > 1", |k| matches!(k, OperatorKind::Where(_))),
        ("filter x > 1", |k| matches!(k, OperatorKind::Where(_))),
        ("extend a = 1, b", |k| matches!(k, OperatorKind::Extend(v) if v.len() == 2)),
        ("project a, b = c", |k| matches!(k, OperatorKind::Project(v) if v.len() == 2)),
        ("project-away a, b*", |k| matches!(k, OperatorKind::ProjectAway(v) if v[1].name == "b*")),
        ("project-keep a*", |k| matches!(k, OperatorKind::ProjectKeep(_))),
        ("project-rename n = o", |k| matches!(k, OperatorKind::ProjectRename(v) if v[0].0.name == "n")),
        ("project-reorder b, a asc", |k| matches!(k, OperatorKind::ProjectReorder(v) if v[1].1 == Some(SortOrder::Asc))),
        ("summarize hint.strategy=shuffle c = count() by k, bin(t, 1h)", |k| {
            matches!(k, OperatorKind::Summarize { params, by, .. } if params.len() == 1 && by.len() == 2)
        }),
        ("summarize by k", |k| matches!(k, OperatorKind::Summarize { aggregates, .. } if aggregates.is_empty())),
        ("sort by a asc nulls first, b", |k| {
            matches!(k, OperatorKind::Sort { keys, .. } if keys[0].nulls == Some(NullsOrder::First) && keys.len() == 2)
        }),
        ("order by a desc", |k| matches!(k, OperatorKind::Sort { .. })),
        ("take 5", |k| matches!(k, OperatorKind::Take(_))),
        ("limit 5", |k| matches!(k, OperatorKind::Take(_))),
        ("top 3 by x desc nulls last", |k| matches!(k, OperatorKind::Top { .. })),
        ("top-nested 3 of a by c = count(), top-nested of b with others = 0 by sum(x) asc", |k| {
            matches!(k, OperatorKind::TopNested(v) if v.len() == 2 && v[1].with_others.is_some())
        }),
        ("count", |k| matches!(k, OperatorKind::Count)),
        ("distinct a, b", |k| matches!(k, OperatorKind::Distinct(v) if v.len() == 2)),
        ("distinct *", |k| matches!(k, OperatorKind::Distinct(v) if matches!(v[0].kind, ExprKind::Star))),
        ("join kind=leftouter hint.strategy=broadcast (U) on a, $left.b == $right.c", |k| {
            matches!(k, OperatorKind::Join { params, on, .. } if params.len() == 2 && on.len() == 2)
        }),
        ("lookup kind=inner U on k", |k| matches!(k, OperatorKind::Lookup { .. })),
        ("union U, V", |k| matches!(k, OperatorKind::Union { tables, .. } if tables.len() == 2)),
        ("mv-expand bagexpansion=array with_itemindex=i x to typeof(long), y limit 10", |k| {
            matches!(k, OperatorKind::MvExpand { params, items, limit: Some(_) } if params.len() == 2 && items[0].to_type == Some(TypeName::Long))
        }),
        ("mv-apply x to typeof(long) on (top 1 by x)", |k| matches!(k, OperatorKind::MvApply { .. })),
        ("parse kind=regex flags=U s with 'a' x: long '(b)' *", |k| {
            matches!(k, OperatorKind::Parse { pattern, .. } if pattern.len() == 4)
        }),
        ("parse-where s with * 'x=' x", |k| matches!(k, OperatorKind::ParseWhere { .. })),
        ("parse-kv s as (k: string, v: long) with (pair_delimiter=',')", |k| {
            matches!(k, OperatorKind::ParseKv { columns, with, .. } if columns.len() == 2 && with.len() == 1)
        }),
        ("make-series kind=nonempty c = count() default = 0 on t from ago(1d) to now() step 1h by k", |k| {
            matches!(k, OperatorKind::MakeSeries(m) if m.from.is_some() && m.by.len() == 1 && m.aggregates[0].1.is_some())
        }),
        ("make-series avg(x) on t in range(ago(1d), now(), 1h)", |k| matches!(k, OperatorKind::MakeSeries(m) if m.to.is_some())),
        ("evaluate hint.distribution=per_node bag_unpack(x)", |k| matches!(k, OperatorKind::Evaluate { .. })),
        ("render timechart with (title='x', ytitle='y')", |k| matches!(k, OperatorKind::Render { with, .. } if with.len() == 2)),
        ("serialize n = row_number()", |k| matches!(k, OperatorKind::Serialize(v) if v.len() == 1)),
        ("serialize", |k| matches!(k, OperatorKind::Serialize(v) if v.is_empty())),
        ("as hint.materialized=true X", |k| matches!(k, OperatorKind::As { .. })),
        ("invoke f(1)", |k| matches!(k, OperatorKind::Invoke(_))),
        ("getschema", |k| matches!(k, OperatorKind::GetSchema)),
        ("sample 10", |k| matches!(k, OperatorKind::Sample(_))),
        ("sample-distinct 5 of x", |k| matches!(k, OperatorKind::SampleDistinct { .. })),
        ("top-hitters 5 of x", |k| matches!(k, OperatorKind::TopHitters { by: None, .. })),
        ("top-hitters 5 of x by y * 2", |k| matches!(k, OperatorKind::TopHitters { by: Some(_), .. })),
        ("partition hint.strategy=native by k (top 1 by t)", |k| {
            matches!(k, OperatorKind::Partition { body: PartitionBody::Subquery(_), .. })
        }),
        ("partition by k { U | take 1 }", |k| matches!(k, OperatorKind::Partition { body: PartitionBody::Expr(_), .. })),
        ("scan with_match_id=m declare (s: string = 'a') with (step a: x > 1 => s = 'b'; step b optional: x < 1;)", |k| {
            matches!(k, OperatorKind::Scan(s) if s.steps.len() == 2 && s.steps[1].optional && s.declare.len() == 1)
        }),
        ("scan order by t partition by k with (step s: true;)", |k| matches!(k, OperatorKind::Scan(_))),
        ("facet by a, b with (take 1)", |k| matches!(k, OperatorKind::Facet { by, with: Some(_) } if by.len() == 2)),
        ("fork (where x) (take 1 | count)", |k| matches!(k, OperatorKind::Fork(v) if v.len() == 2 && v[1].1.ops.len() == 2)),
        ("fork a = (take 1)", |k| matches!(k, OperatorKind::Fork(v) if v[0].0.is_some())),
        ("search kind=case_sensitive 'x'", |k| matches!(k, OperatorKind::Search { .. })),
        ("reduce by msg with threshold=0.1", |k| matches!(k, OperatorKind::Reduce { with, .. } if with.len() == 1)),
        ("reduce kind=source by msg with threshold=0.1, characters='-'", |k| {
            matches!(k, OperatorKind::Reduce { params, with, .. } if params.len() == 1 && with.len() == 2)
        }),
        ("consume decodeblocks=true", |k| matches!(k, OperatorKind::Consume(p) if p.len() == 1)),
    ];
    for (text, check) in cases {
        let kind = last_op(&format!("T | {text}"));
        assert!(check(&kind), "{text}: {kind:?}");
    }
}

#[test]
fn an_unknown_join_kind_is_rejected_with_a_suggestion() {
    let d = error("T | join kind=lefouter (U) on k");
    assert_eq!(d.code, codes::UNKNOWN_JOIN_KIND);
    assert_eq!(d.hint.as_deref(), Some("did you mean `leftouter`?"));
}

#[test]
fn errors_point_at_the_real_problem() {
    assert_eq!(error("T where x").code, codes::MISSING_PIPE);
    assert_eq!(error("T | where x = 1").code, codes::ASSIGN_NOT_COMPARE);
    assert_eq!(error("T | project a,").code, codes::TRAILING_COMMA);
    assert_eq!(
        error("T | where").message,
        "expected an expression after `where`, found end of input"
    );
    assert_eq!(
        error("print 1 ==").message,
        "expected an expression after `==`, found end of input"
    );
    assert_eq!(error("T | where (a").code, codes::UNBALANCED);
    assert_eq!(error("T | summarize count() by").code, codes::EXPECTED_EXPR);
    assert_eq!(
        error("T | sort x").message,
        "expected `by` after `sort`, found `x`"
    );
    assert_eq!(error("T |").code, codes::EXPECTED_EXPR);
}

#[test]
fn spans_cover_exactly_their_text() {
    let text = "T | where x > 1 // c\n| take 5  ";
    let s = parse(text).unwrap();
    let StatementKind::Query(q) = &s.statements[0].kind else {
        panic!()
    };
    assert_eq!(&text[q.span.range()], "T | where x > 1 // c\n| take 5");
    let ExprKind::Pipe { ops, .. } = &q.kind else {
        panic!()
    };
    let [where_op, op] = &ops[..] else { panic!() };
    assert_eq!(&text[op.span.range()], "take 5");
    let op = where_op;
    assert_eq!(&text[op.span.range()], "where x > 1");
    let OperatorKind::Where(pred) = &op.kind else {
        panic!()
    };
    assert_eq!(&text[pred.span.range()], "x > 1");
    let (_, left, right) = binary(pred);
    assert_eq!(
        (&text[left.span.range()], &text[right.span.range()]),
        ("x", "1")
    );
}

#[test]
fn unicode_spaces_count_as_whitespace() {
    assert!(parse("T\u{a0}| take 1\u{200b}").is_ok());
}

#[test]
fn names_starting_with_a_digit_are_allowed_before_equals() {
    let OperatorKind::Extend(items) = last_op("T | extend 5h_avg = 1") else {
        panic!()
    };
    assert_eq!(items[0].names[0].name, "5h_avg");
}

#[test]
fn text_after_a_query_on_the_same_line_is_not_called_a_second_query() {
    let d = error("T | extend a = 1 b = 2");
    assert_eq!(d.code, codes::UNEXPECTED);
    assert_eq!(
        d.message,
        "unexpected `b`; expected `|`, `;` or the end of the query"
    );
}

#[test]
fn spans_of_names_calls_and_statements_match_the_text() {
    let text = "let x = ['my col'] ;\nT | extend y = strcat(a, 'b')";
    let s = parse(text).unwrap();
    assert_eq!(&text[s.statements[0].span.range()], "let x = ['my col']");
    let StatementKind::Let(l) = &s.statements[0].kind else {
        panic!()
    };
    let LetValue::Expr(v) = &l.value else {
        panic!()
    };
    let ExprKind::Name(id) = &v.kind else {
        panic!()
    };
    assert_eq!(
        (id.name.as_str(), &text[id.span.range()]),
        ("my col", "['my col']")
    );
    let StatementKind::Query(q) = &s.statements[1].kind else {
        panic!()
    };
    let ExprKind::Pipe { ops, .. } = &q.kind else {
        panic!()
    };
    let op = ops.last().expect("a stage");
    let OperatorKind::Extend(items) = &op.kind else {
        panic!()
    };
    assert_eq!(&text[items[0].span.range()], "y = strcat(a, 'b')");
    assert_eq!(&text[items[0].expr.span.range()], "strcat(a, 'b')");
    let ExprKind::Call(c) = &items[0].expr.kind else {
        panic!()
    };
    assert_eq!(&text[c.args[1].span.range()], "'b'");
    assert_eq!(s.span, Span::new(0, text.len()));
}

#[test]
fn search_star_and_dollar_table_parse() {
    assert!(parse("search * | summarize make_set($table)").is_ok());
    let e = predicate("$table == 'x'");
    assert!(matches!(&binary(&e).1.kind, ExprKind::Name(n) if n.name == "$table"));
}

#[test]
fn externaldata_accepts_a_trailing_comma_in_its_schema() {
    let s = parse("externaldata(a: string, b: int,) ['https://x/y.csv']").expect("parses");
    let StatementKind::Query(q) = &s.statements[0].kind else {
        panic!("not a query")
    };
    let ExprKind::Source(op) = &q.kind else {
        panic!("not a source")
    };
    assert!(matches!(&op.kind, OperatorKind::Externaldata { columns, .. } if columns.len() == 2));
    assert!(parse("datatable(a: string,) ['x']").is_err());
}

#[test]
fn evaluate_accepts_an_output_schema_after_a_colon() {
    let s = parse("T | evaluate pivot(k, count()) : (a: string, b: long)").expect("parses");
    let StatementKind::Query(q) = &s.statements[0].kind else {
        panic!("not a query")
    };
    let ExprKind::Pipe { ops, .. } = &q.kind else {
        panic!("not a pipe")
    };
    let op = ops.last().expect("a stage");
    assert!(matches!(
        &op.kind,
        OperatorKind::Evaluate { schema: Some(cols), .. } if cols.len() == 2
    ));
}

#[test]
fn search_column_terms_become_term_operators_on_that_column() {
    let cases = [
        ("search Col:\"x y\"", StrOpKind::Has, "x y"),
        ("search Col:abc*", StrOpKind::HasPrefix, "abc"),
        ("search Col:'*abc'", StrOpKind::HasSuffix, "abc"),
        ("search Col:*abc*", StrOpKind::Contains, "abc"),
    ];
    for (text, kind, needle) in cases {
        let s = parse(text).expect("parses");
        let StatementKind::Query(q) = &s.statements[0].kind else {
            panic!("not a query")
        };
        let ExprKind::Source(op) = &q.kind else {
            panic!("not a source")
        };
        let OperatorKind::Search { predicate, .. } = &op.kind else {
            panic!("not search")
        };
        let ExprKind::Binary { op, left, right } = &predicate.kind else {
            panic!("not a binary: {text}")
        };
        assert_eq!(
            *op,
            BinaryOp::Str(StrOp {
                kind,
                negated: false,
                case_sensitive: false
            }),
            "{text}"
        );
        assert!(matches!(&left.kind, ExprKind::Name(id) if id.name == "Col"));
        assert!(
            matches!(&right.kind, ExprKind::Literal(Literal::String(s)) if s == needle),
            "{text}"
        );
    }
    // Outside `search`, `:` after a name is still an error.
    assert!(parse("T | where Col:'x'").is_err());
}

#[test]
fn words_starting_with_digits_are_names_unless_they_look_like_timespans() {
    let s = parse("let 1d_window = 1d; T | summarize c = count() by bin(5Minutebin = t, 5m) | project 5Minutebin, 1d_window")
        .expect("parses");
    let StatementKind::Let(l) = &s.statements[0].kind else {
        panic!("not a let")
    };
    assert_eq!(l.name.name, "1d_window");
    assert_eq!(error("print 5x").code, codes::BAD_TIMESPAN);
    assert_eq!(error("print 5mins").code, codes::BAD_TIMESPAN);
}

#[test]
fn graph_operators_parse_with_their_patterns_and_print_back() {
    let cases = [
        "E | make-graph src --> dst with N on name | graph-to-table nodes",
        "E | make-graph src --> dst with (N | where x > 1) on name, M on id | graph-to-table edges",
        "E | make-graph src --> dst with_node_id=id | graph-mark-components kind=strong with_component_id=c | graph-to-table nodes",
        "E | make-graph a --> b | graph-match cycles=none (x)-[e]->(y)<--()--(z) where x.v > 1 project x.v, n = y.name",
        "E | make-graph a --> b | graph-match (x)<-[e*1..5]-(y), (y)-[*2..3]-(z) project e.k",
        "E | make-graph a --> b | graph-shortest-paths output=all (s)-[p*1..5]->(t) where s.n == 'a' project map(p, k)",
        "E | make-graph a --> b | graph-to-table nodes as N with_node_id=Id, edges as E with_source_id=S with_target_id=T",
        "E | make-graph a --> b with_node_id=id partitioned-by t (graph-to-table nodes)",
        "G | graph-merge H | graph-to-table edges",
        "G | graph-merge (F | make-graph a --> b) on k, $left.s == $right.t | graph-to-table nodes",
    ];
    for text in cases {
        let q = query(text);
        let printed = q.to_string();
        assert_eq!(query(&printed), q, "{text} printed as {printed}");
    }
    match last_op("G | graph-merge H on $left.s == $right.t") {
        OperatorKind::GraphMerge { right, on } => {
            assert!(matches!(&right.kind, ExprKind::Name(n) if n.name == "H"));
            assert_eq!(on.len(), 1);
        }
        other => panic!("{other:?}"),
    }
    match last_op("E | make-graph a --> b | graph-match (x)<-[e*1..5]-(y) project x") {
        OperatorKind::GraphMatch(g) => {
            let (edge, node) = &g.pattern[0].steps[0];
            assert_eq!(edge.direction, EdgeDirection::Left);
            assert_eq!(edge.range, Some((1, 5)));
            assert_eq!(edge.name.as_ref().map(|n| n.name.as_str()), Some("e"));
            assert_eq!(node.name.as_ref().map(|n| n.name.as_str()), Some("y"));
        }
        other => panic!("{other:?}"),
    }
    match last_op("E | make-graph a --> b | graph-to-table edges with_source_id=S as X") {
        OperatorKind::GraphToTable(items) => {
            assert_eq!(items[0].params.len(), 1);
            assert_eq!(items[0].alias.as_ref().map(|a| a.name.as_str()), Some("X"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_broken_graph_pattern_is_a_parse_error_at_its_place() {
    let d = error("E | make-graph a --> b | graph-match (x)-[e*x]->(y)");
    assert!(d.message.contains("whole number"), "{d:?}");
    let d = error("E | make-graph a -> b");
    assert!(d.message.contains("-->"), "{d:?}");
    let d = error("E | make-graph a --> b | graph-match (x)-[e]>(y)");
    assert!(d.message.contains("closing the edge"), "{d:?}");
    let d = error("E | make-graph a --> b | graph-to-table vertices");
    assert!(d.message.contains("`nodes` or `edges`"), "{d:?}");
}

#[test]
fn make_series_in_range_is_kept_apart_from_from_and_to() {
    for text in [
        "T | make-series count() on t in range(a, b, 1h) by k",
        "T | make-series kind=nonempty count() on t from a to b step 1h",
    ] {
        let q = query(text);
        assert_eq!(query(&q.to_string()), q, "{text}");
    }
    match last_op("T | make-series count() on t in range(a, b, 1h)") {
        OperatorKind::MakeSeries(m) => assert!(m.in_range),
        other => panic!("{other:?}"),
    }
    match last_op("T | make-series count() on t from a to b step 1h") {
        OperatorKind::MakeSeries(m) => assert!(!m.in_range),
        other => panic!("{other:?}"),
    }
}

mod long_chains {
    use crate::ast::{BinaryOp, Expr, ExprKind, StatementKind};
    use crate::{parse, BALANCE_AFTER};

    /// The depth of the deepest `Binary` path in `e` (iteratively).
    fn binary_depth(e: &Expr) -> usize {
        let mut deepest = 0;
        let mut stack = vec![(e, 1usize)];
        while let Some((e, d)) = stack.pop() {
            if let ExprKind::Binary { left, right, .. } = &e.kind {
                deepest = deepest.max(d);
                stack.push((left, d + 1));
                stack.push((right, d + 1));
            }
        }
        deepest
    }

    fn predicate(query: &str) -> Expr {
        let script = parse(query).expect("parses");
        let Some(StatementKind::Query(e)) = script.statements.last().map(|s| &s.kind) else {
            panic!("no query");
        };
        let ExprKind::Pipe { ops, .. } = &e.kind else {
            panic!("not a pipe");
        };
        let op = ops.last().expect("a stage");
        let crate::ast::OperatorKind::Where(w) = &op.kind else {
            panic!("not a where: {:?}", op.kind);
        };
        w.clone()
    }

    fn chain(op: &str, n: usize) -> String {
        let terms: Vec<String> = (0..n).map(|i| format!("a == {i}")).collect();
        format!("T | where {}", terms.join(&format!(" {op} ")))
    }

    #[test]
    fn a_ten_thousand_term_or_chain_parses_into_a_shallow_tree() {
        let e = predicate(&chain("or", 10_000));
        assert!(binary_depth(&e) < 20, "{}", binary_depth(&e));
    }

    #[test]
    fn long_and_and_plus_chains_parse_too() {
        assert!(parse(&chain("and", 10_000)).is_ok());
        let sum: Vec<String> = (0..10_000).map(|i| i.to_string()).collect();
        assert!(parse(&format!("print x = {}", sum.join(" + "))).is_ok());
    }

    #[test]
    fn a_short_chain_stays_left_deep() {
        let e = predicate(&chain("or", BALANCE_AFTER));
        let ExprKind::Binary { op, right, .. } = &e.kind else {
            panic!("not binary");
        };
        assert_eq!(*op, BinaryOp::Or);
        assert!(!matches!(
            right.kind,
            ExprKind::Binary {
                op: BinaryOp::Or,
                ..
            }
        ));
    }

    #[test]
    fn a_long_chain_of_a_non_associative_operator_still_counts_as_nesting() {
        let terms: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        let result = parse(&format!("print x = {}", terms.join(" - ")));
        let err = result.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(err.contains("nests deeper"), "{err}");
    }

    #[test]
    fn a_long_run_of_plus_before_a_minus_is_balanced_and_parses() {
        let terms: Vec<String> = (0..1000).map(|i| i.to_string()).collect();
        assert!(parse(&format!("print x = {} - 1", terms.join(" + "))).is_ok());
    }

    #[test]
    fn a_balanced_chain_prints_and_parses_back_to_the_same_tree() {
        let script = parse(&chain("or", 1000)).expect("parses");
        let again = parse(&script.to_string()).expect("the print parses");
        assert_eq!(script.without_spans(), again.without_spans());
    }
}
