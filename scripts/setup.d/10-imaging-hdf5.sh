# Native readers: libvips (JPEG/PNG/TIFF, links OpenSlide), OpenSlide, HDF5.
# libvips-tools gives `vips` for generating pyramidal test slides; python3-anndata/h5py
# are only for interoperability tests against the real anndata library.
need_deb libvips42 libopenslide0 libhdf5-103-1 libvips-tools python3-anndata python3-h5py
