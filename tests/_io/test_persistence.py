"""Persistence: pickle, joblib, save/load without unpickling, skops."""

import io
import json
import pickle
import zipfile
from pathlib import Path

import joblib
import numpy as np
import pytest
import skorch
import torch
from _estimators import ESTIMATOR_CLASSES
from safetensors.numpy import load_file, save_file
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import MinMaxScaler

import sklearn_ae
from sklearn_ae import (
    AdversarialAE,
    AutoencoderImputer,
    AutoencoderTransformer,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VariationalAE,
)
from sklearn_ae.exceptions import DeviceFallbackWarning, VersionMismatchWarning

ESTIMATORS = [
    AutoencoderTransformer(n_components=3, max_epochs=3, random_state=0),
    AutoencoderTransformer(
        n_components=3, hidden_layer_sizes=(), tied_weights=True, max_epochs=3, random_state=0
    ),
    DenoisingAE(n_components=3, noise="salt_and_pepper", max_epochs=3, random_state=0),
    SparseAE(n_components=6, k=2, max_epochs=3, random_state=0),
    ContractiveAE(n_components=3, max_epochs=3, random_state=0),
    VariationalAE(n_components=3, max_epochs=3, random_state=0),
    AdversarialAE(n_components=3, max_epochs=3, random_state=0),
    AdversarialAE(
        n_components=2, encoder="gaussian", prior=[[0, 1], [1, 0]], max_epochs=3, random_state=0
    ),
]


