"""AdversarialAE: the game, its prior, sampling and what it shares with the other estimators."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from _helpers import engine_keeper
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AdversarialAE, AutoencoderTransformer
from sklearn_ae.metrics import prior_mmd


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _aae(**params):
    defaults = dict(n_components=2, hidden_layer_sizes=(32,), loss="bce", random_state=0)
    return AdversarialAE(**{**defaults, **params})


def test_adversarial_training_is_deterministic_given_random_state(small_digits):
    X = small_digits[0]
    first = _aae(max_epochs=4, encoder="gaussian", prior="circle").fit(X)
    second = _aae(max_epochs=4, encoder="gaussian", prior="circle").fit(X)
    np.testing.assert_array_equal(first.transform(X), second.transform(X))
    for key in ("train_loss", "discriminator_loss", "generator_loss"):
        assert first.history_[:, key] == second.history_[:, key]
    other = _aae(max_epochs=4, encoder="gaussian", prior="circle", random_state=1).fit(X)
    assert not np.allclose(other.transform(X), first.transform(X))


def test_discriminator_loss_stays_away_from_zero_on_digits(digits):
    # The discriminator winning (loss -> 0) would leave the encoder no signal.
    X = digits[0]
    aae = AdversarialAE(2, loss="bce", max_epochs=40, n_iter_no_change=1000, random_state=0)
    losses = np.array(aae.fit(X).history_[:, "discriminator_loss"])
    assert losses[-10:].min() > 0.3, losses
    assert losses.max() < 1.0, losses  # nor loses outright (log 2 = 0.69 is balance)


def test_history_records_the_three_losses_which_add_up_to_train_loss(small_digits):
    X = small_digits[0]
    aae = _aae(max_epochs=3, adversarial_weight=2.0).fit(X)
    for epoch in aae.history_:
        total = epoch["reconstruction_loss"] + 2.0 * epoch["generator_loss"] / X.shape[1]
        assert epoch["train_loss"] == pytest.approx(total, rel=1e-6)
        assert 0 < epoch["discriminator_loss"] < 2 and epoch["generator_loss"] > 0


def test_without_the_game_the_autoencoder_is_the_plain_one(small_digits):
    # Weight 0: the discriminator trains beside it, but no gradient of the game
    # reaches the autoencoder and the engine's optimizer never steps the
    # discriminator; the encoder and decoder are drawn first, as the plain ones.
    X = small_digits[0]
    params = dict(n_components=3, hidden_layer_sizes=(16,), max_epochs=3, random_state=0)
    keep, engines = engine_keeper()
    aae = AdversarialAE(adversarial_weight=0.0, encoder="deterministic", **params)
    aae.set_params(callbacks=[keep]).fit(X)
    plain = AutoencoderTransformer(**params).fit(X)
    np.testing.assert_array_equal(aae.transform(X), plain.transform(X))
    assert aae.loss_curve_ == plain.loss_curve_
    optimized = {id(p) for g in engines[0].optimizer_.param_groups for p in g["params"]}
    discriminator = engines[0].module_.discriminator.parameters()
    assert not optimized & {id(p) for p in discriminator}


@pytest.mark.parametrize("prior", ["normal", "circle"])
def test_the_game_pulls_the_codes_to_the_prior(digits, prior):
    X_train, X_test = digits[0][:1400], digits[0][1400:]
    params = dict(max_epochs=40, n_iter_no_change=1000, prior=prior, random_state=0)
    with_game = AdversarialAE(2, loss="bce", **params).fit(X_train)
    without = AdversarialAE(2, loss="bce", adversarial_weight=0.0, **params).fit(X_train)
    mmd_with = prior_mmd(with_game, X_test, random_state=0)
    mmd_without = prior_mmd(without, X_test, random_state=0)
    assert mmd_with < 0.5 * mmd_without, (mmd_with, mmd_without)


def test_circle_prior_places_ten_modes_on_a_circle(small_digits):
    aae = _aae(n_components=3, max_epochs=1, prior="circle", prior_std=0.1).fit(small_digits[0])
    means = aae.prior_means_
    assert means.shape == (10, 3) and aae.prior_std_ == 0.1
    np.testing.assert_allclose(np.hypot(means[:, 0], means[:, 1]), 2.0)
    np.testing.assert_array_equal(means[:, 2], 0.0)
    draws = aae._prior_draws(5000, 0)
    nearest = np.min(((draws[:, None] - means[None]) ** 2).sum(-1), 1) ** 0.5
    assert np.quantile(nearest, 0.99) < 0.5  # 3 dimensions at std 0.1: chi(3) * 0.1 < 0.4


def test_sample_decodes_prior_draws_reproducibly_in_the_training_dtype(small_digits):
    X = small_digits[0].astype(np.float32)
    aae = _aae(max_epochs=2, prior=[[3.0, 0.0], [-3.0, 0.0]], prior_std=0.01).fit(X)
    samples = aae.sample(6, random_state=0)
    assert samples.shape == (6, X.shape[1]) and samples.dtype == np.float32
    np.testing.assert_array_equal(samples, aae.sample(6, random_state=0))
    assert np.all((samples >= 0) & (samples <= 1))
    codes = aae._prior_draws(6, 0)
    np.testing.assert_allclose(np.abs(codes[:, 0]), 3.0, atol=0.05)
    np.testing.assert_array_equal(samples, aae.inverse_transform(codes.astype(np.float32)))


def test_set_params_after_fit_changes_neither_the_prior_nor_the_samples(small_digits):
    aae = _aae(max_epochs=2, prior="circle").fit(small_digits[0])
    before = aae.sample(4, random_state=0)
    aae.set_params(prior="normal", prior_std=3.0, encoder="gaussian")
    np.testing.assert_array_equal(aae.sample(4, random_state=0), before)
    assert aae.prior_means_.shape == (10, 2)
    restored = pickle.loads(pickle.dumps(aae))
    np.testing.assert_array_equal(restored.sample(4, random_state=0), before)


def test_gaussian_encoder_transforms_to_its_mean_and_draws_codes(small_digits):
    X = small_digits[0]
    aae = _aae(max_epochs=3, encoder="gaussian").fit(X)
    module = aae._fitted_module(np.float64)
    with torch.no_grad():
        mean, log_variance = (t.numpy() for t in module.posterior(torch.from_numpy(X)))
    np.testing.assert_allclose(aae.transform(X), mean, rtol=1e-6, atol=1e-6)
    draws = aae._code_draws(X, 0)
    spread = np.std(draws - mean, axis=0) / np.exp(0.5 * log_variance).mean(0)
    np.testing.assert_allclose(spread, 1.0, rtol=0.2)


@pytest.mark.parametrize(
    "params, match",
    [
        (dict(prior=[[0.0, 1.0, 2.0]]), r"prior holds the means.*shape \(1, 3\)"),
        (dict(prior=[[0.0, np.nan]]), "non-finite means"),
        (dict(encoder="gaussian", code_activation="tanh"), "code_activation='identity'"),
        (dict(tied_weights=True), "does not tie weights"),
        (dict(discriminator_layer_sizes=(8, 0)), "discriminator_layer_sizes must be"),
    ],
)
def test_bad_parameters_are_refused_with_the_fix(small_digits, params, match):
    with pytest.raises(ValueError, match=match):
        _aae(max_epochs=1, **params).fit(small_digits[0])


def test_a_refused_refit_leaves_the_fitted_model_unchanged(small_digits):
    X = small_digits[0]
    aae = _aae(max_epochs=2).fit(X)
    codes = aae.transform(X)
    with pytest.raises(ValueError, match="prior holds the means"):
        aae.set_params(prior=np.zeros((2, 5))).fit(X)
    np.testing.assert_array_equal(aae.transform(X), codes)
