//! Parquet and Arrow IPC loading and writing, and `Table` <-> `RecordBatch`.
#![cfg(feature = "arrow")]

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use arrow_array::builder::{
    Int64Builder, ListBuilder, MapBuilder, StringBuilder, StringDictionaryBuilder,
};
use arrow_array::types::{Int32Type, UInt8Type};
use arrow_array::{
    Array, ArrayRef, BinaryArray, BooleanArray, Date32Array, Decimal128Array,
    DurationNanosecondArray, DurationSecondArray, FixedSizeBinaryArray, Float32Array, Float64Array,
    Int32Array, Int64Array, Int8Array, IntervalYearMonthArray, LargeStringArray, RecordBatch,
    StringArray, StructArray, TimestampMillisecondArray, TimestampNanosecondArray,
    TimestampSecondArray, UInt64Array,
};
use arrow_schema::{DataType as ArrowType, Field, Fields, Schema, TimeUnit};
use kqlite_engine::io::{self, load_file, load_file_with, LoadError, LoadOptions};
use kqlite_engine::{ColumnData, DataType, Dynamic, Table, Value};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kqlite-arrow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write_parquet_batch(path: &PathBuf, batch: &RecordBatch) {
    let file = std::fs::File::create(path).unwrap();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
}

fn ext(name: &str) -> HashMap<String, String> {
    HashMap::from([("ARROW:extension:name".to_string(), name.to_string())])
}

const GUID: u128 = 0x74be27de_1e4e_49d9_b579_fe0b331d3642;

