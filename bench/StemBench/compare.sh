#!/usr/bin/env bash
# Side-by-side training throughput: the official Stem DiT (PyTorch, ../shared/reference) and ours (libtorch shim), same
# configuration (50 genes, condition 1024, depth 4, hidden 128, 2 heads, batch 64, 1 thread), alternating in one run.
# These machines swing ±50% minute to minute, so only the per-round ratio means anything: the script prints each
# round and the median ratio (ours / reference) per worker count.
#   bench/StemBench/compare.sh [rounds=5] [steps=20]
# Needs Debian's PyTorch for the reference (installed here on first use: apt-get install python3-torch).
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-5}
steps=${2:-20}
reference=${STEM_REFERENCE:-../shared/reference}
[[ -f "$reference/stem_ref_bench.py" ]] || { echo "compare.sh: $reference/stem_ref_bench.py not found (set STEM_REFERENCE)" >&2; exit 1; }
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "compare.sh: installing Debian's PyTorch for the reference timing" >&2
  sudo=$([[ $(id -u) -eq 0 ]] && echo "" || echo "sudo")
  $sudo apt-get install -y -qq --no-install-recommends python3-torch >/dev/null
fi
dotnet build bench/StemBench -c Release -v quiet -nologo >/dev/null
bench=bench/StemBench/bin/Release/net10.0/MlNetStem.StemBench.dll

reference_run() {
  STEM_SRC="$reference/stem" /usr/bin/python3 "$reference/stem_ref_bench.py" --threads 1 --steps "$steps" \
    --genes 50 --cond 1024 --depth 4 --hidden 128 --heads 2 --batch 64 \
    | /usr/bin/python3 -c "import json,sys; print(json.loads(sys.stdin.read())['train_samples_per_s'])"
}
ours_run() {  # prints "<1-worker samples/s> <2-worker samples/s>" for the DiT
  dotnet "$bench" throughput --steps "$steps" --threads 1 --workers 1,2 \
    | awk '/^DiT/ { for (i = 1; i <= NF; i++) if ($i == "samples/s") { printf "%s ", $(i-1) } } END { print "" }'
}

ratios1=(); ratios2=()
for ((r = 1; r <= rounds; r++)); do
  # Alternate which runs first, so drift in machine load hits both sides equally.
  if (( r % 2 )); then ref=$(reference_run); read -r one two <<<"$(ours_run)"; else read -r one two <<<"$(ours_run)"; ref=$(reference_run); fi
  q1=$(/usr/bin/python3 -c "print(round($one / $ref, 3))"); q2=$(/usr/bin/python3 -c "print(round($two / $ref, 3))")
  ratios1+=("$q1"); ratios2+=("$q2")
  echo "round $r: reference $ref samples/s; ours $one (1 worker) = ${q1}x, $two (2 workers) = ${q2}x"
done
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
echo "median ratio ours/reference over $rounds rounds: 1 worker $(median "${ratios1[@]}")x, 2 workers $(median "${ratios2[@]}")x"
