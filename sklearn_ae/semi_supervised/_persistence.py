"""``save`` / ``load`` of AutoencoderClassifier and AutoencoderRegressor: JSON,
safetensors (the output layer) and the fine-tuned autoencoder's own directory,
validated on load and never unpickled."""

import copy
from pathlib import Path

import numpy as np
from safetensors import safe_open

from .._io import persistence as _persistence

_JSON, _WEIGHTS, _AUTOENCODER = "estimator.json", "weights.safetensors", "autoencoder"
_ARRAYS = ("head_coef_", "head_intercept_")
_COUNTS = ("n_features_in_", "n_labelled_", "n_iter_", "best_epoch_")


def save_fine_tuned(model, path):
    params = model.get_params(deep=False)
    params["random_state"] = _persistence.encode_random_state(params["random_state"])
    # A given autoencoder comes back as a copy of the fine-tuned one.
    params["autoencoder"] = None if params["autoencoder"] is None else "fitted autoencoder_"
    fitted = {name: int(getattr(model, name)) for name in _COUNTS}
    fitted["head_input_"] = model.head_input_
    fitted["loss_curve_"] = [float(v) for v in model.loss_curve_]
    curve = model.validation_loss_curve_
    fitted["validation_loss_curve_"] = None if curve is None else [float(v) for v in curve]
    if hasattr(model, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in model.feature_names_in_]
    if hasattr(model, "classes_"):
        fitted["classes_"] = model.classes_.tolist()
        fitted["classes_dtype"] = (
            model.classes_.dtype.str if model.classes_.dtype != object else "O"
        )
    else:
        fitted["target_mean_"] = float(model.target_mean_)
        fitted["target_scale_"] = float(model.target_scale_)
    arrays = {name: np.ascontiguousarray(getattr(model, name), np.float64) for name in _ARRAYS}
    _persistence.save_wrapper(path, type(model).__name__, params, fitted, arrays)
    _persistence.save_estimator(model.autoencoder_, Path(path) / _AUTOENCODER)


def _classes(fitted):
    values, dtype = fitted["classes_"], fitted["classes_dtype"]
    if not isinstance(values, list) or len(values) < 2 or not isinstance(dtype, str):
        raise ValueError("classes_")
    classes = np.asarray(values, dtype=object if dtype == "O" else np.dtype(dtype))
    if len(np.unique(classes)) != len(classes):
        raise ValueError("classes_ must be distinct")
    return classes


def load_fine_tuned(cls, path, document, device, load):
    """The classifier or regressor of class ``cls`` saved in ``path``."""
    path = Path(path)
    _persistence.check_versions(document)
    classifier = cls.__name__ == "AutoencoderClassifier"
    try:
        params = dict(document["params"])
        params["random_state"] = _persistence.decode_random_state(params["random_state"])
        given = params.pop("autoencoder")
        if given not in (None, "fitted autoencoder_"):
            raise ValueError(f"autoencoder={given!r}")
        model = cls(**params)
        model._validate_params()
        fitted = dict(document["fitted"])
        for name in _COUNTS:
            value = fitted[name]
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name}={value!r}")
        if fitted["head_input_"] not in ("code", "hidden"):
            raise ValueError(f"head_input_={fitted['head_input_']!r}")
        curves = [fitted["loss_curve_"], fitted["validation_loss_curve_"] or []]
        if not all(isinstance(v, (int, float)) for curve in curves for v in curve):
            raise ValueError("loss curves must hold numbers")
        if classifier:
            classes = _classes(fitted)
        else:
            mean, scale = fitted["target_mean_"], fitted["target_scale_"]
            if not all(isinstance(v, (int, float)) and np.isfinite(v) for v in (mean, scale)):
                raise ValueError("target_mean_ and target_scale_ must be finite numbers")
            if scale <= 0:
                raise ValueError("target_scale_ must be positive")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(
            f"{path / _JSON} holds invalid parameters or attributes: {error}"
        ) from error
    autoencoder = load(path / _AUTOENCODER)
    if autoencoder.n_features_in_ != fitted["n_features_in_"]:
        raise ValueError(
            f"{path}: the autoencoder does not read {fitted['n_features_in_']} features."
        )
    shapes = _persistence.wrapper_shapes(path, document, fitted)
    n_outputs = len(classes) if classifier else 1
    width = shapes.get("head_coef_", (0, 0))[-1]
    expected = {"head_coef_": (n_outputs, width), "head_intercept_": (n_outputs,)}
    if shapes != expected:
        raise ValueError(f"{path / _WEIGHTS} does not hold the output layer: {shapes}.")
    with safe_open(str(path / _WEIGHTS), framework="numpy") as file:
        arrays = {name: file.get_tensor(name) for name in expected}
    if not all(np.isfinite(a).all() for a in arrays.values()):
        raise ValueError(f"{path / _WEIGHTS}: the output layer must be finite.")
    model.head_input_ = fitted["head_input_"]
    row = np.zeros((1, autoencoder.spec_.n_features), np.float32)
    if model._feature_width(copy.deepcopy(autoencoder.module_).cpu().float(), row) != width:
        raise ValueError(f"{path}: the output layer does not read the autoencoder's features.")
    model.autoencoder_ = autoencoder
    for name, value in arrays.items():
        setattr(model, name, value)
    for name in _COUNTS:
        setattr(model, name, fitted[name])
    model.loss_curve_ = [float(v) for v in fitted["loss_curve_"]]
    curve = fitted["validation_loss_curve_"]
    model.validation_loss_curve_ = None if curve is None else [float(v) for v in curve]
    _persistence.set_input_names(model, fitted, path)
    if classifier:
        model.classes_ = classes
    else:
        model.target_mean_, model.target_scale_ = float(mean), float(scale)
    if given is not None:
        model.set_params(autoencoder=copy.deepcopy(autoencoder))
    return model
