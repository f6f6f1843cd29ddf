#!/usr/bin/env python3
"""Reference values for BarazaAnalysisTests, from SciPy and statsmodels.

Run: python3 make_reference.py > reference.json   (needs scipy, statsmodels)
Each case lists groups as frequency tables {value: count}; the script expands them to samples
and records what SciPy/statsmodels compute, to full double precision.
"""
import json
import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.multitest import multipletests

CASES = {
    # ties everywhere, unequal sizes, an empty level (value 3 never used by group c)
    "likert_unequal": [{1: 3, 2: 5, 3: 4, 4: 9, 5: 2}, {1: 1, 2: 2, 3: 6, 4: 4, 5: 7}, {1: 4, 2: 4, 4: 1, 5: 0}],
    # tiny groups of 2 and 3
    "tiny": [{2: 1, 4: 1}, {1: 1, 3: 1, 5: 1}, {2: 2, 5: 1}],
    # no ties at all, small samples: Mann-Whitney exact
    "no_ties_small": [{1.0: 1, 2.5: 1, 4.0: 1, 7.0: 1}, {3.0: 1, 5.0: 1, 6.0: 1, 8.0: 1, 9.0: 1}],
    # larger, many ties: asymptotic
    "large_ties": [{1: 30, 2: 41, 3: 22, 4: 60, 5: 17}, {1: 12, 2: 20, 3: 33, 4: 51, 5: 40}],
    # SciPy's exact rule is min(n1, n2) <= 8 without ties: 6 untied scores above 40 others
    # (exact p ~ 2e-7; the normal approximation gave ~1e-4), and 8 against 300, interleaved.
    "exact_small_vs_large": [{100.5 + i: 1 for i in range(6)}, {float(i): 1 for i in range(1, 41)}],
    "exact_8_vs_300": [{7.25 + 37 * i: 1 for i in range(8)}, {float(i): 1 for i in range(1, 301)}],
    # 9 against 12 untied: over the rule's limit, so asymptotic, as SciPy.
    "asymptotic_9_vs_12": [{0.5 + 2 * i: 1 for i in range(9)}, {float(i): 1 for i in range(1, 13)}],
}

def expand(table):
    return np.array([float(v) for v, c in sorted(table.items()) for _ in range(c)])

out = {"cases": {}, "wilson": [], "holm": {}, "bh": {}, "t_interval": []}
for name, groups in CASES.items():
    samples = [expand(g) for g in groups]
    case = {"groups": [{str(k): v for k, v in g.items()} for g in groups]}
    if len(samples) >= 2:
        h, p = stats.kruskal(*samples)
        n = sum(len(s) for s in samples)
        case["kruskal"] = {"h": h, "p": p, "epsilon2": h / (n - 1)}
    pairs = []
    for i in range(len(samples)):
        for j in range(i + 1, len(samples)):
            r = stats.mannwhitneyu(samples[i], samples[j], alternative="two-sided")
            pairs.append({"i": i, "j": j, "u": float(r.statistic), "p": float(r.pvalue)})
    case["mannwhitney"] = pairs
    desc = []
    for s in samples:
        m = float(np.mean(s)); sd = float(np.std(s, ddof=1)) if len(s) > 1 else None
        lo, hi = (stats.t.interval(0.95, len(s) - 1, loc=m, scale=sd / np.sqrt(len(s))) if len(s) > 1 else (None, None))
        desc.append({"n": len(s), "mean": m, "sd": sd, "ci_low": lo, "ci_high": hi, "median": float(np.median(s))})
    case["describe"] = desc
    out["cases"][name] = case

for count, base in [(0, 7), (3, 7), (7, 7), (12, 40), (250, 1000), (1, 2)]:
    lo, hi = proportion_confint(count, base, alpha=0.05, method="wilson")
    out["wilson"].append({"count": count, "base": base, "low": lo, "high": hi})

ps = [0.01, 0.04, 0.03, 0.005, 0.2, 0.049, 0.5]
out["holm"] = {"p": ps, "adjusted": list(multipletests(ps, method="holm")[1])}
out["bh"] = {"p": ps, "adjusted": list(multipletests(ps, method="fdr_bh")[1])}
for df in [1, 2, 5, 13, 120]:
    out["t_interval"].append({"df": df, "q975": stats.t.ppf(0.975, df)})
out["chi2_sf"] = [{"x": x, "df": df, "p": stats.chi2.sf(x, df)} for x, df in [(0.5, 1), (3.84, 1), (12.3, 3), (95.6, 3), (40, 10)]]
# Categorical: chi2_contingency (Yates for 2x2, as SciPy's default) and fisher_exact.
out["chi2_contingency"] = []
for t in [[[12, 30, 18], [40, 25, 33]], [[20, 15], [30, 45]], [[5, 9, 14, 7], [25, 21, 16, 23]]]:
    x, p, df, _ = stats.chi2_contingency(np.array(t))
    out["chi2_contingency"].append({"table": t, "chi2": x, "p": p, "df": int(df)})
out["fisher"] = []
for t in [[[3, 1], [1, 3]], [[0, 7], [5, 2]], [[8, 2], [1, 5]], [[2, 9], [10, 1]]]:
    odds, p = stats.fisher_exact(np.array(t))
    out["fisher"].append({"table": t, "p": p})
