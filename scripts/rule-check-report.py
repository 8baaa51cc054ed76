#!/usr/bin/env python3
"""Summarize `kqlite check` over a folder of Sentinel rules.

Usage: scripts/rule-check-report.py KQLITE_BINARY RULES_FOLDER

Runs `kqlite check --format json` once over the folder and prints how many
rules were checked, the share with no error (overall and for the rules under
`Detections/` or `Solutions/*/Analytic Rules/`, the ones Sentinel's own CI
validates), the time the check took, and the leading causes of errors
grouped by code and message shape.
"""

import collections
import json
import os
import re
import subprocess
import sys
import time

RULE_EXTENSIONS = (".yaml", ".yml", ".json")
# A rule file has a top-level `query:` (YAML) or a `"query":` (JSON).
QUERY_KEY = re.compile(r'^(?:\ufeff)?(?:query|\s*"query")\s*:', re.MULTILINE)


def rule_files(folder):
    """Relative paths of the files `kqlite check` reads as rules."""
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if not name.lower().endswith(RULE_EXTENSIONS):
                continue
            path = os.path.join(root, name)
            with open(path, encoding="utf-8", errors="replace") as f:
                if QUERY_KEY.search(f.read()):
                    found.append(os.path.relpath(path, folder))
    return found


def ci_validated(rel):
    parts = rel.replace(os.sep, "/").split("/")
    return parts[0] == "Detections" or (
        len(parts) > 2 and parts[0] == "Solutions" and parts[2] == "Analytic Rules"
    )


def shape(message):
    """A message with its names and numbers blanked, for grouping."""
    message = re.sub(r"`[^`]*`", "`_`", message)
    return re.sub(r"\d+", "N", message)


def share(part, whole):
    return f"{part}/{whole} ({100.0 * part / whole:.1f}%)" if whole else "0/0"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    binary, folder = sys.argv[1], sys.argv[2]
    start = time.perf_counter()
    run = subprocess.run(
        [binary, "check", "--format", "json", folder],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    if run.returncode not in (0, 1):
        sys.exit(f"kqlite check failed ({run.returncode}):\n{run.stderr}")
    diagnostics = json.loads(run.stdout)
    summary = run.stderr.strip().splitlines()[-1] if run.stderr.strip() else ""

    errors_by_file = collections.defaultdict(list)
    for d in diagnostics:
        if d["severity"] == "error":
            rel = os.path.relpath(d["file"], folder)
            errors_by_file[rel].append(d)

    rules = rule_files(folder)
    clean = [r for r in rules if r not in errors_by_file]
    validated = [r for r in rules if ci_validated(r)]
    validated_clean = [r for r in validated if r not in errors_by_file]

    print(f"kqlite: {summary}")
    print(f"time: {elapsed:.2f}s for {len(rules)} rule files")
    print(f"rules with no error: {share(len(clean), len(rules))}")
    print(
        "  under Detections/ or Solutions/*/Analytic Rules/: "
        f"{share(len(validated_clean), len(validated))}"
    )

    causes = collections.Counter()
    files_per_cause = collections.defaultdict(set)
    for rel, errors in errors_by_file.items():
        for d in errors:
            key = (d["code"], shape(d["message"]))
            causes[key] += 1
            files_per_cause[key].add(rel)
    print("leading causes of errors (errors, files, code, message):")
    for (code, message), count in causes.most_common(20):
        files = len(files_per_cause[(code, message)])
        print(f"  {count:5d} {files:5d}  {code}  {message}")


if __name__ == "__main__":
    main()
