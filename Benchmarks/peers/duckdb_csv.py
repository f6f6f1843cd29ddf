"""DuckDB: read_csv + SQL (streaming), map Likert labels to 1..5, count and mean per group x question."""
import sys
import duckdb
from common import LIKERT, QUESTIONS, write

csv, out = sys.argv[1], sys.argv[2]
con = duckdb.connect()
con.execute("SET threads TO 2")
cases = " ".join(f"WHEN '{k.replace(chr(39), chr(39) * 2)}' THEN {v}" for k, v in LIKERT.items())
cols = ", ".join(QUESTIONS)
sql = f"""
WITH long AS (
  UNPIVOT (SELECT stakeholder_group, {cols} FROM read_csv('{csv}', header=true, all_varchar=true, quote='"', escape='"'))
  ON {cols} INTO NAME question VALUE label)
SELECT stakeholder_group, question, count(v), avg(v) FROM (
  SELECT stakeholder_group, question, CASE label {cases} END AS v FROM long) WHERE v IS NOT NULL
GROUP BY 1, 2"""
write({(g, q): (n, m) for g, q, n, m in con.execute(sql).fetchall()}, out)
