#!/usr/bin/env python3
"""Side-by-side timing of kqlite, DuckDB and Polars on the shipped detection.

Subcommands (run.sh drives them; see README.md):

  bench   run every engine x thread count on one data directory, check that
          all engines return the same rows, append the timings to a results
          file
  engine  (internal) load the data into DuckDB or Polars in this process,
          run both sections, print one JSON timing line, write normalized rows
  parquet time loading the same Parquet files in kqlite, DuckDB
          (read_parquet) and Polars (read_parquet), checking that all three
          load the same rows, and append the timings to a results file
  report  print the Markdown tables of a results file, one per data shape

Runs are recorded per data shape (`--shape`: `default` is kqlite's own
generated tenant, `wide-unordered` the wide, randomly ordered shape of
`kqlite gen --shape wide-unordered`); no figure of one shape stands for
another.

Each engine x thread count runs in its own process so that peak RSS
(ru_maxrss of that child, from wait4) is its own. kqlite runs one process per
section (`kqlite run --section`), both of which load both tables.

The SQL and Polars equivalents below mirror the KQL of
queries/t1078_004_cloud_accounts.kql; the comments say which Kusto rule each
line mirrors. The results are compared as multisets of normalized rows; any
difference fails the run.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

QUERY = "queries/t1078_004_cloud_accounts.kql"
SECTIONS = ("SuspiciousSignins", "SPSignins")
SIGNIN_FILE = "SigninLogs.jsonl"
SP_FILE = "AADServicePrincipalSignInLogs.jsonl"

# --- The detection's constants, as in the KQL -------------------------------

LOOKBACK = timedelta(hours=24)  # let LookbackPeriod = 24h
SUSPICIOUS_COUNTRIES = ["KP", "IR", "RU", "CN", "BY"]
LEGACY_AUTH_CLIENTS = [
    "IMAP", "POP3", "SMTP", "BasicAuth", "ExchangeActiveSync",
    "AutoDiscover", "Exchange Web Services", "Office Protocol",
    "Authenticated SMTP", "Outlook Anywhere",
]
ALERT_REASON = "Service principal authenticating from multiple IPs"
IPLIST_LIMIT = 10  # make_set(IPAddress, 10)

SUSPICIOUS_COLUMNS = [
    "TimeGenerated", "UserPrincipalName", "UserId", "AppDisplayName", "IPAddress",
    "Country", "City", "ClientApp", "IsLegacyAuth", "IsSuspiciousCountry",
    "IsHighRisk", "IsMFANotPerformed", "RiskLevelDuringSignIn",
    "ConditionalAccessStatus", "UserAgent", "CorrelationId",
]
SP_COLUMNS = [
    "TimeGenerated", "ServicePrincipalName", "ServicePrincipalId", "AppId",
    "SigninCount", "UniqueIPs", "IPList", "AlertReason",
]
COLUMNS = {"SuspiciousSignins": SUSPICIOUS_COLUMNS, "SPSignins": SP_COLUMNS}


def has_any_regex() -> str:
    """`has_any` as a regex: Kusto terms are maximal runs of ASCII
    alphanumerics, matched case-insensitively; a needle of several terms
    matches those terms consecutively, whatever separates them. So: the
    needle's terms joined by non-alphanumeric runs, bounded by a
    non-alphanumeric character or the string's ends. Valid in RE2 (DuckDB)
    and Rust regex (Polars)."""
    sep = "[^0-9A-Za-z]"
    alts = []
    for needle in LEGACY_AUTH_CLIENTS:
        terms = "".join(c if c.isalnum() and c.isascii() else " " for c in needle).split()
        alts.append((sep + "+").join(terms))
    return f"(?i)(^|{sep})({'|'.join(alts)})($|{sep})"


# --- Schemas of the generated JSON Lines (the columns the query reads) ------

LOCATION_STRUCT = (
    "STRUCT(city VARCHAR, state VARCHAR, countryOrRegion VARCHAR, "
    "geoCoordinates STRUCT(latitude DOUBLE, longitude DOUBLE))"
)
# The other non-string columns of the wide-unordered shape (all 28 columns
# are loaded, each with its type, as a real export would be).
DEVICE_STRUCT = (
    "STRUCT(deviceId VARCHAR, displayName VARCHAR, operatingSystem VARCHAR, browser VARCHAR, "
    "isCompliant BOOLEAN, isManaged BOOLEAN, trustType VARCHAR)"
)
STATUS_STRUCT = "STRUCT(errorCode BIGINT, failureReason VARCHAR, additionalDetails VARCHAR)"
DUCKDB_TYPES = {
    "TimeGenerated": "TIMESTAMP_NS",
    "LocationDetails": LOCATION_STRUCT,
    "DeviceDetail": DEVICE_STRUCT,
    "Status": STATUS_STRUCT,
    "DurationMs": "BIGINT",
    "IsInteractive": "BOOLEAN",
}


def duckdb_columns(path: Path) -> dict[str, str]:
    """DuckDB column types for every field of the file's first row:
    TimeGenerated is TIMESTAMP_NS (kqlite keeps 100 ns ticks; microsecond
    TIMESTAMP would truncate them), LocationDetails the struct of its
    `dynamic` value, every other column VARCHAR (all are `string` in
    Sentinel's schema)."""
    return {name: DUCKDB_TYPES.get(name, "VARCHAR") for name in first_row_fields(path)}


def first_row_fields(path: Path) -> list[str]:
    with open(path, encoding="utf-8") as f:
        line = f.readline()
    if not line.strip():
        raise SystemExit(f"error: {path} is empty")
    return list(json.loads(line).keys())


# --- Normalization ------------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def iso_to_ns(text: str) -> int:
    """`2026-01-15T11:55:08.5925551Z` (any number of fraction digits, or
    none) to nanoseconds since the Unix epoch."""
    body = text.rstrip("Z")
    whole, _, frac = body.partition(".")
    dt = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    secs = (dt - EPOCH) // timedelta(seconds=1)
    return secs * 1_000_000_000 + int((frac + "000000000")[:9])


def normalize(section: str, row: dict) -> tuple:
    """One row as a hashable tuple in the section's column order: datetimes
    as integer nanoseconds since the epoch, booleans as bool, counts as int,
    strings with null as "" (Kusto strings have no null), and IPList as a
    sorted tuple (make_set's order is undefined). When a group has more than
    IPLIST_LIMIT distinct IPs, which ten make_set keeps is undefined too, so
    only the list's size is compared."""
    out = []
    for col in COLUMNS[section]:
        v = row.get(col)
        if col == "TimeGenerated":
            v = v if isinstance(v, int) else iso_to_ns(v)
        elif col in ("SigninCount", "UniqueIPs"):
            v = int(v)
        elif col.startswith("Is"):
            v = bool(v)
        elif col == "IPList":
            ips = sorted(v or [])
            if int(row["UniqueIPs"]) > IPLIST_LIMIT:
                v = ("<any %d of %d>" % (len(ips), int(row["UniqueIPs"])),)
            else:
                v = tuple(ips)
        else:
            v = "" if v is None else str(v)
        out.append(v)
    return tuple(out)


def write_rows(path: Path, rows: list[tuple]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def read_rows(path: Path) -> list[tuple]:
    def tup(x):
        return tuple(tup(y) for y in x) if isinstance(x, list) else x

    with open(path, encoding="utf-8") as f:
        return [tup(json.loads(line)) for line in f if line.strip()]


# --- DuckDB -------------------------------------------------------------------


def duckdb_sql(cutoff: datetime) -> dict[str, str]:
    ts = f"TIMESTAMP_NS '{cutoff.strftime('%Y-%m-%d %H:%M:%S')}'"
    legacy = has_any_regex().replace("'", "''")
    countries = ", ".join(f"'{c}'" for c in SUSPICIOUS_COUNTRIES)
    suspicious = f"""
WITH base AS (
    SELECT TimeGenerated, UserPrincipalName, UserId, AppDisplayName, IPAddress,
           -- tostring(dynamic.field): a missing field is ""
           coalesce(LocationDetails.countryOrRegion, '') AS Country,
           coalesce(LocationDetails.city, '') AS City,
           coalesce(ClientAppUsed, '') AS ClientApp,
           coalesce(RiskLevelDuringSignIn, '') AS RiskLevelDuringSignIn,
           coalesce(ConditionalAccessStatus, '') AS ConditionalAccessStatus,
           coalesce(AuthenticationRequirement, '') AS AuthenticationRequirement,
           UserAgent, CorrelationId
    FROM SigninLogs
    WHERE TimeGenerated > {ts}          -- > ago(24h)
      AND ResultType = '0'              -- string == 0 compares with "0"
), flagged AS (
    SELECT *,
           regexp_matches(ClientApp, '{legacy}') AS IsLegacyAuth,   -- has_any
           Country IN ({countries}) AS IsSuspiciousCountry,          -- in (case-sensitive)
           RiskLevelDuringSignIn IN ('high', 'medium') AS IsHighRisk,
           AuthenticationRequirement = 'singleFactorAuthentication'
               AND ConditionalAccessStatus <> 'notApplied' AS IsMFANotPerformed
    FROM base
)
SELECT {', '.join(SUSPICIOUS_COLUMNS)}
FROM flagged
WHERE IsLegacyAuth OR IsSuspiciousCountry OR IsHighRisk OR IsMFANotPerformed
ORDER BY TimeGenerated DESC
"""
    sp = f"""
SELECT time_bucket(INTERVAL 1 HOUR, TimeGenerated) AS TimeGenerated,  -- bin(.., 1h)
       ServicePrincipalName, ServicePrincipalId, AppId,
       count(*) AS SigninCount,
       count(DISTINCT IPAddress) AS UniqueIPs,        -- dcount: exact below 1000
       list(DISTINCT IPAddress) FILTER (WHERE IPAddress IS NOT NULL)[1:{IPLIST_LIMIT}] AS IPList,
       '{ALERT_REASON}' AS AlertReason
FROM AADServicePrincipalSignInLogs
WHERE TimeGenerated > {ts} AND ResultType = '0'
GROUP BY ServicePrincipalName, ServicePrincipalId, AppId, time_bucket(INTERVAL 1 HOUR, TimeGenerated)
HAVING count(DISTINCT IPAddress) > 3
"""
    return {"SuspiciousSignins": suspicious, "SPSignins": sp}


def run_duckdb(data: Path, threads: int, repeat: int, cutoff: datetime):
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {threads}")
    start = time.perf_counter()
    for table, file in (("SigninLogs", SIGNIN_FILE), ("AADServicePrincipalSignInLogs", SP_FILE)):
        path = data / file
        cols = duckdb_columns(path)
        spec = "{" + ", ".join(f"'{k}': '{v}'" for k, v in cols.items()) + "}"
        con.execute(
            f"CREATE TABLE {table} AS SELECT * FROM read_ndjson(?, columns = {spec})",
            [str(path)],
        )
    load_ms = (time.perf_counter() - start) * 1e3
    sql = duckdb_sql(cutoff)
    times = {}
    rows = {}
    for section in SECTIONS:
        ms = []
        for i in range(repeat + 1):  # the first run is the warm-up
            t = time.perf_counter()
            # The result is materialized inside DuckDB, as kqlite's run
            # materializes its result table; reading it back is not timed.
            con.execute(f"CREATE OR REPLACE TEMP TABLE result AS {sql[section]}")
            if i > 0:
                ms.append((time.perf_counter() - t) * 1e3)
        times[section] = ms
        select = ", ".join(
            "epoch_ns(TimeGenerated)" if c == "TimeGenerated" else c for c in COLUMNS[section]
        )
        out = []
        for values in con.execute(f"SELECT {select} FROM result").fetchall():
            out.append(normalize(section, dict(zip(COLUMNS[section], values))))
        rows[section] = out
    return load_ms, times, rows


# --- Polars -------------------------------------------------------------------


def polars_schema(pl, path: Path):
    location = pl.Struct({
        "city": pl.String, "state": pl.String, "countryOrRegion": pl.String,
        "geoCoordinates": pl.Struct({"latitude": pl.Float64, "longitude": pl.Float64}),
    })
    types = {
        "LocationDetails": location,
        "DeviceDetail": pl.Struct({
            "deviceId": pl.String, "displayName": pl.String, "operatingSystem": pl.String,
            "browser": pl.String, "isCompliant": pl.Boolean, "isManaged": pl.Boolean,
            "trustType": pl.String,
        }),
        "Status": pl.Struct({
            "errorCode": pl.Int64, "failureReason": pl.String, "additionalDetails": pl.String,
        }),
        "DurationMs": pl.Int64,
        "IsInteractive": pl.Boolean,
    }
    return {name: types.get(name, pl.String) for name in first_row_fields(path)}


def run_polars(data: Path, threads: int, repeat: int, cutoff: datetime):
    # POLARS_MAX_THREADS must be set before the import (run.sh's caller sets
    # it in the child's environment; this is a guard).
    if os.environ.get("POLARS_MAX_THREADS") != str(threads):
        raise SystemExit("error: POLARS_MAX_THREADS must be set before polars is imported")
    import polars as pl

    if pl.thread_pool_size() != threads:
        raise SystemExit(f"error: polars uses {pl.thread_pool_size()} threads, not {threads}")
    start = time.perf_counter()
    frames = {}
    for table, file in (("SigninLogs", SIGNIN_FILE), ("AADServicePrincipalSignInLogs", SP_FILE)):
        path = data / file
        df = pl.read_ndjson(path, schema=polars_schema(pl, path))
        # Datetimes with seven fraction digits: parse at ns precision.
        frames[table] = df.with_columns(
            pl.col("TimeGenerated").str.to_datetime("%Y-%m-%dT%H:%M:%S%.fZ", time_unit="ns")
        )
    load_ms = (time.perf_counter() - start) * 1e3
    cut = pl.lit(cutoff.replace(tzinfo=None)).cast(pl.Datetime("ns"))
    legacy = has_any_regex()

    def suspicious():
        s = lambda c: pl.col(c).fill_null("")  # noqa: E731  Kusto strings have no null
        return (
            frames["SigninLogs"].lazy()
            .filter((pl.col("TimeGenerated") > cut) & (pl.col("ResultType") == "0"))
            .with_columns(
                Country=pl.col("LocationDetails").struct.field("countryOrRegion").fill_null(""),
                City=pl.col("LocationDetails").struct.field("city").fill_null(""),
                ClientApp=s("ClientAppUsed"),
            )
            .with_columns(
                IsLegacyAuth=pl.col("ClientApp").str.contains(legacy),
                IsSuspiciousCountry=pl.col("Country").is_in(SUSPICIOUS_COUNTRIES),
                IsHighRisk=s("RiskLevelDuringSignIn").is_in(["high", "medium"]),
                IsMFANotPerformed=(s("AuthenticationRequirement") == "singleFactorAuthentication")
                & (s("ConditionalAccessStatus") != "notApplied"),
            )
            .filter(
                pl.col("IsLegacyAuth") | pl.col("IsSuspiciousCountry")
                | pl.col("IsHighRisk") | pl.col("IsMFANotPerformed")
            )
            .select(SUSPICIOUS_COLUMNS)
            .sort("TimeGenerated", descending=True)
            .collect()
        )

    def sp():
        ip = pl.col("IPAddress").drop_nulls()
        return (
            frames["AADServicePrincipalSignInLogs"].lazy()
            .filter((pl.col("TimeGenerated") > cut) & (pl.col("ResultType") == "0"))
            .group_by(
                "ServicePrincipalName", "ServicePrincipalId", "AppId",
                pl.col("TimeGenerated").dt.truncate("1h"),
            )
            .agg(
                SigninCount=pl.len(),
                UniqueIPs=ip.n_unique(),
                IPList=ip.unique(maintain_order=True).head(IPLIST_LIMIT),
            )
            .filter(pl.col("UniqueIPs") > 3)
            .with_columns(AlertReason=pl.lit(ALERT_REASON))
            .select(SP_COLUMNS)
            .collect()
        )

    times, rows = {}, {}
    for section, fn in (("SuspiciousSignins", suspicious), ("SPSignins", sp)):
        ms, result = [], None
        for i in range(repeat + 1):
            t = time.perf_counter()
            result = fn()
            if i > 0:
                ms.append((time.perf_counter() - t) * 1e3)
        times[section] = ms
        result = result.with_columns(pl.col("TimeGenerated").dt.epoch("ns"))
        rows[section] = [normalize(section, r) for r in result.iter_rows(named=True)]
    return load_ms, times, rows


def cmd_engine(args) -> None:
    cutoff = parse_now(args.now) - LOOKBACK
    runner = {"duckdb": run_duckdb, "polars": run_polars}[args.name]
    load_ms, times, rows = runner(Path(args.data), args.threads, args.repeat, cutoff)
    out = Path(args.rows_out)
    for section in SECTIONS:
        write_rows(out / f"{args.name}-t{args.threads}-{section}.jsonl", rows[section])
    print(json.dumps({
        "load_ms": load_ms,
        "query_ms": times,
        "rows": {s: len(rows[s]) for s in SECTIONS},
    }))


# --- Orchestration ------------------------------------------------------------


def parse_now(text: str) -> datetime:
    return EPOCH + timedelta(microseconds=iso_to_ns(text) // 1000)


def raise_on_failure(cmd, code, err):
    if code != 0:
        sys.stderr.write(err)
        why = " (killed: out of memory?)" if code == -9 else ""
        raise SystemExit(f"error: `{' '.join(cmd)}` exited with {code}{why}")


def spawn(cmd: list[str], env: dict | None, stdout_path: Path) -> tuple[str, float]:
    """Runs `cmd` with stdout to a file, returns (stderr, peak RSS MB of the
    child from wait4)."""
    err_path = stdout_path.with_suffix(".stderr")
    with open(stdout_path, "w") as out, open(err_path, "w") as err:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
    stderr = err_path.read_text()
    raise_on_failure(cmd, proc.returncode, stderr)
    return stderr, usage.ru_maxrss / 1024.0  # ru_maxrss is in KiB on Linux


def kqlite_has_threads(kqlite: str) -> bool:
    help_text = subprocess.run(
        [kqlite, "run", "--help"], capture_output=True, text=True, check=True
    ).stdout
    return "--threads" in help_text


def timing_line(stderr: str) -> dict:
    for line in reversed(stderr.splitlines()):
        line = line.strip()
        if line.startswith("{") and "query_ms" in line:
            return json.loads(line)
    raise SystemExit(f"error: no timing line on kqlite's stderr:\n{stderr}")


def bench_kqlite(args, data: Path, work: Path, threads: int | None) -> dict:
    tag = f"kqlite-t{threads or 'default'}"
    result = {"query_ms": {}, "rows": {}, "load_ms_each": [], "rss_mb_each": []}
    for section in SECTIONS:
        cmd = [
            args.kqlite, "run", QUERY,
            "--table", f"SigninLogs={data / SIGNIN_FILE}",
            "--table", f"AADServicePrincipalSignInLogs={data / SP_FILE}",
            "--now", args.now,
            "--repeat", str(args.repeat + 1),  # the first run is the warm-up
            "--format", "jsonl",
        ]
        if section != "SuspiciousSignins":
            cmd += ["--section", section]
        if threads is not None:
            cmd += ["--threads", str(threads)]
        raw = work / f"{tag}-{section}.raw.jsonl"
        stderr, rss = spawn(cmd, None, raw)
        t = timing_line(stderr)
        result["query_ms"][section] = t["query_ms"][1:]
        result["load_ms_each"].append(t["load_ms"])
        result["rss_mb_each"].append(rss)
        rows = []
        with open(raw, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    rows.append(normalize(section, json.loads(line)))
        write_rows(work / f"{tag}-{section}.jsonl", rows)
        result["rows"][section] = len(rows)
        raw.unlink()
    # Each section's process loads both tables: report the median load and
    # the larger peak.
    result["load_ms"] = statistics.median(result["load_ms_each"])
    result["rss_mb"] = max(result["rss_mb_each"])
    return result


def bench_peer(args, name: str, data: Path, work: Path, threads: int) -> dict:
    env = dict(os.environ)
    env["POLARS_MAX_THREADS"] = str(threads)
    cmd = [
        sys.executable, __file__, "engine", name,
        "--data", str(data), "--threads", str(threads), "--repeat", str(args.repeat),
        "--now", args.now, "--rows-out", str(work),
    ]
    out_path = work / f"{name}-t{threads}.out"
    _, rss = spawn(cmd, env, out_path)
    t = json.loads(out_path.read_text().strip().splitlines()[-1])
    out_path.unlink()
    t["rss_mb"] = rss
    return t


def check_sorted_desc(rows: list[tuple], what: str) -> None:
    times = [r[0] for r in rows]
    if any(a < b for a, b in zip(times, times[1:])):
        raise SystemExit(f"MISMATCH: {what} is not sorted by TimeGenerated desc")


def compare(reference: list[tuple], other: list[tuple], what: str) -> None:
    a, b = collections.Counter(reference), collections.Counter(other)
    if a == b:
        return
    only_ref = list((a - b).elements())
    only_other = list((b - a).elements())
    lines = [
        f"MISMATCH: {what}: {len(reference)} kqlite rows vs {len(other)};"
        f" {len(only_ref)} only in kqlite, {len(only_other)} only in the peer"
    ]
    for r in only_ref[:5]:
        lines.append(f"  only kqlite: {r}")
    for r in only_other[:5]:
        lines.append(f"  only peer:   {r}")
    raise SystemExit("\n".join(lines))


def cmd_bench(args) -> None:
    data = Path(args.data)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    thread_counts = [int(t) for t in args.threads.split(",")]
    kq_threads = kqlite_has_threads(args.kqlite)
    if not kq_threads:
        print("note: this kqlite has no `run --threads`; kqlite runs once with its default",
              file=sys.stderr)
    rows_in = sum(1 for _ in open(data / SIGNIN_FILE, "rb"))
    runs = []
    reference = None
    for threads in thread_counts:
        if kq_threads or reference is None:
            print(f"[{args.rows} rows] kqlite, {threads if kq_threads else 'default'} thread(s)",
                  file=sys.stderr)
            k = bench_kqlite(args, data, work, threads if kq_threads else None)
            tag = f"kqlite-t{threads if kq_threads else 'default'}"
            got = {s: read_rows(work / f"{tag}-{s}.jsonl") for s in SECTIONS}
            check_sorted_desc(got["SuspiciousSignins"], f"{tag} SuspiciousSignins")
            if reference is None:
                reference = got
            else:
                for s in SECTIONS:
                    compare(reference[s], got[s], f"{tag} {s}")
            runs.append(summary("kqlite", threads if kq_threads else None, k))
        for name in ("duckdb", "polars"):
            print(f"[{args.rows} rows] {name}, {threads} thread(s)", file=sys.stderr)
            p = bench_peer(args, name, data, work, threads)
            got = {s: read_rows(work / f"{name}-t{threads}-{s}.jsonl") for s in SECTIONS}
            check_sorted_desc(got["SuspiciousSignins"], f"{name} SuspiciousSignins")
            for s in SECTIONS:
                compare(reference[s], got[s], f"{name} ({threads} threads) {s}")
            runs.append(summary(name, threads, p))
    for f in work.glob("*.jsonl"):
        f.unlink()
    for f in work.glob("*.stderr"):
        f.unlink()
    results_path = Path(args.results)
    doc = load_results(results_path)
    doc["runs"] = [
        r for r in doc["runs"] if (r["rows"], r.get("shape", "default")) != (args.rows, args.shape)
    ] + [
        dict(r, rows=args.rows, shape=args.shape, input_rows={"SigninLogs": rows_in})
        for r in runs
    ]
    doc["runs"].sort(key=run_order)
    doc["meta"] = meta(args)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"[{args.rows} rows, {args.shape}] all engines agree: "
          f"{len(reference['SuspiciousSignins'])} SuspiciousSignins rows, "
          f"{len(reference['SPSignins'])} SPSignins rows", file=sys.stderr)


ENGINE_ORDER = ["kqlite", "duckdb", "polars"]
SHAPE_ORDER = ["default", "wide-unordered"]


def run_order(r: dict) -> tuple:
    shape = r.get("shape", "default")
    return (
        SHAPE_ORDER.index(shape) if shape in SHAPE_ORDER else len(SHAPE_ORDER),
        r["rows"], r["threads"] or 0, ENGINE_ORDER.index(r["engine"]),
    )


# --- Parquet loads --------------------------------------------------------------

PARQUET_FILES = {
    "SigninLogs": "SigninLogs.parquet",
    "AADServicePrincipalSignInLogs": "AADServicePrincipalSignInLogs.parquet",
}


def load_duckdb_parquet(data: Path, threads: int) -> tuple[float, dict]:
    import duckdb

    con = duckdb.connect(":memory:")
    con.execute(f"SET threads = {threads}")
    start = time.perf_counter()
    for table, file in PARQUET_FILES.items():
        con.execute(f"CREATE TABLE {table} AS SELECT * FROM read_parquet(?)", [str(data / file)])
    ms = (time.perf_counter() - start) * 1e3
    shape = {}
    for table in PARQUET_FILES:
        rows = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        cols = len(con.execute(f"SELECT * FROM {table} LIMIT 0").description)
        shape[table] = [rows, cols]
    return ms, shape


def load_polars_parquet(data: Path, threads: int) -> tuple[float, dict]:
    if os.environ.get("POLARS_MAX_THREADS") != str(threads):
        raise SystemExit("error: POLARS_MAX_THREADS must be set before polars is imported")
    import polars as pl

    start = time.perf_counter()
    frames = {table: pl.read_parquet(data / file) for table, file in PARQUET_FILES.items()}
    ms = (time.perf_counter() - start) * 1e3
    return ms, {t: [f.height, f.width] for t, f in frames.items()}


def cmd_parquet_engine(args) -> None:
    load = {"duckdb": load_duckdb_parquet, "polars": load_polars_parquet}[args.name]
    ms, shape = load(Path(args.data), args.threads)
    print(json.dumps({"load_ms": ms, "shape": shape}))


def cmd_parquet(args) -> None:
    """Times loading both Parquet files `args.repeat` times per engine and
    thread count (each load in a fresh process), and checks that every
    engine sees the same rows and columns."""
    data = Path(args.data)
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    runs = []
    reference = None
    count = work / "count.kql"
    count.write_text("union withsource=T SigninLogs, AADServicePrincipalSignInLogs | summarize n = count() by T")
    for threads in [int(t) for t in args.threads.split(",")]:
        for engine in ENGINE_ORDER:
            print(f"[{args.rows} rows, {args.shape}] Parquet load, {engine}, {threads} thread(s)",
                  file=sys.stderr)
            times, rss = [], []
            for i in range(args.repeat + 1):
                out_path = work / f"parquet-{engine}-t{threads}.out"
                if engine == "kqlite":
                    cmd = [args.kqlite, "run", str(count), "--now", args.now,
                           "--repeat", "2", "--threads", str(threads), "--format", "jsonl"]
                    for table, file in PARQUET_FILES.items():
                        cmd += ["--table", f"{table}={data / file}"]
                    stderr, peak = spawn(cmd, None, out_path)
                    ms = timing_line(stderr)["load_ms"]
                    counts = {}
                    for line in out_path.read_text().splitlines():
                        row = json.loads(line)
                        counts[row["T"]] = row["n"]
                    got = {t: counts.get(t) for t in PARQUET_FILES}
                else:
                    env = dict(os.environ)
                    env["POLARS_MAX_THREADS"] = str(threads)
                    cmd = [sys.executable, __file__, "parquet-engine", engine,
                           "--data", str(data), "--threads", str(threads)]
                    _, peak = spawn(cmd, env, out_path)
                    t = json.loads(out_path.read_text().strip().splitlines()[-1])
                    ms = t["load_ms"]
                    got = {table: t["shape"][table][0] for table in PARQUET_FILES}
                out_path.unlink()
                if reference is None:
                    reference = got
                elif got != reference:
                    raise SystemExit(f"MISMATCH: Parquet rows: {engine} loaded {got}, kqlite {reference}")
                if i > 0:  # the first load warms the page cache
                    times.append(ms)
                    rss.append(peak)
            runs.append({
                "engine": engine, "threads": threads, "rows": args.rows, "shape": args.shape,
                "load_ms_median": round(statistics.median(times), 1),
                "load_ms": [round(x, 1) for x in times],
                "peak_rss_mb": round(max(rss), 1),
                "table_rows": reference,
            })
    results_path = Path(args.results)
    doc = load_results(results_path)
    doc["parquet"] = [
        r for r in doc.get("parquet", [])
        if (r["rows"], r["shape"]) != (args.rows, args.shape)
    ] + runs
    doc["parquet"].sort(key=run_order)
    doc["meta"] = meta(args)
    results_path.parent.mkdir(parents=True, exist_ok=True)
    results_path.write_text(json.dumps(doc, indent=2) + "\n")
    print(f"[{args.rows} rows, {args.shape}] all engines load the same Parquet rows: {reference}",
          file=sys.stderr)


def summary(engine: str, threads: int | None, t: dict) -> dict:
    return {
        "engine": engine,
        "threads": threads,
        "load_ms": round(t["load_ms"], 1),
        "query_ms_median": {s: round(statistics.median(t["query_ms"][s]), 2) for s in SECTIONS},
        "query_ms": {s: [round(x, 3) for x in t["query_ms"][s]] for s in SECTIONS},
        "result_rows": t["rows"],
        "peak_rss_mb": round(t["rss_mb"], 1),
    }


def meta(args) -> dict:
    import platform

    versions = {}
    for mod in ("duckdb", "polars"):
        try:
            versions[mod] = subprocess.run(
                [sys.executable, "-c", f"import {mod}; print({mod}.__version__)"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()
        except subprocess.CalledProcessError:
            versions[mod] = "?"
    kq = subprocess.run([args.kqlite, "--version"], capture_output=True, text=True).stdout.strip()
    return {
        "query": QUERY,
        "now": args.now,
        "seed": args.seed,
        "repeat": args.repeat,
        "kqlite": kq,
        "versions": versions,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()}",
        # A busy machine makes the timings noisy: record how busy it was.
        "load_average_1_5_15min": [round(x, 2) for x in os.getloadavg()],
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def load_results(path: Path) -> dict:
    if path.exists():
        try:
            doc = json.loads(path.read_text())
            if isinstance(doc.get("runs"), list):
                return doc
        except json.JSONDecodeError:
            pass
    return {"runs": []}


def ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b > 0 else "-"


def markdown(doc: dict) -> str:
    head = (
        "| rows | engine | threads | SuspiciousSignins ms | SPSignins ms | load ms "
        "| peak RSS MB | kqlite/peer query (Susp. / SP) | kqlite/peer load | kqlite/peer RSS |\n"
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    )
    sections = []
    runs = doc["runs"]
    shapes = sorted({r.get("shape", "default") for r in runs},
                    key=lambda s: SHAPE_ORDER.index(s) if s in SHAPE_ORDER else 99)
    for shape in shapes:
        lines = []
        mine = [r for r in runs if r.get("shape", "default") == shape]
        for r in mine:
            k = next(
                (x for x in mine if x["engine"] == "kqlite" and x["rows"] == r["rows"]
                 and x["threads"] in (r["threads"], None)),
                None,
            )
            q = r["query_ms_median"]
            if r["engine"] == "kqlite" or k is None:
                ratios = " | | "
            else:
                kq = k["query_ms_median"]
                ratios = (
                    f" {ratio(kq['SuspiciousSignins'], q['SuspiciousSignins'])} / "
                    f"{ratio(kq['SPSignins'], q['SPSignins'])} | {ratio(k['load_ms'], r['load_ms'])} | "
                    f"{ratio(k['peak_rss_mb'], r['peak_rss_mb'])} "
                )
            threads = r["threads"] if r["threads"] is not None else "default"
            lines.append(
                f"| {r['rows']:,} | {r['engine']} | {threads} | {q['SuspiciousSignins']:.1f} "
                f"| {q['SPSignins']:.1f} | {r['load_ms']:.0f} | {r['peak_rss_mb']:.0f} |{ratios}|"
            )
        sections.append(f"Shape `{shape}` (JSON Lines):\n\n" + head + "\n".join(lines) + "\n")
    parquet = doc.get("parquet", [])
    for shape in sorted({r["shape"] for r in parquet},
                        key=lambda s: SHAPE_ORDER.index(s) if s in SHAPE_ORDER else 99):
        mine = [r for r in parquet if r["shape"] == shape]
        lines = []
        for r in mine:
            k = next((x for x in mine if x["engine"] == "kqlite" and x["rows"] == r["rows"]
                      and x["threads"] == r["threads"]), None)
            rel = "" if r["engine"] == "kqlite" or k is None else ratio(
                k["load_ms_median"], r["load_ms_median"])
            lines.append(
                f"| {r['rows']:,} | {r['engine']} | {r['threads']} | {r['load_ms_median']:.0f} "
                f"| {r['peak_rss_mb']:.0f} | {rel} |"
            )
        sections.append(
            f"Shape `{shape}`, loading both tables from Parquet (written by `kqlite gen --format parquet`):\n\n"
            "| rows | engine | threads | load ms | peak RSS MB | kqlite/peer load |\n"
            "|---:|---|---:|---:|---:|---:|\n" + "\n".join(lines) + "\n"
        )
    m = doc.get("meta", {})
    foot = (
        f"\nMedian of {m.get('repeat', '?')} runs after one warm-up; ratios below 1 mean kqlite "
        f"is faster / smaller. {m.get('kqlite', 'kqlite')}, DuckDB {m.get('versions', {}).get('duckdb', '?')}, "
        f"Polars {m.get('versions', {}).get('polars', '?')}; {m.get('machine', '')}.\n"
    )
    return "\n".join(sections) + foot


def cmd_report(args) -> None:
    doc = load_results(Path(args.results))
    if not doc["runs"]:
        raise SystemExit(f"error: no runs in {args.results}")
    text = markdown(doc)
    print(text)
    if args.markdown:
        Path(args.markdown).write_text(text)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    b = sub.add_parser("bench", help="time every engine on one data directory")
    b.add_argument("--data", required=True)
    b.add_argument("--rows", type=int, required=True, help="the --rows the data was generated with")
    b.add_argument("--seed", type=int, default=42)
    b.add_argument("--kqlite", required=True, help="path of the release kqlite binary")
    b.add_argument("--threads", default="1,2")
    b.add_argument("--repeat", type=int, default=5)
    b.add_argument("--now", default="2026-01-15T12:00:00Z")
    b.add_argument("--work", required=True, help="scratch directory for result rows")
    b.add_argument("--results", required=True, help="JSON results file (runs of other sizes are kept)")
    b.add_argument("--shape", default="default", help="the data shape (`kqlite gen --shape`)")

    q = sub.add_parser("parquet", help="time loading the same Parquet files in every engine")
    q.add_argument("--data", required=True, help="directory with SigninLogs.parquet and AADServicePrincipalSignInLogs.parquet")
    q.add_argument("--rows", type=int, required=True)
    q.add_argument("--seed", type=int, default=42)
    q.add_argument("--shape", default="default")
    q.add_argument("--kqlite", required=True)
    q.add_argument("--threads", default="1,2")
    q.add_argument("--repeat", type=int, default=5)
    q.add_argument("--now", default="2026-01-15T12:00:00Z")
    q.add_argument("--work", required=True)
    q.add_argument("--results", required=True)

    qe = sub.add_parser("parquet-engine", help="(internal) load the Parquet files in one peer")
    qe.add_argument("name", choices=["duckdb", "polars"])
    qe.add_argument("--data", required=True)
    qe.add_argument("--threads", type=int, required=True)

    e = sub.add_parser("engine", help="(internal) run one peer engine in this process")
    e.add_argument("name", choices=["duckdb", "polars"])
    e.add_argument("--data", required=True)
    e.add_argument("--threads", type=int, required=True)
    e.add_argument("--repeat", type=int, required=True)
    e.add_argument("--now", required=True)
    e.add_argument("--rows-out", required=True)

    r = sub.add_parser("report", help="print the Markdown table of a results file")
    r.add_argument("--results", required=True)
    r.add_argument("--markdown", help="also write the table to this file")

    args = p.parse_args()
    if args.cmd in ("bench", "parquet") and args.repeat < 5:
        raise SystemExit("error: --repeat must be at least 5")
    {
        "bench": cmd_bench, "engine": cmd_engine, "report": cmd_report,
        "parquet": cmd_parquet, "parquet-engine": cmd_parquet_engine,
    }[args.cmd](args)


if __name__ == "__main__":
    main()
