#!/usr/bin/env bash
# MapBench: `mlnetstem map` over a whole slide — tiles/s and peak memory (VmHWM of the CLI process).
# Builds a 40960×40960 px pyramidal TIFF (0.5 µm/px, 20.5 mm square) from a 2048² tissue crop of the bundled C3
# (replicated 20×20 by libvips, streamed, never whole in memory), trains ridge on C2 (morphology, 50 genes), then maps
# the slide at --stride-um (default 60 µm: about 110k tiles of 112 µm patches).
#
#   bench/MapBench/run.sh [STRIDE_UM] [WORK_DIR]       (the slide is kept in WORK_DIR for reruns; ~700 MB)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STRIDE="${1:-60}"
WORK="${2:-/tmp/mapbench}"
CLI="dotnet $ROOT/src/Host/bin/Release/net10.0/mlnetstem.dll"
"$ROOT/scripts/setup.sh" >&2
mkdir -p "$WORK"
if [[ ! -f "$WORK/slide.tif" ]]; then
  # C3's tissue lies around (5000, 4500) of its 9270×9936 JPEG (0.686 µm/px); the crop is used as if at 0.5 µm/px.
  vips crop "$ROOT/data/her2st/C3/he.jpg" "$WORK/tile.png" 3800 3500 2048 2048
  vips replicate "$WORK/tile.png" "$WORK/slide.tif[tile,pyramid,compression=jpeg,Q=80,tile-width=256,tile-height=256,xres=2000,yres=2000]" 20 20
fi
if [[ ! -f "$WORK/ridge.zip" ]]; then
  $CLI train --input "$ROOT/data/her2st/C2" --model "$WORK/ridge.zip" --genes 50 >&2
fi
echo "cores: $(nproc), load average: $(cut -d' ' -f1 /proc/loadavg)"
/usr/bin/time -f "wall %e s, peak RSS (VmHWM) %M KB" \
  $CLI map --input "$WORK/slide.tif" --model "$WORK/ridge.zip" --output "$WORK/map.h5ad" --stride-um "$STRIDE" --map-genes ERBB2 2>&1 \
  | grep -v '^predicting tiles: ' || true