/// One batch with a column of every Arrow type kqlite reads, three rows,
/// the last mostly null.
fn every_type() -> RecordBatch {
    let inner = StructArray::from(vec![
        (
            Arc::new(Field::new("lat", ArrowType::Float64, true)),
            Arc::new(Float64Array::from(vec![Some(47.6), Some(-33.9), None])) as ArrayRef,
        ),
        (
            Arc::new(Field::new("city", ArrowType::Utf8, true)),
            Arc::new(StringArray::from(vec![Some("Zürich"), Some("東京"), None])) as ArrayRef,
        ),
    ]);
    let mut tags = ListBuilder::new(Int64Builder::new());
    tags.values().append_value(1);
    tags.values().append_value(i64::MAX);
    tags.append(true);
    tags.append(true);
    tags.append(false);
    let tags = tags.finish();
    let location = StructArray::try_new(
        Fields::from(vec![
            Field::new("countryOrRegion", ArrowType::Utf8, true),
            Field::new("geo", inner.data_type().clone(), true),
            Field::new("tags", tags.data_type().clone(), true),
        ]),
        vec![
            Arc::new(StringArray::from(vec![Some("CH"), Some("JP"), None])) as ArrayRef,
            Arc::new(inner),
            Arc::new(tags),
        ],
        Some(vec![true, true, false].into()),
    )
    .unwrap();
    let mut map = MapBuilder::new(None, StringBuilder::new(), Int64Builder::new());
    map.keys().append_value("b");
    map.values().append_value(2);
    map.keys().append_value("a");
    map.values().append_value(1);
    map.append(true).unwrap();
    map.append(true).unwrap();
    map.append(false).unwrap();
    let map = map.finish();
    let mut dict = StringDictionaryBuilder::<UInt8Type>::new();
    dict.append_value("Success");
    dict.append_value("Failure");
    dict.append_null();
    let dict = dict.finish();
    let guid = FixedSizeBinaryArray::try_from_sparse_iter_with_size(
        vec![Some(GUID.to_be_bytes()), Some([0u8; 16]), None].into_iter(),
        16,
    )
    .unwrap();
    let columns: Vec<(Field, ArrayRef)> = vec![
        (
            Field::new("i8", ArrowType::Int8, true),
            Arc::new(Int8Array::from(vec![Some(-128), Some(127), None])),
        ),
        (
            Field::new("i32", ArrowType::Int32, true),
            Arc::new(Int32Array::from(vec![Some(i32::MIN), Some(7), None])),
        ),
        (
            Field::new("i64", ArrowType::Int64, true),
            Arc::new(Int64Array::from(vec![Some(i64::MAX), Some(i64::MIN), None])),
        ),
        (
            Field::new("u64", ArrowType::UInt64, true),
            Arc::new(UInt64Array::from(vec![
                Some(0),
                Some(i64::MAX as u64),
                None,
            ])),
        ),
        (
            Field::new("f32", ArrowType::Float32, true),
            Arc::new(Float32Array::from(vec![Some(0.5), Some(-2.25), None])),
        ),
        (
            Field::new("f64", ArrowType::Float64, true),
            Arc::new(Float64Array::from(vec![Some(1e300), Some(-0.1), None])),
        ),
        (
            Field::new("dec", ArrowType::Decimal128(20, 4), true),
            Arc::new(
                Decimal128Array::from(vec![Some(12_345_678), Some(-1), None])
                    .with_precision_and_scale(20, 4)
                    .unwrap(),
            ),
        ),
        (
            Field::new("ok", ArrowType::Boolean, true),
            Arc::new(BooleanArray::from(vec![Some(true), Some(false), None])),
        ),
        (
            Field::new("s", ArrowType::Utf8, true),
            Arc::new(StringArray::from(vec![Some("héllo ✓"), Some(""), None])),
        ),
        (
            Field::new("ls", ArrowType::LargeUtf8, true),
            Arc::new(LargeStringArray::from(vec![
                Some("large"),
                None,
                Some("😀"),
            ])),
        ),
        (
            Field::new("dict", dict.data_type().clone(), true),
            Arc::new(dict),
        ),
        (
            Field::new(
                "ts_ns",
                ArrowType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
                true,
            ),
            Arc::new(
                TimestampNanosecondArray::from(vec![
                    Some(1_700_000_000_123_456_789),
                    Some(-1),
                    None,
                ])
                .with_timezone("UTC"),
            ),
        ),
        (
            Field::new(
                "ts_ms_tz",
                ArrowType::Timestamp(TimeUnit::Millisecond, Some("+02:00".into())),
                true,
            ),
            Arc::new(
                TimestampMillisecondArray::from(vec![Some(1_700_000_000_001), Some(0), None])
                    .with_timezone("+02:00"),
            ),
        ),
        (
            Field::new("ts_s", ArrowType::Timestamp(TimeUnit::Second, None), true),
            Arc::new(TimestampSecondArray::from(vec![
                Some(-62_135_596_800),
                Some(253_402_300_799),
                None,
            ])),
        ),
        (
            Field::new("day", ArrowType::Date32, true),
            Arc::new(Date32Array::from(vec![Some(19_000), Some(-1), None])),
        ),
        (
            Field::new("dur_ns", ArrowType::Duration(TimeUnit::Nanosecond), true),
            Arc::new(DurationNanosecondArray::from(vec![
                Some(1_234_567_899),
                Some(-100),
                None,
            ])),
        ),
        (
            Field::new("dur_s", ArrowType::Duration(TimeUnit::Second), true),
            Arc::new(DurationSecondArray::from(vec![
                Some(86_400 * 400),
                Some(0),
                None,
            ])),
        ),
        (
            Field::new("bin", ArrowType::Binary, true),
            Arc::new(BinaryArray::from(vec![
                Some(&b"\x00\xffab"[..]),
                Some(&b""[..]),
                None,
            ])),
        ),
        (
            Field::new("id", ArrowType::FixedSizeBinary(16), true).with_metadata(ext("arrow.uuid")),
            Arc::new(guid),
        ),
        (
            Field::new("LocationDetails", location.data_type().clone(), true),
            Arc::new(location),
        ),
        (
            Field::new("props", map.data_type().clone(), true),
            Arc::new(map),
        ),
        (
            Field::new("json", ArrowType::Utf8, true).with_metadata(ext("arrow.json")),
            Arc::new(StringArray::from(vec![
                Some(r#"{"z":1,"a":[true,null]}"#),
                Some("3"),
                None,
            ])),
        ),
    ];
    let (fields, arrays): (Vec<Field>, Vec<ArrayRef>) = columns.into_iter().unzip();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays).unwrap()
}

