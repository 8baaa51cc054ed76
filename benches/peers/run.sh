#!/usr/bin/env bash
# Side-by-side: kqlite vs DuckDB vs Polars on the shipped detection
# (queries/t1078_004_cloud_accounts.kql). See benches/peers/README.md.
#
#   benches/peers/run.sh                        # 1,000,000 SigninLogs rows
#   ROWS="100000 1000000" benches/peers/run.sh  # several sizes, one table
#
# Environment:
#   ROWS         SigninLogs rows, space- or comma-separated (default 1000000)
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

# Bytes per generated row of the query's columns: SigninLogs ~700, plus a
# fifth as many service principal rows at ~250; 1 kB/row leaves a margin.
free_bytes() { df -P -B1 "$1" | awk 'NR==2 {print $4}'; }

mkdir -p "$data_root" "$here/results"
rm -f "$results"
work="$(mktemp -d "${TMPDIR:-/tmp}/kqlite-peers.XXXXXX")"
trap 'rm -rf "$work"' EXIT

for rows in $rows_list; do
    data="$data_root/rows-$rows"
    stamp="rows=$rows seed=$seed now=$now query=$(sha256sum "$query" | cut -c1-16) kqlite=$(sha256sum "$kqlite" | cut -c1-16)"
    if [[ -f "$data/.complete" && "$(cat "$data/.complete")" == "$stamp" ]]; then
        step "[$rows rows] reusing $data"
    else
        rm -rf "$data"
        mkdir -p "$data"
        need=$((rows * 1000))
        avail="$(free_bytes "$data")"
        ((avail > need)) || die "[$rows rows] needs ~$((need / 1000000)) MB in $data_root, only $((avail / 1000000)) MB free (set PEERS_DATA)"
        step "[$rows rows] generating the query's columns into $data"
        "$kqlite" gen --rows "$rows" --seed "$seed" --now "$now" \
            --tables SigninLogs,AADServicePrincipalSignInLogs \
            --columns-of "$query" --out "$data" >&2 || die "kqlite gen failed"
        echo "$stamp" >"$data/.complete"
    fi
    step "[$rows rows] timing kqlite, DuckDB and Polars (threads $threads, $repeat runs each)"
    "$py" "$here/peers.py" bench --data "$data" --rows "$rows" --seed "$seed" \
        --kqlite "$kqlite" --threads "$threads" --repeat "$repeat" --now "$now" \
        --work "$work" --results "$results" || die "[$rows rows] benchmark failed (see above)"
    if [[ "$clean" == 1 ]]; then
        step "[$rows rows] deleting $data"
        rm -rf "$data"
    fi
done

echo >&2
"$py" "$here/peers.py" report --results "$results" --markdown "$here/results/latest.md"
echo "(also in $results and $here/results/latest.md)" >&2
