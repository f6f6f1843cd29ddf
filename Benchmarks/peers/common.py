"""Shared by the peer scripts: the job every engine does, and how results are written."""
import json
import sys

LIKERT = {"Strongly disagree": 1, "Disagree": 2, "Neither agree nor disagree": 3, "Agree": 4, "Strongly agree": 5}
QUESTIONS = [f"q{i:02d}" for i in range(1, 31)]


def write(results, path):
    """results: {(group, question): (n, mean)} -> JSON list sorted by group, question."""
    rows = [{"group": g, "question": q, "n": int(n), "mean": float(m)} for (g, q), (n, m) in sorted(results.items())]
    with open(path, "w") as f:
        json.dump(rows, f)
    print(f"{len(rows)} cells, {sum(r['n'] for r in rows)} answers", file=sys.stderr)
