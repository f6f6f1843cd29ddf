"""Checks that every engine's group x question counts agree exactly and means to 1e-6."""
import json
import sys

ref_name, ref = sys.argv[1].split("=", 1)
ref_rows = {(r["group"], r["question"]): r for r in json.load(open(ref))}
ok = True
for arg in sys.argv[2:]:
    name, path = arg.split("=", 1)
    rows = {(r["group"], r["question"]): r for r in json.load(open(path))}
    bad = [k for k in ref_rows if k not in rows or rows[k]["n"] != ref_rows[k]["n"] or abs(rows[k]["mean"] - ref_rows[k]["mean"]) > 1e-6]
    extra = [k for k in rows if k not in ref_rows]
    total = sum(r["n"] for r in rows.values())
    status = "agree" if not bad and not extra else f"DISAGREE on {len(bad) + len(extra)} cells, e.g. {(bad + extra)[:3]}"
    ok &= not bad and not extra
    print(f"  {name:<16} {len(rows):4d} cells, {total:>11,d} answers: {status} with {ref_name}")
sys.exit(0 if ok else 1)
