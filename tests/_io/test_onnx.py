"""ONNX export: onnxruntime gives what transform gives, alone and in a Pipeline."""

import sys
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_ae import (
    AdversarialAE,
    AutoencoderTransformer,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VariationalAE,
)

skl2onnx = pytest.importorskip("skl2onnx")
onnxruntime = pytest.importorskip("onnxruntime")


@pytest.fixture(scope="module", autouse=True)
def _registered():
    from sklearn_ae.onnx import register_converters

    register_converters()


def _run(onnx_model, X):
    session = onnxruntime.InferenceSession(
        onnx_model.SerializeToString(), providers=["CPUExecutionProvider"]
    )
    return session.run(None, {session.get_inputs()[0].name: X})


ESTIMATORS = [
    AutoencoderTransformer(4, hidden_layer_sizes=(16, 8)),
    AutoencoderTransformer(4, activation="gelu", code_activation="tanh", tied_weights=True),
    AutoencoderTransformer(4, activation="elu", code_activation="sigmoid"),
    DenoisingAE(4, noise="masking"),
    SparseAE(8, k=3),
    ContractiveAE(4, hidden_layer_sizes=()),
    AutoencoderTransformer(4, image_shape=(8, 8), conv_channels=(4, 8)),
    SparseAE(8, k=2, image_shape=(8, 8), conv_channels=(4,), hidden_layer_sizes=()),
    VariationalAE(4),
    VariationalAE(4, image_shape=(8, 8), conv_channels=(4,)),
    AdversarialAE(4),
    AdversarialAE(4, encoder="gaussian", image_shape=(8, 8), conv_channels=(4,)),
]


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_onnxruntime_matches_transform(small_digits, estimator):
    X = small_digits[0].astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.set_params(max_epochs=3, random_state=0).fit(X)
    (codes,) = _run(skl2onnx.to_onnx(estimator, X[:1]), X)
    np.testing.assert_allclose(codes, estimator.transform(X), rtol=1e-5, atol=1e-5)


