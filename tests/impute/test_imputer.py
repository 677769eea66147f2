"""AutoencoderImputer: fills holes in every column's units, as scikit-learn's imputers do."""

import numpy as np
import pytest
from _estimators import ESTIMATOR_CLASSES
from _helpers import with_holes
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ae import AutoencoderImputer, AutoencoderTransformer

CLASSES = ESTIMATOR_CLASSES


# Few epochs, on purpose.
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


@pytest.mark.slow
@parametrize_with_checks([AutoencoderImputer(max_epochs=3, random_state=0)])
def test_imputer_is_sklearn_compatible(estimator, check):
    check(estimator)


def test_imputer_fills_holes_keeps_observed_entries_and_beats_the_mean(digits):
    X_train, X_test = train_test_split(digits[0], random_state=0)
    holes_train, holes_test = with_holes(X_train), with_holes(X_test, seed=1)
    imputer = AutoencoderImputer(random_state=0).fit(holes_train)
    filled = imputer.transform(holes_test)
    observed = ~np.isnan(holes_test)
    assert not np.isnan(filled).any()
    np.testing.assert_array_equal(filled[observed], holes_test[observed])
    missing = ~observed

    def rmse(values):
        return np.sqrt(np.mean((values[missing] - X_test[missing]) ** 2))

    mean_rmse = rmse(SimpleImputer().fit(holes_train).transform(holes_test))
    assert rmse(filled) < 0.8 * mean_rmse  # measured: 0.14 against 0.29


def test_imputer_indicator_empty_features_and_names(small_digits):
    pd = pytest.importorskip("pandas")
    X = with_holes(small_digits[0][:, :6])
    X[:, 2] = np.nan
    frame = pd.DataFrame(X, columns=[f"f{i}" for i in range(6)])
    dropped = AutoencoderImputer(add_indicator=True, max_epochs=2, random_state=0).fit(frame)
    names = dropped.get_feature_names_out()
    assert list(names[:5]) == ["f0", "f1", "f3", "f4", "f5"]
    assert names[5].startswith("missingindicator_")
    assert dropped.transform(frame).shape == (300, 5 + 6)
    kept = AutoencoderImputer(keep_empty_features=True, max_epochs=2, random_state=0).fit(X)
    out = kept.transform(X)
    assert out.shape == (300, 6) and np.all(out[:, 2] == 0)


def test_imputer_accepts_other_placeholders_and_fits_a_grid_search(small_digits):
    X = small_digits[0][:, :8].copy()
    X[::5, 3] = -1.0
    imputer = AutoencoderImputer(missing_values=-1.0, max_epochs=2, random_state=0).fit(X)
    assert not np.any(imputer.transform(X) == -1.0)
    grid = GridSearchCV(
        make_pipeline(AutoencoderImputer(max_epochs=2, random_state=0), LogisticRegression()),
        {"autoencoderimputer__noise_level": [0.1, 0.3]},
        cv=2,
    ).fit(with_holes(small_digits[0]), small_digits[1])
    assert grid.best_score_ > 0.5


def _mixed_unit_table(n_rows=500, n_features=8, seed=0):
    """Correlated columns whose units span 1e-6 to 1e6 (a ratio beside a price)."""
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_rows, 3))
    X = latent @ rng.standard_normal((3, n_features)) + 0.3 * rng.standard_normal(
        (n_rows, n_features)
    )
    units = np.logspace(-6, 6, n_features)
    return (X + rng.standard_normal(n_features)) * units


@pytest.mark.parametrize("seed", [0, 1])
def test_imputer_respects_every_column_unit(seed):
    X = _mixed_unit_table(seed=seed)
    X[:, 3] = 7.25  # a constant column
    holes = with_holes(X, share=0.2, seed=seed)
    missing = np.isnan(holes)
    filled = AutoencoderImputer(random_state=0).fit_transform(holes)
    mean = SimpleImputer().fit_transform(holes)
    spread = np.where(X.std(0) > 0, X.std(0), 1.0)

    def per_column(values):
        return np.sqrt(np.nanmean(np.where(missing, (values - X) / spread, np.nan) ** 2, 0))

    # measured: 0.40-0.84 of a standard deviation per column; the mean 0.90-1.08
    assert np.all(per_column(filled) <= per_column(mean)), (per_column(filled), per_column(mean))
    np.testing.assert_allclose(filled[:, 3], 7.25)
    # a feature's scale is its own spread, whatever the other features' units
    spreads = np.nanstd(holes, axis=0)
    imputer = AutoencoderImputer(max_epochs=1).fit(holes)
    kept = np.arange(8) != 3
    np.testing.assert_allclose(imputer.scale_[kept], spreads[kept], rtol=1e-12)
    assert imputer.scale_[3] == 1.0