# Welch's t on two frequency tables (wave change).
out["welch"] = []
# The last two: p far below 1e-9 and 1e-16, where 2 * (1 - CDF) lost its digits.
for a, b in [({1: 3, 2: 5, 3: 9, 4: 6, 5: 2}, {2: 2, 3: 6, 4: 11, 5: 5}), ({3: 4, 4: 3}, {1: 2, 2: 3, 5: 1}),
             ({1: 20, 2: 25, 3: 5}, {3: 10, 4: 25, 5: 15}), ({1: 40, 2: 40}, {4: 45, 5: 35})]:
    xa, xb = expand(a), expand(b)
    r = stats.ttest_ind(xb, xa, equal_var=False)
    ci = r.confidence_interval(0.95)
    out["welch"].append({"a": {str(k): v for k, v in a.items()}, "b": {str(k): v for k, v in b.items()},
                         "t": float(r.statistic), "p": float(r.pvalue), "df": float(r.df), "low": float(ci.low), "high": float(ci.high)})

# Issue 28 classes. Rank-biserial r = 2 U1 / (n1 n2) - 1 from SciPy's U, its interval by Fisher's z
# with SE sqrt((n1 + n2 + 1) / (3 n1 n2)) (R's effectsize::rank_biserial); every Mann-Whitney pair.
for name, case in out["cases"].items():
    samples = [expand({float(k): v for k, v in g.items()}) for g in case["groups"]]
    for pair in case["mannwhitney"]:
        n1, n2 = len(samples[pair["i"]]), len(samples[pair["j"]])
        r = 2 * pair["u"] / (n1 * n2) - 1
        se = np.sqrt((n1 + n2 + 1) / (3 * n1 * n2))
        z = stats.norm.ppf(0.975)
        pair["r"] = r
        pair["r_low"] = float(np.tanh(np.arctanh(r) - z * se)) if abs(r) < 1 else r
        pair["r_high"] = float(np.tanh(np.arctanh(r) + z * se)) if abs(r) < 1 else r

# Class 4: Wilson on a weighted share with Kish's n_eff, both real numbers (statsmodels accepts
# non-integer counts and bases). Each case: respondents as (value, weight); the top-2-box on 1-5.
out["weighted_boxes"] = []
rng = np.random.default_rng(28)
for size in [7, 19, 60]:
    values = rng.integers(1, 6, size=size)
    weights = np.round(rng.uniform(0.2, 3.0, size=size), 3)
    sw, sw2 = weights.sum(), (weights ** 2).sum()
    neff = sw * sw / sw2
    top = weights[values >= 4].sum() / sw
    bottom = weights[values <= 2].sum() / sw
    tl, th = proportion_confint(top * neff, neff, alpha=0.05, method="wilson")
    bl, bh = proportion_confint(bottom * neff, neff, alpha=0.05, method="wilson")
    out["weighted_boxes"].append({"values": [int(v) for v in values], "weights": [float(w) for w in weights], "n_eff": neff,
                                  "top": top, "top_low": tl, "top_high": th, "bottom": bottom, "bottom_low": bl, "bottom_high": bh})

# Class 11: the exact conditional p of the chi-square statistic for 2 x k tables, by enumerating
# every table with the observed margins (multivariate hypergeometric probabilities, SciPy's
# statistic), and Cramer's V (SciPy's contingency.association).
import itertools
from scipy.stats import contingency, multivariate_hypergeom
out["exact_2xk"] = []
for t in [[[1, 4, 0], [9, 6, 12]], [[2, 0, 3, 1], [5, 8, 2, 9]], [[0, 1, 6], [4, 3, 1]], [[3, 1, 2, 0, 4], [2, 6, 5, 7, 1]]]:
    t = np.array(t)
    cols = t.sum(axis=0)
    r = int(t[0].sum())
    obs = stats.chi2_contingency(t, correction=False)[0]
    p = 0.0
    for xs in itertools.product(*[range(0, c + 1) for c in cols]):
        if sum(xs) != r:
            continue
        table = np.array([xs, cols - np.array(xs)])
        x = stats.chi2_contingency(table, correction=False)[0]
        if x >= obs - 1e-9 * max(1, obs):
            p += multivariate_hypergeom.pmf(x=list(xs), m=list(cols), n=r)
    out["exact_2xk"].append({"table": t.tolist(), "chi2": obs, "p": p,
                             "cramers_v": float(contingency.association(t, method="cramer"))})

# Class 12: a mean's t interval that runs past the scale, cut at its ends.
out["clipped"] = []
for table in [{1: 1, 5: 6}, {1: 5, 2: 1}, {3: 4, 4: 4}]:
    x = expand(table)
    m = float(np.mean(x)); sd = float(np.std(x, ddof=1))
    lo, hi = stats.t.interval(0.95, len(x) - 1, loc=m, scale=sd / np.sqrt(len(x)))
    out["clipped"].append({"table": {str(k): v for k, v in table.items()}, "low": max(1.0, lo), "high": min(5.0, hi),
                           "clipped": bool(lo < 1 or hi > 5)})
print(json.dumps(out, indent=1, sort_keys=True))
