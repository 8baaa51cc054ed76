#!/usr/bin/env python3
"""How often `kqlite check` catches a planted typo in a clean rule.

Usage: scripts/rule-typo-catch.py KQLITE_BINARY RULES_FOLDER [SEED]

Over the YAML rules in RULES_FOLDER that `kqlite check` passes with no
error, plants two kinds of typo, one rule copy each:

  (a) query column: one column of a table the rule names (its columns as
      the built-in catalog lists them) loses a letter, renamed the same way
      everywhere in the query text;
  (b) entity mapping: one `entityMappings` `columnName` loses a letter.

Then checks all the copies in one `kqlite check --format json` run and
prints how many of each were caught (had an error). The choices come from a
seeded random generator, so a run is repeatable.
"""

import collections
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

WORD = r"(?<![A-Za-z0-9_]){}(?![A-Za-z0-9_])"
COLUMN_NAME = re.compile(r"^(\s*-?\s*columnName:\s*)(['\"]?)([A-Za-z_][A-Za-z0-9_]*)\2\s*$")


def check(binary, paths):
    run = subprocess.run(
        [binary, "check", "--format", "json", *paths], capture_output=True, text=True
    )
    if run.returncode not in (0, 1):
        sys.exit(f"kqlite check failed ({run.returncode}):\n{run.stderr}")
    errors = collections.Counter()
    for d in json.loads(run.stdout):
        if d["severity"] == "error":
            errors[os.path.abspath(d["file"])] += 1
    return errors


def yaml_rules(folder):
    found = []
    for root, dirs, files in os.walk(folder):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith((".yaml", ".yml")):
                path = os.path.abspath(os.path.join(root, name))
                with open(path, encoding="utf-8", errors="replace", newline="") as f:
                    text = f.read()
                if re.search(r"^\ufeff?query:", text, re.MULTILINE):
                    found.append((path, text))
    return found


def query_lines(lines):
    """The index range of the `query:` value's lines in a YAML rule."""
    start = next(
        (i for i, l in enumerate(lines) if re.match(r"^\ufeff?query:", l)), None
    )
    if start is None:
        return range(0)
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end][0] in " \t"):
        end += 1
    return range(start, end)


CATALOG = os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "crates", "kqlite-sentinel", "data", "catalog.tsv"
)


def load_catalog():
    """Table and parser-output name -> column names, from the built-in catalog."""
    tables = {}
    with open(CATALOG, encoding="utf-8") as f:
        for line in f:
            if line.startswith("#"):
                continue
            cells = line.rstrip("\n").split("\t")
            if len(cells) >= 4 and cells[0] in ("t", "p"):
                tables[cells[1]] = [c.rpartition(":")[0] for c in cells[4:]]
    return tables


def columns_read(catalog, words):
    """Columns of the catalog tables the query names (as whole words)."""
    columns = set()
    for word in words:
        columns.update(catalog.get(word, ()))
    return columns


def drop_a_letter(name, rng, taken):
    """`name` with one letter removed, not clashing with a name in `taken`."""
    positions = list(range(1, len(name))) or [0]
    rng.shuffle(positions)
    for i in positions:
        typo = name[:i] + name[i + 1:]
        if typo and typo not in taken:
            return typo
    return None


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    binary, folder = os.path.abspath(sys.argv[1]), sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) == 4 else 1
    rules = yaml_rules(folder)
    catalog = load_catalog()
    errors = check(binary, [p for p, _ in rules])
    clean = [(p, t) for p, t in rules if errors[p] == 0]

    work = tempfile.mkdtemp(prefix="kqlite-typo-")
    planted = {"a": [], "b": []}
    try:
        for n, (path, text) in enumerate(clean):
            rng = random.Random(f"{seed}:{hashlib.sha256(path.encode()).hexdigest()}")
            lines = text.splitlines(keepends=True)
            qrange = query_lines(lines)
            query = "".join(lines[i] for i in qrange)
            words = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", query))

            # (a) a column of a table the rule reads, renamed in the query.
            candidates = sorted(c for c in columns_read(catalog, words) if c in words)
            if candidates:
                column = rng.choice(candidates)
                typo = drop_a_letter(column, rng, words)
                if typo:
                    pattern = re.compile(WORD.format(re.escape(column)))
                    mutated = list(lines)
                    for i in qrange:
                        if i != qrange.start or ":" not in mutated[i]:
                            mutated[i] = pattern.sub(typo, mutated[i])
                        else:
                            key, _, value = mutated[i].partition(":")
                            mutated[i] = key + ":" + pattern.sub(typo, value)
                    out = os.path.join(work, "a", f"{n:05d}.yaml")
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    with open(out, "w", encoding="utf-8", newline="") as f:
                        f.write("".join(mutated))
                    planted["a"].append((out, path, column, typo))

            # (b) one entity mapping column.
            mappings = [i for i, l in enumerate(lines) if COLUMN_NAME.match(l.rstrip("\r\n"))]
            if mappings:
                i = rng.choice(mappings)
                m = COLUMN_NAME.match(lines[i].rstrip("\r\n"))
                column = m.group(3)
                typo = drop_a_letter(column, rng, words)
                if typo:
                    ending = lines[i][len(lines[i].rstrip("\r\n")):]
                    mutated = list(lines)
                    mutated[i] = f"{m.group(1)}{m.group(2)}{typo}{m.group(2)}{ending}"
                    out = os.path.join(work, "b", f"{n:05d}.yaml")
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    with open(out, "w", encoding="utf-8", newline="") as f:
                        f.write("".join(mutated))
                    planted["b"].append((out, path, column, typo))

        files = [p for kind in planted.values() for p, *_ in kind]
        caught = check(binary, files) if files else collections.Counter()
        print(f"rules: {len(rules)}, clean: {len(clean)}, seed: {seed}")
        for kind, label in (("a", "query column typo"), ("b", "entity mapping column typo")):
            total = len(planted[kind])
            hits = sum(1 for p, *_ in planted[kind] if caught[p] > 0)
            pct = f"{100.0 * hits / total:.1f}%" if total else "n/a"
            print(f"({kind}) {label}: caught {hits}/{total} ({pct})")
            for p, source, column, typo in planted[kind]:
                if caught[p] == 0:
                    print(f"    missed: {os.path.relpath(source, folder)}: {column} -> {typo}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
