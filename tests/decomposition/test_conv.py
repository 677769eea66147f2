"""Convolutional networks (``image_shape``) for every estimator."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from _estimators import ESTIMATOR_CLASSES
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_ae
from sklearn_ae import (
    AutoencoderTransformer,
    ContractiveAE,
    SparseAE,
)

CLASSES = ESTIMATOR_CLASSES

# scikit-learn's checks feed data of 1, 2, 3, 5 or 10 features; image_shape=(2, 2)
# takes exactly 4. These are the checks that fail for that reason alone.
_WIDTH_REASON = "feeds a feature count that image_shape=(2, 2) cannot take"
_WIDTH_CHECKS = [
    "check_fit_score_takes_y",
    "check_estimators_overwrite_params",
    "check_dont_overwrite_parameters",
    "check_estimators_fit_returns_self",
    "check_readonly_memmap_input",
    "check_estimators_dtypes",
    "check_dtype_object",
    "check_pipeline_consistency",
    "check_estimators_nan_inf",
    "check_estimator_sparse_tag",
    "check_estimator_sparse_array",
    "check_estimator_sparse_matrix",
    "check_estimators_pickle",
    "check_f_contiguous_array_estimator",
    "check_transformer_data_not_an_array",
    "check_transformer_general",
    "check_transformer_preserve_dtypes",
    "check_methods_sample_order_invariance",
    "check_methods_subset_invariance",
    "check_fit2d_1feature",
    "check_dict_unchanged",
    "check_fit_idempotent",
    "check_fit_check_is_fitted",
    "check_n_features_in",
    "check_fit2d_predict1d",
]


def _conv(cls, **params):
    defaults = {
        "image_shape": (2, 2),
        "conv_channels": (4,),
        "hidden_layer_sizes": (8,),
        "max_epochs": 3,
        "batch_size": 512,
        "random_state": 0,
    }
    return cls(**{**defaults, **params})


@pytest.mark.slow
@parametrize_with_checks(
    [_conv(cls) for cls in CLASSES],
    expected_failed_checks=lambda est: dict.fromkeys(_WIDTH_CHECKS, _WIDTH_REASON),
)
def test_sklearn_compatible_convolutional(estimator, check):
    check(estimator)


@pytest.fixture(autouse=True)
def _few_epochs_on_purpose():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.mark.parametrize("image_shape", [(8, 8), (7, 5), (3, 6, 5), (1, 9, 4)])
@pytest.mark.parametrize("cls", CLASSES)
def test_odd_sizes_reconstruct_to_exactly_the_input_shape(cls, image_shape):
    rng = np.random.default_rng(0)
    X = rng.random((40, int(np.prod(image_shape))))
    est = _conv(cls, image_shape=image_shape, conv_channels=(4, 8), n_components=3).fit(X)
    own_kinds = {"VariationalAE": "variational", "AdversarialAE": "adversarial"}
    assert est.spec_.kind == own_kinds.get(cls.__name__, "conv")
    assert est.reconstruct(X).shape == X.shape
    assert est.inverse_transform(est.transform(X)).shape == X.shape
    assert est.encoder_jacobian(X[:2]).shape == (2, 3, X.shape[1])


def test_convolutional_autoencoder_learns_digits(digits):
    X = digits[0][:600]
    est = AutoencoderTransformer(
        8, image_shape=(8, 8), hidden_layer_sizes=(), max_epochs=40, random_state=0
    ).fit(X)
    assert est.loss_curve_[-1] < est.loss_curve_[0] / 3
    assert est.module_.first_layer_weight().shape == (32, 1, 3, 3)
    module = est.encoder_module()
    assert isinstance(module[1], torch.nn.Conv2d)
    codes = module(torch.as_tensor(X[:5], dtype=torch.float32))
    np.testing.assert_allclose(codes.detach().numpy(), est.transform(X[:5].astype(np.float32)))


def test_width_that_does_not_match_the_image_is_refused(small_digits):
    with pytest.raises(ValueError, match=r"X has 64 features, but image_shape=\(7, 7\) needs 49"):
        _conv(AutoencoderTransformer, image_shape=(7, 7)).fit(small_digits[0])
    with pytest.raises(ValueError, match=r"image_shape=\(8, 0\) must be .* positive ints"):
        _conv(AutoencoderTransformer, image_shape=(8, 0)).fit(small_digits[0])
    with pytest.raises(ValueError, match="conv_channels must be a non-empty tuple"):
        _conv(AutoencoderTransformer, image_shape=(8, 8), conv_channels=()).fit(small_digits[0])


def test_tied_weights_and_the_analytic_contractive_penalty_are_refused(small_digits):
    X = small_digits[0]
    with pytest.raises(ValueError, match="tied_weights=True is not supported with image_shape"):
        _conv(AutoencoderTransformer, image_shape=(8, 8), tied_weights=True).fit(X)
    with pytest.raises(ValueError, match="'analytic' needs a one-layer dense encoder"):
        _conv(ContractiveAE, image_shape=(8, 8), jacobian_method="analytic").fit(X)
    for method in ("auto", "hutchinson", "exact"):
        cae = _conv(ContractiveAE, image_shape=(8, 8), jacobian_method=method, alpha=0.1).fit(X)
        assert np.isfinite(cae.loss_curve_).all()


@pytest.mark.parametrize("cls", CLASSES)
def test_convolutional_models_pickle_and_save(small_digits, tmp_path, cls):
    X = small_digits[0]
    est = _conv(cls, image_shape=(8, 8), n_components=4).fit(X)
    est.save(tmp_path)
    for copy in (pickle.loads(pickle.dumps(est)), sklearn_ae.load(tmp_path)):
        np.testing.assert_array_equal(copy.transform(X), est.transform(X))
        np.testing.assert_array_equal(copy.score_samples(X), est.score_samples(X))


def test_tangent_directions_live_in_pixel_space(small_digits):
    X = small_digits[0]
    est = _conv(ContractiveAE, image_shape=(8, 8), n_components=4, alpha=0.1).fit(X)
    values, directions = est.tangent_space(X[:3], n_directions=2)
    assert directions.shape == (3, 2, 64) and np.all(values[:, 0] >= values[:, 1])
    np.testing.assert_allclose(np.linalg.norm(directions, axis=2), 1, rtol=1e-5)


@pytest.mark.parametrize("cls", [AutoencoderTransformer, SparseAE])
def test_float64_input_computes_convolutions_in_float32(small_digits, cls):
    X32 = small_digits[0].astype(np.float32)
    X64 = X32.astype(np.float64)
    est = cls(4, image_shape=(8, 8), conv_channels=(4, 8), max_epochs=3, random_state=0)
    est.fit(X32)
    for method in ("transform", "reconstruct", "reconstruction_error", "score_samples"):
        single, double = getattr(est, method)(X32), getattr(est, method)(X64)
        assert double.dtype == np.float64 and single.dtype == np.float32
        # the same float32 computation, returned in the input's dtype (sums over
        # features run in that dtype)
        np.testing.assert_allclose(double, single, rtol=1e-6)
    codes = est.transform(X32)
    np.testing.assert_array_equal(
        est.inverse_transform(codes.astype(np.float64)), est.inverse_transform(codes)
    )


def test_feature_maps_are_channels_last_in_inference_only(small_digits):
    est = AutoencoderTransformer(4, image_shape=(8, 8), conv_channels=(4,), max_epochs=1)
    module = est.fit(small_digits[0]).module_
    unflatten = next(m for m in module.decoder if isinstance(m, torch.nn.Unflatten))
    code = torch.zeros(3, int(np.prod(unflatten.unflattened_size)))
    assert unflatten.eval()(code).is_contiguous(memory_format=torch.channels_last)
    assert unflatten.train()(code).is_contiguous()


def test_hidden_layer_sizes_auto_is_no_dense_layer_with_image_shape(small_digits, tmp_path):
    import sklearn_ae

    X = small_digits[0][:100]
    conv = AutoencoderTransformer(4, image_shape=(8, 8), max_epochs=1, random_state=0).fit(X)
    dense = AutoencoderTransformer(4, max_epochs=1, random_state=0).fit(X)
    assert conv.get_params()["hidden_layer_sizes"] == "auto"
    assert conv.spec_.hidden_layer_sizes == () and dense.spec_.hidden_layer_sizes == (128,)
    conv.save(tmp_path)
    loaded = sklearn_ae.load(tmp_path)
    assert loaded.get_params()["hidden_layer_sizes"] == "auto"
    np.testing.assert_array_equal(loaded.transform(X), conv.transform(X))
