"""Inference on Dask arrays: a Dask array in, a Dask array out, computed block by block.

The fitted estimator enters the task graph once, as one key that every block's
task reads, so a cluster ships it to each worker once; each block is an
in-memory array there, scored by the ordinary method. Nothing is computed
until the caller asks for it.
"""

import functools
import uuid

import numpy as np


def is_dask_array(X):
    kind = type(X)
    return kind.__module__.split(".")[0] == "dask" and kind.__name__ == "Array"


def is_dask_frame(X):
    kind = type(X)
    return kind.__module__.split(".")[0] in ("dask", "dask_expr") and kind.__name__ == "DataFrame"


def _apply(block, model, method):
    return getattr(model, method)(block)


def lazy_on_dask(method):
    """Decorate an inference method ``method(self, X)`` so that a 2-D Dask array
    ``X`` gives a Dask array of its results, one block per row block of ``X``,
    and a Dask DataFrame one result per partition (``partitionwise``)."""

    @functools.wraps(method)
    def wrapper(self, X, *args, **kwargs):
        if args or kwargs:
            return method(self, X, *args, **kwargs)
        if is_dask_array(X):
            return blockwise(self, method.__name__, X)
        if is_dask_frame(X):
            return partitionwise(self, method.__name__, X)
        return method(self, X)

    return wrapper


def blockwise(estimator, name, X):
    """``estimator.name`` over the row blocks of the Dask array ``X``, lazily."""
    import dask.array as da

    if X.ndim != 2:
        raise ValueError(
            f"{type(estimator).__name__}.{name} reads a 2-D Dask array, got {X.ndim} "
            "dimension(s); reshape it to (n_samples, n_features)."
        )
    if any(np.isnan(n) for n in X.chunks[0]):
        raise ValueError(
            "The Dask array has chunks of unknown size; call X.compute_chunk_sizes() first."
        )
    X = X.rechunk({1: -1})  # whole rows in each block
    dtype = X.dtype if X.dtype.kind == "f" else np.float64
    # Two rows of zeros through the method give the result's dtype and width
    # (and its errors: unfitted, wrong width) before any block is computed.
    probe = np.asarray(getattr(estimator, name)(np.zeros((2, X.shape[1]), dtype)))
    model = _model_key(estimator)
    meta = np.empty((0,) * probe.ndim, probe.dtype)  # dask need not call the method on it
    if probe.ndim == 1:
        return da.map_blocks(_apply, X, model, name, meta=meta, drop_axis=1, chunks=(X.chunks[0],))
    return da.map_blocks(_apply, X, model, name, meta=meta, chunks=(X.chunks[0], (probe.shape[1],)))


def _model_key(estimator):
    import dask

    return dask.delayed(estimator, name=f"{type(estimator).__name__}-{uuid.uuid4().hex}")


def partitionwise(estimator, name, X):
    """``estimator.name`` over the partitions of the Dask DataFrame ``X``, lazily: a
    Dask DataFrame where the method returns one (a mixed table's reconstruction),
    else a Dask array (rows per block unknown until computed, as Dask gives them)."""
    # The first two rows through the method give the result's kind, columns and
    # dtypes (and its errors) before any partition is computed.
    probe = getattr(estimator, name)(X.head(2, npartitions=-1))
    meta = probe.iloc[:0] if hasattr(probe, "iloc") else np.empty((0,) * probe.ndim, probe.dtype)
    return X.map_partitions(_apply, _model_key(estimator), name, meta=meta)
