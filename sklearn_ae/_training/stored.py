"""Training data larger than memory: rows read from a store, block by block.

A store is a 2-D array that lives outside this process's memory: a numpy
memory map (``np.load(path, mmap_mode="r")``), a zarr array, an HDF5 dataset
(h5py) or a Dask array. One whose float32 size exceeds the memory budget
(scikit-learn's ``working_memory``, 1024 MiB unless set) is never loaded
whole: ``fit`` scans it once for the column means and ranges, then trains on
buffers of randomly chosen contiguous blocks, shuffled within the buffer. The
reader holds a buffer and its shuffled copy (a quarter of the budget).
"""

import math

import numpy as np
import sklearn
import torch

from .._utils.validation import check_missing, column_fill_values, seed_sequence

# A buffer is an eighth of the budget: the network trains on its shuffled
# copy, and the scan's temporaries (a few copies of half a buffer) fit too;
# the rest is left to the model, the batches and whatever else the process holds.
_BUFFER_SHARE = 8
# Blocks per buffer: the rows of one buffer come from this many random places.
_BLOCKS_PER_BUFFER = 64

_STORE_TYPES = {("zarr", "Array"), ("h5py", "Dataset"), ("dask", "Array")}


def memory_budget():
    """Bytes of rows held at once when reading a store: ``working_memory`` MiB."""
    return int(sklearn.get_config()["working_memory"] * 2**20)


def is_store(X):
    """Whether ``X`` is a memory map, a zarr array, an HDF5 dataset or a Dask array."""
    if isinstance(X, np.memmap):
        return True
    kind = type(X)
    return (kind.__module__.split(".")[0], kind.__name__) in _STORE_TYPES


def streams(X):
    """Whether ``fit`` reads ``X`` block by block: a 2-D store whose float32 size
    exceeds the memory budget (a smaller one is read at once, as an array), or
    the ``StoredRows`` a meta-estimator passes its networks."""
    if isinstance(X, StoredRows):
        return True
    if not is_store(X) or len(getattr(X, "shape", ())) != 2:
        return False
    return 4 * math.prod(X.shape) > memory_budget()


def _is_dask(X):
    return type(X).__module__.split(".")[0] == "dask"


def check_store(estimator, X, reset):
    """Check ``X``'s dtype and width for ``estimator`` (on ``reset``, record its width
    as ``n_features_in_``); raise ValueError naming the fix."""
    name = type(estimator).__name__
    if np.dtype(X.dtype).kind not in "fiub":
        raise ValueError(
            f"{name} reads a store of {X.dtype} values; it needs numbers (a float array, "
            "ideally float32). Encode the columns as numbers when writing the store."
        )
    if any(isinstance(n, float) and math.isnan(n) for n in X.shape):
        raise ValueError(
            "The Dask array has chunks of unknown size; call X.compute_chunk_sizes() first."
        )
    if getattr(estimator, "categorical_features", "from_dtype") not in ("from_dtype", None):
        raise ValueError(
            f"categorical_features={estimator.categorical_features!r} with a store of "
            f"{X.shape[0]} rows: a store is read as numbers only; one-hot encode its "
            "categorical columns, or pass a DataFrame that fits in memory."
        )
    if reset:
        estimator.__dict__.pop("feature_names_in_", None)
        estimator.n_features_in_ = X.shape[1]
    elif X.shape[1] != estimator.n_features_in_:
        raise ValueError(
            f"X has {X.shape[1]} features, but {name} is expecting "
            f"{estimator.n_features_in_} features as input."
        )