def test_imputer_loss_auto_is_about_the_better_model_on_scaled_tables():
    from sklearn.datasets import load_breast_cancer, load_digits, load_wine
    from sklearn.preprocessing import MinMaxScaler

    tables = {
        "breast_cancer": MinMaxScaler().fit_transform(load_breast_cancer().data)[:300],
        "wine": MinMaxScaler().fit_transform(load_wine().data),
        "binary digits": (load_digits().data[:400] > 7).astype(float),
    }
    for name, X in tables.items():
        holes = with_holes(X, share=0.2)
        missing = np.isnan(holes)
        spread = np.where(X.std(0) > 0, X.std(0), 1.0)
        errors = {}
        for loss in ("auto", "mse", "bce"):
            filled = AutoencoderImputer(loss=loss, max_epochs=20, random_state=0).fit_transform(
                holes
            )
            errors[loss] = np.sqrt(np.mean(((filled - X) / spread)[missing] ** 2))
        # "auto" decides from the data (MinMax-scaled: mse; binary: bce), without
        # training both; measured (20 epochs, 20 % missing, with the Gaussian's
        # blend): binarised digits bce 0.834 against mse 0.818, the scaled
        # tables mse, 0.5-0.7x bce's error
        assert errors["auto"] <= 1.03 * min(errors["mse"], errors["bce"]), (name, errors)


def test_imputer_indicator_names_are_the_input_names():
    pd = pytest.importorskip("pandas")
    from sklearn.datasets import load_diabetes

    frame = load_diabetes(as_frame=True).data.iloc[:100].copy()
    frame.iloc[::4, 2] = np.nan  # bmi
    imputer = AutoencoderImputer(add_indicator=True, max_epochs=2, random_state=0).fit(frame)
    names = imputer.get_feature_names_out()
    assert names[-1] == "missingindicator_bmi", names
    assert isinstance(frame, pd.DataFrame)


@pytest.mark.parametrize("seed, n_rows", [(1, 500), (2, 1000)])
def test_imputer_fills_unpredictable_columns_no_worse_than_their_mean(seed, n_rows):
    rng = np.random.default_rng(seed)
    latent = rng.standard_normal((n_rows, 2))
    X = np.c_[
        latent @ rng.standard_normal((2, 5)) + 0.5 * rng.standard_normal((n_rows, 5)),
        rng.standard_normal((n_rows, 3)),  # columns no other column predicts
        np.exp(rng.standard_normal((n_rows, 1))),  # a log-normal price
        rng.integers(0, 5, (n_rows, 1)).astype(float),  # a discrete column
    ] * np.logspace(-6, 6, 10)
    holes = with_holes(X, share=0.2, seed=seed)
    missing = np.isnan(holes)
    imputer = AutoencoderImputer(random_state=0).fit(holes)
    filled, mean = imputer.transform(holes), SimpleImputer().fit_transform(holes)

    def per_column(values):
        return np.sqrt(np.nanmean(np.where(missing, (values - X) / X.std(0), np.nan) ** 2, 0))

    # measured: 0.47-0.65 on the correlated columns; 0.996-1.006 elsewhere (the
    # Gaussian's chance covariances on 500 rows), where the network alone was
    # 5-15 % worse than the mean before it was shrunk
    ratio = per_column(filled) / per_column(mean)
    assert np.all(ratio <= 1.01), ratio
    assert np.all(ratio[:5] < 0.7), ratio  # the predictable columns gain
    assert np.all(imputer.shrinkage_[5:8] == 0)  # the network's fill is dropped there


def test_bce_accepts_rounding_at_the_bounds_and_names_values_exactly():
    X = np.random.default_rng(0).random((60, 4))
    X[0, 0], X[1, 1] = 1 + 2.2e-16, -1e-12  # MinMaxScaler's rounding
    filled = AutoencoderImputer(loss="bce", max_epochs=2, random_state=0).fit_transform(
        with_holes(X, share=0.2)
    )
    assert np.isfinite(filled).all()
    X[2, 2] = 1.5
    with pytest.raises(ValueError, match=r"got values from -1e-12 to 1\.5;"):
        AutoencoderTransformer(2, loss="bce", max_epochs=2).fit(X)


def test_an_unconverged_network_warns_once_with_the_imputers_own_advice():
    from sklearn.datasets import load_iris
    from sklearn.exceptions import ConvergenceWarning

    holes = with_holes(load_iris().data, share=0.2)
    with pytest.warns(ConvergenceWarning) as caught:
        AutoencoderImputer(max_epochs=2, random_state=0).fit(holes)
    messages = [str(w.message) for w in caught if w.category is ConvergenceWarning]
    assert len(messages) == 1, messages
    assert messages[0].startswith("AutoencoderImputer: 1 of the 1 networks")
    assert "raise max_epochs" in messages[0] and "warm_start" not in messages[0]
