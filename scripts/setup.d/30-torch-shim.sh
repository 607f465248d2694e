# libtorch C shim (src/Torch/native) -> $NATIVE_DIR/lib/libmlnetstem_torch.so.
# OpenBLAS matters: without it Debian routes libtorch to reference BLAS (~20x slower).
# Rebuilt only when the .so is missing or older than a shim source, so re-runs are fast.
# Use another libtorch (e.g. a CUDA build): MLNETSTEM_TORCH_DIR=/path/to/libtorch scripts/setup.sh --force
need_deb libtorch-dev libopenblas0-pthread cmake g++

torch_shim_build() {
  local src="$ROOT/src/Torch/native"
  # A separate build tree per libtorch, so a custom Torch_DIR never sticks in the default cache.
  local build="$ROOT/.native/build/torch-shim${MLNETSTEM_TORCH_DIR:+-custom}"
  local lib="$NATIVE_DIR/lib/libmlnetstem_torch.so"
  if [[ ${FORCE:-0} -eq 0 && -f "$lib" && -z "$(find "$src" -newer "$lib" -type f -print -quit)" ]]; then
    return 0
  fi
  log "building libtorch shim (about 30-60 s)"
  local args=(-S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$NATIVE_DIR")
  if [[ -n "${MLNETSTEM_TORCH_DIR:-}" ]]; then
    # CMake would silently fall back to the system libtorch; refuse instead.
    if [[ ! -f "$MLNETSTEM_TORCH_DIR/share/cmake/Torch/TorchConfig.cmake" ]]; then
      log "MLNETSTEM_TORCH_DIR=$MLNETSTEM_TORCH_DIR has no share/cmake/Torch/TorchConfig.cmake"
      return 1
    fi
    args+=(-DTorch_DIR="$MLNETSTEM_TORCH_DIR/share/cmake/Torch")
  fi
  mkdir -p "$build"
  local logfile="$build/setup.log"
  if ! { cmake "${args[@]}" && cmake --build "$build" -j2 && cmake --install "$build"; } >"$logfile" 2>&1; then
    tail -n 40 "$logfile" >&2
    log "libtorch shim build failed (full log: $logfile)"
    return 1
  fi
  # The install keeps the build's timestamp; the freshness check above needs "now".
  touch "$lib"
}
torch_shim_build