def _round_trip(obj, how):
    if how == "pickle":
        return pickle.loads(pickle.dumps(obj))
    buffer = io.BytesIO()
    joblib.dump(obj, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


@pytest.mark.parametrize("how", ["pickle", "joblib"])
@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_round_trips_alone_and_in_a_pipeline(small_digits, estimator, how):
    X = small_digits[0] * 16
    pipe = Pipeline([("scale", MinMaxScaler()), ("ae", estimator)]).fit(X)
    loaded = _round_trip(pipe, how)
    np.testing.assert_array_equal(loaded.transform(X), pipe.transform(X))
    alone = _round_trip(pipe[-1], how)
    Xs = pipe[0].transform(X)
    np.testing.assert_array_equal(alone.transform(Xs), pipe[-1].transform(Xs))
    np.testing.assert_array_equal(alone.score_samples(Xs), pipe[-1].score_samples(Xs))


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_save_and_load_reproduce_every_output(small_digits, estimator, tmp_path):
    X = small_digits[0]
    estimator.fit(X)
    estimator.save(tmp_path / "model")
    loaded = sklearn_ae.load(tmp_path / "model")
    assert type(loaded) is type(estimator)
    assert loaded.get_params() == estimator.get_params()
    for method in ("transform", "score_samples", "reconstruction_error"):
        np.testing.assert_array_equal(getattr(loaded, method)(X), getattr(estimator, method)(X))
    assert loaded.loss_curve_ == estimator.loss_curve_
    assert loaded.n_iter_ == estimator.n_iter_


def test_save_and_load_keep_feature_names(small_digits, tmp_path):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(small_digits[0], columns=[f"px{i}" for i in range(64)])
    AutoencoderTransformer(max_epochs=2).fit(X).save(tmp_path)
    assert list(sklearn_ae.load(tmp_path).feature_names_in_) == list(X.columns)


@pytest.fixture
def saved(small_digits, tmp_path):
    AutoencoderTransformer(n_components=3, max_epochs=2, random_state=0).fit(small_digits[0]).save(
        tmp_path
    )
    return tmp_path


def _edit_json(path, edit):
    document = json.loads((path / "estimator.json").read_text())
    edit(document)
    (path / "estimator.json").write_text(json.dumps(document))


def _edit_tensors(path, edit):
    tensors = load_file(str(path / "weights.safetensors"))
    edit(tensors)
    save_file(tensors, str(path / "weights.safetensors"))


@pytest.mark.parametrize(
    ("tamper", "match"),
    [
        (
            lambda p: _edit_json(
                p, lambda d: (d["spec"].update(n_components=4), d["fitted"].update(n_components_=4))
            ),
            "do not fit the architecture",
        ),
        (lambda p: _edit_json(p, lambda d: d["params"].update(lr="fast")), "invalid parameters"),
        (
            lambda p: _edit_json(p, lambda d: d.update({"class": "os.system"})),
            "is not a sklearn_ae estimator",
        ),
        (lambda p: (p / "estimator.json").write_text("{not json"), "not valid JSON"),
        (
            lambda p: _edit_tensors(p, lambda t: t.pop("module.encoder.0.bias")),
            "does not match estimator.json",
        ),
        (
            lambda p: _edit_tensors(p, lambda t: t.update(extra=np.zeros(3, np.float32))),
            "does not match estimator.json",
        ),
        (
            lambda p: (
                _edit_tensors(
                    p, lambda t: t.update({"module.encoder.0.bias": np.zeros(5, np.float32)})
                ),
                _edit_json(p, lambda d: d["tensors"].update({"module.encoder.0.bias": [5]})),
            ),
            "do not fit the architecture",
        ),
        (lambda p: (p / "weights.safetensors").write_bytes(b"garbage"), "not a safetensors file"),
    ],
    ids=[
        "json shape",
        "json param",
        "json class",
        "json syntax",
        "missing tensor",
        "extra tensor",
        "reshaped tensor",
        "corrupt weights",
    ],
)
def test_tampered_files_raise_value_error(saved, tamper, match):
    tamper(saved)
    with pytest.raises(ValueError, match=match):
        sklearn_ae.load(saved)


def test_other_versions_load_with_a_warning_naming_them(saved):
    _edit_json(saved, lambda d: d["versions"].update({"sklearn_ae": "0.0.1", "torch": "1.13.0"}))
    with pytest.warns(VersionMismatchWarning, match=r"sklearn_ae 0.0.1 \(here .*torch 1.13.0"):
        sklearn_ae.load(saved)


def test_cuda_saved_model_loads_on_cpu_with_one_warning(saved, small_digits):
    import torch

    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    _edit_json(saved, lambda d: d["fitted"].update(device_="cuda"))
    with pytest.warns(DeviceFallbackWarning) as record:
        loaded = sklearn_ae.load(saved)
    assert len(record) == 1 and loaded.device_ == "cpu"
    loaded.transform(small_digits[0])


def test_save_refuses_callbacks(small_digits, tmp_path):
    from skorch.callbacks import EpochTimer

    est = AutoencoderTransformer(max_epochs=1, callbacks=[EpochTimer]).fit(small_digits[0])
    with pytest.raises(ValueError, match="callbacks cannot be saved"):
        est.save(tmp_path)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_skops_trusts_only_sklearn_ae_types(small_digits, estimator):
    sio = pytest.importorskip("skops.io")
    X = small_digits[0] * 16
    pipe = Pipeline([("scale", MinMaxScaler()), ("ae", estimator)]).fit(X)
    for obj in (pipe, pipe[-1]):
        payload = sio.dumps(obj)
        untrusted = sio.get_untrusted_types(data=payload)
        assert untrusted and all(t.startswith("sklearn_ae.") for t in untrusted), untrusted
        loaded = sio.loads(payload, trusted=untrusted)
        Xin = X if obj is pipe else pipe[0].transform(X)
        np.testing.assert_array_equal(loaded.transform(Xin), obj.transform(Xin))


def test_tampered_skops_payload_cannot_run_code(small_digits, tmp_path):
    sio = pytest.importorskip("skops.io")
    est = AutoencoderTransformer(max_epochs=1).fit(small_digits[0])
    payload = sio.dumps(est)
    trusted = sio.get_untrusted_types(data=payload)
    # Point the estimator's node at os.system, as an attacker would.
    with zipfile.ZipFile(io.BytesIO(payload)) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(files["schema.json"])
    schema["__module__"], schema["__class__"] = "os", "system"
    files["schema.json"] = json.dumps(schema).encode()
    tampered = io.BytesIO()
    with zipfile.ZipFile(tampered, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.loads(tampered.getvalue(), trusted=trusted)


@pytest.mark.parametrize(
    ("tamper", "match"),
    [
        (lambda d: d["spec"].update(k=None), "spec.k differ"),
        (lambda d: d["spec"].update(activation="tanh"), "spec.activation differ"),
        (lambda d: d["spec"].update(code_activation="relu"), "spec.code_activation differ"),
        (lambda d: d["spec"].update(k=9), "k=9 must be between 1 and n_components=3"),
        (lambda d: d["fitted"].update(noise_variance_=-1), "noise_variance_=-1 is not positive"),
        (lambda d: d["fitted"].update(noise_variance_="abc"), "'abc' is not a finite number"),
        (lambda d: d["fitted"].update(n_iter_=99), "n_iter_=99"),
        (lambda d: d["fitted"]["code_moments_"].update(count=-3), "count=-3 is below 1"),
        (lambda d: d["fitted"].update(loss_curve_=[float("nan")] * 3), "loss_curve_=nan"),
    ],
    ids=[
        "k",
        "activation",
        "code_activation",
        "k > n_components",
        "negative noise",
        "text noise",
        "n_iter_",
        "count",
        "nan curve",
    ],
)
def test_every_saved_value_is_validated_on_load(small_digits, tmp_path, tamper, match):
    X = small_digits[0]
    est = SparseAE(n_components=3, k=2, max_epochs=3, random_state=0).fit(X)
    est.save(tmp_path)
    _edit_json(tmp_path, tamper)
    with pytest.raises(ValueError, match=match):
        sklearn_ae.load(tmp_path)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_save_load_keeps_missing_value_handling(small_digits, estimator, tmp_path):
    X = small_digits[0].copy()
    X[::3, 5] = np.nan
    X[1::4, 40] = np.nan
    fitted = estimator.fit(X)
    fitted.save(tmp_path)
    loaded = sklearn_ae.load(tmp_path)
    for name in ("fill_values_", "feature_means_", "n_observed_"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(fitted, name))
    for method in ("transform", "score_samples", "reconstruction_error", "reconstruct"):
        np.testing.assert_allclose(
            getattr(loaded, method)(X), getattr(fitted, method)(X), rtol=1e-6
        )
    np.testing.assert_allclose(loaded.score(X), fitted.score(X), rtol=1e-6)
    loaded.set_params(warm_start=True, max_epochs=1).fit(X)  # a warm fit on rows with NaN
    assert loaded.n_iter_ == fitted.n_iter_ + 1


def _with_holes(X, seed=0):
    holes = X.copy()
    holes[np.random.default_rng(seed).random(X.shape) < 0.15] = np.nan
    holes[np.isnan(holes).all(1), 0] = X[np.isnan(holes).all(1), 0]
    return holes


def _round_trip_any(obj, how, tmp_path):
    if how == "save":
        obj.save(tmp_path / "model")
        return sklearn_ae.load(tmp_path / "model")
    if how == "skops":
        sio = pytest.importorskip("skops.io")
        payload = sio.dumps(obj)
        return sio.loads(payload, trusted=sio.get_untrusted_types(data=payload))
    return pickle.loads(pickle.dumps(obj))


def _assert_same_fitted_attributes(loaded, original):
    names = [n for n in vars(original) if n.endswith("_") and not n.startswith("_")]
    assert sorted(n for n in vars(loaded) if n.endswith("_") and not n.startswith("_")) == sorted(
        names
    )
    for name in names:
        a, b = getattr(loaded, name), getattr(original, name)
        if name in ("module_", "history_", "autoencoder_", "indicator_"):
            continue  # compared through their outputs
        if name == "training_state_":  # a saved model's optimizer starts afresh
            assert a.settings == b.settings
            if a.optimizer_state is not None:
                assert a.optimizer_state.keys() == b.optimizer_state.keys()
                for index, state in b.optimizer_state["state"].items():
                    for key, value in state.items():
                        np.testing.assert_array_equal(a.optimizer_state["state"][index][key], value)
        elif isinstance(b, dict):
            assert a.keys() == b.keys(), name
            for key in b:
                np.testing.assert_array_equal(a[key], b[key], err_msg=f"{name}[{key}]")
        elif isinstance(b, np.ndarray):
            np.testing.assert_array_equal(a, b, err_msg=name)
        else:
            assert a == b, name


_OUTPUTS = ("transform", "score_samples", "reconstruction_error", "reconstruct")


@pytest.mark.parametrize("how", ["pickle", "skops", "save"])
@pytest.mark.parametrize(
    "estimator",
    [
        *ESTIMATORS,
        VariationalAE(n_components=3, loss="bce", max_epochs=3, random_state=0),
        DenoisingAE(3, noise="masking", image_shape=(8, 8), conv_channels=(4,), max_epochs=2),
    ],
    ids=repr,
)
def test_every_fitted_value_and_output_survives_with_and_without_nan(
    small_digits, estimator, how, tmp_path
):
    X = small_digits[0]
    holes = _with_holes(X)
    fitted = estimator.fit(holes)
    loaded = _round_trip_any(fitted, how, tmp_path)
    _assert_same_fitted_attributes(loaded, fitted)
    for data in (X, holes):
        for method in _OUTPUTS:
            np.testing.assert_array_equal(
                getattr(loaded, method)(data), getattr(fitted, method)(data)
            )
    codes = fitted.transform(X)
    np.testing.assert_array_equal(loaded.inverse_transform(codes), fitted.inverse_transform(codes))


@pytest.mark.parametrize("how", ["pickle", "skops", "save"])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"add_indicator": True, "keep_empty_features": True, "loss": "mse"},
        {"missing_values": -1.0, "loss": "bce"},
    ],
    ids=["default", "indicator", "placeholder"],
)
def test_imputer_survives_every_persistence_path(small_digits, params, how, tmp_path):
    X = small_digits[0].copy()
    holes = _with_holes(X)
    holes[:, 7] = np.nan  # an empty feature
    if params.get("missing_values") == -1.0:
        holes[np.isnan(holes)] = -1.0
    imputer = AutoencoderImputer(max_epochs=3, random_state=0, **params).fit(holes)
    loaded = _round_trip_any(imputer, how, tmp_path)
    _assert_same_fitted_attributes(loaded, imputer)
    for data in (X, holes):
        np.testing.assert_array_equal(loaded.transform(data), imputer.transform(data))
    assert list(loaded.get_feature_names_out()) == list(imputer.get_feature_names_out())