fn cell(t: &Table, name: &str, row: usize) -> Value {
    t.column(name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .get(row)
}

fn dt(iso: &str) -> Value {
    Value::DateTime(kqlite_engine::time::parse_datetime(iso).unwrap())
}

fn json(v: &Value) -> String {
    match v {
        Value::Dynamic(d) => d.to_json().to_string(),
        other => panic!("not dynamic: {other:?}"),
    }
}

/// Every value of `batch` as kqlite reads it (checked cell by cell).
fn check_every_type(t: &Table) {
    use DataType as T;
    let types: Vec<(String, DataType)> = t.schema();
    let expected = [
        ("i8", T::Int),
        ("i32", T::Int),
        ("i64", T::Long),
        ("u64", T::Long),
        ("f32", T::Real),
        ("f64", T::Real),
        ("dec", T::Decimal),
        ("ok", T::Bool),
        ("s", T::String),
        ("ls", T::String),
        ("dict", T::String),
        ("ts_ns", T::DateTime),
        ("ts_ms_tz", T::DateTime),
        ("ts_s", T::DateTime),
        ("day", T::DateTime),
        ("dur_ns", T::TimeSpan),
        ("dur_s", T::TimeSpan),
        ("bin", T::String),
        ("id", T::Guid),
        ("LocationDetails", T::Dynamic),
        ("props", T::Dynamic),
        ("json", T::Dynamic),
    ];
    let expected: Vec<(String, DataType)> =
        expected.iter().map(|(n, t)| (n.to_string(), *t)).collect();
    assert_eq!(types, expected);
    assert_eq!(cell(t, "i8", 0), Value::Int(-128));
    assert_eq!(cell(t, "i32", 0), Value::Int(i32::MIN));
    assert_eq!(cell(t, "i64", 0), Value::Long(i64::MAX));
    assert_eq!(cell(t, "i64", 1), Value::Long(i64::MIN));
    assert_eq!(cell(t, "u64", 1), Value::Long(i64::MAX));
    assert_eq!(cell(t, "f32", 1), Value::Real(-2.25));
    assert_eq!(cell(t, "f64", 0), Value::Real(1e300));
    assert_eq!(cell(t, "dec", 0).to_string(), "1234.5678");
    assert_eq!(cell(t, "ok", 1), Value::Bool(false));
    assert_eq!(cell(t, "s", 0), Value::string("héllo ✓"));
    assert_eq!(
        cell(t, "s", 2),
        Value::string(""),
        "a null string reads as empty"
    );
    assert_eq!(cell(t, "ls", 2), Value::string("😀"));
    assert_eq!(cell(t, "dict", 0), Value::string("Success"));
    assert_eq!(cell(t, "dict", 1), Value::string("Failure"));
    // Nanoseconds are rounded down to a 100 ns tick.
    assert_eq!(cell(t, "ts_ns", 0), dt("2023-11-14T22:13:20.1234567Z"));
    assert_eq!(cell(t, "ts_ns", 1), dt("1969-12-31T23:59:59.9999999Z"));
    // A time zone does not move the instant.
    assert_eq!(cell(t, "ts_ms_tz", 0), dt("2023-11-14T22:13:20.001Z"));
    assert_eq!(cell(t, "ts_s", 0), dt("0001-01-01T00:00:00Z"));
    assert_eq!(cell(t, "ts_s", 1), dt("9999-12-31T23:59:59Z"));
    assert_eq!(cell(t, "day", 1), dt("1969-12-31T00:00:00Z"));
    assert_eq!(cell(t, "dur_ns", 0), Value::TimeSpan(12_345_678));
    assert_eq!(cell(t, "dur_ns", 1), Value::TimeSpan(-1));
    assert_eq!(cell(t, "dur_s", 0), Value::TimeSpan(400 * 864_000_000_000));
    assert_eq!(cell(t, "bin", 0), Value::string("AP9hYg=="));
    assert_eq!(cell(t, "id", 0), Value::Guid(GUID));
    assert_eq!(cell(t, "id", 1), Value::Guid(0));
    assert_eq!(
        json(&cell(t, "LocationDetails", 0)),
        r#"{"countryOrRegion":"CH","geo":{"lat":47.6,"city":"Zürich"},"tags":[1,9223372036854775807]}"#
    );
    assert_eq!(
        json(&cell(t, "LocationDetails", 1)),
        r#"{"countryOrRegion":"JP","geo":{"lat":-33.9,"city":"東京"},"tags":[]}"#
    );
    assert_eq!(
        json(&cell(t, "props", 0)),
        r#"{"b":2,"a":1}"#,
        "map keys keep their order"
    );
    assert_eq!(json(&cell(t, "json", 0)), r#"{"z":1,"a":[true,null]}"#);
    assert_eq!(cell(t, "json", 1), Value::Dynamic(Dynamic::Long(3)));
    // The last row is null wherever the type has a null.
    for (name, ty) in t.schema() {
        let v = cell(t, &name, 2);
        match (name.as_str(), ty) {
            ("ls", _) => {}
            (_, DataType::String) => assert_eq!(v, Value::string(""), "{name}"),
            _ => assert!(v.is_null(), "{name} row 2 is {v:?}"),
        }
    }
}

#[test]
fn a_parquet_file_loads_every_arrow_type_as_the_documented_kqlite_type() {
    let path = scratch("every.parquet");
    write_parquet_batch(&path, &every_type());
    let t = load_file(&path, None).expect("loads");
    assert_eq!(t.num_rows(), 3);
    check_every_type(&t);
    assert!(
        matches!(
            t.column("dict").unwrap().data,
            ColumnData::String(kqlite_engine::column::StringColumn::Dict { .. })
        ),
        "an Arrow dictionary stays a kqlite dictionary"
    );
}

#[test]
fn parquet_round_trips_through_kqlite_keeping_every_value() {
    let first = scratch("first.parquet");
    write_parquet_batch(&first, &every_type());
    let loaded = load_file(&first, None).expect("loads");
    let second = scratch("second.parquet");
    io::parquet::write_parquet(&loaded, std::fs::File::create(&second).unwrap()).unwrap();
    let again = load_file(&second, None).expect("loads back");
    assert_eq!(again.schema(), loaded.schema());
    for r in 0..loaded.num_rows() {
        assert_eq!(again.row(r), loaded.row(r), "row {r}");
    }
    check_every_type(&again);
    // Datetimes go out as nanoseconds in UTC, dynamic as JSON text.
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(
        std::fs::File::open(&second).unwrap(),
    )
    .unwrap();
    let schema = reader.schema().clone();
    assert_eq!(
        schema.field_with_name("ts_ns").unwrap().data_type(),
        &ArrowType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into()))
    );
    let loc = schema.field_with_name("LocationDetails").unwrap();
    assert_eq!(loc.data_type(), &ArrowType::Utf8);
    assert_eq!(
        loc.metadata()
            .get("ARROW:extension:name")
            .map(String::as_str),
        Some("arrow.json")
    );
}

