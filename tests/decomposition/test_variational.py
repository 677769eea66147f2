"""VariationalAE: a generative autoencoder under the same contract as the others."""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
import torch
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

import sklearn_ae
from sklearn_ae import VariationalAE


def _fast(**params):
    defaults = {"n_components": 4, "hidden_layer_sizes": (32,), "max_epochs": 20}
    return VariationalAE(**{**defaults, "random_state": 0, **params})


@pytest.fixture(autouse=True)
def _few_epochs_on_purpose():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.mark.slow
def test_linear_vae_is_probabilistic_pca():
    rng = np.random.default_rng(0)
    basis = np.linalg.qr(rng.standard_normal((10, 3)))[0]
    latent = rng.standard_normal((1500, 3)) * [3.0, 2.0, 1.5]
    X = latent @ basis.T + 0.3 * rng.standard_normal((1500, 10))
    X_train, X_test = X[:1000], X[1000:]
    pca = PCA(3).fit(X_train)
    vae = VariationalAE(
        3,
        hidden_layer_sizes=(),
        lr=1e-2,
        max_epochs=300,
        n_iter_no_change=300,
        batch_size=100,
        random_state=0,
    ).fit(X_train)
    # measured: -8.002 against -7.985, 0.56 degrees
    assert vae.score(X_test) == pytest.approx(pca.score(X_test), rel=0.01)
    angle = np.degrees(subspace_angles(vae.components_.T, pca.components_.T)).max()
    assert angle < 2


@pytest.mark.parametrize("loss", ["bce", "mse"])
def test_sample_is_reproducible_and_respects_the_model(small_digits, loss):
    X = small_digits[0].astype(np.float32)
    vae = _fast(loss=loss).fit(X)
    first, second = vae.sample(5, random_state=1), vae.sample(5, random_state=1)
    np.testing.assert_array_equal(first, second)
    assert first.shape == (5, 64) and first.dtype == np.float32
    assert np.abs(first - vae.sample(5, random_state=2)).max() > 1e-3
    if loss == "bce":
        assert first.min() >= 0 and first.max() <= 1


def test_transform_is_the_posterior_mean_and_global_rngs_are_untouched(small_digits):
    X = small_digits[0]
    torch_state = torch.get_rng_state()
    vae = _fast().fit(X)
    np.testing.assert_array_equal(vae.transform(X), vae.transform(X))
    vae.sample(3), vae.score_samples(X[:5])
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_importance_weighted_score_bounds_the_elbo_and_beats_pca(digits):
    X_train, X_test = digits[0][:1300], digits[0][1300:]
    vae = VariationalAE(8, loss="mse", random_state=0).fit(X_train)
    score, elbo = vae.score_samples(X_test), vae.elbo(X_test)
    assert score.mean() > elbo.mean()  # the IWAE bound is tighter
    assert vae.score(X_test) > PCA(8).fit(X_train).score(X_test)  # measured 22.5 vs 13.0


def test_beta_trades_reconstruction_for_a_code_closer_to_the_prior(small_digits):
    X = small_digits[0]
    low, high = _fast(beta=0.1, max_epochs=60).fit(X), _fast(beta=4.0, max_epochs=60).fit(X)
    assert high.reconstruction_error(X).mean() > low.reconstruction_error(X).mean()
    assert np.abs(high.transform(X)).mean() < np.abs(low.transform(X)).mean()


def test_early_stopping_monitors_the_validation_objective(small_digits):
    vae = _fast(early_stopping=True, max_epochs=200, n_iter_no_change=3).fit(small_digits[0])
    assert vae.n_iter_ < 200 and len(vae.validation_scores_) == vae.n_iter_
    # The score is minus the objective per sample: valid_loss times n_features.
    np.testing.assert_allclose(
        vae.validation_scores_, -np.array(vae.validation_loss_curve_) * 64, rtol=1e-6
    )


def test_warm_start_partial_fit_and_sparse_input(small_digits):
    X = small_digits[0]
    vae = _fast(max_epochs=2, warm_start=True).fit(X).fit(X)
    assert vae.n_iter_ == 4
    vae.partial_fit(X)
    assert vae.n_iter_ == 5
    sparse = _fast(max_epochs=2).fit(sp.csr_matrix(X))
    np.testing.assert_allclose(sparse.transform(X), _fast(max_epochs=2).fit(X).transform(X))


def test_pickle_and_save_round_trip_exactly(small_digits, tmp_path):
    X = small_digits[0]
    vae = _fast(loss="mse").fit(X)
    vae.save(tmp_path)
    for copy in (pickle.loads(pickle.dumps(vae)), sklearn_ae.load(tmp_path)):
        for method in ("transform", "score_samples", "elbo"):
            np.testing.assert_array_equal(getattr(copy, method)(X), getattr(vae, method)(X))
        np.testing.assert_array_equal(copy.sample(4, random_state=0), vae.sample(4, random_state=0))


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"code_activation": "relu"}, "Gaussian code, got code_activation='relu'"),
        ({"tied_weights": True}, "does not tie weights.*tied_weights=False"),
        ({"beta": -1.0}, "'beta' parameter"),
    ],
)
def test_invalid_settings_raise_clear_errors(small_digits, params, match):
    with pytest.raises(ValueError, match=match):
        _fast(**params).fit(small_digits[0])
