"""DenoisingAE: corruption in training only, and denoising that beats PCA and a plain AE."""

import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoencoderTransformer, DenoisingAE
from sklearn_ae.decomposition._denoising import Corruption


def _corrupt(X, noise, level, rng, low, high):
    if noise == "gaussian":
        return X + level * rng.standard_normal(X.shape)
    hit = rng.random(X.shape) < level
    if noise == "masking":
        return np.where(hit, 0.0, X)
    return np.where(hit, np.where(rng.random(X.shape) < 0.5, high, low), X)


@pytest.mark.parametrize(
    ("noise", "level"), [("gaussian", 0.3), ("masking", 0.3), ("salt_and_pepper", 0.2)]
)
def test_denoise_beats_pca_and_a_plain_autoencoder(digits, noise, level):
    X_train, X_test = train_test_split(digits[0], random_state=0)
    noisy = _corrupt(X_test, noise, level, np.random.default_rng(0), X_train.min(0), X_train.max(0))
    params = {"n_components": 16, "max_epochs": 30, "batch_size": 64, "random_state": 0}
    dae = DenoisingAE(noise=noise, noise_level=level, **params).fit(X_train)
    plain = AutoencoderTransformer(**params).fit(X_train)
    pca = PCA(16).fit(X_train)

    def error(reconstruction):
        return np.mean(((reconstruction - X_test) ** 2).sum(1))

    dae_error = error(dae.denoise(noisy))
    # measured (60 epochs): gaussian 1.48 vs 2.19 (PCA) / 2.69 (plain);
    # masking 1.54 vs 3.21 / 3.09; salt and pepper 1.65 vs 2.11 / 2.15
    assert dae_error < 0.9 * error(pca.inverse_transform(pca.transform(noisy)))
    assert dae_error < 0.9 * error(plain.reconstruct(noisy))
    np.testing.assert_array_equal(dae.denoise(noisy), dae.inverse_transform(dae.transform(noisy)))


def test_corruption_is_training_only_and_scores_use_the_input_as_given(small_digits):
    X = small_digits[0]
    dae = DenoisingAE(noise_level=0.5, max_epochs=3, random_state=0).fit(X)
    np.testing.assert_array_equal(dae.transform(X), dae.transform(X))  # no noise at inference
    manual = ((dae.denoise(X) - X) ** 2).sum(1)
    np.testing.assert_allclose(dae.reconstruction_error(X), manual, rtol=1e-6)


def test_corruptions_have_the_documented_statistics():
    X = torch.full((2000, 50), 0.5)
    generator = torch.Generator().manual_seed(0)
    gaussian = Corruption("gaussian", 0.2)(X, generator) - X
    assert gaussian.mean().abs() < 0.01 and abs(gaussian.std() - 0.2) < 0.005
    masked = Corruption("masking", 0.3)(X, generator)
    assert abs((masked == 0).float().mean() - 0.3) < 0.01
    assert set(masked.unique().tolist()) == {0.0, 0.5}
    low, high = torch.zeros(50), torch.ones(50)
    salted = Corruption("salt_and_pepper", 0.4, low, high)(X, generator)
    assert abs((salted == 1).float().mean() - 0.2) < 0.01
    assert abs((salted == 0).float().mean() - 0.2) < 0.01


def test_zero_noise_level_trains_like_a_plain_autoencoder(small_digits):
    X = small_digits[0]
    params = {"max_epochs": 3, "random_state": 0, "hidden_layer_sizes": (16,)}
    dae = DenoisingAE(noise_level=0.0, **params).fit(X)
    plain = AutoencoderTransformer(**params).fit(X)
    np.testing.assert_array_equal(dae.transform(X), plain.transform(X))


def test_probability_noise_levels_above_one_are_rejected(small_digits):
    with pytest.raises(ValueError, match=r"noise_level=1.5 is a probability.*at most 1"):
        DenoisingAE(noise="masking", noise_level=1.5).fit(small_digits[0])


def test_an_unknown_noise_name_is_refused_by_the_corruption_itself():
    from sklearn_ae.decomposition._denoising import Corruption

    with pytest.raises(ValueError, match="noise='speckle' is not one of"):
        Corruption("speckle", 0.1)
