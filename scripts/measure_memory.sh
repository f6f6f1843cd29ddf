#!/usr/bin/env bash
# Peak resident memory of reading the reference CSV through Baraza's ingest stage (`baraza inspect`
# reads every record: sniffing, tokenizing, decoding, profile detection, per-column statistics).
# Usage: scripts/measure_memory.sh [ROWS=1000000]   (generates the file with ../shared/bench/gen_survey.py)
set -euo pipefail
cd "$(dirname "$0")/.."
rows="${1:-1000000}"
gen=../shared/bench/gen_survey.py
csv="Benchmarks/work/survey_${rows}.csv"
mkdir -p Benchmarks/work
[ -s "$csv" ] || python3 "$gen" --rows "$rows" --seed 20240301 --csv "$csv"
swift build -c release >/dev/null
/usr/bin/time -o Benchmarks/work/memory.txt -f "%e %M" .build/release/baraza inspect "$csv" --json > Benchmarks/work/inspect.json
read -r wall kb < Benchmarks/work/memory.txt
records=$(python3 -c "import json;print(json.load(open('Benchmarks/work/inspect.json'))['records'])")
printf 'read %s records (%s MB) in %s s; peak resident memory %.1f MiB (target: under 100 MiB)\n' \
  "$records" "$(( $(stat -c %s "$csv") / 1000000 ))" "$wall" "$(echo "$kb / 1024" | bc -l)"
[ "$kb" -lt $((100 * 1024)) ]
