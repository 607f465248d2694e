# ML.NET's pretrained ImageNet ResNet18 (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18, MIT) for --featurizer resnet18:
# ResNet18.onnx, ResNetPreprocess.onnx and the package's LICENSE -> $NATIVE_DIR/models/resnet18.
# NuGet is needed here, once; at run time the model is read from that folder. A no-op when the files are there.
resnet18_install() {
  local version=0.23.1
  local dest="$NATIVE_DIR/models/resnet18"
  if [[ ${FORCE:-0} -eq 0 && -f "$dest/ResNet18.onnx" && -f "$dest/ResNetPreprocess.onnx" ]]; then
    return 0
  fi
  local packages
  packages="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')"
  local pkg="${packages%/}/microsoft.ml.dnnimagefeaturizer.resnet18/$version"
  if [[ ! -f "$pkg/tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx" ]]; then
    log "restoring Microsoft.ML.DnnImageFeaturizer.ResNet18 $version from NuGet (about 60 MB)"
    dotnet restore "$ROOT/scripts/resnet18/restore.csproj" -p:ResNet18Version="$version" -nologo -v q >&2
  fi
  local file
  for file in ResNet18Onnx/ResNet18.onnx ResNetPrepOnnx/ResNetPreprocess.onnx; do
    if [[ ! -f "$pkg/tools/DnnImageModels/$file" ]]; then
      log "package Microsoft.ML.DnnImageFeaturizer.ResNet18 $version has no tools/DnnImageModels/$file under $pkg"
      return 1
    fi
  done
  log "installing ResNet18 into $dest"
  mkdir -p "$dest"
  # Copy then rename, so an interrupted copy never leaves a truncated model that the check above would accept.
  for file in ResNet18Onnx/ResNet18.onnx ResNetPrepOnnx/ResNetPreprocess.onnx; do
    cp "$pkg/tools/DnnImageModels/$file" "$dest/.$(basename "$file").tmp"
    mv -f "$dest/.$(basename "$file").tmp" "$dest/$(basename "$file")"
  done
  cp "$pkg/LICENSE" "$dest/LICENSE"
}
resnet18_install
