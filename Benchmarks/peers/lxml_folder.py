"""lxml over a folder of submission files, one parse per file in one Python loop; same job."""
import os
import sys
from lxml import etree
from common import LIKERT, QUESTIONS, write

folder, out = sys.argv[1], sys.argv[2]
wanted = set(QUESTIONS)
acc = {}
for name in sorted(os.listdir(folder)):
    if not name.endswith(".xml"):
        continue
    root = etree.parse(os.path.join(folder, name)).getroot()
    group = root.findtext("respondent/stakeholder_group") or ""
    for child in root.find("grp_likert"):
        if child.tag in wanted:
            v = LIKERT.get(child.text or "")
            if v is not None:
                n, s = acc.get((group, child.tag), (0, 0))
                acc[(group, child.tag)] = (n + 1, s + v)
write({k: (n, s / n) for k, (n, s) in acc.items()}, out)
