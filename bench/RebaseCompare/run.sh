#!/usr/bin/env bash
# Scoring speed of this checkout against the pre-rebase commit (before Microsoft.ML): trains a
# ridge and a Stem model with each build on HER2ST C2, then times `predict --input C3` for each
# trainer with each build, alternating old/new for N rounds, and prints the per-round times, the
# medians and the median ratio new/old. See README.md.
#
#   bench/RebaseCompare/run.sh [--rounds N] [--old REF] [--new REF] [--keep]
#     --rounds N   predict rounds per build and trainer (default 5)
#     --old REF    the old build's commit (default e2bc1e2, the last commit before the rebase)
#     --new REF    build a commit instead of this checkout's working tree (default: the working tree,
#                  uncommitted changes included)
#     --keep       keep the work folder (models, predictions, build/train/predict logs) and print its path
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
ROUNDS=5 OLD_REF=e2bc1e2 NEW_REF="" KEEP=0
while (($#)); do
  case "$1" in
    --rounds) ROUNDS="$2"; shift 2 ;;
    --old) OLD_REF="$2"; shift 2 ;;
    --new) NEW_REF="$2"; shift 2 ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
done
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
log() { printf '[rebase-compare] %s\n' "$*" >&2; }

WORK="$(mktemp -d /tmp/mlnetstem-rebase-compare.XXXXXX)"
WORKTREES=()
cleanup() {
  for tree in "${WORKTREES[@]}"; do git -C "$ROOT" worktree remove --force "$tree" >/dev/null 2>&1 || true; done
  git -C "$ROOT" worktree prune >/dev/null 2>&1 || true
  if ((KEEP)); then rm -rf "$WORK/old" "$WORK/new"; log "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Native libraries without scripts/setup.sh (which would fetch ONNX Runtime with npm): the old build's
# Onnx binding and both builds' Torch binding look for the nearest .native/lib above the CLI
# (libonnxruntime.so.1, libmlnetstem_torch.so), so each tree gets a copy of this checkout's .native.
# When that has no libonnxruntime.so.1, the one in the restored Microsoft.ML.OnnxRuntime package is used.
NUGET_ORT="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.onnxruntime/1.31.1/runtimes/linux-x64/native/libonnxruntime.so"
add_native() {
  local tree="$1"
  [[ -d "$ROOT/.native" ]] || { log "no .native folder in $ROOT: run scripts/setup.sh there once"; exit 1; }
  rm -rf "$tree/.native"
  cp -a "$ROOT/.native" "$tree/.native"
  if [[ ! -s "$tree/.native/lib/libonnxruntime.so.1" ]]; then
    [[ -s "$NUGET_ORT" ]] || { log "no libonnxruntime.so.1 in .native/lib and none at $NUGET_ORT"; exit 1; }
    mkdir -p "$tree/.native/lib"
    cp "$NUGET_ORT" "$tree/.native/lib/libonnxruntime.so.1"
  fi
}

worktree() {   # worktree DEST REF
  git -C "$ROOT" worktree add --detach "$1" "$2" >/dev/null 2>&1 || { log "cannot check out $2"; exit 1; }
  WORKTREES+=("$1")
}

OLD="$WORK/old" NEW="$WORK/new"
log "old: $(git -C "$ROOT" rev-parse --short "$OLD_REF") in a temporary worktree"
worktree "$OLD" "$OLD_REF"
if [[ -n "$NEW_REF" ]]; then
  log "new: $(git -C "$ROOT" rev-parse --short "$NEW_REF") in a temporary worktree"
  worktree "$NEW" "$NEW_REF"
else
  # A snapshot of the working tree (tracked and untracked, not ignored files), so that the build
  # neither disturbs nor is disturbed by builds in the checkout itself.
  log "new: this checkout's working tree ($(git -C "$ROOT" rev-parse --short HEAD) + uncommitted changes), copied"
  mkdir -p "$NEW"
  (cd "$ROOT" && git ls-files -z -co --exclude-standard | tar --null --ignore-failed-read -T - -cf - 2>/dev/null) \
    | tar -xf - -C "$NEW"
fi
add_native "$OLD"
add_native "$NEW"

# The old tree builds its whole solution, as its scripts/setup.sh would; the new one only the CLI
# and what it references (test projects of a checkout being edited need not compile for this).
log "building old: dotnet build MlNetStem.sln -c Release"
(cd "$OLD" && dotnet build MlNetStem.sln -c Release -nologo -v q -clp:ErrorsOnly) >"$WORK/build-old.log" 2>&1 \
  || { tail -30 "$WORK/build-old.log" >&2; log "old build failed"; exit 1; }
log "building new: dotnet build src/Host -c Release"
(cd "$NEW" && dotnet build src/Host -c Release -nologo -v q -clp:ErrorsOnly) >"$WORK/build-new.log" 2>&1 \
  || { tail -30 "$WORK/build-new.log" >&2; log "new build failed"; exit 1; }

cli() { local tree="$1"; shift; (cd "$tree" && dotnet src/Host/bin/Release/net10.0/mlnetstem.dll "$@"); }
TRAIN="$ROOT/data/her2st/C2" TEST="$ROOT/data/her2st/C3"
declare -A TRAIN_ARGS=([ridge]="--trainer ridge" [stem]="--trainer stem --genes 50")
TRAINERS=(ridge stem)

for build in old new; do
  tree="$WORK/$build"
  for t in "${TRAINERS[@]}"; do
    log "training $t with the $build build"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    cli "$tree" train --input "$TRAIN" --model "$WORK/$build-$t.zip" ${TRAIN_ARGS[$t]} >"$WORK/train-$build-$t.log" 2>&1 \
      || { tail -20 "$WORK/train-$build-$t.log" >&2; log "training failed"; exit 1; }
    end=$(date +%s.%N)
    printf '%s %s %.2f %s\n' "$build" "$t" "$(awk "BEGIN { print $end - $start }")" \
      "$(grep -o 'trained in [0-9.]* s' "$WORK/train-$build-$t.log" | head -1 | tr ' ' '_')" >>"$WORK/train.txt"
  done
done

predict() {   # predict BUILD TRAINER ROUND
  local tree="$WORK/$1" out="$WORK/pred-$1-$2-$3.csv" logf="$WORK/predict-$1-$2-$3.log" start end rate
  start=$(date +%s.%N)
  cli "$tree" predict --input "$TEST" --model "$WORK/$1-$2.zip" --output "$out" >"$logf" 2>&1 \
    || { tail -20 "$logf" >&2; log "predict failed ($1, $2)"; exit 1; }
  end=$(date +%s.%N)
  rate=$(grep -o '([0-9.]* spots/s)' "$logf" | tail -1 | tr -d '(' | cut -d' ' -f1)
  printf '%s %s %s %.3f %s\n' "$1" "$2" "$3" "$(awk "BEGIN { print $end - $start }")" "${rate:-nan}" >>"$WORK/predict.txt"
}
for ((r = 1; r <= ROUNDS; r++)); do
  for t in "${TRAINERS[@]}"; do
    if ((r % 2)); then predict old "$t" "$r"; predict new "$t" "$r"; else predict new "$t" "$r"; predict old "$t" "$r"; fi
  done
  log "round $r/$ROUNDS done (load average $(cut -d' ' -f1-3 /proc/loadavg))"
done

python3 - "$WORK" "$(git -C "$ROOT" rev-parse --short "$OLD_REF")" "${NEW_REF:-working tree}" "$ROUNDS" <<'EOF'
import csv, os, statistics, sys
work, old_ref, new_ref, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
med = statistics.median
print(f"old = {old_ref}, new = {new_ref}; train C2, predict C3; {rounds} rounds, old/new alternating "
      f"(old first in odd rounds); {os.cpu_count()} cores")
print("\ntraining (one run each, wall s of the process; 'trained in' as the CLI prints it)")
for line in open(os.path.join(work, "train.txt")):
    build, t, wall, said = line.split()
    print(f"  {t:<6} {build:<4} {float(wall):7.1f} s   ({said.replace('_', ' ')})")
rows = [l.split() for l in open(os.path.join(work, "predict.txt"))]
data = {(b, t, int(r)): (float(w), float(s)) for b, t, r, w, s in rows}
for t in dict.fromkeys(t for _, t, _, _, _ in rows):
    rs = sorted({int(r) for b, tt, r, _, _ in rows if tt == t})
    print(f"\npredict C3 with {t}: wall s of the process | spots/s the CLI prints")
    print(f"  {'round':>5}  {'old s':>7}  {'new s':>7}  {'new/old':>7}   {'old sp/s':>8}  {'new sp/s':>8}  {'new/old':>7}")
    wr, sr = [], []
    for r in rs:
        (ow, os_), (nw, ns) = data[("old", t, r)], data[("new", t, r)]
        wr.append(nw / ow); sr.append(ns / os_)
        print(f"  {r:>5}  {ow:7.2f}  {nw:7.2f}  {nw / ow:7.2f}   {os_:8.1f}  {ns:8.1f}  {ns / os_:7.2f}")
    ow = med(data[("old", t, r)][0] for r in rs); nw = med(data[("new", t, r)][0] for r in rs)
    os_ = med(data[("old", t, r)][1] for r in rs); ns = med(data[("new", t, r)][1] for r in rs)
    print(f"  {'median':>6} {ow:7.2f}  {nw:7.2f}  {med(wr):7.2f}   {os_:8.1f}  {ns:8.1f}  {med(sr):7.2f}")
    print(f"  median ratio new/old ({t}): wall time {med(wr):.2f}× (ratio of medians {nw / ow:.2f}×), "
          f"spots/s {med(sr):.2f}× (ratio of medians {ns / os_:.2f}×)")
    # Do the two builds' models predict alike? (same data and seed; the rebase is not meant to change results)
    def read(build):
        with open(os.path.join(work, f"pred-{build}-{t}-{rs[0]}.csv")) as f:
            reader = csv.reader(f); header = next(reader)
            return header, {row[0]: row for row in reader}
    (oh, o), (nh, n) = read("old"), read("new")
    if oh == nh and o.keys() == n.keys():
        cols = [i for i, h in enumerate(oh) if h not in ("Barcode", "PixelX", "PixelY")]
        diff = max(abs(float(o[k][i]) - float(n[k][i])) for k in o for i in cols)
        print(f"  predictions old vs new ({len(o)} spots × {len(cols)} genes): max |Δ| {diff:.3g}")
    else:
        print(f"  predictions old vs new: different columns or spots ({len(oh)} vs {len(nh)} columns, {len(o)} vs {len(n)} spots)")
EOF
