#!/usr/bin/env python3
"""Generates kqlite's built-in table catalog from the schema facts in a
`schemas/` folder (catalog.jsonl, parser_outputs.jsonl, functions.jsonl).

Usage: python3 scripts/gen-catalog.py [--check] [SCHEMAS_DIR]   (default ../shared/schemas)

With --check, nothing is written: it exits 1 if the files in the repository
differ from what the schemas folder gives (CI runs it so the two stay in step).

Writes, under crates/kqlite-sentinel/data/:
  catalog.tsv     the data file compiled into the binary (one line per name)
  SOURCES.tsv     per name: where its columns come from and under what licence
  PROVENANCE.md   the sources and licences, and what the file format means

The output depends only on the input files: running it twice gives the same
bytes. Only facts (names and types) are taken.
"""
import json
import re
import os
import sys

TYPES = {"string", "int", "long", "real", "bool", "datetime", "timespan", "guid", "dynamic", "decimal"}
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "crates", "kqlite-sentinel", "data")


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def check_name(name):
    """A column or parameter name: anything but tabs and line breaks."""
    if not name or any(c in name for c in "\t\r\n"):
        raise SystemExit(f"unexpected character in name {name!r}")
    return name


def is_identifier(name):
    """Table and function names must be KQL identifiers to be named in a query."""
    return re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None


# Other spellings of the same types some sources use.
TYPE_ALIASES = {"boolean": "bool", "sbyte": "bool", "double": "real", "int32": "int", "int64": "long", "date": "datetime", "time": "timespan", "uniqueid": "guid", "object": "dynamic"}


def check_type(ty):
    ty = ty.strip().lower()
    ty = TYPE_ALIASES.get(ty, ty)
    if ty not in TYPES:
        raise SystemExit(f"unknown type {ty!r}")
    return ty


def table_columns(t):
    """Columns of one catalog table as `name:type` cells.

    `name:d|s` gives Defender XDR's type d and Sentinel's type s when they
    differ; `name:type!s` marks a column only Sentinel's copy of the table
    has (added from an Azure Monitor or Sentinel source)."""
    xdr = t["kind"] == "defender_xdr"
    cells = []
    for c in t["columns"]:
        name, ty = check_name(c["name"]), check_type(c["type"])
        alt = [check_type(a) for a in c.get("alt_types", [])]
        if xdr and "origin" in c:
            # Only in the Sentinel copy (TimeGenerated, TenantId, ...).
            cells.append(f"{name}:{ty}!s")
        elif xdr and alt:
            # The primary (Defender) type first, then Sentinel's.
            cells.append(f"{name}:{ty}|{alt[0]}")
        else:
            # Outside Defender XDR tables the primary source is Sentinel's
            # own reference; other sources' types are not used.
            cells.append(f"{name}:{ty}")
    return cells


