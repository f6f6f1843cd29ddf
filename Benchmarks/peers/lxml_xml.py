"""lxml iterparse over the ODK-style XML, each <response> cleared after use; same job."""
import sys
from lxml import etree
from common import LIKERT, QUESTIONS, write

xml, out = sys.argv[1], sys.argv[2]
wanted = set(QUESTIONS)
acc = {}
for _, el in etree.iterparse(xml, events=("end",), tag="response"):
    group = el.findtext("respondent/stakeholder_group") or ""
    for child in el.find("grp_likert"):
        if child.tag in wanted:
            v = LIKERT.get(child.text or "")
            if v is not None:
                n, s = acc.get((group, child.tag), (0, 0))
                acc[(group, child.tag)] = (n + 1, s + v)
    el.clear()
    while el.getprevious() is not None:
        del el.getparent()[0]
write({k: (n, s / n) for k, (n, s) in acc.items()}, out)
