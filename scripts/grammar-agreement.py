#!/usr/bin/env python3
"""Agreement of `kqlite check --syntax-only` with Microsoft's KQL grammar.

Runs the checker on every query of ../shared/conformance/detections/*.jsonl
(each carries `grammar_accepts`) and every `kql` of emulator_cases.jsonl (all
valid), prints the agreement and every disagreement, and exits 1 when kqlite
accepts less than --min-accept % of what the grammar accepts or rejects less
than --min-reject % of what it rejects.

usage: scripts/grammar-agreement.py KQLITE_BINARY [SHARED_CONFORMANCE_DIR]
"""
import argparse
import glob
import json
import os
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kqlite")
    ap.add_argument("conformance", nargs="?", default="../shared/conformance")
    ap.add_argument("--min-accept", type=float, default=99.5)
    ap.add_argument("--min-reject", type=float, default=85.0)
    args = ap.parse_args()
    if not os.path.isdir(args.conformance):
        print(f"note: {args.conformance} not found; skipping grammar agreement")
        return 0

    cases = []
    for path in sorted(glob.glob(os.path.join(args.conformance, "detections", "*.jsonl"))):
        with open(path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    c = json.loads(line)
                    cases.append((f"{os.path.basename(path)}:{c['id']}", c["query"], c["grammar_accepts"]))
    emulator = os.path.join(args.conformance, "emulator_cases.jsonl")
    with open(emulator, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                c = json.loads(line)
                cases.append((f"emulator:{c['id']}", c["kql"], True))

    acc = {True: [0, 0], False: [0, 0]}  # grammar verdict -> [agree, total]
    disagreements = []
    for name, query, grammar in cases:
        p = subprocess.run([args.kqlite, "check", "--syntax-only", "-"], input=query.encode(),
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if p.returncode not in (0, 1):
            print(f"{name}: kqlite exited with {p.returncode}", file=sys.stderr)
            return 2
        ours = p.returncode == 0
        acc[grammar][1] += 1
        if ours == grammar:
            acc[grammar][0] += 1
        else:
            first = p.stderr.decode(errors="replace").splitlines()[:1]
            disagreements.append((name, grammar, first[0] if first else ""))

    a = 100.0 * acc[True][0] / max(acc[True][1], 1)
    r = 100.0 * acc[False][0] / max(acc[False][1], 1)
    for name, grammar, msg in disagreements:
        verdict = "kqlite rejects, grammar accepts" if grammar else "kqlite accepts, grammar rejects"
        print(f"  {verdict}: {name}  {msg}")
    print(f"accepted {acc[True][0]}/{acc[True][1]} of what the grammar accepts ({a:.2f}%, floor {args.min_accept}%)")
    print(f"rejected {acc[False][0]}/{acc[False][1]} of what the grammar rejects ({r:.2f}%, floor {args.min_reject}%)")
    return 0 if a >= args.min_accept and r >= args.min_reject else 1


if __name__ == "__main__":
    sys.exit(main())