def write(path, text, check, stale):
    """Writes `text` to `path`, or with `check` records whether it differs."""
    if check:
        try:
            with open(path, encoding="utf-8", newline="") as f:
                same = f.read() == text
        except FileNotFoundError:
            same = False
        if not same:
            stale.append(os.path.basename(path))
        return
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def main():
    args = [a for a in sys.argv[1:] if a != "--check"]
    check = len(args) != len(sys.argv) - 1
    src = args[0] if args else os.path.join(HERE, "..", "..", "shared", "schemas")
    tables = read_jsonl(os.path.join(src, "catalog.jsonl"))
    parsers = read_jsonl(os.path.join(src, "parser_outputs.jsonl"))
    functions = read_jsonl(os.path.join(src, "functions.jsonl"))

    lines, sources = [], []
    seen = set()
    for t in sorted(tables, key=lambda t: t["table"]):
        name = check_name(t["table"])
        if not is_identifier(name):
            raise SystemExit(f"table name {name!r} is not a KQL identifier")
        envs = "".join(e for e, k in (("s", "sentinel"), ("d", "defender_xdr")) if k in t["environments"])
        lines.append("\t".join(["t", name, envs, ""] + table_columns(t)))
        sources.append((name, "table", t["source"], t["license"]))
        seen.add(name)
        for variant in t.get("name_variants", []):
            sources.append((variant, "name variant of " + name, t["source"], t["license"]))
    for p in sorted(parsers, key=lambda p: p["table"]):
        name = check_name(p["table"])
        if name in seen or not is_identifier(name):
            if not is_identifier(name):
                print(f"note: left out parser output {name!r}: not a KQL identifier", file=sys.stderr)
            continue
        cols = [f"{check_name(c['name'])}:{check_type(c['type'])}" for c in p["columns"]]
        lines.append("\t".join(["p", name, "s", ""] + cols))
        sources.append((name, "parser output", p["source"], p["license"]))
    for f in sorted(functions, key=lambda f: f["function"]):
        name = check_name(f["function"])
        if not is_identifier(name):
            raise SystemExit(f"function name {name!r} is not a KQL identifier")
        params = [
            f"{check_name(p['name'])}:{check_type(p['type'])}{'' if p['required'] else '?'}"
            for p in f["parameters"]
        ]
        cols = [f"{check_name(c['name'])}:{check_type(c['type'])}" for c in f["columns"]]
        lines.append("\t".join(["f", name, "s", " ".join(params)] + cols))
        sources.append((name, "function", f["source"], f["license"]))

    os.makedirs(OUT, exist_ok=True)
    stale = []
    header = (
        "# kqlite built-in catalog: Microsoft Sentinel and Defender XDR tables, parser outputs\n"
        "# and workspace functions. Generated by scripts/gen-catalog.py; do not edit by hand.\n"
        "# Provenance and licences: PROVENANCE.md and SOURCES.tsv beside this file.\n"
        "# kind<TAB>name<TAB>environments<TAB>parameters<TAB>column<TAB>column... (see PROVENANCE.md)\n"
    )
    write(os.path.join(OUT, "catalog.tsv"), header + "\n".join(lines) + "\n", check, stale)
    licences = sorted({row[3] for row in sources})
    key = {lic: f"L{i + 1}" for i, lic in enumerate(licences)}
    text = "name\twhat\tsource\tlicence (keys in PROVENANCE.md)\n"
    for name, what, source, lic in sources:
        text += "\t".join([name, what, source, key[lic]]) + "\n"
    write(os.path.join(OUT, "SOURCES.tsv"), text, check, stale)
    ntab = sum(1 for l in lines if l.startswith("t\t"))
    npar = sum(1 for l in lines if l.startswith("p\t"))
    nfun = sum(1 for l in lines if l.startswith("f\t"))
    ncol = sum(len(l.split("\t")) - 4 for l in lines if l.startswith("t\t"))
    text = PROVENANCE.format(ntab=ntab, ncol=ncol, npar=npar, nfun=nfun)
    text += "\n## Licence keys in SOURCES.tsv\n\n"
    for lic in licences:
        text += f"- `{key[lic]}`: {lic}\n"
    write(os.path.join(OUT, "PROVENANCE.md"), text, check, stale)
    print(f"{ntab} tables ({ncol} columns), {npar} parser outputs, {nfun} functions")
    if stale:
        print("out of date (run scripts/gen-catalog.py): " + ", ".join(stale))
        sys.exit(1)

PROVENANCE = """# The built-in catalog: provenance

`catalog.tsv` is generated by `scripts/gen-catalog.py` from a folder of schema
facts (table names, column names and column types) and compiled into kqlite.
It holds {ntab} tables with {ncol} columns, {npar} parser outputs and {nfun}
workspace functions. Only facts are taken from the sources; `SOURCES.tsv` names
the source and licence of every entry.

## Sources

| source | what | licence |
|---|---|---|
| Microsoft Learn, Defender XDR advanced-hunting schema reference (as extracted in FalconForceTeam/KQLAnalyzer `environments.json` @447cd18) | Defender XDR tables and their advanced-hunting types | docs CC-BY-4.0 (the extraction repository has no licence file; only the facts are used) |
| Microsoft Learn, Azure Monitor table reference (as extracted by Azure-Sentinel's Solutions Analyzer in oshezaf/sentinelninja `la_table_schemas.csv` @4167c9c) | Azure Monitor and Sentinel tables | Apache-2.0; docs CC-BY-4.0 |
| MicrosoftDocs/azure-reference-other `azure-monitor-ref/tables` @bea5384 | Azure Monitor tables missing above | CC-BY-4.0 / MIT |
| oshezaf/sentinelninja table pages; Azure/Azure-Sentinel custom tables, connector definitions and DCRs | solution tables | Apache-2.0; Azure-Sentinel MIT |
| Azure/Azure-Sentinel `.script/tests/KqlvalidationsTests` @b819f67 | parser outputs and function signatures | MIT |

## Format

One line per name, tab-separated: `kind`, `name`, `environments`,
`parameters`, then one cell per column.

- `kind`: `t` a table, `p` a parser output (a workspace function that rules read
  as if it were a table), `f` a workspace function with parameters.
- `environments`: `s` Microsoft Sentinel, `d` Defender XDR advanced hunting.
- `parameters` (functions only): `name:type`, `?` after the type when optional.
- a column: `name:type` (the name may hold any character but a tab or a line
  break; the type follows the last `:`). `name:d|s` gives Defender XDR's type `d` and
  Sentinel's type `s` where they differ (e.g. `AdditionalFields:string|dynamic`);
  `name:type!s` is a column only Sentinel's copy of a Defender XDR table has
  (`TimeGenerated`, `TenantId`, ...).
"""

if __name__ == "__main__":
    main()
