#!/usr/bin/env bash
# The flake hunt of the whole suite: clones this repository's HEAD into a temporary folder (a fresh clone, as CI gets,
# next to a link to ../shared), then runs the README's test command (./test.sh) N times in a row there and reports each
# run's summary line and every failed test.
#
#   bench/FlakeLoop/full-suite.sh [N=10]
#
# Ends with "full suite: R runs, F runs with failures"; exits 1 when any run failed. About 5–6 minutes per run on 2 cores.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
runs="${1:-10}"
[[ "$runs" =~ ^[0-9]+$ ]] && ((runs > 0)) || { echo "usage: $0 [N]" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$ROOT" "$work/repo"
[[ -d "$ROOT/../shared" ]] && ln -s "$(cd "$ROOT/../shared" && pwd)" "$work/shared"
cd "$work/repo"
echo "fresh clone of $(git rev-parse --short HEAD) in $work/repo"
bad=0
for ((i = 1; i <= runs; i++)); do
  log="$work/run$i.log"
  start=$(date +%s)
  ./test.sh >"$log" 2>&1
  code=$?
  summary=$(grep -E '^tests: [0-9]+ passed' "$log" | tail -n 1)
  echo "run $i/$runs: ${summary:-no summary line} (exit $code, $(( $(date +%s) - start )) s)"
  if ((code != 0)); then
    bad=$((bad + 1))
    grep -E '\[FAIL\]|^\s+Failed ' "$log" | sed 's/^/    /' | head -n 20
  fi
done
echo "full suite: $runs runs, $bad runs with failures"
((bad == 0))
