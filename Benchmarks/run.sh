#!/usr/bin/env bash
# Baraza against its peers on the reference workload (../shared/bench/gen_survey.py), in one go.
#
#   Benchmarks/run.sh [--rows N] [--xml-rows N] [--folder-files N] [--xlsx-rows N] [--repeat K] [--scaling]
#
# Generates the workload (cached in Benchmarks/work/), installs the peers (DuckDB, Polars, pandas,
# lxml) into a local virtual environment, builds Baraza in release mode, runs every engine K times
# (median reported) on the same files, checks that all engines' group x question counts and means
# agree, and prints wall time, CPU time, peak resident memory, MB/s and the ratio to DuckDB.
# A folder of N one-file submissions (the XML workload's first N records, 100,000 by default)
# is read by `baraza run` and by lxml in one Python loop. The CSV's first N rows (100,000 by default)
# as an XLSX workbook (xlsxwriter) are read by python-calamine, pandas read_excel (openpyxl) and
# `baraza run`. --scaling also times `baraza run` at
# 100k, 1M and 3M rows.
set -euo pipefail
cd "$(dirname "$0")"
rows=1000000; xml_rows=200000; folder_files=100000; xlsx_rows=100000; repeat=3; scaling=0
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) rows=$2; shift 2 ;;
    --xml-rows) xml_rows=$2; shift 2 ;;
    --folder-files) folder_files=$2; shift 2 ;;
    --xlsx-rows) xlsx_rows=$2; shift 2 ;;
    --repeat) repeat=$2; shift 2 ;;
    --scaling) scaling=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
gen=../../shared/bench/gen_survey.py
[ -f "$gen" ] || gen=../shared/bench/gen_survey.py
[ -f "$gen" ] || { echo "gen_survey.py not found beside the checkout (../shared/bench)" >&2; exit 2; }
mkdir -p work
venv=work/venv
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/python" -c "import duckdb, polars, pandas, lxml, xlsxwriter, python_calamine, openpyxl" 2>/dev/null \
  || "$venv/bin/pip" install -q duckdb polars pandas lxml xlsxwriter python-calamine openpyxl
py="$venv/bin/python"

csv="work/survey_${rows}.csv"; xml="work/survey_${xml_rows}.xml"
[ -s "$csv" ] || { echo "generating $csv"; python3 "$gen" --rows "$rows" --seed 20240301 --csv "$csv"; }
[ -s "$xml" ] || { echo "generating $xml"; python3 "$gen" --rows "$xml_rows" --xml-rows "$xml_rows" --seed 20240301 --xml "$xml"; }
xlsx="work/survey_${xlsx_rows}.xlsx"
[ -s "$xlsx" ] || { echo "writing $xlsx"; "$venv/bin/python" peers/csv_to_xlsx.py "$csv" "$xlsx" "$xlsx_rows"; }
folder="work/submissions_${folder_files}"
if [ ! -f "$folder/.complete" ]; then
  folder_xml="work/survey_${folder_files}.xml"
  [ "$folder_files" -le "$xml_rows" ] && folder_xml=$xml
  [ -s "$folder_xml" ] || python3 "$gen" --rows "$folder_files" --xml-rows "$folder_files" --seed 20240301 --xml "$folder_xml"
  rm -rf "$folder"; python3 peers/split_xml.py "$folder_xml" "$folder" "$folder_files" && touch "$folder/.complete"
fi
(cd .. && swift build -c release >/dev/null)
baraza=../.build/release/baraza

consultation() {  # $1 data file or folder, $2 name → writes work/$2.yml
  sed "s#work/survey.csv#$(basename "$1")#; s#work/survey.xml#$(basename "$1")#; s#^store: .*#store: $2.sqlite#; s#out: work/report[-a-z]*#out: $2#; s#^name: .*#name: $2#" \
    "$( [[ "$1" == *.xml || -d "$1" ]] && echo consultation-xml.yml || echo consultation.yml )" > "work/$2.yml"
}

results=work/results.tsv
: > "$results"
once() {  # $1 a name for the engine's runs, rest: command. One timed run, appended to work/runs-$1.txt.
  local name=$1; shift
  [ -n "${BEFORE:-}" ] && eval "$BEFORE"
  sync  # an earlier run's dirty pages written back now, not during this run's timing
  /usr/bin/time -o work/time.txt -f "%e %U %S %M" "$@" >/dev/null 2>work/last.err || { echo "$name failed:" >&2; tail -5 work/last.err >&2; exit 1; }
  tail -1 work/time.txt | awk '{print $1, $2 + $3, $4}' >> "work/runs-$name.txt"
}
summarise() {  # $1 engine label, $2 file measured (for MB/s), $3 the runs' name: medians (peak RSS: the largest) into the results
  local label=$1 file=$2 runs="work/runs-$3.txt"
  local n mid wall cpu maxrss bytes
  n=$(wc -l < "$runs"); mid=$(( (n + 1) / 2 ))
  wall=$(awk '{print $1}' "$runs" | sort -g | sed -n "${mid}p")
  cpu=$(awk '{print $2}' "$runs" | sort -g | sed -n "${mid}p")
  maxrss=$(awk '{print $3}' "$runs" | sort -g | tail -1)
  bytes=$(stat -c %s "$file")
  printf '%s\t%s\t%s\t%s\t%s\n' "$label" "$wall" "$cpu" "$maxrss" "$bytes" >> "$results"
  printf '  %-34s %8.2f s wall (median of %d)\n' "$label" "$wall" "$n"
}
timed() {  # $1 engine label, $2 file measured (for MB/s), rest: command. Runs $repeat times.
  local label=$1 file=$2 name; shift 2
  name=$(echo "$label" | tr -c 'A-Za-z0-9' '-')
  rm -f "work/runs-$name.txt"
  for _ in $(seq "$repeat"); do once "$name" "$@"; done
  summarise "$label" "$file" "$name"
}