class StoredRows:
    """Rows of a store, or a subset of them (``spans``: sorted (start, stop) pairs),
    read on demand as float32.

    ``X[a:b]`` is a tensor on ``device`` (what ``validation_metrics`` slices);
    ``read(a, b)`` and ``take(rows)`` give numpy arrays. ``affine`` (shift,
    scale) and ``clip`` (low, high), when set, transform every value read.
    The scan (``scan``) sets ``means``, ``counts``, ``low``, ``high`` and
    ``has_missing``.
    """

    def __init__(self, source, spans=None, device="cpu"):
        self.source = source
        self.device = device
        spans = np.asarray([(0, source.shape[0])] if spans is None else spans, dtype=np.int64)
        self.spans = spans.reshape(-1, 2)
        self.offsets = np.concatenate([[0], np.cumsum(self.spans[:, 1] - self.spans[:, 0])])
        self.clip = self.affine = None

    @property
    def shape(self):
        return (int(self.offsets[-1]), self.source.shape[1])

    @property
    def dtype(self):
        """The store's precision where it is a float one (what inference then
        returns), else float32; rows are read as float32 (what training uses)."""
        dtype = np.dtype(self.source.dtype)
        return dtype if dtype in (np.float32, np.float64) else np.dtype(np.float32)

    def __len__(self):
        return self.shape[0]

    def subset(self, spans):
        """Rows ``spans`` of this subset, as a ``StoredRows`` over the same source."""
        source_spans = []
        for start, stop in spans:
            for a, b in self._pieces(start, stop):
                source_spans.append((a, b))
        rows = StoredRows(self.source, source_spans, self.device)
        rows.__dict__.update({k: v for k, v in self.__dict__.items() if k not in _OWN})
        return rows

    def _pieces(self, start, stop):
        """The source's (start, stop) ranges behind rows [start, stop) of the subset."""
        first = np.searchsorted(self.offsets, start, side="right") - 1
        while start < stop:
            span_start, span_stop = self.spans[first]
            a = span_start + start - self.offsets[first]
            b = min(span_stop, span_start + stop - self.offsets[first])
            yield int(a), int(b)
            start += b - a
            first += 1

    def _finish(self, block):
        """``block`` as float32, shifted and scaled (``affine``), then clipped."""
        block = np.asarray(block, dtype=np.float32)
        if not block.flags.writeable:
            block = block.copy()
        if self.affine is not None:
            shift, scale = self.affine
            block -= shift
            block /= scale
        if self.clip is not None:
            np.clip(block, *self.clip, out=block)
        return block

    def scaled(self, shift, scale):
        """These rows as ``(x - shift) / scale`` (``scale`` positive), their scanned
        statistics mapped alike: what a meta-estimator's networks read."""
        rows = self.subset([(0, len(self))])
        shift = np.asarray(shift, np.float32)
        scale = np.asarray(scale, np.float32)
        rows.affine = (shift, scale)
        rows.means = (self.means - shift) / scale
        rows.low, rows.high = (self.low - shift) / scale, (self.high - shift) / scale
        return rows

    def read_into(self, out, start, stop):
        """Write rows [start, stop) into ``out`` (float32, ``stop - start`` rows)."""
        at = 0
        for a, b in self._pieces(start, stop):
            piece = self.source[a:b]
            out[at : at + b - a] = piece.compute() if _is_dask(piece) else piece
            at += b - a
        return self._finish(out)

    def read(self, start, stop):
        """Rows [start, stop) of the subset, as a float32 array."""
        stop = min(stop, len(self))
        return self.read_into(np.empty((stop - start, self.shape[1]), np.float32), start, stop)

    def take(self, rows):
        """The subset's rows ``rows`` (sorted, unique), as a float32 array."""
        rows = np.asarray(rows, dtype=np.int64)
        which = np.searchsorted(self.offsets, rows, side="right") - 1
        index = self.spans[which, 0] + rows - self.offsets[which]
        source = self.source
        if type(source).__module__.split(".")[0] == "zarr":
            return self._finish(source.get_orthogonal_selection((index, slice(None))))
        picked = source[index]
        return self._finish(picked.compute() if _is_dask(picked) else picked)

    def __getitem__(self, index):
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise TypeError("StoredRows is sliced by contiguous rows; use take() for others.")
        start, stop, _ = index.indices(len(self))
        return torch.from_numpy(self.read(start, stop)).to(self.device)

    def extremes(self):
        """The scanned per-column minimum and maximum as a (2, n_features) array."""
        return np.vstack([self.low, self.high])


