#!/usr/bin/env bash
# Before/after patch-loading throughput: builds bench/Throughput of this checkout and of a base
# commit (a temporary git worktree with this checkout's Program.cs, which uses only APIs the base
# has), then runs the two alternately, ROUNDS processes each, and prints every line's per-process
# medians, the median of each build and the median of the per-round ratios new/old.
#
#   bench/Throughput/compare.sh [--base REF] [--rounds N] [--bench-rounds M]
#     --base REF          commit to compare with (default HEAD: the checkout without uncommitted changes)
#     --rounds N          processes per build, alternating, old first on odd rounds (default 5)
#     --bench-rounds M    rounds inside each process (default 3); each process reports its median
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BASE=HEAD ROUNDS=5 BENCH_ROUNDS=3
while (($#)); do
  case "$1" in
    --base) BASE="$2"; shift 2 ;;
    --rounds) ROUNDS="$2"; shift 2 ;;
    --bench-rounds) BENCH_ROUNDS="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

WORK="$(mktemp -d /tmp/mlnetstem-throughput-compare.XXXXXX)"
OLD="$WORK/base"
cleanup() {
  git -C "$ROOT" worktree remove --force "$OLD" >/dev/null 2>&1 || true
  git -C "$ROOT" worktree prune >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "base $(git -C "$ROOT" rev-parse --short "$BASE") vs this checkout; $ROUNDS rounds × $BENCH_ROUNDS bench rounds" >&2
git -C "$ROOT" worktree add --detach "$OLD" "$BASE" >/dev/null 2>&1
cp "$ROOT/bench/Throughput/Program.cs" "$ROOT/bench/Throughput/Throughput.csproj" "$OLD/bench/Throughput/"
echo "building base ..." >&2
dotnet build "$OLD/bench/Throughput" -c Release -nologo -v q -clp:ErrorsOnly >&2
echo "building this checkout ..." >&2
dotnet build "$ROOT/bench/Throughput" -c Release -nologo -v q -clp:ErrorsOnly >&2

run() {   # run BUILD_ROOT LABEL ROUND: one bench process, its [key] lines tagged
  dotnet "$1/bench/Throughput/bin/Release/net10.0/MlNetStem.Throughput.dll" --rounds "$BENCH_ROUNDS" \
    | tee -a "$WORK/$2.log" \
    | sed -n 's/.* median *\([0-9]*\) patches\/s.*\[\(.*\)\]$/'"$2 $3"' \2 \1/p' >>"$WORK/results"
}
for ((r = 1; r <= ROUNDS; r++)); do
  if ((r % 2)); then run "$OLD" old "$r"; run "$ROOT" new "$r"; else run "$ROOT" new "$r"; run "$OLD" old "$r"; fi
  echo "round $r done (load average $(cut -d' ' -f1-3 /proc/loadavg))" >&2
done

python3 - "$WORK/results" <<'EOF'
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
keys = list(dict.fromkeys(k for _, _, k, _ in rows))
val = {(b, int(r), k): float(v) for b, r, k, v in rows}
rounds = sorted({int(r) for _, r, _, _ in rows})
print(f"{'line':<11}" + "".join(f"  r{r} old/new" for r in rounds) + "   median old   median new   median ratio new/old")
for k in keys:
    old = [val[("old", r, k)] for r in rounds]
    new = [val[("new", r, k)] for r in rounds]
    ratios = [n / o for o, n in zip(old, new)]
    cells = "".join(f"  {o:5.0f}/{n:<5.0f}" for o, n in zip(old, new))
    print(f"{k:<11}{cells}   {statistics.median(old):10.0f}   {statistics.median(new):10.0f}   {statistics.median(ratios):8.2f}×")
print("(patches/s; each cell is one process's median over its bench rounds)")
EOF
