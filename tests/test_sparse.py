"""SparseAE: L1 codes with many exact zeros, and k-sparse codes."""

import numpy as np
import pytest
import torch
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sklearn_ae import SparseAE
from sklearn_ae._modules import TopK
from sklearn_ae._sparse import L1CodePenalty


def _zero_share(alpha, X):
    # Exact zeros need a ReLU code; the default identity code is sparse in magnitude.
    sae = SparseAE(
        n_components=32,
        alpha=alpha,
        code_activation="relu",
        max_epochs=30,
        batch_size=64,
        random_state=0,
    )
    return np.mean(sae.fit(X).transform(X) == 0)


def test_share_of_exact_zeros_grows_with_alpha(digits):
    X = digits[0][:800]
    shares = [_zero_share(alpha, X) for alpha in (0.0, 1e-2, 1e-1)]
    assert shares[0] < shares[1] < shares[2]
    assert shares[2] > 0.6  # a large share of the code is exactly zero


def test_k_sparse_rows_have_at_most_k_nonzeros(small_digits):
    X = small_digits[0]
    sae = SparseAE(n_components=16, k=3, alpha=0.0, max_epochs=5, random_state=0).fit(X)
    nonzeros = (sae.transform(X) != 0).sum(1)
    assert nonzeros.max() <= 3 and nonzeros.mean() > 1
    assert any(isinstance(m, TopK) for m in sae.net_.module_.encoder)


def test_top_k_keeps_the_largest_entries():
    h = torch.tensor([[0.1, 3.0, -2.0, 2.0], [5.0, 4.0, 3.0, 2.0]])
    np.testing.assert_array_equal(TopK(2)(h).numpy(), [[0.0, 3.0, 0.0, 2.0], [5.0, 4.0, 0.0, 0.0]])


def test_l1_penalty_is_a_batch_mean_independent_of_batch_size():
    code = torch.tensor([[1.0, -2.0], [0.0, 3.0]])
    assert L1CodePenalty(0.5)(None, None, code, None).item() == pytest.approx(0.5 * 6 / 2)
    assert L1CodePenalty(0.5)(None, None, code.repeat(5, 1), None).item() == pytest.approx(1.5)


def test_k_larger_than_the_code_is_rejected(small_digits):
    with pytest.raises(ValueError, match=r"k=9 must be between 1 and n_components=8"):
        SparseAE(n_components=8, k=9).fit(small_digits[0])


def test_grid_search_over_alpha_in_a_pipeline(digits):
    X, y = digits[0][:400], digits[1][:400]
    pipe = Pipeline(
        [
            ("ae", SparseAE(n_components=16, max_epochs=10, batch_size=64, random_state=0)),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    grid = GridSearchCV(pipe, {"ae__alpha": [1e-4, 1e-2]}, cv=2).fit(X, y)
    assert grid.best_params_["ae__alpha"] in (1e-4, 1e-2)
    assert np.all(grid.cv_results_["mean_test_score"] > 0.3)  # chance is 0.1
