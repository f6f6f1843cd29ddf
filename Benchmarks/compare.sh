#!/usr/bin/env bash
# Compares two builds of `baraza` on one consultation: N rounds of A B B A (so neither build always
# runs first or second), each run on a fresh store at the same path (removed, then `sync`), timed
# with /usr/bin/time. Prints per build the mean and median wall time and the mean user and system
# CPU. Giving each build a store file of its own, and always running the new one second, made the
# same binary look 0.36 s slower at 1M rows; this layout does not.
#
# Usage: Benchmarks/compare.sh CONSULTATION.yml ROUNDS BARAZA_A BARAZA_B
# e.g.   Benchmarks/compare.sh Benchmarks/work/bench-csv.yml 3 /tmp/a/baraza .build/release/baraza
# (`Benchmarks/run.sh` writes bench-csv.yml, the 1M-row workload, into Benchmarks/work/.)
# The consultation's `store:` and report `out:` are replaced by a scratch store next to it.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 CONSULTATION.yml ROUNDS BARAZA_A BARAZA_B" >&2; exit 2; }
cfg=$1 rounds=$2 a=$3 b=$4
dir=$(cd "$(dirname "$cfg")" && pwd)
work="$dir/compare-run"
yml="$dir/compare-run.yml"
sed -e "s/^name: .*/name: compare-run/; s/^store: .*/store: compare-run.sqlite/; s/out: [A-Za-z0-9_.-]*/out: compare-run/" "$cfg" > "$yml"
times=$(mktemp -d)
trap 'rm -rf "$times" "$yml" "$work" "$dir"/compare-run.sqlite* "$dir"/compare-run.rejects.csv' EXIT
one() {  # one run of build $1 (a or b) with binary $2
  rm -rf "$dir"/compare-run.sqlite* "$work"
  sync
  /usr/bin/time -f "%e %U %S" -a -o "$times/$1" "$2" run "$yml" > /dev/null 2>&1
}
for _ in $(seq "$rounds"); do one a "$a"; one b "$b"; one b "$b"; one a "$a"; done
for x in a b; do
  bin=$a; [ $x = b ] && bin=$b
  sort -n "$times/$x" | awk -v name="$x ($bin)" '{w+=$1; u+=$2; s+=$3; n++; v[n]=$1}
    END {printf "%s: wall mean %.2f s, median %.2f s; user %.2f s, system %.2f s (%d runs)\n", name, w/n, (v[int((n+1)/2)]+v[int(n/2)+1])/2, u/n, s/n, n}'
done
