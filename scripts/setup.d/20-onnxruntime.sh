# ONNX Runtime 1.30.0 shared library (CPU build), taken from the npm package
# onnxruntime-node because the NuGet mirror has no Microsoft.ML.OnnxRuntime.
# `npm pack` only downloads the tarball; `npm install` would run its postinstall,
# which tries to fetch CUDA provider archives and fails offline.
# A GPU build can be used instead by pointing MLNETSTEM_ORT_LIB at it.
# onnx.proto is vendored in src/Onnx/Proto, so the build itself needs no network.
ORT_VERSION=1.30.0
ORT_LIB="$NATIVE_DIR/lib/libonnxruntime.so.1"
if [[ ! -s "$ORT_LIB" ]]; then
  command -v npm >/dev/null || need_deb npm
  log "fetching onnxruntime-node@$ORT_VERSION (npm pack, ~113 MB) for libonnxruntime.so.1"
  ort_tmp="$(mktemp -d)"
  (
    cd "$ort_tmp"
    npm pack --silent "onnxruntime-node@$ORT_VERSION" >/dev/null
    tar xzf "onnxruntime-node-$ORT_VERSION.tgz" package/bin/napi-v6/linux/x64/libonnxruntime.so.1
    # Copy then rename so an interrupted run never leaves a truncated library behind.
    cp package/bin/napi-v6/linux/x64/libonnxruntime.so.1 "$ORT_LIB.partial"
    mv "$ORT_LIB.partial" "$ORT_LIB"
  )
  rm -rf "$ort_tmp"
  unset ort_tmp
fi
unset ORT_VERSION ORT_LIB
