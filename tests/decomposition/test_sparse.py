"""SparseAE: L1 codes with many exact zeros, and k-sparse codes."""

import numpy as np
import pytest
import torch
from _helpers import engine_keeper
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sklearn_ae import SparseAE
from sklearn_ae._nn.layers import TopK
from sklearn_ae.decomposition._sparse import L1CodePenalty


@pytest.mark.slow
def test_share_of_exact_zeros_grows_with_alpha_without_dead_units(digits):
    from sklearn.decomposition import PCA
    from sklearn.model_selection import train_test_split

    X_train, X_test = train_test_split(digits[0], random_state=0)
    pca = PCA(8).fit(X_train)
    pca_error = ((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2).sum(1).mean()
    shares = []
    for alpha in (1e-4, 1e-3, 1e-2):
        sae = SparseAE(32, alpha=alpha, code_activation="relu", random_state=0).fit(X_train)
        codes = sae.transform(X_test)
        shares.append(np.mean(codes == 0))
        assert np.all((sae.transform(X_train) != 0).any(0)), f"dead unit at alpha={alpha}"
    # measured: 0.10, 0.26, 0.77 zeros; error 1.30 at 1e-2 against PCA-8's 1.59
    assert shares[0] < shares[1] < shares[2] and shares[2] >= 0.7, shares
    assert sae.reconstruction_error(X_test).mean() <= pca_error


def test_dead_units_are_restarted_as_copies_with_a_silent_decoder(small_digits):
    X = small_digits[0]
    keep, engines = engine_keeper()
    sae = SparseAE(8, code_activation="relu", max_epochs=1, random_state=0, callbacks=[keep])
    sae.fit(X)
    module, net = sae.module_, engines[0]
    layer = [m for m in module.encoder if isinstance(m, torch.nn.Linear)][-1]
    module.resample_code_units(
        torch.tensor([2, 5]), torch.tensor([0]), net.optimizer_, net.generator
    )
    # copies of unit 0 (up to a tenth of the Glorot scale), silent in the output
    assert torch.allclose(layer.weight[[2, 5]], layer.weight[[0, 0]], atol=0.1)
    assert torch.all(module.decoder_weights()[0][:, [2, 5]] == 0)
    before = sae.reconstruct(X)
    with torch.no_grad():
        layer.weight[[2, 5]] *= 3.0
    np.testing.assert_array_equal(sae.reconstruct(X), before)


def test_k_sparse_rows_have_at_most_k_nonzeros(small_digits):
    X = small_digits[0]
    sae = SparseAE(n_components=16, k=3, alpha=0.0, max_epochs=5, random_state=0).fit(X)
    nonzeros = (sae.transform(X) != 0).sum(1)
    assert nonzeros.max() <= 3 and nonzeros.mean() > 1
    assert any(isinstance(m, TopK) for m in sae.module_.encoder)


def test_top_k_keeps_the_largest_entries():
    h = torch.tensor([[0.1, 3.0, -2.0, 2.0], [5.0, 4.0, 3.0, 2.0]])
    np.testing.assert_array_equal(TopK(2)(h).numpy(), [[0.0, 3.0, 0.0, 2.0], [5.0, 4.0, 0.0, 0.0]])


class _Decoder:
    """A decoder whose first layer's code columns have norms 5 and 1."""

    def decoder_weights(self):
        return [torch.tensor([[3.0, 0.0], [4.0, 1.0]])]


def test_l1_penalty_weighs_units_by_their_decoder_columns_and_is_a_batch_mean():
    code = torch.tensor([[1.0, -2.0], [0.0, 3.0]])
    penalty = L1CodePenalty(0.5)
    # (|1| * 5 + |-2| * 1 + |0| * 5 + |3| * 1) / 2 rows
    assert penalty(_Decoder(), None, code, None).item() == pytest.approx(0.5 * 10 / 2)
    assert penalty(_Decoder(), None, code.repeat(5, 1), None).item() == pytest.approx(2.5)


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


class _Recorder(_Decoder):
    def __init__(self):
        self.calls = []

    def resample_code_units(self, units, alive, optimizer, generator):
        self.calls.append((units.tolist(), alive.tolist()))


def test_restarts_need_an_epoch_of_ten_rows_per_unit_and_a_live_unit():
    penalty, module = L1CodePenalty(0.1), _Recorder()
    small = torch.tensor([[1.0, 0.0]] * 19)  # 19 rows < 10 per unit for 2 units
    penalty(module, None, small, None)
    penalty.end_epoch(module, None, None)
    assert module.calls == []  # a small stream batch tells nothing
    penalty(module, None, torch.tensor([[1.0, 0.0]] * 20), None)
    penalty.end_epoch(module, None, None)
    assert module.calls == [([1], [0])]
    penalty(module, None, torch.zeros(40, 2), None)
    penalty.end_epoch(module, None, None)
    assert len(module.calls) == 1  # all dead: alpha too large, left to the warning
