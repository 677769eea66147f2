"""AutoencoderOutlierDetector: scikit-learn's outlier-detector contract, scores, explanations."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

import sklearn_ae
from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer, VariationalAE
from sklearn_ae._density.robust import gaussian_log_density, robust_gaussian, trimmed_mean_squares
from sklearn_ae.outlier_detection._detector import _best_codes, auto_n_estimators


def _quiet(detector, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return detector.fit(X)


@pytest.fixture(scope="module")
def cancer():
    """Benign tumours to train on; the malignant ones are the anomalies."""
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    benign, malignant = X[y == 1], X[y == 0]
    order = rng.permutation(len(benign))
    train, test_benign = benign[order[:250]], benign[order[250:]]
    test = np.vstack([test_benign, malignant[:40]])
    labels = np.r_[np.zeros(len(test_benign)), np.ones(40)]
    return train, test, labels


@pytest.fixture(scope="module")
def fitted(cancer):
    return _quiet(AutoencoderOutlierDetector(random_state=0), cancer[0])


@pytest.mark.slow
@parametrize_with_checks(
    [
        AutoencoderOutlierDetector(random_state=0),
        AutoencoderOutlierDetector(
            VariationalAE(2, hidden_layer_sizes=(8,), max_epochs=5), n_estimators=1, random_state=0
        ),
    ]
)
def test_scikit_learn_outlier_detector_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


def test_the_outlier_detector_contract_holds(fitted, cancer):
    train, test, labels = cancer
    scores = fitted.score_samples(test)
    np.testing.assert_allclose(fitted.decision_function(test), scores - fitted.offset_)
    np.testing.assert_array_equal(
        fitted.predict(test), np.where(fitted.decision_function(test) < 0, -1, 1)
    )
    # Malignant tumours, never seen, score as less likely than benign ones.
    assert roc_auc_score(labels, -scores) > 0.9
    # n_estimators="auto": ceil(10000 / 250 rows), at most 10 networks
    assert len(fitted.estimators_) == 10 and fitted.estimator_ is fitted.estimators_[0]


def test_contamination_sets_the_share_of_flagged_training_rows(cancer):
    train = cancer[0]
    detector = _quiet(
        AutoencoderOutlierDetector(contamination=0.1, n_estimators=1, random_state=0), train
    )
    assert np.mean(detector.predict(train) == -1) == pytest.approx(0.1, abs=0.01)
    labels = _quiet(
        AutoencoderOutlierDetector(contamination=0.1, n_estimators=1, random_state=0), train
    ).fit_predict(train)
    np.testing.assert_array_equal(labels, detector.predict(train))


def test_the_likelihood_is_a_density_in_the_units_of_x(cancer):
    train = cancer[0]
    detector = _quiet(AutoencoderOutlierDetector(random_state=0), train)
    # Rescaling a feature by 1000 lowers the density by log(1000), nothing else.
    scaled = train * np.r_[1000.0, np.ones(train.shape[1] - 1)]
    rescaled = _quiet(AutoencoderOutlierDetector(random_state=0), scaled)
    np.testing.assert_allclose(
        rescaled.score_samples(scaled[:10]),
        detector.score_samples(train[:10]) - np.log(1000.0),
        rtol=1e-4,
    )


def test_feature_scores_add_up_to_the_reconstruction_score(cancer):
    train, test, _ = cancer
    detector = _quiet(
        AutoencoderOutlierDetector(anomaly_score="reconstruction", n_estimators=2, random_state=0),
        train,
    )
    per_feature = detector.feature_scores(test)
    assert per_feature.shape == test.shape and (per_feature >= 0).all()
    np.testing.assert_allclose(per_feature.sum(1), -detector.score_samples(test), rtol=1e-5)


def test_likelihood_feature_scores_explain_the_row_at_its_best_code(cancer):
    # Feature scores are the observation terms of -log p(x, h) at the code h that
    # explains the row best, so together with that code's log-density they give
    # a joint density at least the score's (taken at the encoder's code).
    fitted = _quiet(AutoencoderOutlierDetector(n_estimators=1, random_state=0), cancer[0])
    test = cancer[1][:20]
    Z = (test - fitted.mean_) / fitted.scale_
    est, density = fitted.estimator_, (fitted.code_means_[0], fitted.code_covariances_[0])
    noise = fitted.noise_variances_[0]
    at_encoder = (
        -((Z - est.reconstruct(Z)) ** 2 / (2 * noise) + 0.5 * np.log(2 * np.pi * noise)).sum(1)
        + gaussian_log_density(est.transform(Z), *density)
        - np.log(fitted.scale_).sum()
    )
    np.testing.assert_allclose(at_encoder, fitted.score_samples(test), rtol=1e-6)
    best = _best_codes(est, Z, np.ones(Z.shape, bool), noise, *density)[0]
    at_best = -fitted.feature_scores(test).sum(1) + gaussian_log_density(best, *density)
    assert np.all(at_best - np.log(fitted.scale_).sum() >= fitted.score_samples(test) - 1e-6)


def test_feature_scores_find_the_features_that_break_the_correlations():
    # 20 features from 4 factors; each anomaly moves 2 features off the structure,
    # each alone within its normal range.
    rng = np.random.default_rng(0)
    loadings = rng.normal(size=(4, 20))
    normal = rng.normal(size=(2000, 4)) @ loadings + 0.1 * rng.normal(size=(2000, 20))
    anomalies = rng.normal(size=(100, 4)) @ loadings + 0.1 * rng.normal(size=(100, 20))
    planted = np.array([rng.choice(20, 2, replace=False) for _ in range(100)])
    spread = normal.std(0)
    for row, pair in zip(anomalies, planted, strict=True):
        row[pair] -= 1.5 * spread[pair] * np.sign(row[pair])  # towards the middle
    detector = _quiet(AutoencoderOutlierDetector(random_state=0), normal)
    top_two = np.argsort(-detector.feature_scores(anomalies), axis=1)[:, :2]
    hits = [set(top) == set(pair) for top, pair in zip(top_two, planted, strict=True)]
    assert np.mean(hits) >= 0.9
    within = np.abs(anomalies - normal.mean(0)) <= 3 * spread  # each value looks normal
    assert within[np.arange(100)[:, None], planted].all()


def test_outliers_among_the_training_rows_do_not_set_the_densities():
    # A fifth of the training rows malignant: with the noise variances and
    # the code Gaussian fitted to every row alike, ROC-AUC was 0.81.
    X, y = load_breast_cancer(return_X_y=True)
    rng = np.random.default_rng(0)
    benign, malignant = X[y == 1][rng.permutation(357)], X[y == 0][rng.permutation(212)]
    train = np.vstack([benign[:250], malignant[:62]])
    test = np.vstack([benign[250:], malignant[62:122]])
    detector = _quiet(AutoencoderOutlierDetector(random_state=0), train)
    labels = np.r_[np.zeros(107), np.ones(60)]
    assert roc_auc_score(labels, -detector.score_samples(test)) > 0.85


def test_trimmed_variances_leave_out_each_features_largest_tenth():
    squared = np.c_[np.arange(1.0, 11.0), np.r_[np.arange(1.0, 10.0), 1e6]]
    observed = np.ones(squared.shape, bool)
    np.testing.assert_allclose(trimmed_mean_squares(squared, observed), [5.0, 5.0])
    # Missing entries count for nothing: 1..9 and 1e6 observed among 20 rows.
    column = np.r_[np.full(10, 123.0), np.arange(1.0, 10.0), 1e6][:, None]
    observed = np.arange(20)[:, None] >= 10
    np.testing.assert_allclose(trimmed_mean_squares(column, observed), [5.0])


def test_the_robust_code_gaussian_ignores_a_cluster_of_outliers():
    rng = np.random.default_rng(0)
    rows = np.vstack([rng.normal(size=(900, 3)), rng.normal(6.0, 0.3, size=(100, 3))])
    mean, covariance = robust_gaussian(rows)
    assert np.abs(mean).max() < 0.1 and rows.mean(0).min() > 0.5
    assert np.all(np.abs(np.diag(covariance) - 1) < 0.15) and np.cov(rows.T)[0, 0] > 3
    assert np.isfinite(robust_gaussian(np.ones((10, 2)))[1]).all()  # degenerate rows


def test_auto_n_estimators_averages_small_tables_and_spares_wide_ones():
    assert auto_n_estimators(300, 30) == 10
    assert auto_n_estimators(5_000, 100) == 2 and auto_n_estimators(7_000, 100) == 1
    assert auto_n_estimators(1_376, 1_555) == 1
    assert auto_n_estimators(600_000, 3) == 1


def test_missing_entries_score_and_explain_without_their_features(fitted, cancer):
    test = cancer[1][:10].copy()
    test[:, 3] = np.nan
    scores = fitted.score_samples(test)
    assert np.isfinite(scores).all()
    per_feature = fitted.feature_scores(test)
    assert (per_feature[:, 3] == 0).all() and np.isfinite(per_feature).all()


def test_image_rows_give_heat_maps(small_digits):
    X = small_digits[0]
    detector = _quiet(
        AutoencoderOutlierDetector(
            AutoencoderTransformer(4, image_shape=(8, 8), conv_channels=(4,), max_epochs=3),
            n_estimators=1,
            random_state=0,
        ),
        X,
    )
    assert detector.mean_.max() == 0 and detector.scale_.min() == 1  # images: not rescaled
    heat = detector.feature_scores(X[:5]).reshape(-1, 8, 8)
    assert heat.shape == (5, 8, 8) and np.isfinite(heat).all()


@pytest.mark.parametrize("score", ["likelihood", "reconstruction"])
def test_pickle_and_save_load_reproduce_every_output(fitted, cancer, score, tmp_path):
    test = cancer[1][:30]
    detector = fitted if score == "likelihood" else fitted.set_params(anomaly_score=score)
    try:
        outputs = {
            name: getattr(detector, name)(test)
            for name in ("score_samples", "decision_function", "predict", "feature_scores")
        }
        detector.save(tmp_path / "detector")
        for copy in (pickle.loads(pickle.dumps(detector)), sklearn_ae.load(tmp_path / "detector")):
            for name, expected in outputs.items():
                np.testing.assert_array_equal(getattr(copy, name)(test), expected)
    finally:
        fitted.set_params(anomaly_score="likelihood")


def test_skops_round_trip_reproduces_the_scores(fitted, cancer, tmp_path):
    skops_io = pytest.importorskip("skops.io")
    path = tmp_path / "detector.skops"
    skops_io.dump(fitted, path)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert all(name.startswith("sklearn_ae.") for name in untrusted)
    loaded = skops_io.load(path, trusted=untrusted)
    np.testing.assert_array_equal(loaded.score_samples(cancer[1]), fitted.score_samples(cancer[1]))


def test_bad_parameters_are_refused_clearly(cancer):
    with pytest.raises(ValueError, match="contamination"):
        AutoencoderOutlierDetector(contamination=0.7).fit(cancer[0])
    with pytest.raises(ValueError, match="anomaly_score"):
        AutoencoderOutlierDetector(anomaly_score="distance").fit(cancer[0])


def test_an_edited_saved_detector_is_refused(fitted, tmp_path):
    import json

    fitted.save(tmp_path / "detector")
    document = json.loads((tmp_path / "detector" / "estimator.json").read_text())
    document["fitted"]["offset_"] = -1e9  # flag nothing
    (tmp_path / "detector" / "estimator.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="the directory was edited"):
        sklearn_ae.load(tmp_path / "detector")


def test_a_default_fit_on_a_small_table_gives_one_warning_with_advice_that_works():
    from sklearn.base import clone

    X = load_breast_cancer().data[:300]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        detector = AutoencoderOutlierDetector(random_state=0).fit(X)
    # before: one ConvergenceWarning per network, 10 identical ones
    assert len(detector.estimators_) == 10
    assert [w.category for w in caught] == [ConvergenceWarning], caught
    message = str(caught[0].message)
    assert "10 of the 10 networks" in message and "warm_start" not in message
    assert "estimator=clone(detector.estimator_).set_params(max_epochs=N)" in message
    # the advice is runnable as written
    estimator = clone(detector.estimator_).set_params(max_epochs=2)
    AutoencoderOutlierDetector(estimator, n_estimators=1).fit(X)


def test_warnings_other_than_convergence_pass_through_the_detector_fit():
    X = load_breast_cancer().data[:100]
    wide = AutoencoderTransformer(40, hidden_layer_sizes=(), max_epochs=2)  # 40 > 30 features
    with pytest.warns(UserWarning, match="without a bottleneck"):
        AutoencoderOutlierDetector(wide, n_estimators=1).fit(X)
