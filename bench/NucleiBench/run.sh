#!/usr/bin/env bash
# NucleiBench: `mlnetstem nuclei` on the bundled C3 — nuclei per section and per spot, detection speed, peak RSS — inside the
# spots and over the whole tissue; writes the overlay crop used as docs/nuclei-c3.png.
#
#   bench/NucleiBench/run.sh [WORK_DIR=/tmp/nucleibench]     (build first: dotnet build MlNetStem.sln -c Release)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
WORK="${1:-/tmp/nucleibench}"
CLI="dotnet $ROOT/src/Host/bin/Release/net10.0/mlnetstem.dll"
mkdir -p "$WORK"
echo "cores: $(nproc), load average: $(cut -d' ' -f1 /proc/loadavg)"
for mode in spots whole; do
  extra=(); [[ $mode == whole ]] && extra=(--whole-tissue)
  /usr/bin/time -f "wall %e s, peak RSS (VmHWM) %M KB" \
    $CLI nuclei --input "$ROOT/data/her2st/C3" --output "$WORK/c3-$mode.h5ad" --overlay "$WORK/c3-$mode.png" "${extra[@]}" 2>&1 \
    | grep -v '^detecting nuclei' || true
done
# docs/nuclei-c3.png: a 512 px crop of the whole-tissue overlay (1024 px around the spot with most nuclei).
vips crop "$WORK/c3-whole.png" "$WORK/nuclei-c3.png" 256 256 512 512
echo "overlay crop: $WORK/nuclei-c3.png"
