#!/usr/bin/env python3
"""Run Sentinel rule files with `kqlite run` and no `--table`.

Usage: scripts/rule-run-report.py KQLITE_BINARY RULES_FOLDER [COUNT|all]

Picks COUNT (default 20) scheduled rules under `Detections/` and
`Solutions/*/Analytic Rules/` that `kqlite check` passes, each over a
different main table (the first catalog table its query names), spread
evenly over the folder in path order, so the pick is the same on every
machine. Runs each with `kqlite run RULE --format jsonl` on the built-in
synthetic data and prints, per rule, whether it ran to completion, its
row count and its time, then how many completed and the total time.
With `all`, runs every clean scheduled rule instead (and prints only the
failures).
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.join(HERE, "..", "crates", "kqlite-sentinel", "data", "catalog.tsv")
NOW = "2026-01-15T12:00:00Z"
TIMEOUT_S = 120


def load_sibling(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def catalog_tables():
    names = set()
    with open(CATALOG, encoding="utf-8") as f:
        for line in f:
            fields = line.split("\t", 3)
            if len(fields) > 2 and fields[0] in ("t", "p"):
                names.add(fields[1])
    return names


def main_table(path, tables):
    """The first catalog table the rule's query text names."""
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    text = re.sub(r"//[^\n]*", "", text)
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text.split("query:", 1)[-1]):
        if word in tables:
            return word
    return None


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    binary, folder = sys.argv[1], sys.argv[2]
    every = len(sys.argv) == 4 and sys.argv[3] == "all"
    count = int(sys.argv[3]) if len(sys.argv) == 4 and not every else 20
    report = load_sibling("rule-check-report")
    rules = [r for r in report.rule_files(folder) if report.ci_validated(r) and r.endswith((".yaml", ".yml"))]
    check = subprocess.run([binary, "check", "--format", "json", folder], capture_output=True, text=True)
    failing = {os.path.relpath(d["file"], folder) for d in json.loads(check.stdout) if d["severity"] == "error"}
    tables = catalog_tables()
    clean = []
    for rel in rules:
        if rel in failing:
            continue
        with open(os.path.join(folder, rel), encoding="utf-8", errors="replace") as f:
            if not re.search(r"^kind:\s*Scheduled", f.read(), re.MULTILINE):
                continue
        table = main_table(os.path.join(folder, rel), tables)
        if table:
            clean.append((rel, table))
    # One rule per table, spread evenly over the folder.
    by_table = {}
    for rel, table in clean:
        by_table.setdefault(table, rel)
    candidates = sorted((rel, table) for table, rel in by_table.items())
    step = max(1, len(candidates) / count)
    picked = [candidates[int(i * step)] for i in range(min(count, len(candidates)))]
    if every:
        picked = clean

    completed = 0
    total = 0.0
    for rel, table in picked:
        start = time.perf_counter()
        try:
            run = subprocess.run(
                [binary, "run", os.path.join(folder, rel), "--format", "jsonl", "--now", NOW],
                capture_output=True,
                text=True,
                timeout=TIMEOUT_S,
            )
            code, out, err = run.returncode, run.stdout, run.stderr
        except subprocess.TimeoutExpired:
            code, out, err = None, "", f"timed out after {TIMEOUT_S} s"
        elapsed = time.perf_counter() - start
        total += elapsed
        ok = code == 0
        completed += ok
        rows = len(out.splitlines()) if ok else "-"
        if not (every and ok):
            print(f"{'ok  ' if ok else 'FAIL'} {elapsed:6.2f}s rows={rows:<6} {table:<40} {rel}")
        if not ok:
            lines = [l for l in err.splitlines() if l.startswith("error")] or err.splitlines()[:1]
            print(f"       {lines[0] if lines else code}")
    print(f"completed: {completed}/{len(picked)} rules (of {len(clean)} clean scheduled rules over {len(by_table)} tables); total {total:.1f} s")


if __name__ == "__main__":
    main()
