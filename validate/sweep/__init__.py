"""The sweep engine: a TOML spec expanded into runs, executed serially or on Dask, resumable."""
