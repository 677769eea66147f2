"""Hamming search: identical to a brute-force reference, numpy and faiss alike."""

import numpy as np
import pytest

from sklearn_ae import HammingIndex, hamming_neighbors, hamming_radius_neighbors


def _backends():
    try:
        import faiss  # noqa: F401
    except ImportError:
        return ["numpy"]
    return ["numpy", "faiss"]


def _reference_distances(codes, queries):
    bits_codes = np.unpackbits(codes, axis=1).astype(int)
    bits_queries = np.unpackbits(queries, axis=1).astype(int)
    return (bits_queries[:, None, :] != bits_codes[None, :, :]).sum(-1)


@pytest.mark.parametrize("backend", _backends())
@pytest.mark.parametrize("n_bits", [3, 8, 13, 32, 70, 300])
def test_knn_and_radius_match_brute_force_with_ties_by_index(backend, n_bits):
    rng = np.random.default_rng(n_bits)
    # Few distinct codes, so that many distances tie.
    pool = rng.random((12, n_bits)) > 0.5
    codes = np.packbits(pool[rng.integers(0, 12, 400)], axis=1)
    queries = np.packbits(rng.random((25, n_bits)) > 0.5, axis=1)
    distances = _reference_distances(codes, queries)
    index = HammingIndex(backend=backend).fit(codes)
    assert index.backend_ == backend
    for k in (1, 7, 400):
        expected = np.array([np.lexsort((np.arange(400), row))[:k] for row in distances])
        np.testing.assert_array_equal(index.kneighbors(queries, k), expected)
    radius = n_bits // 4
    found = index.radius_neighbors(queries, radius)
    for row, indices in zip(distances, found, strict=True):
        inside = np.flatnonzero(row <= radius)
        np.testing.assert_array_equal(indices, inside[np.lexsort((inside, row[inside]))])


def test_functions_agree_with_the_index():
    rng = np.random.default_rng(0)
    codes = np.packbits(rng.random((200, 16)) > 0.5, axis=1)
    queries = codes[:5]
    np.testing.assert_array_equal(
        hamming_neighbors(codes, queries, 3), HammingIndex().fit(codes).kneighbors(queries, 3)
    )
    assert all(r[0] == i for i, r in enumerate(hamming_radius_neighbors(codes, queries, 0)))


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda c: HammingIndex().fit(c.astype(np.int64)), TypeError, "dtype uint8"),
        (lambda c: HammingIndex().fit(c).kneighbors(c[:, :1], 1), ValueError, "bytes per row"),
        (lambda c: HammingIndex().fit(c).kneighbors(c, 0), ValueError, "n_neighbors=0 must"),
        (lambda c: HammingIndex().fit(c).radius_neighbors(c, -1), ValueError, "radius=-1"),
        (lambda c: HammingIndex().kneighbors(c, 1), ValueError, "not fitted yet"),
        (lambda c: HammingIndex(backend="gpu").fit(c), ValueError, "backend='gpu'"),
    ],
)
def test_bad_input_is_refused_clearly(call, error, match):
    codes = np.packbits(np.eye(10, dtype=bool), axis=1)
    with pytest.raises(error, match=match):
        call(codes)


@pytest.mark.parametrize("backend", _backends())
def test_an_index_pickles_and_answers_the_same(backend):
    import pickle

    rng = np.random.default_rng(0)
    codes = np.packbits(rng.random((300, 24)) > 0.5, axis=1)
    index = HammingIndex(backend=backend).fit(codes)
    copy = pickle.loads(pickle.dumps(index))
    np.testing.assert_array_equal(copy.kneighbors(codes[:9], 4), index.kneighbors(codes[:9], 4))
    assert copy.backend_ == backend


def test_default_hash_codes_use_every_bit_and_retrieve_as_well_as_pca_signs(digits):
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    from sklearn_ae import AutoencoderTransformer

    X_train, X_test, y_train, y_test = train_test_split(*digits, random_state=0)

    def precision_at_10(train_codes, test_codes):
        neighbors = hamming_neighbors(train_codes, test_codes, 10)
        return np.mean(y_train[neighbors] == y_test[:, None])

    pca = PCA(16).fit(X_train)
    pca_signs = precision_at_10(
        *(np.packbits(pca.transform(part) > 0, axis=1) for part in (X_train, X_test))
    )
    ae = AutoencoderTransformer(16, random_state=0).fit(X_train)
    bits = np.unpackbits(ae.hash_codes(X_train), axis=1)
    np.testing.assert_allclose(bits.mean(0), 0.5, atol=0.05)  # medians: no constant bit
    ours = precision_at_10(ae.hash_codes(X_train), ae.hash_codes(X_test))
    assert ours >= pca_signs, (ours, pca_signs)  # measured: 0.746 against 0.667
