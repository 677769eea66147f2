"""Safe persistence: a JSON file and a safetensors file, loaded without unpickling.

``save`` writes a directory with ``estimator.json`` (class, parameters, the
fitted network specification, versions, fitted values, the training history
and the name and shape of every tensor) and ``weights.safetensors`` (the
module's weights and the fitted arrays). ``load`` rebuilds the estimator from
those alone: nothing in the files can run code, and every tensor's declared
shape is checked against the specification on the safetensors header, before
anything is allocated, so a tampered directory raises ValueError.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch
from safetensors import safe_open
from safetensors.numpy import save_file

from ._device import available_device, resolve_device
from ._modules import module_shapes
from ._registry import ESTIMATORS
from ._spec import NetworkSpec
from ._state import engine_settings
from ._version import __version__
from .exceptions import VersionMismatchWarning

FORMAT = "sklearn_ae"
FORMAT_VERSION = 2
_JSON, _WEIGHTS = "estimator.json", "weights.safetensors"
_MOMENTS = "code_moments_."
# Fitted values stored in the JSON file.
_JSON_ATTRIBUTES = (
    "n_features_in_",
    "n_components_",
    "device_",
    "loss_curve_",
    "validation_scores_",
    "validation_loss_curve_",
    "n_iter_",
    "noise_variance_",
)
# Per-epoch history values kept by save (skorch's per-batch records are not).
_HISTORY_KEYS = ("epoch", "train_loss", "valid_loss", "valid_loss_best", "valid_score", "dur")
_SETTINGS_TYPES = {
    "optimizer": str,
    "lr": (int, float),
    "weight_decay": (int, float),
    "batch_size": int,
    "max_epochs": int,
    "shuffle": bool,
}


def _versions():
    return {
        "sklearn_ae": __version__,
        "torch": torch.__version__.split("+")[0],
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
    }


def _encode_random_state(value):
    """JSON for ``random_state``; a RandomState is saved with its full stream position."""
    if isinstance(value, np.random.RandomState):
        name, keys, position, has_gauss, cached = value.get_state()
        return {"RandomState": [name, keys.tolist(), position, has_gauss, cached]}
    return value


def _decode_random_state(value):
    if isinstance(value, dict):
        name, keys, position, has_gauss, cached = value["RandomState"]
        state = np.random.RandomState()
        state.set_state((name, np.asarray(keys, dtype=np.uint32), position, has_gauss, cached))
        return state
    return value


def save_estimator(estimator, path):
    params = estimator.get_params()
    params["accelerator"] = None  # the running process group, not model state
    if params["callbacks"]:
        raise ValueError(
            "callbacks cannot be saved as data; set_params(callbacks=None) before "
            "save, or use pickle or skops for estimators with callbacks."
        )
    params["random_state"] = _encode_random_state(params["random_state"])
    for name in ("hidden_layer_sizes", "conv_channels", "image_shape"):
        if params[name] is not None:
            params[name] = list(params[name])
    params["device"] = str(params["device"])
    net = estimator.net_
    tensors = {
        f"module.{name}": value.detach().cpu().numpy()
        for name, value in net.plain_module().state_dict().items()
    }
    tensors["code_mean_"] = estimator.code_mean_
    tensors["code_covariance_"] = estimator.code_covariance_
    if hasattr(estimator, "components_"):
        tensors["components_"] = estimator.components_
    moments = estimator.code_moments_
    for name, value in moments.items():
        if np.ndim(value):
            tensors[_MOMENTS + name] = value
    tensors = {name: np.ascontiguousarray(value) for name, value in tensors.items()}
    fitted = {name: getattr(estimator, name) for name in _JSON_ATTRIBUTES}
    fitted["loss_curve_"] = [float(v) for v in fitted["loss_curve_"]]
    fitted["code_moments_"] = {k: float(v) for k, v in moments.items() if not np.ndim(v)}
    if hasattr(estimator, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in estimator.feature_names_in_]
    fitted["output_config"] = dict(getattr(estimator, "_sklearn_output_config", {}))
    if hasattr(estimator, "output_dtype_"):
        fitted["output_dtype_"] = estimator.output_dtype_
    history = [{k: epoch[k] for k in _HISTORY_KEYS if k in epoch} for epoch in net.history]
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": type(estimator).__name__,
        "params": params,
        "spec": estimator.spec_.to_dict(),
        "settings": engine_settings(net),
        "fitted": fitted,
        "history": history,
        "versions": _versions(),
        "tensors": {name: list(array.shape) for name, array in tensors.items()},
    }
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / _JSON).write_text(json.dumps(document, indent=2))
    save_file(tensors, str(path / _WEIGHTS))


def _read_document(path):
    try:
        document = json.loads((path / _JSON).read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(
            f"{path / _JSON} is missing or not valid JSON ({error}); pass a directory "
            "written by estimator.save."
        ) from error
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise ValueError(
            f"{path / _JSON} is not a sklearn_ae file; pass a directory written by estimator.save."
        )
    return document


def _check_versions(document):
    saved, here = document.get("versions", {}), _versions()
    differing = {
        k: (saved.get(k), v)
        for k, v in here.items()
        if k in ("sklearn_ae", "torch") and saved.get(k) != v
    }
    if differing:
        described = ", ".join(f"{k} {old} (here {new})" for k, (old, new) in differing.items())
        warnings.warn(
            f"This model was saved with {described}; it loads, but check its "
            "outputs before relying on them.",
            VersionMismatchWarning,
            stacklevel=3,
        )


def _expected_shapes(spec, with_components):
    """Every tensor a file for ``spec`` must hold, by name, with its shape."""
    k, d = spec.n_components, spec.n_features
    expected = {f"module.{name}": shape for name, shape in module_shapes(spec).items()}
    expected.update(
        {
            "code_mean_": (k,),
            "code_covariance_": (k, k),
            _MOMENTS + "code_sum": (k,),
            _MOMENTS + "code_outer": (k, k),
            _MOMENTS + "data_sum": (d,),
        }
    )
    if with_components:
        expected["components_"] = (k, d)
    return expected


def _header_shapes(path):
    """Tensor names and shapes from the safetensors header, reading no tensor data."""
    try:
        with safe_open(str(path), framework="numpy") as file:
            return {name: tuple(file.get_slice(name).get_shape()) for name in file.keys()}
    except Exception as error:  # safetensors raises its own error types
        raise ValueError(f"{path} is missing or not a safetensors file: {error}") from error


def _parse(document, path):
    """Estimator, spec, fitted values and engine settings from the JSON document."""
    if document.get("class") not in ESTIMATORS:
        raise ValueError(
            f"class {document.get('class')!r} is not a sklearn_ae estimator; expected "
            f"one of {sorted(ESTIMATORS)}."
        )
    _check_versions(document)
    try:
        params = dict(document["params"])
        for name in ("hidden_layer_sizes", "conv_channels", "image_shape"):
            if params.get(name) is not None:  # JSON has lists; the parameters were tuples
                params[name] = tuple(params[name])
        params["random_state"] = _decode_random_state(params["random_state"])
        estimator = ESTIMATORS[document["class"]](**params)
        estimator._validate_params()
        spec = NetworkSpec.from_dict(document["spec"])
        fitted = dict(document["fitted"])
        settings = dict(document["settings"])
        if set(settings) != set(_SETTINGS_TYPES) or not all(
            isinstance(settings[k], t) for k, t in _SETTINGS_TYPES.items()
        ):
            raise ValueError(f"settings {settings!r}")
        if (fitted["n_features_in_"], fitted["n_components_"]) != (
            spec.n_features,
            spec.n_components,
        ):
            raise ValueError(
                f"n_features_in_={fitted['n_features_in_']} and n_components_="
                f"{fitted['n_components_']} contradict the network specification {spec}"
            )
        history = [dict(epoch) for epoch in document.get("history", [])]
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(
            f"{path / _JSON} holds invalid parameters or attributes: {error}"
        ) from error
    return estimator, spec, fitted, settings, history


def load_estimator(path, device=None):
    path = Path(path)
    document = _read_document(path)
    estimator, spec, fitted, settings, history = _parse(document, path)
    listed = {name: tuple(shape) for name, shape in dict(document.get("tensors", {})).items()}
    found = _header_shapes(path / _WEIGHTS)
    if listed != found:
        raise ValueError(
            f"{path / _WEIGHTS} does not match {_JSON}: tensors listed "
            f"{sorted(listed.items())}, found {sorted(found.items())}."
        )
    expected = _expected_shapes(spec, "components_" in found)
    if found != expected:
        raise ValueError(
            f"The tensors in {path / _WEIGHTS} do not fit the architecture of the network "
            f"specification in {_JSON}: expected {sorted(expected.items())}, found "
            f"{sorted(found.items())}."
        )
    # Only now, with every shape checked, is anything allocated.
    with safe_open(str(path / _WEIGHTS), framework="numpy") as file:
        tensors = {name: file.get_tensor(name) for name in file.keys()}

    saved_device = str(fitted.get("device_", "cpu"))
    device = (
        available_device(saved_device, type(estimator).__name__)
        if device is None
        else (resolve_device(str(device)))
    )
    estimator.spec_ = spec
    state = {
        "module": {k[len("module.") :]: v for k, v in tensors.items() if k.startswith("module.")},
        "history": history,
        "settings": settings,
    }
    estimator.net_ = estimator._rebuild_net(device, state)
    for name in _JSON_ATTRIBUTES:
        setattr(estimator, name, fitted[name])
    estimator.device_ = device
    if "feature_names_in_" in fitted:
        estimator.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    estimator.code_mean_ = tensors["code_mean_"]
    estimator.code_covariance_ = tensors["code_covariance_"]
    if "components_" in tensors:
        estimator.components_ = tensors["components_"]
    moments = {k[len(_MOMENTS) :]: v for k, v in tensors.items() if k.startswith(_MOMENTS)}
    estimator.code_moments_ = {**moments, **fitted.get("code_moments_", {})}
    if "output_dtype_" in fitted:
        if fitted["output_dtype_"] not in ("float32", "float64"):
            raise ValueError(f"{path / _JSON} holds an invalid output_dtype_.")
        estimator.output_dtype_ = fitted["output_dtype_"]
    output = fitted.get("output_config", {})
    if output.get("transform") is not None:
        estimator.set_output(transform=output["transform"])
    return estimator
