"""Opens an .h5ad written by MlNetStem with the real anndata and compares it with expected.json.

Usage: check_written.py FILE.h5ad EXPECTED.json. Prints OK and exits 0 when everything matches;
otherwise an AssertionError (exit code 1) says what differs.
"""
import json
import sys

import anndata as ad
import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

path, expected_path = sys.argv[1], sys.argv[2]
with open(expected_path, encoding="utf-8") as fh:
    e = json.load(fh)

# Every element anndata 0.8 reads by spec must carry encoding attributes (sparse parts excepted).
with h5py.File(path, "r") as f:
    assert f.attrs["encoding-type"] == "anndata", dict(f.attrs)
    missing = []

    def visit(name, obj):
        parent = obj.parent
        if parent.attrs.get("encoding-type") in ("csr_matrix", "csc_matrix"):
            return
        if "encoding-type" not in obj.attrs or "encoding-version" not in obj.attrs:
            missing.append(name)

    f.visititems(visit)
    assert not missing, f"elements without encoding attributes: {missing}"

a = ad.read_h5ad(path)
assert a.shape == tuple(e["shape"]), (a.shape, e["shape"])
assert list(a.obs_names) == e["obs_names"], list(a.obs_names)
assert list(a.var_names) == e["var_names"], list(a.var_names)
assert sp.issparse(a.X) == e["x_sparse"], type(a.X)
if e["x_sparse"]:
    assert a.X.format == "csr", a.X.format
x = a.X.toarray() if sp.issparse(a.X) else np.asarray(a.X)
assert x.dtype == np.float32, x.dtype
np.testing.assert_array_equal(x, np.array(e["X"], dtype=np.float32))

assert list(a.obs.columns) == e["obs_columns"], list(a.obs.columns)
region = a.obs["region"]
assert isinstance(region.dtype, pd.CategoricalDtype), region.dtype
assert list(region.cat.categories) == e["region_categories"], list(region.cat.categories)
assert [None if pd.isna(v) else v for v in region] == e["region"], list(region)
assert bool(a.obs["grade"].cat.ordered) is True
assert a.obs["in_tissue"].dtype == bool, a.obs["in_tissue"].dtype
assert list(a.obs["in_tissue"]) == e["in_tissue"]
assert a.obs["n_counts"].dtype == np.int64, a.obs["n_counts"].dtype
assert list(a.obs["n_counts"]) == e["n_counts"]
np.testing.assert_array_equal(a.obs["score"].to_numpy(), np.array([np.nan if v is None else v for v in e["score"]]))
assert list(a.obs["barcode"]) == e["barcode"], list(a.obs["barcode"])
n_genes = a.obs["n_genes"]
assert str(n_genes.dtype) == "Int64", n_genes.dtype
assert [None if pd.isna(v) else int(v) for v in n_genes] == e["n_genes"], list(n_genes)
assert list(a.var["gene_ids"]) == e["gene_ids"]

np.testing.assert_array_equal(a.obsm["spatial"], np.array(e["spatial"]))
assert a.obsm["spatial"].shape == (a.n_obs, 2)
counts = a.layers["counts"]
counts = counts.toarray() if sp.issparse(counts) else counts
np.testing.assert_array_equal(counts, np.array(e["counts"], dtype=np.float32))

u = a.uns
assert u["model"] == "stem-small", u["model"]
assert u["draws"] == 20 and isinstance(u["draws"], (int, np.integer)), repr(u["draws"])
assert u["lr"] == 1e-4
assert bool(u["ema"]) is True
assert list(u["genes"]) == e["var_names"]
np.testing.assert_array_equal(u["pearson"], np.array(e["pearson"]))
assert u["spatial"]["C2"]["scalefactors"]["spot_diameter_fullres"] == 89.5
print("OK", a.shape)
