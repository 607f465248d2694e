#!/usr/bin/env bash
# One place that installs everything MlNetStem needs, then builds it in Release.
# Idempotent: on a set-up machine it only checks and exits (well under 30 s).
# Steps live in scripts/setup.d/NN-name.sh (sourced in order) so the script grows by
# adding a file. Each step uses the helpers below and must be cheap when already done.
#
#   scripts/setup.sh            install missing pieces, build if sources changed
#   scripts/setup.sh --force    rebuild everything
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NATIVE_DIR="$ROOT/.native"          # third-party and shim libraries (git-ignored)
STAMP="$ROOT/.native/setup.stamp"
FORCE=0
[[ "${1:-}" == "--force" ]] && FORCE=1
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
mkdir -p "$NATIVE_DIR/lib"

log() { printf '[setup] %s\n' "$*" >&2; }

as_root() {
  if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi
}

APT_UPDATED=0
# need_deb PKG...: install the Debian packages that are not installed yet.
need_deb() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  if ((APT_UPDATED == 0)); then
    log "apt-get update"
    as_root apt-get update -qq
    APT_UPDATED=1
  fi
  log "installing ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

for step in "$ROOT"/scripts/setup.d/*.sh; do
  [[ -e "$step" ]] || continue
  # shellcheck source=/dev/null
  source "$step"
done

# Build only when a file the build reads or copies changed since the last good build: any file under src/, tests/,
# bench/ or samples/ (sources, projects, and files copied to the output such as tests' Python helpers), or a
# solution-level props/targets file. Build outputs (obj/, bin/) do not count.
changed() {
  [[ $FORCE -eq 1 || ! -f "$STAMP" ]] && return 0
  [[ -n "$(find "$ROOT/src" "$ROOT/tests" "$ROOT/bench" "$ROOT/samples" "$ROOT"/*.props "$ROOT"/*.targets "$ROOT"/*.sln \
      -newer "$STAMP" -type f -not -path '*/obj/*' -not -path '*/bin/*' -not -path '*/__pycache__/*' -print -quit 2>/dev/null)" ]]
}
if changed; then
  log "building MlNetStem.sln (Release)"
  dotnet build "$ROOT/MlNetStem.sln" -c Release -nologo -v q -clp:ErrorsOnly
  touch "$STAMP"
else
  log "up to date"
fi
