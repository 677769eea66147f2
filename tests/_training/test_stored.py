"""Stores larger than the memory budget: fit reads them block by block; inference on
a Dask array is lazy. The budget (scikit-learn's working_memory) is set tiny here
so that small files take the out-of-core path."""

import warnings

import numpy as np
import pytest
import sklearn
import torch
from _estimators import ESTIMATOR_CLASSES
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.preprocessing import StandardScaler

from sklearn_ae import AutoencoderImputer, AutoencoderOutlierDetector, AutoencoderTransformer
from sklearn_ae._training.data import TensorData
from sklearn_ae._training.stored import BlockLoader, StoredRows, buffer_rows, scan, streams

BUDGET_MIB = 0.01  # about 10 kB: a few dozen rows of diabetes a buffer


@pytest.fixture
def diabetes():
    X = StandardScaler().fit_transform(load_diabetes().data).astype(np.float32)
    return X


@pytest.fixture
def stored(diabetes, tmp_path):
    np.save(tmp_path / "X.npy", diabetes)
    return np.load(tmp_path / "X.npy", mmap_mode="r")


@pytest.fixture(autouse=True)
def tiny_budget():
    with sklearn.config_context(working_memory=BUDGET_MIB), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def test_a_store_above_the_budget_streams_and_an_array_never_does(stored, diabetes):
    assert streams(stored)
    assert not streams(diabetes)
    with sklearn.config_context(working_memory=1024):
        assert not streams(stored)  # a store that fits is read at once


def test_every_row_once_an_epoch_shuffled_in_full_batches(diabetes):
    rows = StoredRows(diabetes)
    loader = BlockLoader(TensorData(rows), 32, shuffle=True, generator=torch.Generator())
    assert buffer_rows(diabetes.shape[1]) * 4 * diabetes.shape[1] * 8 <= BUDGET_MIB * 2**20
    for _ in range(2):
        batches = [batch for batch, _ in loader]
        assert [len(b) for b in batches[:-1]] == [32] * (len(batches) - 1)
        seen = torch.cat(batches).numpy()
        order = np.lexsort(seen.T)
        np.testing.assert_array_equal(seen[order], diabetes[np.lexsort(diabetes.T)])
        assert not np.array_equal(seen, diabetes)  # shuffled
    in_order = torch.cat([b for b, _ in BlockLoader(TensorData(rows), 32)]).numpy()
    np.testing.assert_array_equal(in_order, diabetes)


def test_the_scan_gives_the_means_and_ranges_of_the_observed_entries(diabetes):
    X = diabetes.copy()
    X[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
    rows = scan(StoredRows(X))
    np.testing.assert_allclose(rows.means, np.nanmean(X, axis=0), atol=1e-6)
    np.testing.assert_array_equal(rows.low, np.nanmin(X, axis=0))
    np.testing.assert_array_equal(rows.high, np.nanmax(X, axis=0))
    assert rows.has_missing


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda c: c.__name__)
def test_every_autoencoder_fits_a_store_as_well_as_the_array(cls, stored, diabetes):
    settings = dict(n_components=3, max_epochs=30, random_state=0)
    from_store = cls(**settings).fit(stored)
    in_memory = cls(**settings).fit(diabetes)
    assert from_store.n_features_in_ == 10
    assert not hasattr(from_store, "feature_names_in_")
    assert from_store.transform(diabetes).dtype == np.float32
    error_store = np.mean((from_store.reconstruct(diabetes) - diabetes) ** 2)
    error_memory = np.mean((in_memory.reconstruct(diabetes) - diabetes) ** 2)
    assert error_store < 1.15 * error_memory
    assert np.isfinite(from_store.score(diabetes))


def test_a_store_with_holes_fills_them_with_its_means(stored, tmp_path):
    X = np.array(stored)
    X[np.random.default_rng(1).random(X.shape) < 0.2] = np.nan
    np.save(tmp_path / "holes.npy", X)
    model = AutoencoderTransformer(3, max_epochs=5, random_state=0)
    model.fit(np.load(tmp_path / "holes.npy", mmap_mode="r"))
    np.testing.assert_allclose(model.feature_means_, np.nanmean(X, axis=0), atol=1e-6)
    assert np.isfinite(model.transform(X)).all()


