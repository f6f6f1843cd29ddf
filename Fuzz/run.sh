#!/usr/bin/env bash
# Fuzzes the CSV and XML readers, the consultation-file loader and the report writers with
# libFuzzer, two at a time (one per core), then checks the C byte scans against their byte loops
# under sanitizers.
# Usage: Fuzz/run.sh [SECONDS=600]. Findings (crash-*, timeout-*, oom-*) land in Fuzz/findings/;
# replay one with: BARAZA_FUZZ_FORMAT=csv swift run --package-path Fuzz FuzzReaders Fuzz/findings/csv/crash-...
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"
swift build -c release --scratch-path .build-fuzz \
  -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library -Xswiftc -DBARAZA_FUZZ
bin=$(swift build -c release --scratch-path .build-fuzz --show-bin-path)
for kind in csv xml xlsx consultation report; do
  mkdir -p "findings/$kind" "work/$kind"
  cp -n corpus/$kind/* "work/$kind/" 2>/dev/null || true
done
run() {
  local name=$1 kind=$2
  BARAZA_FUZZ_FORMAT="$kind" "$bin/FuzzReaders" "work/$kind" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=1048576 \
    -artifact_prefix="findings/$kind/" -print_final_stats=1 > "findings/$kind.log" 2>&1 || true
  echo "== $name: $(grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "findings/$kind.log" | tr '\n' ' ')"
  ls "findings/$kind" | sed 's/^/   finding: /' || true
}
run "CSV reader" csv &
run "XML reader" xml &
wait
run "XLSX reader" xlsx &
run "consultation loader" consultation &
wait
run "report writers" report &
wait
# The C byte scans (SSE2, AVX-512) against their byte loops, each family built twice (the second
# time without SSE2 and under baraza_scalar_ names), under ASan and UBSan.
src=../Sources/CBarazaText
san="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -I$src/include"
objects=()
for family in processor utf8 json words csv; do
  clang $san -c "$src/$family.c" -o "work/$family.o"
  clang $san -U__SSE2__ -DBARAZA_SCALAR_REFERENCE -c "$src/$family.c" -o "work/$family-scalar.o"
  objects+=("work/$family.o" "work/$family-scalar.o")
done
clang $san text-scans.c "${objects[@]}" -o work/text-scans 2>/dev/null
echo "== C byte scans, SSE2, AVX-512 BW and VBMI2 against byte loops: $(work/text-scans 300000)"