# Stores an earlier go left behind are removed first, and each scaling store once measured: their
# pages would fill the page cache, and the kernel reclaiming them while baraza writes a new 2 GB
# store cost it ~0.35 s of system time at 1M rows (4.2–4.4 s from a clean cache, 4.6 s after a go
# that left about 13 GB of stores; the peers write nothing and did not change).
rm -rf work/bench-csv.sqlite* work/bench-xml.sqlite* work/bench-xlsx.sqlite* work/scale-*.sqlite*

echo "CSV: $csv ($(du -h "$csv" | cut -f1)), $rows rows; XML: $xml ($(du -h "$xml" | cut -f1)), $xml_rows rows"
cat "$csv" > /dev/null; cat "$xml" > /dev/null   # page cache, as for the peers' published figures
timed "cat (the floor)" "$csv" cat "$csv"
# DuckDB and `baraza run` alternate (A B B A …), so that the machine's drift, which can be a fifth
# for minutes at a time, falls on both alike: their ratio is the target.
consultation "$csv" bench-csv
rm -f work/runs-duckdb.txt work/runs-run.txt
run_duckdb() { BEFORE="" once duckdb $py peers/duckdb_csv.py "$csv" work/duckdb.json; }
run_csv() { BEFORE="rm -rf work/bench-csv.sqlite* work/bench-csv" once run $baraza run work/bench-csv.yml; }
for i in $(seq "$repeat"); do
  if [ $((i % 2)) = 1 ]; then run_duckdb; run_csv; else run_csv; run_duckdb; fi
done
summarise "DuckDB read_csv + SQL" "$csv" duckdb
timed "Polars scan_csv (streaming)" "$csv" $py peers/polars_csv.py "$csv" work/polars.json
timed "pandas read_csv" "$csv" $py peers/pandas_csv.py "$csv" work/pandas.json
summarise "baraza run (import all + report)" "$csv" run
BEFORE="" timed "baraza report (from the store)" "$csv" $baraza report work/bench-csv.yml
BEFORE="" timed "baraza report, every format but PDF" "$csv" $baraza report work/bench-csv.yml \
  --format html,md,csv,json,xlsx --out work/bench-csv-all
$py peers/baraza_items.py work/bench-csv/tables/items.csv work/baraza.json 2>/dev/null
timed "lxml iterparse (XML)" "$xml" $py peers/lxml_xml.py "$xml" work/lxml.json
consultation "$xml" bench-xml
BEFORE="rm -rf work/bench-xml.sqlite* work/bench-xml" timed "baraza run XML (import all + report)" "$xml" $baraza run work/bench-xml.yml
BEFORE=""
$py peers/baraza_items.py work/bench-xml/tables/items.csv work/baraza-xml.json 2>/dev/null
timed "lxml, one parse per file (folder)" "$xml" $py peers/lxml_folder.py "$folder" work/lxml-folder.json
consultation "$folder" bench-folder
BEFORE="rm -rf work/bench-folder.sqlite* work/bench-folder" timed "baraza run folder (import all + report)" "$xml" \
  $baraza run work/bench-folder.yml
BEFORE=""
$py peers/baraza_items.py work/bench-folder/tables/items.csv work/baraza-folder.json 2>/dev/null

timed "python-calamine read (XLSX)" "$xlsx" $py peers/calamine_xlsx.py "$xlsx" work/calamine.json
timed "pandas read_excel (XLSX)" "$xlsx" $py peers/pandas_xlsx.py "$xlsx" work/pandas-xlsx.json
consultation "$xlsx" bench-xlsx
BEFORE="rm -rf work/bench-xlsx.sqlite* work/bench-xlsx" timed "baraza run XLSX (import all + report)" "$xlsx" \
  $baraza run work/bench-xlsx.yml
BEFORE=""
$py peers/baraza_items.py work/bench-xlsx/tables/items.csv work/baraza-xlsx.json 2>/dev/null

echo; echo "Do the engines agree? (group x question count and mean of the 30 Likert items)"
$py peers/agree.py duckdb=work/duckdb.json polars=work/polars.json pandas=work/pandas.json baraza=work/baraza.json
$py peers/agree.py lxml=work/lxml.json baraza-xml=work/baraza-xml.json
$py peers/agree.py lxml-folder=work/lxml-folder.json baraza-folder=work/baraza-folder.json
$py peers/agree.py calamine=work/calamine.json pandas-xlsx=work/pandas-xlsx.json baraza-xlsx=work/baraza-xlsx.json

