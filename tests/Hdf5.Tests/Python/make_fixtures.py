"""Writes small .h5ad fixtures with the real anndata (0.8) plus expected.json describing them.

Usage: make_fixtures.py OUT_DIR. Everything is generated from a fixed seed; the C# tests read the
fixtures with H5adReader and compare against expected.json.
"""
import json
import os
import sys

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

out = sys.argv[1]
rng = np.random.default_rng(7)
n_obs, n_var = 7, 5
dense = rng.integers(0, 4, size=(n_obs, n_var)).astype(np.float32) * rng.random((n_obs, n_var), dtype=np.float32)
dense[dense < 0.5] = 0  # make it sparse-ish
obs_names = [f"spot_{i}" for i in range(n_obs)]
var_names = ["ERBB2", "ESR1", "Gène-α", "MKI67", "ACTB"]
obs = pd.DataFrame(
    {
        "region": pd.Categorical(["tumor", "stroma", None, "tumor", "immune", "stroma", "tumor"]),
        "grade": pd.Categorical(["low", "high", "mid", "low", "high", "mid", "low"], categories=["low", "mid", "high"], ordered=True),
        "in_tissue": [True, False, True, True, False, True, True],
        "n_counts": np.arange(n_obs, dtype=np.int64) * 10,
        "score": [0.5, 1.5, np.nan, -2.0, 3.25, 0.0, 1e-3],
        "barcode": [f"AAAC-{i}" for i in range(n_obs)],
        "n_genes": pd.array([3, None, 5, 6, None, 8, 9], dtype="Int64"),
        "qc_pass": pd.array([True, None, False, True, True, None, False], dtype="boolean"),
    },
    index=obs_names,
)
var = pd.DataFrame({"gene_ids": [f"ENSG{i:05d}" for i in range(n_var)], "highly_variable": [True, False, True, False, True]}, index=var_names)
spatial = np.column_stack([np.arange(n_obs) * 100.5, np.arange(n_obs) * -3.25 + 1000])
counts = sp.csr_matrix(np.round(dense * 3).astype(np.float32))


def make(x):
    a = ad.AnnData(X=x, obs=obs.copy(), var=var.copy())
    a.obsm["spatial"] = spatial
    a.layers["counts"] = counts
    a.uns["sample"] = "C2"
    a.uns["version"] = 3
    a.uns["scale"] = 0.25
    a.uns["genes_used"] = np.array(["ERBB2", "ACTB"], dtype=object)
    a.uns["spatial"] = {"C2": {"scalefactors": {"spot_diameter_fullres": 89.5, "tissue_hires_scalef": 0.15}, "ids": np.array([1, 2, 3])}}
    return a


make(dense).write_h5ad(os.path.join(out, "dense.h5ad"))
make(sp.csr_matrix(dense)).write_h5ad(os.path.join(out, "csr.h5ad"))
make(sp.csc_matrix(dense)).write_h5ad(os.path.join(out, "csc.h5ad"))
make(sp.csr_matrix(dense)).write_h5ad(os.path.join(out, "csr_gzip.h5ad"), compression="gzip")

# Frames without columns (anndata writes an empty float64 column-order) and an obsm dataframe.
bare = ad.AnnData(X=np.eye(3, dtype=np.float32))
bare.obsm["meta"] = pd.DataFrame({"a": [1, 2, 3]}, index=bare.obs_names)
bare.write_h5ad(os.path.join(out, "bare.h5ad"))

# Older writers used fixed-length byte strings; rewrite var's index and a column that way.
fixed = os.path.join(out, "fixed_strings.h5ad")
make(dense).write_h5ad(fixed)
with h5py.File(fixed, "r+") as f:
    for name in ["_index", "gene_ids"]:
        values = f["var"][name][...]
        attrs = dict(f["var"][name].attrs)
        del f["var"][name]
        ds = f["var"].create_dataset(name, data=np.array([v.encode() if isinstance(v, str) else v for v in values], dtype=h5py.string_dtype("utf-8", 12)))
        for k, v in attrs.items():
            ds.attrs[k] = v

# Error fixtures.
ad.AnnData(obs=obs.copy(), var=var.copy()).write_h5ad(os.path.join(out, "no_x.h5ad"))
mismatch = os.path.join(out, "shape_mismatch.h5ad")
make(dense).write_h5ad(mismatch)
with h5py.File(mismatch, "r+") as f:
    names = f["obs"]["_index"][...][:-1]
    del f["obs"]["_index"]
    f["obs"].create_dataset("_index", data=names, dtype=h5py.string_dtype())
    for col in list(f["obs"].keys()):
        if col != "_index":
            del f["obs"][col]
    f["obs"].attrs.create("column-order", [], dtype=h5py.string_dtype())
badenc = os.path.join(out, "bad_encoding.h5ad")
make(sp.csr_matrix(dense)).write_h5ad(badenc)
with h5py.File(badenc, "r+") as f:
    f["X"].attrs["encoding-type"] = "awkward-array"

expected = {
    "obs_names": obs_names,
    "var_names": var_names,
    "X": dense.astype(float).tolist(),
    "counts": counts.toarray().astype(float).tolist(),
    "region": [None if pd.isna(v) else v for v in obs["region"]],
    "region_categories": list(obs["region"].cat.categories),
    "grade_categories": list(obs["grade"].cat.categories),
    "grade": list(obs["grade"]),
    "in_tissue": list(map(bool, obs["in_tissue"])),
    "n_counts": [int(v) for v in obs["n_counts"]],
    "score": [None if np.isnan(v) else float(v) for v in obs["score"]],
    "barcode": list(obs["barcode"]),
    "n_genes": [None if pd.isna(v) else int(v) for v in obs["n_genes"]],
    "qc_pass": [None if pd.isna(v) else (1.0 if v else 0.0) for v in obs["qc_pass"]],
    "gene_ids": list(var["gene_ids"]),
    "highly_variable": list(map(bool, var["highly_variable"])),
    "spatial": spatial.tolist(),
}
with open(os.path.join(out, "expected.json"), "w", encoding="utf-8") as fh:
    json.dump(expected, fh, ensure_ascii=False)
print("OK", ad.__version__)
