"""Fixtures and checks for FormatTests, made with the real anndata/h5py (run with /usr/bin/python3).

  h5ad SPEC.json OUT.h5ad   write an AnnData file from a JSON spec (see FormatTests.WriteH5ad)
  patches SPEC.json OUT.h5  write a HEST-style patch file (img, coords, barcode as fixed-length bytes)
  tenx SPEC.json OUT.h5     write a Space Ranger filtered_feature_bc_matrix.h5 (fixed-length strings, as 10x does)
  check FILE.h5ad           print a JSON summary of a file as anndata reads it
"""
import json
import sys

import numpy as np


def write_h5ad(spec_path, out):
    import anndata
    import pandas as pd
    import scipy.sparse as sp

    spec = json.load(open(spec_path))
    x = np.array(spec["X"], dtype=np.float32)
    obs = pd.DataFrame(index=pd.Index(spec["obs_names"]))
    for name, values in spec.get("obs", {}).items():
        obs[name] = values
    var = pd.DataFrame(index=pd.Index(spec["var_names"]))
    ad = anndata.AnnData(X=sp.csr_matrix(x) if spec.get("sparse", True) else x, obs=obs, var=var)
    spatial = np.array([[np.nan if v is None else v for v in row] for row in spec["spatial"]], dtype=np.float64)
    ad.obsm["spatial"] = spatial
    if "spot_diameter_fullres" in spec:
        ad.uns["spatial"] = {"lib": {"scalefactors": {"spot_diameter_fullres": spec["spot_diameter_fullres"]}}}
    ad.write_h5ad(out)


def write_patches(spec_path, out):
    import h5py

    spec = json.load(open(spec_path))
    n, h, w = len(spec["barcodes"]), spec["height"], spec["width"]
    i, y, x, c = np.meshgrid(np.arange(n), np.arange(h), np.arange(w), np.arange(3), indexing="ij")
    img = ((i * 7 + y * 3 + x * 5 + c * 11) % 256).astype(np.uint8)
    with h5py.File(out, "w") as f:
        f.create_dataset("img", data=img)
        f.create_dataset("coords", data=np.array(spec["coords"], dtype=np.int64))
        f.create_dataset("barcode", data=np.array([[b.encode()] for b in spec["barcodes"]]))


def plain(v):
    if isinstance(v, (str, int, float)):
        return v
    if np.ndim(v) == 0 and hasattr(v, "item"):
        return v.item()
    return str(v)


def write_tenx(spec_path, out):
    import h5py

    spec = json.load(open(spec_path))
    fixed = lambda values: np.array([v.encode() for v in values], dtype=f"S{max(len(v) for v in values)}")
    with h5py.File(out, "w") as f:
        m = f.create_group("matrix")
        m.create_dataset("barcodes", data=fixed(spec["barcodes"]))
        m.create_dataset("data", data=np.array(spec["data"], dtype=np.int32), compression="gzip")
        m.create_dataset("indices", data=np.array(spec["indices"], dtype=np.int64), compression="gzip")
        m.create_dataset("indptr", data=np.array(spec["indptr"], dtype=np.int64))
        m.create_dataset("shape", data=np.array([len(spec["names"]), len(spec["barcodes"])], dtype=np.int32))
        feats = m.create_group("features")
        feats.create_dataset("name", data=fixed(spec["names"]))
        feats.create_dataset("id", data=fixed(spec["ids"]))
        feats.create_dataset("feature_type", data=fixed(spec["types"]))
        feats.create_dataset("genome", data=fixed(["GRCh38"] * len(spec["names"])))
        feats.create_dataset("_all_tag_keys", data=np.array([b"genome"]))


def check(path):
    import anndata

    ad = anndata.read_h5ad(path)
    x = ad.X.toarray() if hasattr(ad.X, "toarray") else np.asarray(ad.X)
    print(json.dumps({
        "shape": list(ad.shape),
        "obs_names": list(map(str, ad.obs_names)),
        "var_names": list(map(str, ad.var_names)),
        "obs_columns": list(map(str, ad.obs.columns)),
        "spatial": np.asarray(ad.obsm["spatial"]).tolist() if "spatial" in ad.obsm else None,
        "layers": sorted(ad.layers.keys()),
        "uns": {k: plain(v) for k, v in ad.uns.get("mlnetstem", {}).items()},
        "x_first_row": x[0].tolist(),
        "x_finite": bool(np.isfinite(x).all()),
        "array_row": ad.obs["array_row"].tolist() if "array_row" in ad.obs else None,
    }))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "h5ad":
        write_h5ad(sys.argv[2], sys.argv[3])
    elif cmd == "patches":
        write_patches(sys.argv[2], sys.argv[3])
    elif cmd == "tenx":
        write_tenx(sys.argv[2], sys.argv[3])
    elif cmd == "check":
        check(sys.argv[2])
    else:
        sys.exit(f"unknown command {cmd}")
