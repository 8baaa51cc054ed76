#!/usr/bin/env python3
"""Run the detection collections' queries with `kqlite run` on built-in data.

Usage: scripts/detections-run-report.py KQLITE_BINARY [DETECTIONS_DIR]
       (default ../shared/conformance/detections)

For every grammar-valid query that `kqlite check` finds clean, runs
`kqlite run QUERY --format jsonl --rows 2000 --now ...` with no `--table`
(every table it reads comes from the built-in synthetic data) and reports,
per collection and in all, how many run to completion, and the leading
causes of the others. A shape kqlite's own rules were not tuned on: these
are hunting queries from public collections, not Sentinel rule files.
"""
import collections
import importlib.util
import json
import os
import re
import subprocess
import sys
import tempfile

NOW = "2026-01-15T12:00:00Z"
HERE = os.path.dirname(os.path.abspath(__file__))


def load_sibling(name):
    spec = importlib.util.spec_from_file_location(name.replace("-", "_"), os.path.join(HERE, name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
TIMEOUT_S = 60


def main():
    binary = sys.argv[1]
    folder = sys.argv[2] if len(sys.argv) > 2 else "../shared/conformance/detections"
    if not os.path.isdir(folder):
        print(f"note: {folder} not found; skipping")
        return 0
    total = done_total = 0
    causes = collections.Counter()
    check_report = load_sibling("detections-check-report")
    with tempfile.TemporaryDirectory() as tmp:
        for name, sub, files in check_report.collections_as_files(folder, tmp):
            check = subprocess.run([binary, "check", "--format", "json", sub], capture_output=True, text=True)
            failed = {d["file"] for d in json.loads(check.stdout or "[]") if d["severity"] == "error"}
            clean = [q for q in files if q not in failed]
            done = 0
            for q in clean:
                try:
                    run = subprocess.run(
                        [binary, "run", q, "--format", "jsonl", "--rows", "2000", "--now", NOW],
                        capture_output=True,
                        text=True,
                        timeout=TIMEOUT_S,
                    )
                    ok, err = run.returncode == 0, run.stderr
                except subprocess.TimeoutExpired:
                    ok, err = False, f"error: timed out after {TIMEOUT_S} s"
                if ok:
                    done += 1
                else:
                    first = next((l for l in err.splitlines() if l.startswith("error")), err.strip()[:120])
                    causes[re.sub(r"\d+", "N", re.sub(r"`[^`]*`", "`_`", first))] += 1
            total += len(clean)
            done_total += done
            print(f"{name}: {done}/{len(clean)} clean queries run to completion")
    print(f"all: {done_total}/{total} run to completion ({100 * done_total / max(total, 1):.1f}%)")
    print("leading causes of the others:")
    for cause, n in causes.most_common(12):
        print(f"  {n:5d}  {cause}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