if [ "$scaling" = 1 ]; then
  echo; echo "Scaling of baraza run (import all + report):"
  for n in 100000 1000000 3000000; do
    f="work/survey_${n}.csv"; [ -s "$f" ] || python3 "$gen" --rows "$n" --seed 20240301 --csv "$f"
    consultation "$f" "scale-$n"
    BEFORE="rm -rf work/scale-$n.sqlite* work/scale-$n" repeat_saved=$repeat; repeat=1
    timed "baraza run, $n rows" "$f" $baraza run "work/scale-$n.yml"
    rm -rf "work/scale-$n.sqlite"*
    repeat=$repeat_saved; BEFORE=""
  done
fi

echo; echo "| engine | job | median wall | CPU | peak RSS | MB/s | × DuckDB |"
echo "|---|---|---:|---:|---:|---:|---:|"
duck=$(awk -F'\t' '$1 ~ /^DuckDB/ {print $2}' "$results")
# The ratio to DuckDB is given for the jobs on the CSV (not the XML, not the one-run scaling rows);
# the report reads the store, not a file, so it has no MB/s.
awk -F'\t' -v duck="$duck" '{
  store = ($1 ~ /^baraza report/)
  mbs = (store || $2 <= 0 || $1 ~ /folder/) ? "–" : sprintf("%.0f", $5 / 1e6 / $2)
  ratio = (duck > 0 && $1 !~ /XML|XLSX|rows$|folder/) ? sprintf("%.2f", $2 / duck) : "–"
  job = store ? "store" : ($1 ~ /folder/ ? "files" : ($5 > 0 ? sprintf("%.0f MB", $5 / 1e6) : ""))
  printf "| %s | %s | %.2f s | %.2f s | %.0f MiB | %s | %s |\n", $1, job, $2, $3, $4 / 1024, mbs, ratio
}' "$results"

# The targets (../shared/DESIGN.md, Performance; issue 8), from the figures above.
echo; echo "Targets:"
awk -F'\t' '
  $1 ~ /^DuckDB/ { duck = $2 }
  $1 == "baraza run (import all + report)" { run = $2 }
  $1 == "baraza report (from the store)" { report = $2 }
  $1 == "baraza report, every format but PDF" { formats = $2 }
  $1 ~ /^lxml/ { lxml = $2 }
  $1 ~ /^baraza run XML/ { xml = $2 }
  $1 ~ /^lxml, one parse per file/ { lxmlFolder = $2 }
  $1 ~ /^baraza run folder/ { folder = $2; folderRSS = $4 / 1024 }
  $1 ~ /^python-calamine/ { calamine = $2 }
  $1 ~ /^baraza run XLSX/ { xlsxRun = $2; xlsxRSS = $4 / 1024 }
  $1 ~ /^baraza/ { if ($4 / 1024 > rss) rss = $4 / 1024 }
  $1 ~ /^baraza run, [0-9]+ rows$/ { split($1, w, " "); n = w[3] / 1e6; k++
    per = per sprintf("%s%s: %.2f s wall, %.2f s CPU", (k > 1 ? "; " : ""), w[3], $2 / n, $3 / n)
    if (k == 1 || $4 / 1024 < lo) lo = $4 / 1024; if ($4 / 1024 > hi) hi = $4 / 1024 }
  END {
    verdict = "met"; if (run / duck > 2) verdict = "NOT met"
    printf "  baraza run on the CSV: %.2f× DuckDB (at most 2×): %s\n", run / duck, verdict
    verdict = "met"; if (report >= 1) verdict = "NOT met"
    printf "  baraza report: %.2f s (under 1 s): %s\n", report, verdict
    verdict = "met"; if (formats >= 3) verdict = "NOT met"
    printf "  baraza report in html, md, csv, json and xlsx: %.2f s (under 3 s): %s\n", formats, verdict
    verdict = "met"; if (lxml / xml < 3) verdict = "NOT met"
    printf "  baraza run on the XML: %.2f× faster than lxml (at least 3×): %s\n", lxml / xml, verdict
    verdict = "met"; if (folder > 3 * lxmlFolder) verdict = "NOT met"
    printf "  baraza run on the folder of submission files: %.2f× lxml'"'"'s time (at most 3×), %.0f MiB: %s\n", \
      folder / lxmlFolder, folderRSS, verdict
    verdict = "met"; if (xlsxRun >= calamine || xlsxRSS >= 150) verdict = "NOT met"
    printf "  baraza run on the XLSX: %.2f s against python-calamine'"'"'s read alone %.2f s (faster), %.0f MiB (under 150): %s\n", \
      xlsxRun, calamine, xlsxRSS, verdict
    verdict = "met"; if (rss >= 150) verdict = "NOT met"
    printf "  baraza peak RSS: %.0f MiB at most (under 150 MiB): %s\n", rss, verdict
    if (k > 0) {
      printf "  scaling, per million rows: %s\n", per
      printf "  scaling, peak RSS: %.0f–%.0f MiB\n", lo, hi
    }
  }' "$results"
