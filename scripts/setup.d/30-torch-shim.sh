# libtorch C shim (src/Torch/native) -> $NATIVE_DIR/lib/libmlnetstem_torch.so.
# OpenBLAS matters: without it Debian routes libtorch to reference BLAS (~20x slower).
# Rebuilt only when the .so is missing or older than a shim source, so re-runs are fast.
# Use another libtorch (e.g. a CUDA build) with MLNETSTEM_TORCH_DIR=/path/to/libtorch.
need_deb libtorch-dev libopenblas0-pthread cmake g++

torch_shim_build() {
  local src="$ROOT/src/Torch/native"
  local build="$ROOT/.native/build/torch-shim"
  local lib="$NATIVE_DIR/lib/libmlnetstem_torch.so"
  if [[ ${FORCE:-0} -eq 0 && -f "$lib" && -z "$(find "$src" -newer "$lib" -type f -print -quit)" ]]; then
    return 0
  fi
  log "building libtorch shim (about 30-60 s)"
  local args=(-S "$src" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$NATIVE_DIR")
  [[ -n "${MLNETSTEM_TORCH_DIR:-}" ]] && args+=(-DTorch_DIR="$MLNETSTEM_TORCH_DIR/share/cmake/Torch")
  cmake "${args[@]}" >/dev/null
  cmake --build "$build" -j2 >/dev/null
  cmake --install "$build" >/dev/null
  # The install keeps the build's timestamp; the freshness check above needs "now".
  touch "$lib"
}
torch_shim_build
