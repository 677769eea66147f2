"""Property-based: bad input gets a clear ValueError/TypeError and changes nothing."""

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.utils._param_validation import generate_invalid_param_val, make_constraint

from sklearn_ae import (
    AutoencoderTransformer,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VariationalAE,
)

N_FEATURES, N_COMPONENTS = 6, 3
CASES_TRIED = {"bad input": 0, "invalid parameter": 0}

ESTIMATORS = {
    "AutoencoderTransformer": AutoencoderTransformer(n_components=N_COMPONENTS, max_epochs=2),
    "AutoencoderTransformer-bce": AutoencoderTransformer(
        n_components=N_COMPONENTS, loss="bce", max_epochs=2
    ),
    "DenoisingAE": DenoisingAE(n_components=N_COMPONENTS, max_epochs=2),
    "SparseAE": SparseAE(n_components=N_COMPONENTS, k=2, max_epochs=2),
    "ContractiveAE": ContractiveAE(n_components=N_COMPONENTS, max_epochs=2),
    "VariationalAE": VariationalAE(n_components=N_COMPONENTS, max_epochs=2),
}
DATA_METHODS = [
    "fit",
    "partial_fit",
    "fit_transform",
    "transform",
    "score",
    "score_samples",
    "reconstruction_error",
    "reconstruct",
    "encoder_jacobian",
    "tangent_space",
    "hash_codes",
]
# What a message must contain, besides naming the problem: a way out.
FIX_WORDS = (
    "use ",
    "Use ",
    "Pass",
    "pass ",
    "Reshape",
    "Impute",
    "drop ",
    "Replace",
    "Encode",
    "scale",
    "must be",
    "Fix",
    "expects codes",
)


@pytest.fixture(scope="module")
def fitted():
    X = np.random.default_rng(0).random((40, N_FEATURES))
    reference = {name: est.set_params(random_state=0).fit(X) for name, est in ESTIMATORS.items()}
    return X, reference


def _values(rows, cols):
    return st.lists(
        st.floats(0, 1, allow_nan=False), min_size=rows * cols, max_size=rows * cols
    ).map(lambda v: np.asarray(v, dtype=float).reshape(rows, cols))


@st.composite
def bad_inputs(draw, n_features):
    """(description, X) pairs that no data method may accept."""
    rows = draw(st.integers(1, 8))
    kind = draw(
        st.sampled_from(
            [
                "all-nan row",
                "inf",
                "empty",
                "no features",
                "1-d",
                "3-d",
                "strings",
                "complex",
                "wrong width",
                "mixed dataframe",
                "object column",
            ]
        )
    )
    X = draw(_values(rows, n_features))
    if kind == "all-nan row":  # a hole is a missing value; a row of holes is no data
        X[draw(st.integers(0, rows - 1))] = np.nan
    elif kind == "inf":
        X[draw(st.integers(0, rows - 1)), draw(st.integers(0, n_features - 1))] = draw(
            st.sampled_from([np.inf, -np.inf])
        )
    elif kind == "empty":
        X = np.empty((0, n_features))
    elif kind == "no features":
        X = np.empty((rows, 0))
    elif kind == "1-d":
        X = X[0]
    elif kind == "3-d":
        X = X[:, :, None].repeat(2, axis=2)
    elif kind == "strings":
        X = np.full((rows, n_features), draw(st.sampled_from(["a", "x1", "nan?"])), dtype=object)
    elif kind == "complex":
        X = X + 1j * draw(st.floats(0.1, 2))
    elif kind == "wrong width":
        X = draw(_values(rows, draw(st.sampled_from([n_features - 1, n_features + 2]))))
    elif kind == "mixed dataframe":
        X = pd.DataFrame(X, columns=[f"c{i}" for i in range(n_features)])
        X["c0"] = draw(st.sampled_from(["red", "blue"]))
    else:
        X = X.astype(object)
        X[0, 0] = draw(st.sampled_from(["1,5", "abc"]))
    return kind, X


def _assert_clear_error(call):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    message = str(info.value)
    assert any(word in message for word in FIX_WORDS), message
    return message


@pytest.mark.parametrize("name", list(ESTIMATORS))
@settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_bad_input_is_rejected_and_changes_nothing(fitted, name, data):
    X_ok, reference = fitted
    estimator = reference[name]
    before = estimator.transform(X_ok)
    method = data.draw(st.sampled_from(DATA_METHODS), label="method")
    kind, X = data.draw(bad_inputs(N_FEATURES), label="X")
    if kind == "wrong width" and method in ("fit", "fit_transform"):
        X = np.asarray(X)[:, :0]  # a fresh fit accepts any width; use no features instead
    if kind == "mixed dataframe" and method in ("fit", "fit_transform"):
        X.iloc[0, 1] = np.inf  # a fresh fit accepts a mixed table, not an infinite number
    _assert_clear_error(lambda: getattr(estimator, method)(X))
    np.testing.assert_array_equal(estimator.transform(X_ok), before)
    CASES_TRIED["bad input"] += 1


