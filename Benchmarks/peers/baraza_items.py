"""Baraza's result for the same job, read from the report it wrote (tables/items.csv, by group)."""
import csv
import sys
from common import write

items, out = sys.argv[1], sys.argv[2]
res = {}
with open(items, newline="") as f:
    for r in csv.DictReader(f):
        if r["group"] and not r["country"] and not r["wave"] and r["suppressed"] == "false" and r["measure"].startswith("q"):
            res[(r["group"], r["measure"])] = (int(r["n"]), float(r["mean"]))
write(res, out)
