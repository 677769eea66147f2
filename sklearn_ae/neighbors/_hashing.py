"""Nearest neighbours between packed binary codes by Hamming distance.

Codes are compared as machine words: XOR, then a population count per word
(``numpy.bitwise_count``), never unpacked to floats. The k nearest are found
by selecting the k-th smallest distance (``numpy.partition``) rather than
sorting every distance, and ties are always broken by the lower index, so the
numpy path and the faiss path (used when ``faiss`` is installed) return
identical results.
"""

import numpy as np
from sklearn.utils import check_array

# Bits set in each byte value: popcount by table lookup where numpy < 2 lacks
# np.bitwise_count.
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
# Distances per chunk of queries: temporaries that stay in cache (2**24 was 15% slower).
_CHUNK_DISTANCES = 2**20


def _popcount(x):
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    return _POPCOUNT[x.view(np.uint8)].reshape(*x.shape, -1).sum(-1, dtype=np.uint8)


def _check_codes(codes, query_codes):
    codes = check_array(codes, dtype=None, input_name="codes")
    query_codes = check_array(query_codes, dtype=None, input_name="query_codes")
    for name, array in (("codes", codes), ("query_codes", query_codes)):
        if array.dtype != np.uint8:
            raise TypeError(
                f"{name} must be packed bits of dtype uint8 (as from hash_codes or "
                f"numpy.packbits), got dtype {array.dtype}."
            )
    if codes.shape[1] != query_codes.shape[1]:
        raise ValueError(
            f"codes have {codes.shape[1]} bytes per row but query_codes have "
            f"{query_codes.shape[1]}; hash both with the same estimator."
        )
    return codes, query_codes


