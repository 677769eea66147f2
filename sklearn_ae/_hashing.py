"""Nearest neighbours between packed binary codes by Hamming distance."""

import numpy as np
from sklearn.utils import check_array

# Bits set in each byte value: popcount by table lookup where numpy < 2 lacks
# np.bitwise_count.
_POPCOUNT = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
# Queries per chunk, so the (queries x codes x bytes) XOR stays ~64 MiB.
_CHUNK_BYTES = 2**26


def _popcount(x):
    if hasattr(np, "bitwise_count"):
        return np.bitwise_count(x)
    return _POPCOUNT[x]


def hamming_neighbors(codes, query_codes, n_neighbors):
    """Indices of the codes nearest to each query code by Hamming distance.

    Distances are counted with XOR and popcount on the packed bytes, never by
    unpacking to floats. Ties are broken by the lower index.

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
    if not 1 <= n_neighbors <= codes.shape[0]:
        raise ValueError(
            f"n_neighbors={n_neighbors} must be between 1 and the number of codes, "
            f"{codes.shape[0]}."
        )
    chunk = max(1, _CHUNK_BYTES // max(codes.size, 1))
    result = np.empty((query_codes.shape[0], n_neighbors), dtype=np.intp)
    for start in range(0, query_codes.shape[0], chunk):
        queries = query_codes[start : start + chunk]
        distances = _popcount(queries[:, None, :] ^ codes[None, :, :]).sum(-1, dtype=np.int32)
        result[start : start + chunk] = np.argsort(distances, axis=1, kind="stable")[
            :, :n_neighbors
        ]
    return result