# What a subset does not inherit from the rows it is cut from.
_OWN = {"source", "spans", "offsets"}


def buffer_rows(n_features):
    """Rows in one training buffer."""
    return max(1, memory_budget() // _BUFFER_SHARE // (4 * max(n_features, 1)))


def scan(rows, previous=None):
    """One pass over ``rows``: per-column means and counts of the observed entries
    (running, combined with ``previous``), minimum and maximum, and whether any
    entry is missing; stored on ``rows``. Raises for infinite values and for rows
    or columns with nothing observed, as the in-memory checks do."""
    n_features = rows.shape[1]
    low = np.full(n_features, np.inf)
    high = np.full(n_features, -np.inf)
    has_missing = False
    step = max(1, buffer_rows(n_features) // 2)  # with its masks and copies, about a buffer
    for start in range(0, len(rows), step):
        block = rows.read(start, start + step)
        if np.isinf(block).any():
            row = start + int(np.flatnonzero(np.isinf(block).any(axis=1))[0])
            raise ValueError(
                f"Input X contains infinity (row {row} of the store); replace it with a "
                "finite value, or with NaN to mark the entry missing."
            )
        missing = np.isnan(block)
        if missing.any():
            has_missing = True
            try:
                check_missing(block)
            except ValueError as error:
                raise ValueError(f"In rows {start} to {start + len(block)}: {error}") from None
        previous = column_fill_values(block, allow_empty=True, previous=previous)
        low = np.fmin(low, np.nanmin(np.where(missing, np.inf, block), axis=0))
        high = np.fmax(high, np.nanmax(np.where(missing, -np.inf, block), axis=0))
    means, counts = previous
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        raise ValueError(
            f"Column(s) {empty[:10].tolist()} of X have no observed value (all NaN); "
            "drop them, or impute them first."
        )
    rows.means, rows.counts, rows.low, rows.high = means, counts, low, high
    rows.has_missing = has_missing
    return rows


def split_blocks(rows, fraction, seed):
    """Training and validation rows of ``rows``: ``fraction`` of its rows held out as
    randomly chosen contiguous blocks, so that neither part is ever loaded whole."""
    n = len(rows)
    n_valid = int(np.ceil(fraction * n))
    block = max(1, buffer_rows(rows.shape[1]) // _BLOCKS_PER_BUFFER)
    starts = np.arange(0, n, block)
    held, total = [], 0
    for start in np.random.default_rng(seed).permutation(starts):
        stop = min(int(start) + block, n, int(start) + n_valid - total)
        held.append((int(start), stop))
        total += stop - start
        if total >= n_valid:
            break
    held.sort()
    kept, at = [], 0
    for start, stop in held:
        if at < start:
            kept.append((at, start))
        at = stop
    if at < n:
        kept.append((at, n))
    return rows.subset(kept), rows.subset(held)


class BlockLoader:
    """Shuffled training batches from ``StoredRows`` (skorch's ``iterator_train``).

    An epoch visits the rows' contiguous blocks in a random order; the blocks of
    one buffer (an eighth of the memory budget, from ``_BLOCKS_PER_BUFFER``
    places in the data) are read, their rows shuffled together, and cut into
    batches. Rows left over at a buffer's end open the next one, so every batch
    but the epoch's last is full. Without ``shuffle``, rows come in order.
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None, num_shards=1, shard=0):
        if num_shards != 1:
            raise ValueError(
                "Data-parallel training (accelerator) reads in-memory data only; load the "
                "store, or train without an accelerator."
            )
        self.rows = dataset.X
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return math.ceil(len(self.rows) / self.batch_size)

    def _groups(self):
        """The epoch's buffers, as lists of (start, stop) blocks in file order."""
        rows = self.rows
        per_buffer = buffer_rows(rows.shape[1])
        block = max(1, per_buffer // _BLOCKS_PER_BUFFER)
        starts = torch.arange(0, len(rows), block)
        if self.shuffle:
            starts = starts[torch.randperm(len(starts), generator=self.generator)]
        per_group = max(1, per_buffer // block)
        for first in range(0, len(starts), per_group):
            group = sorted(starts[first : first + per_group].tolist())
            yield [(start, min(start + block, len(rows))) for start in group]

    def __iter__(self):
        rows, size = self.rows, self.batch_size
        leftover = np.empty((0, rows.shape[1]), np.float32)
        for group in self._groups():
            # One allocation a buffer: last buffer's leftover rows, then the blocks.
            buffer = np.empty(
                (len(leftover) + sum(b - a for a, b in group), rows.shape[1]), np.float32
            )
            buffer[: len(leftover)] = leftover
            at = len(leftover)
            for start, stop in group:
                rows.read_into(buffer[at : at + stop - start], start, stop)
                at += stop - start
            buffer = torch.from_numpy(buffer)
            if self.shuffle:
                buffer = buffer[torch.randperm(len(buffer), generator=self.generator)]
            full = len(buffer) // size * size
            for start in range(0, full, size):
                batch = buffer[start : start + size].to(rows.device)
                yield batch, batch
            leftover = buffer[full:].numpy()
            del buffer
        if len(leftover):
            batch = torch.from_numpy(leftover).to(rows.device)
            yield batch, batch


def sampled(X, rows):
    """Rows ``rows`` (sorted, unique) of ``X``: an array, or ``StoredRows``."""
    return X.take(rows) if isinstance(X, StoredRows) else X[rows]


def running_means(rows, previous=None):
    """The scanned column means of ``rows`` combined with ``previous`` (means,
    counts) of earlier data, as ``column_fill_values`` combines them."""
    if previous is None:
        return rows.means, rows.counts
    means, seen = previous
    counts = rows.counts + np.asarray(seen, dtype=np.int64)
    totals = rows.means * rows.counts + np.asarray(means, dtype=np.float64) * seen
    return totals / np.maximum(counts, 1), counts


def store_rows(estimator, X, reset):
    """The checked, scanned ``StoredRows`` of the store ``X`` that ``estimator`` fits
    (a copy of ``X``'s own, scanned already, when it is ``StoredRows``)."""
    check_store(estimator, X, reset)
    if isinstance(X, StoredRows):
        return X.subset([(0, len(X))])
    return scan(StoredRows(X))


def sample_rows(n_features):
    """Rows of a store that a fit needing them in memory reads (the detector's
    densities and offset, the imputer): what fits the memory budget in the
    eight float64 copies such a fit makes."""
    return max(1000, memory_budget() // (64 * n_features))


def sample_and_rest(estimator, X, seed):
    """``(rest, sample)`` of the store ``X``, checked for ``estimator`` and scanned:
    ``sample_rows`` rows (at most a third) in randomly chosen blocks, in memory,
    and the ``StoredRows`` of the others."""
    check_store(estimator, X, reset=True)
    rows = scan(StoredRows(X))
    n_sample = min(sample_rows(X.shape[1]), len(rows) // 3)
    rest, sample = split_blocks(rows, n_sample / len(rows), seed_sequence(seed))
    return rest, sample.read(0, len(sample))


def sample_of(rows, n_rows, seed):
    """At most ``n_rows`` rows of ``rows`` drawn at random, sorted, in memory."""
    if len(rows) <= n_rows:
        return rows.read(0, len(rows))
    picked = np.random.default_rng(seed_sequence(seed)).choice(len(rows), n_rows, replace=False)
    return rows.take(np.sort(picked))