def test_edited_imputer_directory_is_refused(small_digits, tmp_path):
    imputer = AutoencoderImputer(max_epochs=2, random_state=0).fit(_with_holes(small_digits[0]))
    imputer.save(tmp_path)
    other = {"mse": "bce", "bce": "mse"}[imputer.loss_]
    _edit_json(tmp_path, lambda d: d["fitted"].update(loss_=other))
    with pytest.raises(ValueError, match="does not match the copy"):
        sklearn_ae.load(tmp_path)


SAVED_BY_THE_PREVIOUS_LAYOUT = Path(__file__).parent / "data" / "saved_v0.1"


@pytest.mark.parametrize(
    "name, method",
    [
        ("AutoencoderTransformer", "transform"),
        ("VariationalAE", "score_samples"),
        ("AutoencoderImputer", "transform"),
        ("AutoencoderOutlierDetector", "score_samples"),
    ],
)
def test_directories_saved_by_the_previous_layout_load_with_the_same_outputs(name, method):
    # Written by the flat package (one module per estimator at the top) before
    # the move into sub-packages; the outputs were recorded at the same time.
    expected = np.load(SAVED_BY_THE_PREVIOUS_LAYOUT / "expected.npz")
    rows = expected["rows_missing" if name == "AutoencoderImputer" else "rows"]
    loaded = sklearn_ae.load(SAVED_BY_THE_PREVIOUS_LAYOUT / name)
    assert type(loaded).__name__ == name
    # Exact with the torch that wrote them (2.13); other versions round differently.
    np.testing.assert_allclose(getattr(loaded, method)(rows), expected[name], rtol=1e-5)


