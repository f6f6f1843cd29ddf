"""Polars: scan_csv (lazy, streaming engine), same job."""
import sys
import polars as pl
from common import LIKERT, QUESTIONS, write

csv, out = sys.argv[1], sys.argv[2]
lf = pl.scan_csv(csv, infer_schema=False).select(["stakeholder_group"] + QUESTIONS)
long = lf.unpivot(index="stakeholder_group", on=QUESTIONS, variable_name="question", value_name="label")
mapped = long.with_columns(pl.col("label").replace_strict(LIKERT, default=None, return_dtype=pl.Int8).alias("v")).drop_nulls("v")
res = mapped.group_by(["stakeholder_group", "question"]).agg(pl.len().alias("n"), pl.col("v").mean().alias("mean"))
try:
    df = res.collect(engine="streaming")
except TypeError:
    df = res.collect(streaming=True)
write({(r[0], r[1]): (r[2], r[3]) for r in df.iter_rows()}, out)
