//! Streaming, parallel JSON Lines loading for files of any size.
//!
//! The input is read in blocks cut at line breaks; while one thread reads,
//! the others parse blocks into table parts, and the parts are joined
//! column by column at the end, each part's column dropped as soon as it
//! is copied. Memory peaks near the loaded table plus a few blocks in
//! flight, never near the size of the file.

use std::io::Read;

use super::accum::TableAcc;
use super::{json, LoadError, Loaded};
use crate::concat::concat_tables;
use crate::table::Table;
use crate::types::DataType;

/// Bytes per block (a block grows past this only to hold one long line).
pub(crate) const BLOCK_BYTES: usize = 16 << 20;

/// Inputs smaller than this parse on one thread.
pub(crate) const MIN_PARALLEL_BYTES: usize = 32 << 20;

/// How a streaming load types and shapes its columns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StreamOptions<'s> {
    /// Column types (and, unless `sparse`, columns added as null).
    pub schema: Option<&'s [(String, DataType)]>,
    /// Create a schema column only when the input has it.
    pub sparse: bool,
    /// Leave out unusable lines instead of failing.
    pub lenient: bool,
    /// Blocks parsed at once.
    pub threads: usize,
    /// Bytes per block ([`BLOCK_BYTES`] outside tests).
    pub block_bytes: usize,
}

/// Loads JSON Lines from `reader`. `Ok(None)` when the parts infer
/// different types for a column (only possible without a schema entry for
/// it): the caller then loads the input again in one pass.
pub(crate) fn load_jsonl(
    reader: impl Read,
    path: &str,
    opts: StreamOptions<'_>,
) -> Result<Option<Loaded>, LoadError> {
    let io_error = |source| LoadError::Io {
        path: path.to_string(),
        source,
    };
    let mut results: Vec<Parsed> = Vec::new();
    let threads = opts.threads.max(1);
    if threads == 1 {
        // One buffer serves every block: no fresh pages to fault in.
        let spare = std::cell::RefCell::new(Vec::new());
        read_blocks(
            reader,
            opts.block_bytes,
            || spare.take(),
            |block| {
                let r = parse_block(&block, results.is_empty(), path, opts);
                let go_on = r.is_ok();
                results.push(r);
                spare.replace(block);
                go_on
            },
        )
        .map_err(io_error)?;
    } else {
        results = pipeline(reader, path, opts, threads).map_err(io_error)?;
    }
    let mut parts: Vec<Table> = Vec::with_capacity(results.len());
    let mut rejected = Vec::new();
    // Each block numbered its lines from 1; the lines of the blocks
    // before it come first.
    let mut before = 0;
    for r in results {
        // Blocks are in input order: the first error is the one a
        // one-pass load reports, and rejected lines stay in order.
        let (part, lines) = r.map_err(|mut e| {
            e.shift_line(before);
            e
        })?;
        rejected.extend(part.rejected.into_iter().map(|mut e| {
            e.shift_line(before);
            e
        }));
        parts.push(part.table);
        before += lines;
    }
    if parts.is_empty() {
        return parse_block(&[], true, path, opts).map(|(loaded, _)| Some(loaded));
    }
    Ok(concat_tables(parts).map(|table| Loaded { table, rejected }))
}

/// Reads `reader` in blocks of about `size` bytes cut after a line break,
/// calling `emit(block)` for each until it returns `false` or the input
/// ends. Blocks are read into buffers from `spare` (used ones handed back
/// keep their memory).
fn read_blocks(
    mut reader: impl Read,
    size: usize,
    mut spare: impl FnMut() -> Vec<u8>,
    mut emit: impl FnMut(Vec<u8>) -> bool,
) -> std::io::Result<()> {
    let size = size.max(1);
    let mut carry: Vec<u8> = Vec::new();
    loop {
        let mut block = if carry.len() > size / 2 {
            // The rest of a line longer than a block: keep its buffer
            // (copying it on every pass would be quadratic).
            std::mem::take(&mut carry)
        } else {
            let mut b = spare();
            b.clear();
            b.extend_from_slice(&carry);
            carry.clear();
            b
        };
        let want = size.saturating_sub(block.len()).max(size.div_ceil(4));
        block.reserve(want);
        let got = (&mut reader).take(want as u64).read_to_end(&mut block)?;
        let eof = got < want;
        if !eof {
            match memchr::memrchr(b'\n', &block) {
                Some(k) => {
                    carry.extend_from_slice(block.get(k + 1..).unwrap_or_default());
                    block.truncate(k + 1);
                }
                None => {
                    // One line longer than a block: keep reading it.
                    carry = block;
                    continue;
                }
            }
        }
        if !block.is_empty() && !emit(block) {
            return Ok(());
        }
        if eof {
            return Ok(());
        }
    }
}