def _words(codes):
    """Rows of packed bytes as rows of the widest unsigned words that fit, zero-padded."""
    n_bytes = codes.shape[1]
    width = 8 if n_bytes > 4 else 4 if n_bytes > 2 else n_bytes if n_bytes < 2 else 2
    padded = -(-n_bytes // width) * width
    if padded != n_bytes:
        codes = np.pad(codes, ((0, 0), (0, padded - n_bytes)))
    return np.ascontiguousarray(codes).view(f"<u{width}")


def _distance_chunks(codes, query_codes):
    """Yield ``(start, distances)`` of query chunks against every code."""
    database, queries = _words(codes), _words(query_codes)
    wide = codes.shape[1] >= 32  # more than 255 bits: distances need 16 bits
    chunk = max(1, _CHUNK_DISTANCES // max(len(database), 1))
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk]
        distances = _popcount(block[:, None, 0] ^ database[None, :, 0])  # uint8
        if wide:
            distances = distances.astype(np.uint16)
        for word in range(1, database.shape[1]):
            distances += _popcount(block[:, None, word] ^ database[None, :, word])
        yield start, distances


def _k_smallest(distances, k):
    """Indices of the k smallest distances of one row, ties by lower index, nearest first."""
    if k < len(distances):
        # Distances are small integers: a histogram finds the k-th smallest in
        # one pass, 4x faster here than numpy.partition.
        kth = np.searchsorted(np.cumsum(np.bincount(distances)), k)
        closer = np.flatnonzero(distances < kth)
        tied = np.flatnonzero(distances == kth)[: k - len(closer)]
        candidates = np.concatenate([closer, tied])
    else:
        candidates = np.arange(len(distances))
    order = np.lexsort((candidates, distances[candidates]))  # by distance, then index
    return candidates[order]


def _faiss():
    try:
        import faiss
    except ImportError:
        return None
    return faiss


def hamming_neighbors(codes, query_codes, n_neighbors):
    """Indices of the codes nearest to each query code by Hamming distance.

    Distances are counted with XOR and popcount on packed words. Ties are
    broken by the lower index. Uses faiss (``pip install faiss-cpu``) when it
    is installed, numpy otherwise, with identical results. For repeated
    queries against one database, :class:`HammingIndex` keeps it packed.

    Parameters
    ----------
    codes : ndarray of shape (n_codes, n_bytes), dtype=uint8
        Packed codes to search, e.g. ``estimator.hash_codes(X)``.
    query_codes : ndarray of shape (n_queries, n_bytes), dtype=uint8
        Packed codes to look up.
    n_neighbors : int
        Number of neighbours per query.

    Returns
    -------
    indices : ndarray of shape (n_queries, n_neighbors)
        Row indices into ``codes``, nearest first.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import hamming_neighbors
    >>> codes = np.packbits([[0, 0, 0], [1, 1, 1], [1, 0, 0]], axis=1)
    >>> hamming_neighbors(codes, np.packbits([[1, 1, 0]], axis=1), n_neighbors=2)
    array([[1, 2]])
    """
    return HammingIndex().fit(codes).kneighbors(query_codes, n_neighbors)


def hamming_radius_neighbors(codes, query_codes, radius):
    """Indices of the codes within Hamming distance ``radius`` of each query.

    Semantic hashing's lookup (Salakhutdinov & Hinton 2009): every code in a
    small Hamming ball around the query's code.

    Parameters
    ----------
    codes : ndarray of shape (n_codes, n_bytes), dtype=uint8
        Packed codes to search.
    query_codes : ndarray of shape (n_queries, n_bytes), dtype=uint8
        Packed codes to look up.
    radius : int
        Largest Hamming distance included.

    Returns
    -------
    indices : list of ndarray
        For each query, the indices of the codes within ``radius``, sorted by
        distance then index.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import hamming_radius_neighbors
    >>> codes = np.packbits([[0, 0, 0], [1, 1, 1], [1, 0, 0]], axis=1)
    >>> hamming_radius_neighbors(codes, np.packbits([[1, 0, 0]], axis=1), radius=1)
    [array([2, 0])]
    """
    return HammingIndex().fit(codes).radius_neighbors(query_codes, radius)


class HammingIndex:
    """A database of packed binary codes, kept ready for repeated Hamming queries.

    Parameters
    ----------
    backend : {"auto", "numpy", "faiss"}, default="auto"
        "faiss" uses ``faiss.IndexBinaryFlat`` (``pip install faiss-cpu``);
        "auto" uses it when installed. Results are identical either way.

    Attributes
    ----------
    codes_ : ndarray of shape (n_codes, n_bytes), dtype=uint8
        The database.
    backend_ : str
        The backend in use.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import HammingIndex
    >>> index = HammingIndex().fit(np.packbits([[0, 0, 0], [1, 1, 1], [1, 0, 0]], axis=1))
    >>> index.kneighbors(np.packbits([[1, 1, 0]], axis=1), n_neighbors=2)
    array([[1, 2]])
    """

    def __init__(self, backend="auto"):
        self.backend = backend

    def fit(self, codes):
        """Keep ``codes`` (packed bits, uint8) as the database."""
        if self.backend not in ("auto", "numpy", "faiss"):
            raise ValueError(f"backend={self.backend!r} is not one of 'auto', 'numpy', 'faiss'.")
        self.codes_, _ = _check_codes(codes, np.asarray(codes)[:1])
        faiss = _faiss() if self.backend != "numpy" else None
        if self.backend == "faiss" and faiss is None:
            raise ValueError("backend='faiss' needs faiss: pip install faiss-cpu, or use 'auto'.")
        self.backend_ = "faiss" if faiss is not None else "numpy"
        if faiss is not None:
            self._index = faiss.IndexBinaryFlat(8 * self.codes_.shape[1])
            self._index.add(self.codes_)
        return self

    def __getstate__(self):
        state = dict(self.__dict__)
        state.pop("_index", None)  # a faiss index does not pickle; it is rebuilt from codes_
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        if self.__dict__.get("backend_") == "faiss":
            faiss = _faiss()
            if faiss is None:  # unpickled where faiss is absent: same results with numpy
                self.backend_ = "numpy"
            else:
                self._index = faiss.IndexBinaryFlat(8 * self.codes_.shape[1])
                self._index.add(self.codes_)

    def _queries(self, query_codes):
        if not hasattr(self, "codes_"):
            raise ValueError("This HammingIndex is not fitted yet; call fit(codes) first.")
        return _check_codes(self.codes_, query_codes)[1]

    def kneighbors(self, query_codes, n_neighbors):
        """Indices of the ``n_neighbors`` nearest codes per query, nearest first."""
        queries = self._queries(query_codes)
        n_codes = len(self.codes_)
        if not 1 <= n_neighbors <= n_codes:
            raise ValueError(
                f"n_neighbors={n_neighbors} must be between 1 and the number of codes, {n_codes}."
            )
        result = np.empty((len(queries), n_neighbors), dtype=np.intp)
        if self.backend_ == "faiss":
            # faiss breaks ties at the k-th distance its own way: take the k-th
            # distance from it, then every code within it, ordered as numpy does.
            kth = self._index.search(queries, n_neighbors)[0][:, -1]
            for i, candidates in enumerate(self._within(queries, kth)):
                result[i] = candidates[:n_neighbors]
            return result
        for start, distances in _distance_chunks(self.codes_, queries):
            for i, row in enumerate(distances):
                result[start + i] = _k_smallest(row, n_neighbors)
        return result

    def radius_neighbors(self, query_codes, radius):
        """For each query, the indices of the codes within Hamming distance ``radius``."""
        queries = self._queries(query_codes)
        if not (isinstance(radius, (int, np.integer)) and radius >= 0):
            raise ValueError(f"radius={radius!r} must be a non-negative int.")
        return self._within(queries, np.full(len(queries), radius))

    def _within(self, queries, radii):
        """Codes within ``radii`` of each query, sorted by distance then index."""
        found = []
        if self.backend_ == "faiss":
            for query, radius in zip(queries, radii, strict=True):
                _, distances, indices = self._index.range_search(query[None], int(radius) + 1)
                order = np.lexsort((indices, distances))
                found.append(indices[order].astype(np.intp))
            return found
        for start, distances in _distance_chunks(self.codes_, queries):
            for i, row in enumerate(distances):
                inside = np.flatnonzero(row <= radii[start + i])
                found.append(inside[np.lexsort((inside, row[inside]))])
        return found
