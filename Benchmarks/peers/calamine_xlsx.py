"""python-calamine: read the workbook's first sheet, same job."""
import sys
from python_calamine import CalamineWorkbook
from common import LIKERT, QUESTIONS, write

xlsx, out = sys.argv[1], sys.argv[2]
rows = CalamineWorkbook.from_path(xlsx).get_sheet_by_index(0).to_python()
header = rows[0]
gi = header.index("stakeholder_group")
qi = [(q, header.index(q)) for q in QUESTIONS]
acc = {}
for r in rows[1:]:
    g = r[gi]
    for q, i in qi:
        v = LIKERT.get(r[i]) if i < len(r) else None
        if v is not None:
            n, s = acc.get((g, q), (0, 0))
            acc[(g, q)] = (n + 1, s + v)
write({k: (n, s / n) for k, (n, s) in acc.items()}, out)
