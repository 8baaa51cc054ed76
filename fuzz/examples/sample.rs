//! Prints generated pipeline queries and how they fare, to tune the
//! generator: `cargo run --example sample -- [count] [seed]`.

use arbitrary::{Arbitrary, Unstructured};
use kqlite_engine::eval::Limits;
use kqlite_engine::{Engine, QueryError, RunOptions};
use kqlite_fuzz::PipelineCase;

fn main() {
    let mut args = std::env::args().skip(1);
    let count: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(20);
    let mut state: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(1);
    let verbose = std::env::var_os("VERBOSE").is_some();
    let mut engine = Engine::new();
    engine.set_limits(Limits {
        max_rows: 100_000,
        ..Limits::default()
    });
    let opts = RunOptions {
        now: Some(638_527_968_000_000_000),
        ..RunOptions::default()
    };
    let (mut ok, mut parse, mut bind, mut eval, mut other) = (0, 0, 0, 0, 0);
    for _ in 0..count {
        let bytes: Vec<u8> = (0..512)
            .map(|_| {
                // xorshift64
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 24) as u8
            })
            .collect();
        let mut u = Unstructured::new(&bytes);
        let Ok(case) = PipelineCase::arbitrary(&mut u) else {
            continue;
        };
        let r = engine.run_with(&case.query, &opts);
        match &r {
            Ok(_) => ok += 1,
            Err(QueryError::Parse(_)) => parse += 1,
            Err(QueryError::Bind(_)) => bind += 1,
            Err(QueryError::Eval(_)) => eval += 1,
            Err(_) => other += 1,
        }
        if verbose {
            println!(
                "{}\n=> {:?}\n",
                case.query,
                r.as_ref().map(|t| t.num_rows()).map_err(|e| e.to_string())
            );
        }
    }
    println!("ok {ok} parse {parse} bind {bind} eval {eval} other {other}");
}
