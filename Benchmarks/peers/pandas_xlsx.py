"""pandas: read_excel (openpyxl) into memory, same job."""
import sys
import pandas as pd
from common import LIKERT, QUESTIONS, write

xlsx, out = sys.argv[1], sys.argv[2]
df = pd.read_excel(xlsx, dtype=str, keep_default_na=False, usecols=["stakeholder_group"] + QUESTIONS, engine="openpyxl")
long = df.melt(id_vars="stakeholder_group", value_vars=QUESTIONS, var_name="question", value_name="label")
long["v"] = long["label"].map(LIKERT)
g = long.dropna(subset=["v"]).groupby(["stakeholder_group", "question"])["v"].agg(["count", "mean"])
write({k: (r["count"], r["mean"]) for k, r in g.iterrows()}, out)
