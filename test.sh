#!/usr/bin/env bash
# Runs every test project of MlNetStem (setting the machine up first if needed) and ends
# with one summary line: "tests: N passed, M failed, K skipped".
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"
if ! MLNETSTEM_SETUP_TESTS=1 scripts/setup.sh; then
  echo "setup failed"
  echo "tests: 0 passed, 1 failed, 0 skipped"
  exit 1
fi

passed=0 failed=0 skipped=0 status=0
for project in tests/*/*.Tests.csproj; do
  name=$(basename "$project" .csproj)
  log=$(mktemp)
  echo "== $name"
  dotnet test "$project" -c Release --no-build --nologo 2>&1 | tee "$log" | grep -E '^\s*(Failed|Passed!|Failed!|  Failed)|\[FAIL\]|error' || true
  line=$(grep -E '(Passed|Failed)!\s+-\s+Failed:' "$log" | tail -n 1)
  if [[ -z "$line" ]]; then
    echo "$name: no test summary (build or runner failure); see output above"
    tail -n 30 "$log"
    failed=$((failed + 1)); status=1
  else
    f=$(sed -E 's/.*Failed:\s*([0-9]+).*/\1/' <<<"$line")
    p=$(sed -E 's/.*Passed:\s*([0-9]+).*/\1/' <<<"$line")
    s=$(sed -E 's/.*Skipped:\s*([0-9]+).*/\1/' <<<"$line")
    passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + s))
    if ((f > 0)); then
      status=1
      # The failures' messages (the summary filter above keeps only their names).
      grep -A8 'Error Message:' "$log" | head -n 60 || true
    fi
  fi
  rm -f "$log"
done
echo "tests: $passed passed, $failed failed, $skipped skipped"
exit $status
