#!/usr/bin/env bash
# Side-by-side: kqlite vs DuckDB vs Polars on the shipped detection
# (queries/t1078_004_cloud_accounts.kql). See benches/peers/README.md.
#
#   benches/peers/run.sh                        # 1,000,000 SigninLogs rows, both shapes
#   ROWS="100000 1000000" benches/peers/run.sh  # several sizes
#   SHAPES=wide-unordered benches/peers/run.sh  # one data shape
#
# Environment:
#   ROWS         SigninLogs rows, space- or comma-separated (default 1000000)
#   SHAPES       data shapes (`kqlite gen --shape`), space- or comma-separated
#                (default "default wide-unordered"); a table per shape
#   PARQUET      1 = also time loading the same rows from Parquet in every
#                engine (default 1)
#   THREADS      thread counts, comma-separated (default 1,2)
#   REPEAT       timed runs per query after one warm-up (default 5, min 5)
#   PEERS_DATA   where generated data goes (default benches/peers/data)
#   PEERS_CLEAN  1 = delete each size's data once it has been measured
#   CARGO_TARGET_DIR  where the release kqlite is built (default target/)
#   KQLITE_BIN   use this kqlite binary instead of building one
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

rows_list="${ROWS:-1000000}"
shapes="${SHAPES:-default wide-unordered}"
parquet="${PARQUET:-1}"
threads="${THREADS:-1,2}"
repeat="${REPEAT:-5}"
data_root="${PEERS_DATA:-$here/data}"
clean="${PEERS_CLEAN:-0}"
seed=42
now="2026-01-15T12:00:00Z" # the generator's default `now`; the query's ago() is relative to it
query="queries/t1078_004_cloud_accounts.kql"
target="${CARGO_TARGET_DIR:-$root/target}"
kqlite="${KQLITE_BIN:-$target/release/kqlite}"
venv="$here/.venv"
results="$here/results/latest.json"

die() { echo "run.sh: error: $*" >&2; exit 1; }
step() { echo "==> $*" >&2; }

[[ "$repeat" =~ ^[0-9]+$ && "$repeat" -ge 5 ]] || die "REPEAT must be a number >= 5 (got '$repeat')"
[[ "$threads" =~ ^[0-9]+(,[0-9]+)*$ ]] || die "THREADS must be like 1,2 (got '$threads')"
rows_list="${rows_list//,/ }"
shapes="${shapes//,/ }"
for shape in $shapes; do
    [[ "$shape" == default || "$shape" == wide-unordered ]] || die "SHAPES must be default and/or wide-unordered (got '$shape')"
done
for rows in $rows_list; do
    [[ "$rows" =~ ^[0-9]+$ && "$rows" -gt 0 ]] || die "ROWS must be positive numbers (got '$rows')"
done
[[ -f "$query" ]] || die "$query not found"
command -v python3 >/dev/null || die "python3 is needed"

if [[ -z "${KQLITE_BIN:-}" ]]; then
    step "building kqlite (release)"
    cargo build --release -p kqlite-cli --quiet || die "cargo build failed"
fi
[[ -x "$kqlite" ]] || die "no kqlite binary at $kqlite (is CARGO_TARGET_DIR or KQLITE_BIN right?)"

step "Python environment ($venv)"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv" || die "cannot create a virtualenv (install python3-venv)"
fi
req_stamp="$venv/.requirements"
if ! cmp -s "$here/requirements.txt" "$req_stamp"; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt" \
        || die "pip install failed"
    cp "$here/requirements.txt" "$req_stamp"
fi
py="$venv/bin/python"

# Bytes per generated row: the default shape's query columns are ~700 per
# SigninLogs row plus a fifth as many service principal rows at ~250 (1 kB
# leaves a margin); the wide shape's rows are ~1.4 kB plus Parquet copies.
free_bytes() { df -P -B1 "$1" | awk 'NR==2 {print $4}'; }

mkdir -p "$data_root" "$here/results"
rm -f "$results"
work="$(mktemp -d "${TMPDIR:-/tmp}/kqlite-peers.XXXXXX")"
trap 'rm -rf "$work"' EXIT

for shape in $shapes; do
for rows in $rows_list; do
    data="$data_root/$shape-rows-$rows"
    stamp="shape=$shape rows=$rows seed=$seed now=$now parquet=$parquet query=$(sha256sum "$query" | cut -c1-16) kqlite=$(sha256sum "$kqlite" | cut -c1-16)"
    if [[ "$shape" == default ]]; then
        # Only the columns the query reads (≈ 700 bytes per SigninLogs row).
        gen_args=(--columns-of "$query")
        per_row=1000
    else
        # Every column (≈ 1.4 kB per SigninLogs row), as an export has them.
        gen_args=(--shape wide-unordered)
        per_row=2500
    fi
    if [[ -f "$data/.complete" && "$(cat "$data/.complete")" == "$stamp" ]]; then
        step "[$shape, $rows rows] reusing $data"
    else
        rm -rf "$data"
        mkdir -p "$data"
        need=$((rows * per_row))
        avail="$(free_bytes "$data")"
        ((avail > need)) || die "[$shape, $rows rows] needs ~$((need / 1000000)) MB in $data_root, only $((avail / 1000000)) MB free (set PEERS_DATA)"
        step "[$shape, $rows rows] generating into $data"
        "$kqlite" gen --rows "$rows" --seed "$seed" --now "$now" \
            --tables SigninLogs,AADServicePrincipalSignInLogs \
            "${gen_args[@]}" --out "$data" >&2 || die "kqlite gen failed"
        if [[ "$parquet" == 1 ]]; then
            "$kqlite" gen --rows "$rows" --seed "$seed" --now "$now" \
                --tables SigninLogs,AADServicePrincipalSignInLogs \
                "${gen_args[@]}" --format parquet --out "$data" >&2 || die "kqlite gen --format parquet failed"
        fi
        echo "$stamp" >"$data/.complete"
    fi
    step "[$shape, $rows rows] timing kqlite, DuckDB and Polars (threads $threads, $repeat runs each)"
    "$py" "$here/peers.py" bench --data "$data" --rows "$rows" --seed "$seed" --shape "$shape" \
        --kqlite "$kqlite" --threads "$threads" --repeat "$repeat" --now "$now" \
        --work "$work" --results "$results" || die "[$shape, $rows rows] benchmark failed (see above)"
    if [[ "$parquet" == 1 ]]; then
        step "[$shape, $rows rows] timing Parquet loads (threads $threads, $repeat runs each)"
        "$py" "$here/peers.py" parquet --data "$data" --rows "$rows" --seed "$seed" --shape "$shape" \
            --kqlite "$kqlite" --threads "$threads" --repeat "$repeat" --now "$now" \
            --work "$work" --results "$results" || die "[$shape, $rows rows] Parquet benchmark failed (see above)"
    fi
    if [[ "$clean" == 1 ]]; then
        step "[$shape, $rows rows] deleting $data"
        rm -rf "$data"
    fi
done
done

echo >&2
"$py" "$here/peers.py" report --results "$results" --markdown "$here/results/latest.md"
echo "(also in $results and $here/results/latest.md)" >&2
