#!/usr/bin/env python3
"""Reference agreement figures for CodingTests, from scikit-learn and the krippendorff package.

Run: python3 make_agreement_reference.py > agreement_reference.json  (needs scikit-learn, krippendorff)
Units: every (response_id, question) either file names, for every code either file uses; a unit is
1 when that coding gave the code to that answer. Absence in both counts as agreement.
"""
import csv, json
import krippendorff
from sklearn.metrics import cohen_kappa_score, precision_score, recall_score

def load(path):
    with open(path, newline="") as f:
        return {(r["response_id"], r["question"], r["code"]) for r in csv.DictReader(f)}

a, b = load("agreement_rules.csv"), load("agreement_person.csv")
answers = sorted({(r, q) for r, q, _ in a | b})
codes = sorted({c for _, _, c in a | b})
out = {"answers": len(answers), "codes": {}}
ua, ub = [], []
for c in codes:
    va = [int((r, q, c) in a) for r, q in answers]
    vb = [int((r, q, c) in b) for r, q in answers]
    ua += va; ub += vb
    k = cohen_kappa_score(va, vb)
    out["codes"][c] = {
        "kappa": None if k != k else k,
        "precision": precision_score(vb, va, zero_division=float("nan")) if sum(va) else None,
        "recall": recall_score(vb, va, zero_division=float("nan")) if sum(vb) else None,
    }
out["alpha"] = krippendorff.alpha(reliability_data=[ua, ub], level_of_measurement="nominal")
out["percent_agreement"] = sum(x == y for x, y in zip(ua, ub)) / len(ua)
print(json.dumps(out, indent=1, sort_keys=True))