/// Reads blocks on this thread while `threads` workers parse them, so
/// reading overlaps parsing; the parsed blocks in input order. Reading
/// stops at the first block that fails.
fn pipeline(
    reader: impl Read,
    path: &str,
    opts: StreamOptions<'_>,
    threads: usize,
) -> std::io::Result<Vec<Parsed>> {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Mutex};
    let (block_tx, block_rx) = mpsc::sync_channel::<(usize, Vec<u8>)>(threads);
    let block_rx = Mutex::new(block_rx);
    let (done_tx, done_rx) = mpsc::channel::<(usize, Parsed)>();
    let (spare_tx, spare_rx) = mpsc::channel::<Vec<u8>>();
    let failed = AtomicBool::new(false);
    let read = std::thread::scope(|scope| {
        for _ in 0..threads {
            let (done_tx, spare_tx) = (done_tx.clone(), spare_tx.clone());
            let (block_rx, failed) = (&block_rx, &failed);
            scope.spawn(move || loop {
                let next = match block_rx.lock() {
                    Ok(rx) => rx.recv().ok(),
                    Err(_) => None,
                };
                let Some((i, block)) = next else {
                    break;
                };
                let parse =
                    std::panic::AssertUnwindSafe(|| parse_block(&block, i == 0, path, opts));
                let r = std::panic::catch_unwind(parse).unwrap_or_else(|_| {
                    Err(LoadError::Syntax {
                        path: path.to_string(),
                        line: 1,
                        column: 0,
                        message: "internal error while parsing this block".into(),
                    })
                });
                if r.is_err() {
                    failed.store(true, Ordering::Relaxed);
                }
                let _ = spare_tx.send(block);
                if done_tx.send((i, r)).is_err() {
                    break;
                }
            });
        }
        drop(done_tx);
        let mut index = 0;
        let read = read_blocks(
            reader,
            opts.block_bytes,
            || spare_rx.try_recv().unwrap_or_default(),
            |block| {
                let sent = block_tx.send((index, block)).is_ok();
                index += 1;
                sent && !failed.load(Ordering::Relaxed)
            },
        );
        drop(block_tx);
        read
    });
    read?;
    let mut done: Vec<(usize, Parsed)> = done_rx.into_iter().collect();
    done.sort_by_key(|(i, _)| *i);
    Ok(done.into_iter().map(|(_, r)| r).collect())
}

/// A parsed block and its number of lines, or its first error.
type Parsed = Result<(Loaded, usize), LoadError>;