#[test]
fn a_large_parquet_file_reads_back_in_row_order_across_row_groups() {
    let n = 300_000i64;
    let ids: Vec<i64> = (0..n).collect();
    let names: Vec<String> = (0..n).map(|i| format!("user{}", i % 7)).collect();
    let t = Table::try_new([
        (
            "id".to_string(),
            Arc::new(kqlite_engine::Column::new(ColumnData::Long(ids))),
        ),
        (
            "name".to_string(),
            Arc::new(kqlite_engine::Column::new(ColumnData::String(
                kqlite_engine::column::StringColumn::dictionary(names.iter().map(String::as_str)),
            ))),
        ),
    ])
    .unwrap();
    let path = scratch("large.parquet");
    io::parquet::write_parquet(&t, std::fs::File::create(&path).unwrap()).unwrap();
    for threads in [1, 2] {
        let options = LoadOptions {
            threads,
            ..LoadOptions::default()
        };
        let back = load_file_with(&path, None, &options).unwrap().table;
        assert_eq!(back.num_rows(), n as usize);
        assert_eq!(back, t, "threads={threads}");
    }
}

#[test]
fn arrow_ipc_files_and_streams_round_trip() {
    let batch = every_type();
    let original = Table::from_record_batch(&batch).unwrap();
    check_every_type(&original);
    let file = scratch("t.arrow");
    io::arrow::write_arrow_ipc(&original, std::fs::File::create(&file).unwrap()).unwrap();
    let stream = scratch("t.arrows");
    io::arrow::write_arrow_stream(&original, std::fs::File::create(&stream).unwrap()).unwrap();
    let feather = scratch("t.feather");
    std::fs::copy(&file, &feather).unwrap();
    for path in [&file, &stream, &feather] {
        let back = load_file(path, None).unwrap();
        assert_eq!(back, original, "{}", path.display());
    }
}