def test_early_stopping_holds_out_blocks_of_the_store(stored):
    model = AutoencoderTransformer(
        3, max_epochs=40, early_stopping=True, n_iter_no_change=3, random_state=0
    ).fit(stored)
    assert len(model.validation_scores_) == model.n_iter_ > 0
    assert all(np.isfinite(model.validation_scores_))


def test_partial_fit_continues_on_a_store(stored, diabetes, tmp_path):
    model = AutoencoderTransformer(3, random_state=0).partial_fit(stored)
    model.partial_fit(stored)
    assert model.n_iter_ == 2
    np.testing.assert_allclose(model.feature_means_, diabetes.mean(axis=0), atol=1e-5)
    with pytest.raises(ValueError, match="X has 4 features, but AutoencoderTransformer is"):
        model.partial_fit(np.memmap(tmp_path / "narrow", np.float32, "w+", shape=(400, 4)))


@pytest.mark.parametrize(
    "values, message",
    [
        (np.inf, r"Input X contains infinity \(row 7 of the store\)"),
        (np.nan, r"In rows 0 to \d+: Row\(s\) \[7\] of X have no observed value"),
    ],
)
def test_bad_values_in_a_store_are_named(stored, tmp_path, values, message):
    X = np.array(stored)
    X[7] = values
    np.save(tmp_path / "bad.npy", X)
    model = AutoencoderTransformer(3, max_epochs=2)
    with pytest.raises(ValueError, match=message):
        model.fit(np.load(tmp_path / "bad.npy", mmap_mode="r"))
    assert not hasattr(model, "module_")


def test_a_store_outside_the_losss_domain_and_a_text_store_are_refused(stored, tmp_path):
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\].*got values from -"):
        AutoencoderTransformer(3, loss="bce", max_epochs=2).fit(stored)
    np.save(tmp_path / "text.npy", np.full((2000, 3), "a"))
    with pytest.raises(ValueError, match="reads a store of <U1 values; it needs numbers"):
        AutoencoderTransformer(2).fit(np.load(tmp_path / "text.npy", mmap_mode="r"))


def test_zarr_h5py_and_dask_stores_fit_as_the_memory_map(stored, diabetes, tmp_path):
    settings = dict(n_components=3, max_epochs=3, random_state=0)
    reference = AutoencoderTransformer(**settings).fit(stored).transform(diabetes)
    sources = []
    zarr = pytest.importorskip("zarr")
    z = zarr.open_array(tmp_path / "X.zarr", mode="w", shape=diabetes.shape, chunks=(50, 10))
    z[:] = diabetes
    sources.append(z)
    h5py = pytest.importorskip("h5py")
    with h5py.File(tmp_path / "X.h5", "w") as f:
        f.create_dataset("X", data=diabetes, chunks=(50, 10))
    handle = h5py.File(tmp_path / "X.h5", "r")
    sources.append(handle["X"])
    da = pytest.importorskip("dask.array")
    sources.append(da.from_array(diabetes, chunks=(64, 5)))
    for source in sources:
        assert streams(source)
        codes = AutoencoderTransformer(**settings).fit(source).transform(diabetes)
        np.testing.assert_allclose(codes, reference, rtol=1e-5, atol=1e-5)
    handle.close()


def test_inference_on_a_dask_array_is_lazy_and_equals_the_array_call(diabetes):
    da = pytest.importorskip("dask.array")
    X = da.from_array(diabetes, chunks=(100, 4))
    model = AutoencoderTransformer(3, max_epochs=5, random_state=0).fit(diabetes)
    for method in ("transform", "reconstruct", "score_samples", "reconstruction_error"):
        lazy = getattr(model, method)(X)
        assert isinstance(lazy, da.Array)
        np.testing.assert_allclose(lazy.compute(), getattr(model, method)(diabetes), rtol=1e-6)
    codes = model.transform(X)
    np.testing.assert_allclose(
        model.inverse_transform(codes).compute(), model.reconstruct(diabetes), rtol=1e-5
    )
    detector = AutoencoderOutlierDetector(n_estimators=2, random_state=0).fit(diabetes)
    for method in ("score_samples", "decision_function", "predict"):
        lazy = getattr(detector, method)(X)
        assert lazy.shape == (len(diabetes),)
        np.testing.assert_allclose(lazy.compute(), getattr(detector, method)(diabetes))
    holes = np.where(np.random.default_rng(0).random(diabetes.shape) < 0.2, np.nan, diabetes)
    imputer = AutoencoderImputer(max_epochs=5, random_state=0).fit(holes)
    filled = imputer.transform(da.from_array(holes, chunks=100))
    np.testing.assert_allclose(filled.compute(), imputer.transform(holes), rtol=1e-6)