/// Parses one block (`first`: the one that starts the file), numbering its
/// lines from 1.
fn parse_block(block: &[u8], first: bool, path: &str, opts: StreamOptions<'_>) -> Parsed {
    let acc = if opts.sparse {
        TableAcc::sparse(opts.schema)
    } else {
        TableAcc::new(opts.schema)
    };
    json::load_jsonl_slice_into(acc, block, path, 1, first, opts.lenient)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::value::{Dynamic, Value};
    use proptest::strategy::Strategy;

    fn opts(schema: Option<&[(String, DataType)]>, sparse: bool) -> StreamOptions<'_> {
        StreamOptions {
            schema,
            sparse,
            lenient: false,
            threads: 3,
            block_bytes: 64,
        }
    }

    fn lines(n: usize) -> String {
        (0..n)
            .map(|i| {
                format!(
                    "{{\"id\":{i},\"user\":\"u{}\",\"bag\":{{\"k\":{i}}}}}\n",
                    i % 7
                )
            })
            .collect()
    }

    #[test]
    fn a_streamed_load_equals_the_one_pass_load() {
        let text = lines(2000);
        let streamed = load_jsonl(text.as_bytes(), "t.jsonl", opts(None, false))
            .expect("loads")
            .expect("types agree");
        let one = json::load_jsonl(text.as_bytes(), None, "t.jsonl", false).expect("loads");
        assert_eq!(streamed.table.schema(), one.table.schema());
        let a: Vec<Vec<Value>> = streamed.table.rows().collect();
        let b: Vec<Vec<Value>> = one.table.rows().collect();
        assert_eq!(a, b);
    }

    #[test]
    fn a_sparse_load_keeps_only_the_schema_columns_the_input_has() {
        let schema = vec![
            ("missing".to_string(), DataType::String),
            ("id".to_string(), DataType::Real),
        ];
        let t = load_jsonl(lines(10).as_bytes(), "t.jsonl", opts(Some(&schema), true))
            .expect("loads")
            .expect("types agree")
            .table;
        assert_eq!(
            t.schema(),
            vec![
                ("id".to_string(), DataType::Real),
                ("user".to_string(), DataType::String),
                ("bag".to_string(), DataType::Dynamic),
            ]
        );
        let full = load_jsonl(lines(10).as_bytes(), "t.jsonl", opts(Some(&schema), false))
            .expect("loads")
            .expect("types agree")
            .table;
        assert_eq!(full.column_names().next(), Some("missing"));
    }

    #[test]
    fn repeated_dynamic_text_parses_once_and_rows_share_the_value() {
        let schema = vec![("bag".to_string(), DataType::Dynamic)];
        let text = "{\"bag\":{\"city\":\"Oslo\",\"n\":[1,2]}}\n\
                    {\"bag\":  {\"city\":\"Lima\"}}\n\
                    {\"bag\":{\"city\":\"Oslo\",\"n\":[1,2]}}\n\
                    {\"bag\":\"{\\\"city\\\":\\\"Oslo\\\"}\"}\n\
                    {\"bag\":7}\n";
        let t = load_jsonl(
            text.as_bytes(),
            "t.jsonl",
            StreamOptions {
                block_bytes: BLOCK_BYTES,
                ..opts(Some(&schema), true)
            },
        )
        .expect("loads")
        .expect("types agree")
        .table;
        let c = t.column("bag").expect("bag");
        let crate::column::ColumnData::Dynamic(v) = &c.data else {
            panic!("dynamic column");
        };
        let (Dynamic::Bag(a), Dynamic::Bag(b)) = (&v[0], &v[2]) else {
            panic!("bags");
        };
        assert!(Arc::ptr_eq(a, b), "equal JSON text shares one value");
        assert_eq!(v[1].get("city"), &Dynamic::String("Lima".into()));
        assert_eq!(
            v[3].get("city"),
            &Dynamic::String("Oslo".into()),
            "JSON text in a string is parsed"
        );
        assert_eq!(v[4], Dynamic::Long(7));
    }

    use proptest::{prop_assert, prop_assert_eq};

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        /// Cut anywhere, in blocks of any size, with good and bad lines and
        /// lines longer than a block, read and parsed on one thread or
        /// pipelined over several: the streamed load returns exactly the
        /// rows (or the first error, with its line) of the one-pass load.
        #[test]
        fn streaming_in_small_blocks_equals_the_one_pass_load(
            lines in proptest::collection::vec(
                proptest::prop_oneof![
                    (0i64..50, "[a-z ]{0,40}").prop_map(|(n, s)| format!("{{\"n\":{n},\"s\":\"{s}\"}}")),
                    (0i64..5).prop_map(|n| format!("{{\"d\":{{\"k\":{n}}},\"n\":{n}}}")),
                    proptest::strategy::Just(String::new()),
                    proptest::strategy::Just("{\"n\": oops}".to_string()),
                    proptest::strategy::Just("{\"n\":\"text\"}".to_string()),
                    // A byte-order mark counts only at the start of the file.
                    proptest::strategy::Just("\u{feff}{\"n\":7}".to_string()),
                ],
                0..40,
            ),
            block in 1usize..200,
            lenient in proptest::bool::ANY,
            threads in 1usize..4,
        ) {
            let text: String = lines.iter().map(|l| format!("{l}\n")).collect();
            let schema = vec![("n".to_string(), DataType::Long)];
            let one = json::load_jsonl(text.as_bytes(), Some(&schema), "t", lenient);
            let streamed = load_jsonl(
                text.as_bytes(),
                "t",
                StreamOptions { block_bytes: block, lenient, threads, ..opts(Some(&schema), false) },
            );
            match (one, streamed) {
                (Ok(a), Ok(Some(b))) => {
                    prop_assert_eq!(a.table.num_rows(), b.table.num_rows());
                    let ra: Vec<Vec<Value>> = a.table.rows().collect();
                    let rb: Vec<Vec<Value>> = b.table.rows().collect();
                    prop_assert_eq!(ra, rb);
                    let ea: Vec<String> = a.rejected.iter().map(ToString::to_string).collect();
                    let eb: Vec<String> = b.rejected.iter().map(ToString::to_string).collect();
                    prop_assert_eq!(ea, eb);
                }
                // Blocks that inferred different types are loaded again in
                // one pass by the caller.
                (Ok(_), Ok(None)) => {}
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "one pass {:?} vs streamed {:?}", a.map(|l| l.table.num_rows()), b.map(|l| l.map(|l| l.table.num_rows()))),
            }
        }
    }

    #[test]
    fn parts_without_a_column_contribute_nulls() {
        let a = json::load_jsonl(&b"{\"x\":1}\n"[..], None, "a", false).expect("loads");
        let b = json::load_jsonl(&b"{\"y\":\"s\"}\n"[..], None, "b", false).expect("loads");
        let t = concat_tables(vec![a.table, b.table]).expect("joins");
        assert_eq!(t.num_rows(), 2);
        assert_eq!(t.row(0), vec![Value::Long(1), Value::string("")]);
        assert_eq!(t.row(1), vec![Value::Null, Value::string("s")]);
    }

    #[test]
    fn parts_that_disagree_on_a_type_are_refused() {
        let a = json::load_jsonl(&b"{\"x\":1}\n"[..], None, "a", false).expect("loads");
        let b = json::load_jsonl(&b"{\"x\":\"s\"}\n"[..], None, "b", false).expect("loads");
        assert!(concat_tables(vec![a.table, b.table]).is_none());
    }

    #[test]
    fn errors_name_their_line_across_blocks() {
        let mut text = lines(5);
        text.push_str("{\"id\": oops}\n");
        let err = load_jsonl(text.as_bytes(), "t.jsonl", opts(None, false)).expect_err("fails");
        assert!(err.to_string().contains("t.jsonl:6"), "{err}");
    }
}
