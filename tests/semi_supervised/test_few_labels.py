"""AutoencoderClassifier and AutoencoderRegressor: pretraining on every row, fine-tuning
on the labelled ones; -1 / NaN mark the rows without a label."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from sklearn.preprocessing import scale

from sklearn_ae import (
    AutoencoderClassifier,
    AutoencoderRegressor,
    AutoencoderTransformer,
    DenoisingAE,
)


@pytest.fixture(autouse=True)
def quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


@pytest.fixture(scope="module")
def digits_few():
    X, y = load_digits(return_X_y=True)
    X = (X / 16).astype(np.float32)
    rng = np.random.default_rng(0)
    order = rng.permutation(len(X))
    pool, test = order[:1300], order[1300:]
    y_few = np.full(len(pool), -1)
    labelled = rng.choice(len(pool), 100, replace=False)
    y_few[labelled] = y[pool][labelled]
    return X[pool], y_few, X[test], y[test]


@pytest.fixture(scope="module")
def pretrained(digits_few):
    return AutoencoderTransformer(16, max_epochs=40, random_state=0).fit(digits_few[0])


def test_fine_tuning_beats_the_code_it_started_from(digits_few, pretrained):
    from sklearn.linear_model import LogisticRegression

    X, y_few, X_test, y_test = digits_few
    labelled = y_few != -1
    clf = AutoencoderClassifier(pretrained, prefit=True, random_state=0).fit(X, y_few)
    frozen = LogisticRegression(max_iter=2000).fit(
        pretrained.transform(X[labelled]), y_few[labelled]
    )
    error = np.mean(clf.predict(X_test) != y_test)
    frozen_error = np.mean(frozen.predict(pretrained.transform(X_test)) != y_test)
    assert error < 0.25
    assert error < frozen_error
    assert clf.n_labelled_ == 100
    np.testing.assert_array_equal(clf.classes_, np.arange(10))
    proba = clf.predict_proba(X_test)
    np.testing.assert_allclose(proba.sum(1), 1, rtol=1e-6)
    np.testing.assert_array_equal(clf.predict(X_test), clf.classes_[proba.argmax(1)])
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X_test)), proba, rtol=1e-6)


def test_prefit_leaves_the_given_autoencoder_as_it_was(digits_few, pretrained):
    X, y_few = digits_few[:2]
    before = pretrained.transform(X[:5])
    clf = AutoencoderClassifier(pretrained, prefit=True, random_state=0).fit(X, y_few)
    np.testing.assert_array_equal(pretrained.transform(X[:5]), before)
    assert not np.allclose(clf.autoencoder_.transform(X[:5]), before)  # fine-tuned copy
    with pytest.raises(ValueError, match="prefit=True needs a fitted autoencoder"):
        AutoencoderClassifier(prefit=True).fit(X, y_few)


@pytest.mark.parametrize("head_input, width", [("code", 16), ("hidden", 128)])
def test_the_head_reads_the_code_or_the_last_hidden_layer(
    digits_few, pretrained, head_input, width
):
    X, y_few = digits_few[:2]
    clf = AutoencoderClassifier(pretrained, prefit=True, head_input=head_input, max_epochs=5)
    clf.fit(X, y_few)
    assert clf.head_coef_.shape == (10, width)
    clf.set_params(head_input="code" if head_input == "hidden" else "hidden")
    assert clf.predict_proba(X[:3]).shape == (3, 10)  # what it fitted, not the new setting


def test_a_reconstruction_weight_trains_on_every_row(digits_few, pretrained):
    X, y_few = digits_few[:2]
    settings = dict(prefit=True, early_stopping=False, max_epochs=2, random_state=0)
    alone = AutoencoderClassifier(pretrained, **settings).fit(X, y_few)
    joint = AutoencoderClassifier(pretrained, reconstruction_weight=1.0, **settings).fit(X, y_few)
    decoded = joint.autoencoder_.reconstruct(X)
    assert np.mean((decoded - X) ** 2) < np.mean((alone.autoencoder_.reconstruct(X) - X) ** 2)


def test_early_stopping_holds_out_labelled_rows(digits_few, pretrained):
    X, y_few = digits_few[:2]
    clf = AutoencoderClassifier(
        pretrained, prefit=True, early_stopping=True, n_iter_no_change=5, random_state=0
    )
    clf.fit(X, y_few)
    assert len(clf.validation_loss_curve_) == clf.n_iter_ < 100
    assert clf.best_epoch_ < clf.n_iter_
    default = AutoencoderClassifier(pretrained, prefit=True, max_epochs=3).fit(X, y_few)
    assert default.validation_loss_curve_ is None and default.n_iter_ == 3


@pytest.mark.slow
def test_pickle_and_grid_search_scoring_on_labelled_rows(digits_few, pretrained):
    X, y_few = digits_few[:2]
    clf = AutoencoderClassifier(pretrained, prefit=True, max_epochs=20, random_state=0).fit(
        X, y_few
    )
    copy = pickle.loads(pickle.dumps(clf))
    np.testing.assert_array_equal(copy.predict_proba(X[:20]), clf.predict_proba(X[:20]))
    labelled = y_few != -1
    assert clf.score(X, y_few) == np.mean(clf.predict(X[labelled]) == y_few[labelled])
    search = GridSearchCV(
        AutoencoderClassifier(DenoisingAE(8, max_epochs=5), max_epochs=10, random_state=0),
        {"autoencoder__noise_level": [0.1, 0.3], "lr": [1e-3, 3e-3]},
        cv=2,
    ).fit(X[:600], y_few[:600])
    assert set(search.cv_results_["params"][0]) == {"autoencoder__noise_level", "lr"}
    assert 0.2 < search.best_score_ <= 1


@pytest.mark.slow
def test_text_labels_and_dataframes_with_categories():
    from sklearn_ae.datasets import load_penguins

    table = load_penguins()
    species = table.pop("species").to_numpy().astype(object)
    y = species.copy()
    y[np.random.default_rng(0).random(len(y)) < 0.8] = -1
    clf = AutoencoderClassifier(random_state=0).fit(table, y)
    assert set(clf.classes_) == {"Adelie", "Chinstrap", "Gentoo"}
    unlabelled = y == -1
    assert np.mean(clf.predict(table[unlabelled]) == species[unlabelled]) > 0.8


@pytest.mark.parametrize(
    "y, message",
    [
        (np.full(50, -1), "y has no labelled row"),
        (np.r_[np.full(45, -1), np.full(5, 3)], "at least 2 classes; the data contains only one"),
        (np.linspace(0, 1, 50), "Unknown label type"),
    ],
)
def test_bad_labels_are_named(y, message):
    X = np.random.default_rng(0).normal(size=(50, 4))
    with pytest.raises(ValueError, match=message):
        AutoencoderClassifier(max_epochs=2).fit(X, y)


def test_the_regressor_learns_from_few_targets():
    X, y = load_diabetes(return_X_y=True)
    X = scale(X)
    y_few = np.full(len(y), np.nan)
    y_few[:150] = y[:150]
    reg = AutoencoderRegressor(random_state=0).fit(X, y_few)
    assert reg.n_labelled_ == 150
    assert reg.score(X[150:], y[150:]) > 0.3
    assert reg.score(X, y_few) == pytest.approx(reg.score(X[:150], y[:150]))
    assert abs(reg.target_mean_ - y[:150].mean()) < 1e-9
    with pytest.raises(ValueError, match="needs at least 2 to fine-tune on"):
        AutoencoderRegressor().fit(X, np.full(len(y), np.nan))


def test_save_and_load_give_the_same_predictions(digits_few, pretrained, tmp_path):
    import json

    from sklearn_ae import load

    X, y_few = digits_few[:2]
    clf = AutoencoderClassifier(
        pretrained, prefit=True, head_input="hidden", max_epochs=3, random_state=0
    ).fit(X, y_few)
    clf.save(tmp_path / "clf")
    loaded = load(tmp_path / "clf")
    np.testing.assert_array_equal(loaded.predict_proba(X[:50]), clf.predict_proba(X[:50]))
    np.testing.assert_array_equal(loaded.classes_, clf.classes_)
    assert loaded.get_params()["prefit"] and loaded.head_input_ == "hidden"
    reg = AutoencoderRegressor(pretrained, prefit=True, max_epochs=3).fit(
        X, np.where(y_few == -1, np.nan, y_few)
    )
    reg.save(tmp_path / "reg")
    np.testing.assert_array_equal(load(tmp_path / "reg").predict(X[:20]), reg.predict(X[:20]))
    document = json.loads((tmp_path / "clf" / "estimator.json").read_text())
    document["fitted"]["classes_"] = [0, 0]
    (tmp_path / "clf" / "estimator.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="classes_ must be distinct"):
        load(tmp_path / "clf")


def test_onnx_and_skops_give_the_same_probabilities(digits_few, pretrained):
    ort = pytest.importorskip("onnxruntime")
    skl2onnx = pytest.importorskip("skl2onnx")
    sio = pytest.importorskip("skops.io")
    from sklearn_ae.onnx import register_converters

    X, y_few = digits_few[:2]
    X = X.copy()
    X[0, 3] = np.nan  # completed in the graph as in Python
    clf = AutoencoderClassifier(pretrained, prefit=True, max_epochs=3, random_state=0)
    clf.fit(X, y_few)
    register_converters()
    onnx_model = skl2onnx.to_onnx(clf, X[:1], options={"zipmap": False})
    session = ort.InferenceSession(onnx_model.SerializeToString())
    label, proba = session.run(None, {session.get_inputs()[0].name: X[:200]})
    np.testing.assert_allclose(proba, clf.predict_proba(X[:200]), atol=1e-5)
    np.testing.assert_array_equal(label, clf.predict(X[:200]))
    payload = sio.dumps(clf)
    untrusted = sio.get_untrusted_types(data=payload)
    assert untrusted and all(t.startswith("sklearn_ae.") for t in untrusted), untrusted
    loaded = sio.loads(payload, trusted=untrusted)
    np.testing.assert_array_equal(loaded.predict_proba(X[:50]), clf.predict_proba(X[:50]))


def test_a_mixed_table_with_holes_text_a_rare_level_and_bools_fits_and_predicts_lazily():
    """Text, a 2 % level, a nullable bool and missing cells through fit, predict,
    score (which skips the unlabeled rows) and lazy Dask inference."""
    import pandas as pd

    rng = np.random.default_rng(0)
    n = 300
    size = rng.normal(size=n)
    y = (size > 0).astype(int)
    table = pd.DataFrame(
        {
            "size": size + 0.3 * rng.normal(size=n),
            "weight": 2 * size + rng.normal(size=n),
            "colour": np.where(y == 1, "red", "blue").astype(object),
            "grade": pd.Categorical(np.where(np.arange(n) % 50 == 0, "rare", "common")),
            "flag": pd.array(rng.random(n) < 0.5, dtype="boolean"),
        }
    )
    table.loc[rng.random(n) < 0.1, "weight"] = np.nan
    table.loc[rng.random(n) < 0.1, "colour"] = None
    table.loc[rng.random(n) < 0.1, "flag"] = pd.NA
    y_few = np.where(rng.random(n) < 0.15, y, -1)
    clf = AutoencoderClassifier(AutoencoderTransformer(2, max_epochs=20), random_state=0)
    clf.fit(table, y_few)
    assert list(clf.feature_names_in_) == list(table.columns)
    unlabelled = y_few == -1
    accuracy = np.mean(clf.predict(table[unlabelled]) == y[unlabelled])
    assert accuracy > 0.85
    # score judges labelled rows only; -1 rows (here the unlabeled ones) are skipped
    assert clf.score(table, np.where(unlabelled, y, -1)) == pytest.approx(accuracy)
    dd = pytest.importorskip("dask.dataframe")
    lazy = clf.predict_proba(dd.from_pandas(table, npartitions=3))
    np.testing.assert_allclose(lazy.compute(), clf.predict_proba(table), rtol=1e-6)


def test_score_takes_lists_and_sample_weights_of_every_row(digits_few, pretrained):
    X, y_few, X_test, y_test = digits_few
    clf = AutoencoderClassifier(pretrained, prefit=True, max_epochs=5, random_state=0)
    clf.fit(X, y_few)
    y = y_test.copy()
    y[:100] = -1
    weights = np.r_[np.full(100, 5.0), np.ones(len(y) - 100)]
    expected = np.mean(clf.predict(X_test[100:]) == y_test[100:])
    assert clf.score(X_test.tolist(), y, sample_weight=weights) == pytest.approx(expected)
