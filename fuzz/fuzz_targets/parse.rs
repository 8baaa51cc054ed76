//! The parser on arbitrary bytes: it must never panic, and whatever it
//! accepts must print to KQL that parses back to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(script) = kqlite_parser::parse(text) else {
        return;
    };
    let printed = script.to_string();
    match kqlite_parser::parse(&printed) {
        Ok(again) => {
            let (a, b) = (again.without_spans(), script.without_spans());
            // `real(nan)` is not equal to itself; compare such trees by
            // their debug text, which also tells `-0.0` from `0.0`.
            if a != b {
                assert_eq!(
                    format!("{a:?}"),
                    format!("{b:?}"),
                    "printing changed the tree\ninput:   {text:?}\nprinted: {printed:?}"
                );
            }
        }
        Err(e) => panic!(
            "the printed form does not parse\ninput:   {text:?}\nprinted: {printed:?}\nerror:   {:?}",
            e.diagnostics()
        ),
    }
});
