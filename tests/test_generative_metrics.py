"""The evaluation of generative models: the classifier two-sample test and the prior MMD."""

import warnings

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sklearn_ae import AutoencoderTransformer, VariationalAE
from sklearn_ae.metrics import classifier_two_sample_accuracy, prior_mmd


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def gaussian_table():
    """A 10-feature Gaussian table of rank 3 plus small noise: a linear
    autoencoder's code density generates it almost exactly."""
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(3, 10))
    X = rng.normal(size=(3000, 3)) @ mixing + 0.05 * rng.normal(size=(3000, 10))
    return X[:2000], X[2000:]


def test_two_sample_accuracy_is_chance_for_a_model_that_generates_the_data(gaussian_table):
    X_train, X_test = gaussian_table
    linear = AutoencoderTransformer(
        3, hidden_layer_sizes=(), max_epochs=200, lr=1e-2, random_state=0
    ).fit(X_train)
    good = classifier_two_sample_accuracy(
        linear, X_test, classifier=LogisticRegression(), random_state=0
    )
    # Rows the model does not generate (the data shifted) give the samples away.
    shifted = X_test + X_train.std(0)
    bad = classifier_two_sample_accuracy(
        linear, shifted, classifier=LogisticRegression(), random_state=0
    )
    assert abs(good - 0.5) < 0.06, good
    assert bad > 0.9, bad
    assert classifier_two_sample_accuracy(linear, shifted, random_state=0) > 0.9  # 1-NN


def test_prior_mmd_is_near_zero_when_codes_follow_the_prior_and_grows_with_a_shift(
    gaussian_table,
):
    X_train, X_test = gaussian_table
    ae = AutoencoderTransformer(
        3, hidden_layer_sizes=(), max_epochs=100, lr=1e-2, random_state=0
    ).fit(X_train)
    # The codes of held-out rows follow the Gaussian code density fitted on training rows.
    assert abs(prior_mmd(ae, X_test, random_state=0)) < 0.01
    shifted = X_test + 3 * X_train.std(0)  # far off the codes' distribution
    assert prior_mmd(ae, shifted, random_state=0) > 0.2
    # Reproducible, and max_samples bounds the rows used.
    assert prior_mmd(ae, X_test, random_state=0) == prior_mmd(ae, X_test, random_state=0)
    assert prior_mmd(ae, X_test, max_samples=50, random_state=0) != prior_mmd(
        ae, X_test, random_state=0
    )


def test_variational_codes_are_reproducible_posterior_draws(digits):
    X = digits[0]
    vae = VariationalAE(2, loss="bce", max_epochs=20, random_state=0).fit(X[:1400])
    # Posterior draws spread over the prior; the means alone are narrower than it.
    draws = vae._code_draws(X[1400:], 0)
    means = vae.transform(X[1400:])
    assert draws.var() > means.var()
    np.testing.assert_array_equal(draws, vae._code_draws(X[1400:], 0))


@pytest.mark.parametrize("metric", [classifier_two_sample_accuracy, prior_mmd])
def test_metrics_refuse_estimators_without_a_code_density(digits, metric):
    pca = PCA(2).fit(digits[0])
    with pytest.raises(TypeError, match="needs a fitted sklearn_ae estimator.*got PCA"):
        metric(pca, digits[0])
