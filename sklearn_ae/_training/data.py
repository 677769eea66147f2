"""Data on the device: one contiguous tensor per fit, sliced into batches, and batched inference."""

import numpy as np
import scipy.sparse as sp
import torch

from .stored import StoredRows

# Output values per batch when computing Jacobians (~16 MiB of float32).
JACOBIAN_VALUES_PER_BATCH = 2**22
# Input values per inference batch (8 MiB of float32): bounds memory whatever
# the number of features, dense or sparse.
INFERENCE_BATCH_VALUES = 2**21


class TensorData(torch.utils.data.Dataset):
    """One in-memory tensor; the autoencoder's target is its input."""

    def __init__(self, X):
        self.X = X

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, i):
        return self.X[i], self.X[i]


class SparseRows:
    """A scipy sparse matrix whose row batches are densified one at a time.

    Holds the CSR matrix on the host; only the rows of one batch ever exist as
    a dense tensor (on ``device``), so memory stays near the sparse size.
    """

    def __init__(self, X, device):
        self.X = X.tocsr()
        self.device = device

    @property
    def shape(self):
        return self.X.shape

    def __len__(self):
        return self.X.shape[0]

    def __getitem__(self, index):
        if isinstance(index, torch.Tensor):
            index = index.cpu().numpy()
        return to_tensor(self.X[index], self.device)


def on_device(X, device):
    """Training data on ``device``: one float32 tensor, ``SparseRows``, or the
    ``StoredRows`` of a store (read block by block, moved batch by batch)."""
    if isinstance(X, StoredRows):
        X.device = device
        return X
    return SparseRows(X, device) if sp.issparse(X) else to_tensor(X, device)


def feature_range(data):
    """Per-feature minimum and maximum of ``on_device`` data, as tensors, NaN ignored."""
    if isinstance(data, StoredRows):  # the range its scan read
        return tuple(to_tensor(m, data.device) for m in (data.low, data.high))
    if isinstance(data, SparseRows):
        low, high = data.X.min(axis=0), data.X.max(axis=0)
        return tuple(to_tensor(m.toarray().ravel(), data.device) for m in (low, high))
    missing = torch.isnan(data)
    low = torch.where(missing, torch.inf, data).min(0).values
    high = torch.where(missing, -torch.inf, data).max(0).values
    return low, high


# Values gathered at once when shuffling (16 MiB of float32).
_GATHER_VALUES = 2**22


class SliceLoader:
    """Batches cut from one contiguous tensor, without a per-row Dataset.

    skorch's default DataLoader collates row by row, which made training 2.2x
    slower than a hand-written loop. Here a batch is one slice (or, when
    shuffling, one gather with a permutation drawn from a private generator).
    """

    def __init__(self, dataset, batch_size, shuffle=False, generator=None, num_shards=1, shard=0):
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.num_shards = num_shards
        self.shard = shard

    def _starts(self):
        starts = range(0, len(self.dataset), self.batch_size)
        if self.num_shards == 1:
            return starts
        # Data-parallel training: every process takes the same number of
        # batches (a remainder would leave one process waiting for the others).
        usable = len(starts) - len(starts) % self.num_shards
        return starts[self.shard : usable : self.num_shards]

    def __len__(self):
        return len(self._starts())

    def _gathered(self, X, order):
        # One gather for many batches, then views: a gather per batch cost a
        # tenth of a small network's step. The same rows in the same order.
        size = self.batch_size
        rows = max(size, _GATHER_VALUES // max(X.shape[1], 1) // size * size)
        for chunk in range(0, X.shape[0], rows):
            gathered = X[order[chunk : chunk + rows]]
            for start in range(0, gathered.shape[0], size):
                batch = gathered[start : start + size]
                yield batch, batch

    def __iter__(self):
        X = self.dataset.X
        size = self.batch_size
        if self.shuffle:
            order = torch.randperm(X.shape[0], generator=self.generator)
            if isinstance(X, torch.Tensor):
                order = order.to(X.device)
                if self.num_shards == 1:
                    yield from self._gathered(X, order)
                    return
            for start in self._starts():
                batch = X[order[start : start + size]]
                yield batch, batch
        else:
            for start in self._starts():
                batch = X[start : start + size]
                yield batch, batch


def to_tensor(X, device, dtype=np.float32):
    """A tensor of ``dtype`` on ``device``, sharing memory with ``X`` where possible.

    A scipy sparse ``X`` (one batch of rows) is densified here.
    """
    if sp.issparse(X):
        X = X.toarray()
    X = np.ascontiguousarray(X, dtype=dtype)
    if not X.flags.writeable:
        X = X.copy()  # torch cannot share read-only memory
    return torch.from_numpy(X).to(device)


def inference_batch_size(n_features, values_per_row=1):
    return max(1, INFERENCE_BATCH_VALUES // max(n_features * values_per_row, 1))


def jacobian_batch_size(n_outputs, n_inputs):
    return max(1, JACOBIAN_VALUES_PER_BATCH // max(n_outputs * n_inputs, 1))


def map_rows(fn, X, device, batch_size=None, dtype=None):
    """Apply ``fn`` to row batches of a float array, so memory stays bounded.

    Each batch is moved to ``device`` on its own, in ``dtype`` (default: that
    of ``X``), so the whole input is never converted at once; results come
    back as one numpy array.
    """
    batch_size = batch_size or inference_batch_size(X.shape[1])
    chunks = []
    with torch.no_grad():
        for start in range(0, max(X.shape[0], 1), batch_size):
            batch = to_tensor(X[start : start + batch_size], device, dtype or X.dtype)
            chunks.append(fn(batch).cpu().numpy())
    return np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