@pytest.mark.parametrize("name", list(ESTIMATORS))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    codes=st.one_of(
        st.integers(1, 6).filter(lambda w: w != N_COMPONENTS).map(lambda w: np.zeros((3, w))),
        st.just(sp.csr_matrix(np.zeros((3, N_COMPONENTS)))),
        st.just(np.full((2, N_COMPONENTS), np.nan)),
    )
)
def test_inverse_transform_rejects_wrong_codes(fitted, name, codes):
    X_ok, reference = fitted
    estimator = reference[name]
    before = estimator.transform(X_ok)
    _assert_clear_error(lambda: estimator.inverse_transform(codes))
    np.testing.assert_array_equal(estimator.transform(X_ok), before)
    CASES_TRIED["bad input"] += 1


@given(X=st.floats(1.0001, 1e6).flatmap(lambda top: _values(5, N_FEATURES).map(lambda v: v * top)))
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_bce_rejects_values_outside_the_unit_interval(fitted, X):
    X_ok, reference = fitted
    estimator = reference["AutoencoderTransformer-bce"]
    before = estimator.transform(X_ok)
    if X.max() <= 1:
        X[0, 0] = 2.0
    message = _assert_clear_error(lambda: estimator.fit(X))
    assert "loss='bce' needs X in [0, 1]" in message
    np.testing.assert_array_equal(estimator.transform(X_ok), before)
    CASES_TRIED["bad input"] += 1


def _invalid_values(estimator):
    for param, constraints in type(estimator)._parameter_constraints.items():
        for constraint in constraints:
            try:
                yield param, generate_invalid_param_val(make_constraint(constraint))
            except NotImplementedError:
                pass
        yield param, object()  # satisfies no constraint


@pytest.mark.parametrize("name", list(ESTIMATORS))
def test_every_invalid_parameter_value_is_rejected_before_training(fitted, name):
    X_ok, reference = fitted
    estimator = reference[name]
    before = estimator.transform(X_ok)
    for param, value in _invalid_values(estimator):
        good = estimator.get_params()[param]
        estimator.set_params(**{param: value})
        try:
            with pytest.raises((ValueError, TypeError), match=f"'{param}' parameter"):
                estimator.fit(X_ok)
        finally:
            estimator.set_params(**{param: good})
        np.testing.assert_array_equal(estimator.transform(X_ok), before)
        CASES_TRIED["invalid parameter"] += 1


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda est, X: est.sample(-1), ValueError, "n_samples must be at least 1, got -1"),
        (lambda est, X: est.sample(0), ValueError, "n_samples must be at least 1, got 0"),
        (lambda est, X: est.sample(2.5), TypeError, "n_samples must be an int, got 2.5"),
        (lambda est, X: est.elbo(X, n_samples=0), ValueError, "n_samples must be at least 1"),
        (
            lambda est, X: est.score_samples(X, n_importance_samples=0),
            ValueError,
            "n_importance_samples must be at least 1",
        ),
    ],
)
def test_sample_and_score_counts_are_checked(call, error, match):
    X = np.random.default_rng(0).random((40, N_FEATURES))
    est = VariationalAE(N_COMPONENTS, max_epochs=1, random_state=0).fit(X)
    with pytest.raises(error, match=match):
        call(est, X)


def test_image_shape_accepts_any_integer_sequence_and_warns_on_channels_last():
    X = np.random.default_rng(0).random((30, 192))
    est = AutoencoderTransformer(2, image_shape=np.array([8, 24]), max_epochs=1).fit(X)
    assert est.spec_.image_shape == (1, 8, 24)
    with pytest.warns(UserWarning, match=r"pass image_shape=\(3, 8, 8\)"):
        AutoencoderTransformer(2, image_shape=(8, 8, 3), max_epochs=1).fit(X)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.ones((1, N_FEATURES)), r"X has 1 sample\(s\); \w+\.fit needs at least 2 rows"),
        (np.ones((0, N_FEATURES)), r"X has 0 sample\(s\); \w+\.fit needs at least 2 rows"),
        (pd.DataFrame(index=range(5)), r"0 feature\(s\) \(shape=\(5, 0\)\).* Pass X with its"),
        (pd.DataFrame({"a": ["x"], "b": [1.0]}), r"X has 1 sample\(s\)"),
    ],
    ids=["one row", "no row", "no column", "one-row table"],
)
def test_too_small_a_fit_is_refused_and_keeps_the_fitted_model(fitted, X, match):
    from sklearn_ae import AutoencoderImputer, AutoencoderOutlierDetector

    X_ok, reference = fitted
    others = {
        "AutoencoderOutlierDetector": AutoencoderOutlierDetector(
            AutoencoderTransformer(2, max_epochs=2), n_estimators=1
        ).fit(X_ok),
        "AutoencoderImputer": AutoencoderImputer(max_epochs=2).fit(X_ok),
    }
    for name, estimator in {**reference, **others}.items():
        before = estimator.n_features_in_
        with pytest.raises(ValueError, match=match):
            estimator.fit(X)
        assert estimator.n_features_in_ == before, name
