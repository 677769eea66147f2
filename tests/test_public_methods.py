"""Every public method of every estimator, called once on real data (in the fast subset).

``CALLS`` names what each method is called with and checks the answer; a public
method missing from it fails the coverage test, so a new method gets a call.
"""

import inspect
import warnings

import numpy as np
import pytest
import torch
from _estimators import ESTIMATOR_CLASSES
from sklearn.exceptions import ConvergenceWarning

import sklearn_ae
from sklearn_ae import AutoencoderImputer, AutoencoderOutlierDetector, AutoencoderTransformer


def _codes(est, X):
    return est.transform(X)


def _message(call):
    with pytest.raises(ValueError) as info:
        call()
    return str(info.value)


CALLS = {
    "fit": lambda est, X: est.fit(X) is est,
    "partial_fit": lambda est, X: est.partial_fit(X).n_iter_ == 4,
    "fit_transform": lambda est, X: est.fit_transform(X).shape == (len(X), 3),
    "transform": lambda est, X: _codes(est, X).shape == (len(X), 3),
    "inverse_transform": lambda est, X: est.inverse_transform(_codes(est, X)).shape == X.shape,
    "reconstruct": lambda est, X: np.all((est.reconstruct(X) >= 0) & (est.reconstruct(X) <= 1)),
    # Fitted on numbers only (tests/decomposition/test_mixed_tables.py calls it on tables).
    "reconstruct_proba": lambda est, X: (
        "fitted without categorical columns" in _message(lambda: est.reconstruct_proba(X))
    ),
    "denoise": lambda est, X: np.array_equal(est.denoise(X), est.reconstruct(X)),
    "reconstruction_error": lambda est, X: np.all(est.reconstruction_error(X) >= 0),
    "score_samples": lambda est, X: np.isfinite(est.score_samples(X[:10])).all(),
    "score": lambda est, X: est.score(X[:10]) == pytest.approx(est.score_samples(X[:10]).mean()),
    "elbo": lambda est, X: np.all(est.elbo(X[:10]) <= est.score_samples(X[:10]) + 5),
    "bernoulli_log_likelihood": lambda est, X: np.all(est.bernoulli_log_likelihood(X[:10]) < 0),
    "sample": lambda est, X: est.sample(5, random_state=0).shape == (5, X.shape[1]),
    "encoder_jacobian": lambda est, X: est.encoder_jacobian(X[:4]).shape == (4, 3, X.shape[1]),
    "tangent_space": lambda est, X: est.tangent_space(X[:4], 2)[1].shape == (4, 2, X.shape[1]),
    "hash_codes": lambda est, X: est.hash_codes(X[:4]).dtype == np.uint8,
    "encoder_module": lambda est, X: isinstance(est.encoder_module(), torch.nn.Module),
    "get_feature_names_out": lambda est, X: len(est.get_feature_names_out()) == 3,
    "get_params": lambda est, X: est.get_params()["random_state"] == 0,
    "set_params": lambda est, X: est.set_params(verbose=0) is est,
    "set_output": lambda est, X: est.set_output(transform="default") is est,
    "get_metadata_routing": lambda est, X: est.get_metadata_routing() is not None,
}


def _public_methods(cls):
    return sorted(
        name
        for name, member in inspect.getmembers(cls, callable)
        if not name.startswith("_") and not inspect.isclass(member)
    )


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_every_public_method_answers(small_digits, cls, tmp_path):
    X = small_digits[0][:120]
    missing = set(_public_methods(cls)) - set(CALLS) - {"save"}  # save: below
    assert not missing, f"add calls for {sorted(missing)} to CALLS"
    est = cls(3, hidden_layer_sizes=(16,), loss="bce", max_epochs=3, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for name, call in CALLS.items():  # in this order: fit first
            if hasattr(est, name):
                assert call(est, X), name
    est.save(tmp_path / "model")
    np.testing.assert_array_equal(
        sklearn_ae.load(tmp_path / "model").transform(X), est.transform(X)
    )


def test_every_public_method_of_the_imputer_answers(small_digits, tmp_path):
    X = small_digits[0][:120].copy()
    X[::3, 5:9] = np.nan
    imputer = AutoencoderImputer(n_components=3, max_epochs=3, random_state=0)
    assert _public_methods(AutoencoderImputer) == [
        "fit",
        "fit_transform",
        "get_feature_names_out",
        "get_metadata_routing",
        "get_params",
        "save",
        "set_output",
        "set_params",
        "transform",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        filled = imputer.fit_transform(X)
        assert imputer.fit(X) is imputer
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(imputer.transform(X), filled)
    assert len(imputer.get_feature_names_out()) == X.shape[1]
    assert imputer.set_params(verbose=0).get_params()["random_state"] == 0
    assert imputer.set_output(transform="default") is imputer
    assert imputer.get_metadata_routing() is not None
    imputer.save(tmp_path / "imputer")
    np.testing.assert_array_equal(sklearn_ae.load(tmp_path / "imputer").transform(X), filled)


def test_every_public_method_of_the_outlier_detector_answers(small_digits, tmp_path):
    X = small_digits[0][:120]
    detector = AutoencoderOutlierDetector(
        AutoencoderTransformer(3, hidden_layer_sizes=(16,), max_epochs=3), n_estimators=1
    ).set_params(random_state=0)
    assert _public_methods(AutoencoderOutlierDetector) == [
        "decision_function",
        "feature_scores",
        "fit",
        "fit_predict",
        "get_metadata_routing",
        "get_params",
        "predict",
        "save",
        "score_samples",
        "set_params",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        labels = detector.fit_predict(X)
        assert detector.fit(X) is detector
    np.testing.assert_array_equal(detector.predict(X), labels)
    scores = detector.score_samples(X)
    np.testing.assert_allclose(detector.decision_function(X), scores - detector.offset_)
    assert detector.feature_scores(X).shape == X.shape
    assert detector.get_params()["random_state"] == 0
    assert detector.get_metadata_routing() is not None
    detector.save(tmp_path / "detector")
    np.testing.assert_array_equal(sklearn_ae.load(tmp_path / "detector").score_samples(X), scores)
