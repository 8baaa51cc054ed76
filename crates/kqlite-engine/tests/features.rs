//! The optional function families (cargo features `geo`, `timezones`,
//! `compression`, `series`): with a feature on, its functions run; with it
//! off, calling one is E1005 naming the feature, not "unknown function".
//! CI runs this file both with the default features and with
//! `--no-default-features`.

use kqlite_engine::{Engine, QueryError};

/// Runs `query` and returns the first error's code and message, or `None`
/// when it runs.
fn error_of(query: &str) -> Option<(String, String)> {
    let engine = Engine::new();
    match engine.run(query) {
        Ok(_) => None,
        Err(QueryError::Bind(ds)) => ds.first().map(|d| (d.code.to_string(), d.message.clone())),
        Err(e) => Some(("other".into(), e.to_string())),
    }
}

/// Asserts that `query` runs when `enabled`, and otherwise fails with E1005
/// naming `feature`.
fn check(query: &str, feature: &str, enabled: bool) {
    let got = error_of(query);
    if enabled {
        assert_eq!(got, None, "{query}");
    } else {
        let (code, message) = got.unwrap_or_else(|| panic!("{query} ran without `{feature}`"));
        assert_eq!(code, "E1005", "{message}");
        assert!(
            message.contains(&format!("cargo feature `{feature}`")),
            "{message}"
        );
    }
}

#[test]
fn geo_functions_follow_the_geo_feature() {
    check(
        "print c = geo_point_to_h3cell(-122.3, 47.6, 5)",
        "geo",
        cfg!(feature = "geo"),
    );
}

#[test]
fn time_zone_functions_follow_the_timezones_feature() {
    check(
        "print t = datetime_utc_to_local(datetime(2024-01-01), 'Europe/Paris')",
        "timezones",
        cfg!(feature = "timezones"),
    );
}

#[test]
fn compression_functions_follow_the_compression_feature() {
    check(
        "print z = zlib_compress_to_base64_string('abc')",
        "compression",
        cfg!(feature = "compression"),
    );
}

#[test]
fn series_functions_follow_the_series_feature() {
    check(
        "print s = series_stats_dynamic(dynamic([1, 2, 3]))",
        "series",
        cfg!(feature = "series"),
    );
}

#[test]
fn the_geo_lookup_plugin_follows_the_geo_feature() {
    check(
        "datatable(lon: real, lat: real)[1.0, 2.0] \
         | evaluate geo_polygon_lookup(datatable(p: dynamic)[dynamic({\"type\":\"Polygon\",\"coordinates\":[[[0,0],[3,0],[3,3],[0,3],[0,0]]]})], p, lon, lat)",
        "geo",
        cfg!(feature = "geo"),
    );
}

#[test]
fn functions_outside_the_optional_families_are_always_there() {
    assert_eq!(
        error_of("print h = hash_sha256('abc'), b = base64_encode_tostring('abc')"),
        None
    );
}
