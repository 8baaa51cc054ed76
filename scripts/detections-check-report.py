#!/usr/bin/env python3
"""Share of grammar-valid detection queries that `kqlite check` finds clean.

Usage: scripts/detections-check-report.py KQLITE_BINARY [DETECTIONS_DIR]
       (default ../shared/conformance/detections)

Each `*.jsonl` file holds `{id, query, grammar_accepts}` objects. Every query
the grammar accepts is written to a temporary `.kql` file and checked once
against the Sentinel catalog; the report gives, per collection and in all,
how many have no error, and the leading causes of the errors left.
"""
import collections
import glob
import json
import os
import re
import subprocess
import sys
import tempfile


def collections_as_files(folder, tmp):
    """Yields (collection name, its folder, its query files) for each
    `*.jsonl` of `folder`, each grammar-valid query written to its own
    `.kql` file under `tmp`."""
    for path in sorted(glob.glob(os.path.join(folder, "*.jsonl"))):
        name = os.path.splitext(os.path.basename(path))[0]
        sub = os.path.join(tmp, name)
        os.makedirs(sub)
        files = []
        with open(path, encoding="utf-8") as f:
            for i, line in enumerate(f):
                case = json.loads(line)
                if not case.get("grammar_accepts"):
                    continue
                q = os.path.join(sub, f"q{i:05d}.kql")
                with open(q, "w", encoding="utf-8") as out:
                    out.write(case["query"])
                files.append(q)
        yield name, sub, files


def main():
    binary = sys.argv[1]
    folder = sys.argv[2] if len(sys.argv) > 2 else "../shared/conformance/detections"
    if not os.path.isdir(folder):
        print(f"note: {folder} not found; skipping")
        return 0
    total = clean_total = 0
    causes = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for name, sub, files in collections_as_files(folder, tmp):
            run = subprocess.run(
                [binary, "check", "--format", "json", sub],
                capture_output=True,
                text=True,
            )
            diags = json.loads(run.stdout or "[]")
            failed = {d["file"] for d in diags if d["severity"] == "error"}
            for d in diags:
                if d["severity"] == "error":
                    causes[(d["code"], re.sub(r"`[^`]*`", "`_`", d["message"]))] += 1
            clean = sum(1 for q in files if q not in failed)
            total += len(files)
            clean_total += clean
            print(f"{name}: {clean}/{len(files)} check clean ({100 * clean / max(len(files), 1):.1f}%)")
    print(f"all: {clean_total}/{total} check clean ({100 * clean_total / max(total, 1):.1f}%)")
    print("leading causes of errors (errors, code, message):")
    for (code, message), n in causes.most_common(15):
        print(f"  {n:5d}  {code}  {message}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
