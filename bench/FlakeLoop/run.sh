#!/usr/bin/env bash
# Runs test projects N times in a row (no rebuild between runs) and reports every failed test, to catch flaky tests.
#
#   bench/FlakeLoop/run.sh [N] [Project.Tests ...]     default: 20 runs of Hdf5.Tests and Pipeline.Tests
#
# Prints one line per run and project ("run 3/20 Pipeline.Tests: 179 passed, 0 failed"), the names of failed tests,
# and a final "flake loop: R runs, F failures" line; exits 1 when any run failed.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
runs="${1:-20}"
shift || true
projects=("$@")
((${#projects[@]} == 0)) && projects=(Hdf5.Tests Pipeline.Tests)
[[ "$runs" =~ ^[0-9]+$ ]] && ((runs > 0)) || { echo "usage: $0 [N] [Project.Tests ...]" >&2; exit 2; }

scripts/setup.sh >&2 || { echo "setup failed" >&2; exit 1; }
failures=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for ((i = 1; i <= runs; i++)); do
  for p in "${projects[@]}"; do
    dotnet test "tests/$p/$p.csproj" -c Release --no-build --nologo >"$log" 2>&1
    line=$(grep -E '(Passed|Failed)!\s+-\s+Failed:' "$log" | tail -n 1)
    if [[ -z "$line" ]]; then
      echo "run $i/$runs $p: no test summary (runner failure)"; tail -n 20 "$log"; failures=$((failures + 1)); continue
    fi
    f=$(sed -E 's/.*Failed:\s*([0-9]+).*/\1/' <<<"$line")
    p_count=$(sed -E 's/.*Passed:\s*([0-9]+).*/\1/' <<<"$line")
    echo "run $i/$runs $p: $p_count passed, $f failed"
    if ((f > 0)); then
      failures=$((failures + f))
      grep -E '^\s+Failed ' "$log" | sed 's/^/    /'
      grep -E -A3 'Error Message' "$log" | sed 's/^/    /' | head -n 20
    fi
  done
done
echo "flake loop: $runs runs of ${projects[*]}, $failures failures"
((failures == 0))