def test_lazy_inference_checks_before_building_the_graph(diabetes):
    da = pytest.importorskip("dask.array")
    with pytest.raises(NotFittedError):
        AutoencoderTransformer().transform(da.from_array(diabetes))
    model = AutoencoderTransformer(2, max_epochs=2).fit(diabetes)
    with pytest.raises(ValueError, match="reads a 2-D Dask array, got 1 dimension"):
        model.transform(da.from_array(diabetes[:, 0]))
    with pytest.raises(ValueError, match="X has 3 features, but AutoencoderTransformer"):
        model.transform(da.from_array(diabetes[:, :3]))


def test_the_detector_trains_its_networks_on_the_store(stored, diabetes):
    settings = dict(n_estimators=2, random_state=0)
    from_store = AutoencoderOutlierDetector(**settings).fit(stored)
    in_memory = AutoencoderOutlierDetector(**settings).fit(diabetes)
    # the networks read every row, scaled by the ranges the scan found
    np.testing.assert_allclose(from_store.mean_, in_memory.mean_, rtol=1e-6)
    np.testing.assert_allclose(from_store.scale_, in_memory.scale_, rtol=1e-5)
    assert all(e.n_features_in_ == 10 for e in from_store.estimators_)
    outliers = diabetes + np.where(np.arange(10) < 2, 6.0, 0.0).astype(np.float32)
    assert (from_store.predict(outliers) == -1).mean() > 0.9
    share = (from_store.predict(diabetes) == -1).mean()
    assert abs(share - (in_memory.predict(diabetes) == -1).mean()) < 0.05


def test_the_imputer_trains_on_the_store_and_weighs_its_fills_on_a_sample(stored, tmp_path):
    X = np.array(stored)
    holes = np.random.default_rng(2).random(X.shape) < 0.2
    np.save(tmp_path / "holes.npy", np.where(holes, np.nan, X))
    imputer = AutoencoderImputer(max_epochs=20, random_state=0)
    imputer.fit(np.load(tmp_path / "holes.npy", mmap_mode="r"))
    # trained on two thirds of the rows; the third held out weighs the blend
    assert imputer.autoencoder_.n_features_in_ == 10
    assert imputer.gaussian_mean_ is not None
    filled = imputer.transform(np.where(holes, np.nan, X))
    error = np.sqrt(np.mean((filled[holes] - X[holes]) ** 2))
    means = np.sqrt(np.mean((np.nanmean(np.where(holes, np.nan, X), 0) - X)[holes] ** 2))
    assert error < 0.9 * means


def test_inference_on_a_dask_dataframe_of_a_mixed_table():
    dd = pytest.importorskip("dask.dataframe")
    from sklearn_ae.datasets import load_penguins

    table = load_penguins()
    model = AutoencoderTransformer(2, max_epochs=3, random_state=0).fit(table)
    frame = dd.from_pandas(table, npartitions=3)
    codes = model.transform(frame)
    np.testing.assert_allclose(codes.compute(), model.transform(table), rtol=1e-6)
    rebuilt = model.reconstruct(frame)
    assert isinstance(rebuilt, dd.DataFrame)
    expected = model.reconstruct(table)
    assert rebuilt.compute().reset_index(drop=True).equals(expected.reset_index(drop=True))
    detector = AutoencoderOutlierDetector(n_estimators=2, random_state=0).fit(table)
    np.testing.assert_allclose(
        detector.score_samples(frame).compute(), detector.score_samples(table)
    )