#[test]
fn a_table_converts_to_a_record_batch_and_back_unchanged() {
    let t = Table::from_record_batch(&every_type()).unwrap();
    let batch = t.to_record_batch().unwrap();
    let back = Table::from_record_batch(&batch).unwrap();
    assert_eq!(back, t);
    let via_try: Table = (&RecordBatch::try_from(&t).unwrap()).try_into().unwrap();
    assert_eq!(via_try, t);
}

#[test]
fn an_owned_long_column_moves_into_arrow_without_a_copy() {
    let values: Vec<i64> = (0..1000).collect();
    let ptr = values.as_ptr();
    let t = Table::try_new([(
        "n".to_string(),
        Arc::new(kqlite_engine::Column::new(ColumnData::Long(values))),
    )])
    .unwrap();
    let batch = RecordBatch::try_from(t).unwrap();
    let arr = batch
        .column(0)
        .as_any()
        .downcast_ref::<Int64Array>()
        .unwrap();
    assert_eq!(arr.values().as_ptr(), ptr, "the Vec's buffer is reused");
    assert_eq!(arr.value(999), 999);
}

#[test]
fn a_declared_schema_wins_and_converts_values() {
    let batch = RecordBatch::try_from_iter([
        ("n", Arc::new(Int64Array::from(vec![1, 2])) as ArrayRef),
        (
            "when",
            Arc::new(StringArray::from(vec![
                "2024-01-01T00:00:00Z",
                "2024-01-02",
            ])) as ArrayRef,
        ),
        ("extra", Arc::new(Int32Array::from(vec![5, 6])) as ArrayRef),
    ])
    .unwrap();
    let path = scratch("schema.parquet");
    write_parquet_batch(&path, &batch);
    let schema = vec![
        ("when".to_string(), DataType::DateTime),
        ("n".to_string(), DataType::String),
        ("missing".to_string(), DataType::Long),
    ];
    let t = load_file(&path, Some(&schema)).unwrap();
    let names: Vec<&str> = t.column_names().collect();
    assert_eq!(names, ["when", "n", "missing", "extra"]);
    assert_eq!(cell(&t, "when", 1), dt("2024-01-02T00:00:00Z"));
    assert_eq!(cell(&t, "n", 0), Value::string("1"));
    assert!(cell(&t, "missing", 0).is_null());
    let sparse = LoadOptions {
        sparse: true,
        ..LoadOptions::default()
    };
    let t = load_file_with(&path, Some(&schema), &sparse).unwrap().table;
    let names: Vec<&str> = t.column_names().collect();
    assert_eq!(names, ["when", "n", "extra"]);
    // A value the declared type cannot hold fails, naming column and row.
    let bad = vec![("when".to_string(), DataType::Long)];
    let err = load_file(&path, Some(&bad)).unwrap_err();
    assert!(matches!(err, LoadError::Value { line: 1, .. }), "{err}");
    assert!(
        err.to_string().contains("column `when`: expected long"),
        "{err}"
    );
}

