"""score / score_samples: a log-likelihood that reduces to probabilistic PCA."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import Pipeline

from sklearn_ae import AutoencoderTransformer, ContractiveAE, DenoisingAE, SparseAE
from sklearn_ae.metrics import neg_reconstruction_error


def _low_rank(n_samples=1200, rank=3, n_features=10, noise=0.1, seed=0):
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((n_features, rank)))[0]
    scales = np.array([3.0, 2.0, 1.5, 1.0, 0.8][:rank])
    latent = rng.standard_normal((n_samples, rank)) * scales
    return latent @ basis.T + noise * rng.standard_normal((n_samples, n_features))


def _curved_manifold(n_samples=1500, seed=0):
    """A 2-D swiss-roll-like sheet, rotated into 10 dimensions, with small noise."""
    rng = np.random.default_rng(seed)
    t = 1.5 * np.pi * (1 + 2 * rng.random(n_samples))
    height = 2 * rng.random(n_samples)
    sheet = np.column_stack([t * np.cos(t), height * 4, t * np.sin(t)]) / 5
    rotation = np.linalg.qr(rng.standard_normal((10, 3)))[0]
    return sheet @ rotation.T + 0.02 * rng.standard_normal((n_samples, 10))


@pytest.mark.parametrize("n_components", [1, 5, 20])
def test_pca_decoder_reproduces_pca_score(digits, n_components):
    X_train, X_test = train_test_split(digits[0], random_state=0)
    pca = PCA(n_components=n_components).fit(X_train)
    ae = AutoencoderTransformer(n_components, hidden_layer_sizes=(), max_epochs=1).fit(X_train)
    module = ae.net_.plain_module().double()
    W, mean = torch.as_tensor(pca.components_), torch.as_tensor(pca.mean_)
    with torch.no_grad():
        module.encoder[0].weight.copy_(W)
        module.encoder[0].bias.copy_(-W @ mean)
        module.decoder[0].weight.copy_(W.T)
        module.decoder[0].bias.copy_(mean)
    ae._fit_code_density(X_train, seed=0)
    scores = ae.score_samples(X_test)
    np.testing.assert_allclose(scores, pca.score_samples(X_test), rtol=1e-6, atol=1e-6)
    assert ae.score(X_test) == pytest.approx(pca.score(X_test), rel=1e-6)


def _linear_ae(n_components):
    return AutoencoderTransformer(
        n_components=n_components,
        hidden_layer_sizes=(),
        activation="identity",
        code_activation="identity",
        lr=1e-2,
        max_epochs=150,
        n_iter_no_change=150,
        batch_size=64,
        random_state=0,
    )


def test_linear_autoencoder_score_peaks_at_the_true_rank():
    X = _low_rank()
    X_train, X_test = X[:800], X[800:]
    scores = {k: _linear_ae(k).fit(X_train).score(X_test) for k in (1, 2, 3, 6)}
    assert max(scores, key=scores.get) == 3, scores
    # measured: -13.71, -10.81, -0.33, -0.35; PCA(3) scores -0.28
    assert scores[3] == pytest.approx(PCA(3).fit(X_train).score(X_test), abs=0.1)


def test_grid_search_without_scorer_picks_the_true_rank():
    X = _low_rank(n_samples=900)
    grid = GridSearchCV(
        Pipeline([("reduce", PCA())]),
        {"reduce": [PCA(), _linear_ae(1)], "reduce__n_components": [1, 2, 3, 6]},
        cv=3,
    ).fit(X)
    assert grid.best_params_["reduce__n_components"] == 3


def test_nonlinear_autoencoder_beats_pca_on_a_curved_manifold():
    X = _curved_manifold()
    X_train, X_test = X[:1000], X[1000:]
    ae = AutoencoderTransformer(
        n_components=2,
        hidden_layer_sizes=(64, 64),
        activation="tanh",
        lr=3e-3,
        max_epochs=300,
        n_iter_no_change=300,
        batch_size=64,
        random_state=0,
    ).fit(X_train)
    pca = PCA(2).fit(X_train)
    assert ae.score(X_test) > pca.score(X_test) + 3.0  # measured: 6.8 vs -0.2


@pytest.mark.parametrize(
    "estimator",
    [
        AutoencoderTransformer(n_components=4, max_epochs=5, random_state=0),
        DenoisingAE(n_components=4, max_epochs=5, random_state=0),
        SparseAE(n_components=4, max_epochs=5, random_state=0),
        SparseAE(n_components=8, k=2, max_epochs=5, random_state=0),
        ContractiveAE(n_components=4, max_epochs=5, random_state=0),
        AutoencoderTransformer(n_components=4, loss="bce", max_epochs=5, random_state=0),
    ],
    ids=repr,
)
def test_score_is_finite_and_deterministic(small_digits, estimator):
    X = small_digits[0]
    estimator.fit(X)
    scores = estimator.score_samples(X)
    assert np.all(np.isfinite(scores))
    np.testing.assert_array_equal(scores, estimator.score_samples(X))
    assert estimator.score(X) == pytest.approx(scores.mean())


def test_neg_reconstruction_error_works_with_pca(digits):
    X = digits[0]
    pca = PCA(8).fit(X)
    expected = -np.mean(((pca.inverse_transform(pca.transform(X)) - X) ** 2).sum(1))
    assert neg_reconstruction_error(pca, X) == pytest.approx(expected)
    grid = GridSearchCV(PCA(), {"n_components": [2, 8]}, scoring=neg_reconstruction_error, cv=3)
    assert grid.fit(X).best_params_ == {"n_components": 8}
