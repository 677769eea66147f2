"""The linear autoencoder recovers PCA: subspace, error and orthonormal tied rows."""

import numpy as np
import pytest
from scipy.linalg import subspace_angles
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderTransformer


def _spectrum_data(n_samples=1000, n_features=20, seed=0):
    rng = np.random.default_rng(seed)
    basis = np.linalg.qr(rng.standard_normal((n_features, n_features)))[0]
    scales = np.array([5.0, 4.0, 3.0] + [0.3] * (n_features - 3))
    X = (rng.standard_normal((n_samples, n_features)) * scales) @ basis.T
    return X - X.mean(0)


def _linear(tied_weights):
    return AutoencoderTransformer(
        n_components=3,
        hidden_layer_sizes=(),
        activation="identity",
        code_activation="identity",
        tied_weights=tied_weights,
        lr=3e-2,
        batch_size=1000,
        max_epochs=400,
        n_iter_no_change=400,
        random_state=0,
    )


@pytest.mark.parametrize("tied_weights", [False, True])
def test_linear_autoencoder_spans_the_principal_subspace(tied_weights):
    X = _spectrum_data()
    ae = _linear(tied_weights).fit(X)
    pca = PCA(3).fit(X)
    assert ae.components_.shape == (3, 20)
    largest_angle = np.degrees(subspace_angles(ae.components_.T, pca.components_.T)).max()
    assert largest_angle < 2.0  # measured: 0.12 (untied), 2e-6 (tied) degrees
    pca_error = np.mean(((pca.inverse_transform(pca.transform(X)) - X) ** 2).sum(1))
    assert ae.reconstruction_error(X).mean() < 1.01 * pca_error  # measured: 1.006, 1.000


def test_tied_linear_autoencoder_has_orthonormal_encoder_rows():
    ae = _linear(tied_weights=True).fit(_spectrum_data())
    rows = ae.module_.encoder[0].weight.detach().numpy()
    np.testing.assert_allclose(rows @ rows.T, np.eye(3), atol=1e-4)


def test_components_exist_only_for_linear_models(small_digits):
    X = small_digits[0]
    assert not hasattr(AutoencoderTransformer(max_epochs=2).fit(X), "components_")
    linear = AutoencoderTransformer(hidden_layer_sizes=(), max_epochs=2).fit(X)
    assert linear.components_.shape == (2, 64)
    linear.set_params(hidden_layer_sizes=(8,)).fit(X)
    assert not hasattr(linear, "components_")  # no stale value from the first fit