#[test]
fn an_arrow_type_without_a_kqlite_counterpart_is_refused_by_name() {
    let batch = RecordBatch::try_from_iter([(
        "months",
        Arc::new(IntervalYearMonthArray::from(vec![1, 2])) as ArrayRef,
    )])
    .unwrap();
    let path = scratch("interval.arrow");
    let t = std::fs::File::create(&path).unwrap();
    let mut w = arrow_ipc::writer::FileWriter::try_new(t, &batch.schema()).unwrap();
    w.write(&batch).unwrap();
    w.finish().unwrap();
    let err = load_file(&path, None).unwrap_err();
    assert!(err.to_string().contains("column `months`"), "{err}");
    assert!(err.to_string().contains("Interval"), "{err}");
}

#[test]
fn an_unsigned_long_beyond_long_range_fails_the_load_naming_the_row() {
    let batch = RecordBatch::try_from_iter([(
        "big",
        Arc::new(UInt64Array::from(vec![1, u64::MAX])) as ArrayRef,
    )])
    .unwrap();
    let err = Table::from_record_batch(&batch).unwrap_err();
    assert!(err.to_string().contains("column `big`, row 1"), "{err}");
}

#[test]
fn broken_parquet_and_arrow_files_fail_with_an_error_not_a_panic() {
    let path = scratch("good.parquet");
    write_parquet_batch(&path, &every_type());
    let bytes = std::fs::read(&path).unwrap();
    for (name, data) in [
        ("empty.parquet", Vec::new()),
        ("text.parquet", b"not parquet at all".to_vec()),
        ("cut.parquet", bytes[..bytes.len() / 2].to_vec()),
        ("tail.parquet", bytes[bytes.len() / 2..].to_vec()),
        ("empty.arrow", Vec::new()),
        ("text.arrows", b"{\"a\":1}".to_vec()),
        ("parquet-as.arrow", bytes.clone()),
    ] {
        let p = scratch(name);
        std::fs::write(&p, &data).unwrap();
        let err = load_file(&p, None).expect_err(name);
        assert!(err.to_string().contains(name), "{name}: {err}");
    }
}

#[test]
fn datetimes_beyond_nanosecond_range_are_written_in_microseconds() {
    let far = kqlite_engine::time::parse_datetime("9999-12-31T23:59:59.1234567Z").unwrap();
    let t = Table::try_new([(
        "t".to_string(),
        Arc::new(kqlite_engine::Column::new(ColumnData::DateTime(vec![far]))),
    )])
    .unwrap();
    let batch = t.to_record_batch().unwrap();
    assert_eq!(
        batch.schema().field(0).data_type(),
        &ArrowType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
    );
    let back = Table::from_record_batch(&batch).unwrap();
    assert_eq!(back.row(0), vec![dt("9999-12-31T23:59:59.123456Z")]);
}

#[test]
fn a_dictionary_with_repeated_values_loads_as_distinct_codes() {
    let keys = Int32Array::from(vec![Some(0), Some(1), None, Some(2)]);
    let values = Arc::new(StringArray::from(vec!["x", "y", "x"]));
    let dict = arrow_array::DictionaryArray::<Int32Type>::try_new(keys, values).unwrap();
    let batch = RecordBatch::try_from_iter([("d", Arc::new(dict) as ArrayRef)]).unwrap();
    let t = Table::from_record_batch(&batch).unwrap();
    match &t.column("d").unwrap().data {
        ColumnData::String(kqlite_engine::column::StringColumn::Dict { codes, dict }) => {
            assert_eq!(dict.iter().collect::<Vec<_>>(), ["x", "y", ""]);
            assert_eq!(codes, &[0, 1, 2, 0]);
        }
        other => panic!("{other:?}"),
    }
}
