//! The flags of `kqlite run` that give what a detection reads from outside
//! its tables (`--externaldata`, `--watchlist`, `--geoip`), and the check
//! of `--let` overrides; the work is done by
//! [`kqlite_sentinel::inputs`], which `kqlite test` shares.

use std::path::Path;

use kqlite_engine::Engine;
use kqlite_sentinel::inputs::{self, ExternalInputs};

use crate::{render, usage_error, Outcome};

/// What `kqlite run` was given besides tables.
pub struct InputFlags<'a> {
    /// `--externaldata URL=PATH` arguments.
    pub externaldata: &'a [String],
    /// `--watchlist NAME[:SEARCHKEY]=PATH` arguments.
    pub watchlists: &'a [String],
    /// `--geoip PATH`.
    pub geoip: Option<&'a Path>,
    /// `--now`, for the watchlist items' `LastUpdatedTimeUTC`.
    pub now: Option<i64>,
}

/// Checks the `--let` overrides against `query` (printing an error that
/// points into the override), then installs the inputs the flags give.
pub fn install(
    engine: &mut Engine,
    flags: &InputFlags<'_>,
    query: &str,
    lets: &[(String, String)],
) -> Result<(), Outcome> {
    if let Err(e) = inputs::check_lets(query, lets) {
        let origin = format!("--let {}", e.name);
        for d in &e.diagnostics {
            err!("{}", render::render_for_stderr(&origin, &e.text, d));
        }
        return Err(Outcome::Failure);
    }
    let mut given = ExternalInputs {
        now: flags.now,
        ..ExternalInputs::default()
    };
    for arg in flags.externaldata {
        match inputs::parse_externaldata_flag(arg) {
            Ok(entry) => given.externaldata.push(entry),
            Err(e) => return Err(usage_error(e)),
        }
    }
    for arg in flags.watchlists {
        match inputs::parse_watchlist_flag(arg) {
            Ok(entry) => given.watchlists.push(entry),
            Err(e) => return Err(usage_error(e)),
        }
    }
    given.geoip = flags.geoip.map(Path::to_path_buf);
    given.install(engine).map_err(|e| {
        errln!("error: {e}");
        Outcome::Failure
    })
}
