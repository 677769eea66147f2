"""AutoencoderOutlierDetector on mixed tables: named column scores, and a rare
valid level is not an anomaly for being rare."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

import sklearn_ae
from sklearn_ae import AutoencoderOutlierDetector
from sklearn_ae.datasets import load_penguins
from sklearn_ae.outlier_detection._tables import column_terms

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.fixture(scope="module")
def penguins():
    return load_penguins().dropna().reset_index(drop=True)


def _planted(table, seed=0):
    """Species swapped in 5 % of rows: each value is valid, the row is not."""
    rng = np.random.default_rng(seed)
    table = table.copy()
    rows = rng.choice(len(table), len(table) // 20, replace=False)
    others = {"Adelie": "Gentoo", "Gentoo": "Adelie", "Chinstrap": "Gentoo"}
    table.loc[rows, "species"] = table.loc[rows, "species"].map(others)
    labels = np.zeros(len(table), dtype=int)
    labels[rows] = 1
    return table, labels


def test_swapped_levels_are_found_and_blamed_on_their_column(penguins):
    table, labels = _planted(penguins)
    detector = AutoencoderOutlierDetector(n_estimators=3, random_state=0).fit(table)
    scores = detector.score_samples(table)
    assert roc_auc_score(labels, -scores) > 0.8  # measured 0.87
    explained = detector.feature_scores(table[labels == 1])
    assert list(explained.columns) == list(table.columns)
    blamed = explained.idxmax(axis=1)
    # measured: 11 of 16 on species, the rest on the bills a wrong species
    # makes unlikely (10 of 16 by the columns' own terms, before leaving each out)
    assert blamed.value_counts().index[0] == "species" and (blamed == "species").mean() >= 0.6
    # a missing cell is not to blame; an unremarkable row's columns score about 0
    holed = table[:5].copy()
    holed["bill_length_mm"] = np.nan
    assert (detector.feature_scores(holed)["bill_length_mm"] == 0).all()
    typical = detector.feature_scores(table[labels == 0]).median()
    assert typical.abs().max() < 0.5  # measured 0.19
    assert set(detector.predict(table)) <= {-1, 1}
    np.testing.assert_allclose(detector.decision_function(table), scores - detector.offset_)


def test_a_rare_valid_level_scores_as_its_common_levels_do(penguins):
    # A tag that 3 % of penguins carry at random: valid, rare, unpredictable.
    # In the score (the encoder's code) its own term is as low for the rare
    # level as for the common one. (The rows holding it reconstruct their
    # numbers worse, the code spending capacity on the tag, and their
    # explanations, at the code that explains the row best, blame the tag
    # more: known gaps.)
    table = penguins.copy()
    rare = np.random.default_rng(1).random(len(table)) < 0.03
    table["tag"] = np.where(rare, "ringed", "plain")
    detector = AutoencoderOutlierDetector(n_estimators=3, random_state=0).fit(table)
    estimator, density = detector.estimators_[0], detector._table_density(0)
    terms = column_terms(estimator, table, density)[0][:, -1]
    assert abs(terms[rare].mean() - terms[~rare].mean()) < 0.5  # measured 0.2
    # Without the level's offset its term would be about -log(0.03) = 3.5 nats.
    assert terms[rare].mean() < 1.0


def test_mixed_table_detector_pickles_saves_and_refuses_what_it_cannot_do(penguins, tmp_path):
    detector = AutoencoderOutlierDetector(n_estimators=1, random_state=0).fit(penguins)
    again = pickle.loads(pickle.dumps(detector))
    np.testing.assert_array_equal(again.score_samples(penguins), detector.score_samples(penguins))
    detector.save(tmp_path)
    loaded = sklearn_ae.load(tmp_path)
    np.testing.assert_array_equal(loaded.score_samples(penguins), detector.score_samples(penguins))
    assert loaded.is_categorical_.tolist() == detector.is_categorical_.tolist()
    with pytest.raises(ValueError, match="use anomaly_score='likelihood'"):
        AutoencoderOutlierDetector(anomaly_score="reconstruction").fit(penguins)
    with pytest.raises(ValueError, match="Pass the same columns"):
        detector.score_samples(penguins.drop(columns="sex"))
    assert isinstance(detector.feature_scores(penguins[:3]), pd.DataFrame)


def test_the_estimators_categorical_features_decide_which_columns_are_categories():
    from sklearn_ae import AutoencoderTransformer

    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {
            "x": rng.normal(size=80),
            "y": rng.normal(size=80),
            "grade": pd.Categorical(rng.integers(1, 4, 80)),  # levels 1, 2, 3
        }
    )
    as_table = AutoencoderOutlierDetector(
        AutoencoderTransformer(1, max_epochs=2), n_estimators=1
    ).fit(frame)
    assert as_table.is_categorical_.tolist() == [False, False, True]
    as_numbers = AutoencoderOutlierDetector(
        AutoencoderTransformer(1, max_epochs=2, categorical_features=None), n_estimators=1
    ).fit(frame)
    assert not hasattr(as_numbers, "is_categorical_")  # the grade is read as a number
    assert np.isfinite(as_numbers.score_samples(frame)).all()


def test_a_table_without_column_names_is_explained_by_its_own_labels():
    """Integer column labels (``pd.DataFrame(array)``) label the explanations, and an
    array's categorical columns, chosen by the estimator's indices, are read
    as a table from a list of rows too."""
    from sklearn_ae import AutoencoderTransformer

    table, labels = _planted(load_penguins().dropna().reset_index(drop=True))
    numbered = table.set_axis(range(table.shape[1]), axis=1)
    detector = AutoencoderOutlierDetector(
        AutoencoderTransformer(2, max_epochs=30), n_estimators=1, random_state=0
    ).fit(numbered)
    blame = detector.feature_scores(numbered)
    assert list(blame.columns) == list(range(8))
    # The swapped species (column 0) is blamed first in most of the planted rows.
    assert np.mean(blame.to_numpy()[labels == 1].argmax(1) == 0) > 0.5
    rows = table.to_numpy(dtype=object)
    on_rows = AutoencoderOutlierDetector(
        AutoencoderTransformer(2, max_epochs=30, categorical_features=[0, 1, 6]),
        n_estimators=1,
        random_state=0,
    ).fit(rows.tolist())
    assert on_rows.is_categorical_.tolist() == [1, 1, 0, 0, 0, 0, 1, 0]
    np.testing.assert_allclose(
        on_rows.score_samples(rows.tolist()), detector.score_samples(numbered), rtol=1e-6
    )
    assert isinstance(on_rows.feature_scores(rows), np.ndarray)


def _spread_by_level(seed=0, n=800):
    """``y`` follows ``x``; in the 5 % of rows of level "wide" it spreads 4x more."""
    rng = np.random.default_rng(seed)
    wide = rng.random(n) < 0.05
    x = rng.normal(size=n)
    y = x + np.where(wide, 0.8, 0.2) * rng.normal(size=n)
    grade = np.where(wide, "wide", np.where(rng.random(n) < 0.5, "a", "b"))
    return pd.DataFrame({"x": x, "y": y, "grade": pd.Categorical(grade)}), wide


def test_a_level_whose_numbers_spread_more_is_not_an_anomaly_for_that():
    table, wide = _spread_by_level()
    detector = AutoencoderOutlierDetector(n_estimators=2, random_state=0).fit(table)
    estimator = detector.estimators_[0]
    start, stop = estimator.table_layout_.blocks()[2]  # grade's indicators: a, b, wide
    factors = detector.level_variance_factors_[0][start:stop]  # on x and y
    assert factors.shape == (3, 2)
    assert factors[2, 1] > 3 * factors[:2, 1].max()  # measured 5.4 against 1.2
    lowest = np.argsort(detector.score_samples(table))[:40]
    # measured: 7.9x their share among the 40 lowest scores, 15.2x with one
    # variance per column (a density of numbers that spread 4x more is lower)
    alike = pickle.loads(pickle.dumps(detector))
    alike.level_variance_factors_ = np.ones_like(alike.level_variance_factors_)
    lowest_alike = np.argsort(alike.score_samples(table))[:40]
    assert wide[lowest].mean() < 0.7 * wide[lowest_alike].mean()
    # still found when a "wide" row's y is off by as much as its own spread allows twice
    odd = table.copy()
    rows = np.flatnonzero(wide)[:5]
    odd.loc[rows, "y"] += 6.0
    ranks = np.argsort(np.argsort(detector.score_samples(odd)))
    assert (ranks[rows] < 40).all()


def test_a_table_detector_saved_without_variance_factors_loads_with_none(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import load_file, save_file

    table, _ = _spread_by_level()
    detector = AutoencoderOutlierDetector(n_estimators=1, random_state=0).fit(table)
    detector.save(tmp_path)
    weights = tmp_path / "weights.safetensors"
    with safe_open(str(weights), framework="numpy") as file:
        metadata = file.metadata()
    arrays = load_file(weights)
    del arrays["level_variance_factors_"]
    save_file(arrays, weights, metadata=metadata)
    loaded = sklearn_ae.load(tmp_path)
    assert (loaded.level_variance_factors_ == 1).all()
    detector.level_variance_factors_ = np.ones_like(detector.level_variance_factors_)
    np.testing.assert_allclose(loaded.score_samples(table), detector.score_samples(table))