def _refuse(what):
    def refuse(*args, **kwargs):
        raise AssertionError(f"{what} built while loading a model for inference")

    return refuse


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_unpickling_and_loading_build_no_optimizer_and_no_engine(cls, small_digits, tmp_path):
    X = small_digits[0][:100]
    est = cls(2, hidden_layer_sizes=(8,), max_epochs=2, random_state=0).fit(X)
    blob = pickle.dumps(est)
    est.save(tmp_path / "model")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(torch.optim.Optimizer, "__init__", _refuse("an optimizer"))
        patch.setattr(skorch.NeuralNet, "__init__", _refuse("a skorch net"))
        for loaded in (pickle.loads(blob), sklearn_ae.load(tmp_path / "model")):
            np.testing.assert_array_equal(loaded.transform(X), est.transform(X))
            np.testing.assert_array_equal(loaded.score_samples(X), est.score_samples(X))
            assert loaded.history_[:, "train_loss"] == est.history_[:, "train_loss"]
    # Training then continues exactly, the optimizer's state included.
    warm = {"warm_start": True, "max_epochs": 2}
    continued = pickle.loads(blob).set_params(**warm).fit(X)
    np.testing.assert_array_equal(
        continued.transform(X), est.set_params(**warm).fit(X).transform(X)
    )