def test_float64_input_converts_and_computes_in_float32(small_digits):
    X = small_digits[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ae = AutoencoderTransformer(4, max_epochs=3, random_state=0).fit(X)
    (codes,) = _run(skl2onnx.to_onnx(ae, X[:1]), X)
    assert codes.dtype == np.float64
    np.testing.assert_allclose(codes, ae.transform(X), rtol=1e-5, atol=1e-5)


def test_a_whole_pipeline_converts(small_digits):
    X, y = small_digits[0].astype(np.float32) * 16, small_digits[1]
    pipe = Pipeline(
        [
            ("scale", StandardScaler()),
            ("ae", AutoencoderTransformer(8, max_epochs=5, random_state=0)),
            ("clf", LogisticRegression(max_iter=500)),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        pipe.fit(X, y)
    onnx_model = skl2onnx.to_onnx(pipe, X[:1], options={"zipmap": False})
    labels, probabilities = _run(onnx_model, X)
    np.testing.assert_array_equal(labels, pipe.predict(X))
    np.testing.assert_allclose(probabilities, pipe.predict_proba(X), atol=1e-5)


def test_unfitted_estimators_and_a_missing_skl2onnx_are_refused_clearly(monkeypatch):
    with pytest.raises(NotFittedError):
        skl2onnx.to_onnx(AutoencoderTransformer(), np.zeros((1, 4), np.float32))
    from sklearn_ae.onnx import register_converters

    monkeypatch.setitem(sys.modules, "skl2onnx", None)
    with pytest.raises(ImportError, match="pip install skl2onnx onnxruntime"):
        register_converters()


@pytest.mark.parametrize(
    "estimator",
    [
        *ESTIMATORS,
        AutoencoderTransformer(4, loss="bce", tied_weights=True),
        VariationalAE(4, loss="bce", image_shape=(8, 8), conv_channels=(4, 8)),
    ],
    ids=repr,
)
def test_onnx_completes_rows_with_missing_entries_as_transform_does(small_digits, estimator):
    X = small_digits[0].astype(np.float32)
    holes = X.copy()
    holes[::2, 10:20] = np.nan
    holes[1::3, 40] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator.set_params(max_epochs=3, random_state=0).fit(holes)
    codes = _run(skl2onnx.to_onnx(estimator, holes[:1]), holes)[0]
    assert np.isfinite(codes).all()
    np.testing.assert_allclose(codes, estimator.transform(holes), atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize(
    "params",
    [
        {"loss": "mse"},
        {"loss": "bce", "add_indicator": True},
        {"missing_values": -1.0, "keep_empty_features": True, "n_passes": 2},
    ],
    ids=["mse", "bce-indicator", "placeholder-empty"],
)
def test_imputer_onnx_fills_holes_as_transform_does(small_digits, params):
    from sklearn_ae import AutoencoderImputer

    X = small_digits[0].astype(np.float32)
    holes = X.copy()
    holes[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
    holes[:, 3] = np.nan  # an empty feature
    if "missing_values" in params:
        holes[np.isnan(holes)] = -1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        imputer = AutoencoderImputer(max_epochs=3, random_state=0, **params).fit(holes)
    assert np.any(imputer.gaussian_weight_ > 0)  # the Gaussian's conditional mean is exported
    (filled,) = _run(skl2onnx.to_onnx(imputer, holes[:1]), holes)
    np.testing.assert_allclose(filled, imputer.transform(holes), atol=1e-5, rtol=1e-4)


def test_imputer_with_a_text_placeholder_is_refused_clearly(small_digits):
    from sklearn_ae import AutoencoderImputer

    imputer = AutoencoderImputer(max_epochs=1, random_state=0)
    imputer.fit(small_digits[0][:50])
    imputer.missing_values = None  # as a text placeholder would be
    with pytest.raises(NotImplementedError, match="needs a numeric missing_values"):
        skl2onnx.to_onnx(imputer, small_digits[0][:1].astype(np.float32))


@pytest.mark.parametrize(
    "params",
    [
        {"n_estimators": 2},
        {"estimator": VariationalAE(3, max_epochs=5), "n_estimators": 1},
        {"anomaly_score": "reconstruction", "n_estimators": 2},
    ],
    ids=["likelihood", "vae", "reconstruction"],
)
def test_detector_onnx_predicts_and_scores_as_the_detector(params):
    from sklearn.datasets import load_breast_cancer

    from sklearn_ae import AutoencoderOutlierDetector

    X = load_breast_cancer().data[:200].astype(np.float32)
    holes = X.copy()
    holes[::3, 4] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        detector = AutoencoderOutlierDetector(random_state=0, **params).fit(X)
    model = skl2onnx.to_onnx(detector, X[:1])
    for rows in (X, holes):
        label, scores = _run(model, rows)
        expected = detector.decision_function(rows)
        assert scores.shape == (len(rows), 1)
        # float32 graph; scores reach a few hundred nats
        np.testing.assert_allclose(scores[:, 0], expected, rtol=1e-5, atol=1e-3)
        np.testing.assert_array_equal(label, detector.predict(rows))
    # a row with a hole is scored on its observed features
    assert not np.allclose(_run(model, holes)[1][::3, 0], _run(model, X)[1][::3, 0])


def test_detector_on_a_mixed_table_is_refused_with_the_way_out():
    pd = pytest.importorskip("pandas")
    from sklearn_ae import AutoencoderOutlierDetector

    rng = np.random.default_rng(0)
    table = pd.DataFrame({"x": rng.normal(size=60), "kind": rng.choice(["a", "b"], 60)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        detector = AutoencoderOutlierDetector(
            AutoencoderTransformer(1, max_epochs=2), n_estimators=1
        ).fit(table)
    with pytest.raises(NotImplementedError, match="OneHotEncoder"):
        skl2onnx.to_onnx(detector, table.iloc[:1])
