"""Safe persistence: a JSON file and a safetensors file, loaded without unpickling.

``save`` writes a directory with ``estimator.json`` (class, parameters,
versions, fitted scalars and the name and shape of every tensor) and
``weights.safetensors`` (the module's weights and the fitted arrays). ``load``
rebuilds the estimator from those alone: nothing in the files can run code,
and every tensor's name and shape is checked against the architecture that the
parameters describe, so a tampered directory raises ValueError.
"""

import json
import warnings
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch
from safetensors.numpy import load_file, save_file

from ._device import available_device, resolve_device
from .exceptions import VersionMismatchWarning

FORMAT = "sklearn_ae"
FORMAT_VERSION = 1
_JSON, _WEIGHTS = "estimator.json", "weights.safetensors"
# Fitted attributes stored as tensors next to the weights, and as JSON values.
_ARRAY_ATTRIBUTES = ("code_mean_", "code_covariance_", "components_")
_JSON_ATTRIBUTES = (
    "n_features_in_",
    "n_components_",
    "device_",
    "loss_curve_",
    "validation_scores_",
    "n_iter_",
    "noise_variance_",
)


def _versions():
    from . import __version__

    return {
        "sklearn_ae": __version__,
        "torch": torch.__version__.split("+")[0],
        "scikit-learn": sklearn.__version__,
        "skorch": skorch.__version__,
    }


def _estimator_classes():
    from . import AutoencoderTransformer, ContractiveAE, DenoisingAE, SparseAE

    return {c.__name__: c for c in (AutoencoderTransformer, ContractiveAE, DenoisingAE, SparseAE)}


def save_estimator(estimator, path):
    params = estimator.get_params()
    params["accelerator"] = None  # the running process group, not model state
    if params["callbacks"]:
        raise ValueError(
            "callbacks cannot be saved as data; set_params(callbacks=None) before "
            "save, or use pickle or skops for estimators with callbacks."
        )
    if not (params["random_state"] is None or isinstance(params["random_state"], int)):
        params["random_state"] = None  # a RandomState's stream is not data to restore
    params["hidden_layer_sizes"] = list(params["hidden_layer_sizes"])
    tensors = {
        f"module.{name}": value.detach().cpu().numpy()
        for name, value in estimator.net_.module_.state_dict().items()
    }
    for name in _ARRAY_ATTRIBUTES:
        if hasattr(estimator, name):
            tensors[name] = np.ascontiguousarray(getattr(estimator, name))
    fitted = {name: getattr(estimator, name) for name in _JSON_ATTRIBUTES}
    fitted["loss_curve_"] = [float(v) for v in fitted["loss_curve_"]]
    if hasattr(estimator, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in estimator.feature_names_in_]
    document = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "class": type(estimator).__name__,
        "params": params,
        "fitted": fitted,
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


def load_estimator(path, device=None):
    path = Path(path)
    document = _read_document(path)
    classes = _estimator_classes()
    if document.get("class") not in classes:
        raise ValueError(
            f"class {document.get('class')!r} is not a sklearn_ae estimator; expected "
            f"one of {sorted(classes)}."
        )
    _check_versions(document)
    try:
        params = dict(document["params"])
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        estimator = classes[document["class"]](**params)
        estimator._validate_params()
        fitted = document["fitted"]
        n_features = int(fitted["n_features_in_"])
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError(
            f"{path / _JSON} holds invalid parameters or attributes: {error}"
        ) from error

    try:
        tensors = load_file(str(path / _WEIGHTS))
    except Exception as error:  # safetensors raises its own error types
        raise ValueError(
            f"{path / _WEIGHTS} is missing or not a safetensors file: {error}"
        ) from error
    listed = {name: tuple(shape) for name, shape in document.get("tensors", {}).items()}
    found = {name: tuple(array.shape) for name, array in tensors.items()}
    if listed != found:
        raise ValueError(
            f"{path / _WEIGHTS} does not match {_JSON}: tensors listed "
            f"{sorted(listed.items())}, found {sorted(found.items())}."
        )

    saved_device = str(fitted.get("device_", "cpu"))
    if device is None:
        device = available_device(saved_device, document["class"])
    else:
        device = resolve_device(device)
    net = estimator._build_net(n_features, device, seeds=[0, 0, 0])
    net.initialize()
    expected = {f"module.{k}": tuple(v.shape) for k, v in net.module_.state_dict().items()}
    module_tensors = {k: v for k, v in found.items() if k.startswith("module.")}
    if module_tensors != expected:
        raise ValueError(
            f"The weights in {path / _WEIGHTS} do not fit the architecture its "
            f"parameters describe: expected {sorted(expected.items())}, found "
            f"{sorted(module_tensors.items())}."
        )
    net.module_.load_state_dict(
        {k[len("module.") :]: torch.from_numpy(v) for k, v in tensors.items() if k in expected}
    )
    estimator.net_ = net
    for name in _JSON_ATTRIBUTES:
        setattr(estimator, name, fitted[name])
    estimator.device_ = device
    if "feature_names_in_" in fitted:
        estimator.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    for name in _ARRAY_ATTRIBUTES:
        if name in tensors:
            setattr(estimator, name, tensors[name])
    _check_fitted_shapes(estimator, path)
    return estimator


def _check_fitted_shapes(estimator, path):
    k = estimator.n_components_
    expected = {"code_mean_": (k,), "code_covariance_": (k, k)}
    if hasattr(estimator, "components_"):
        expected["components_"] = (k, estimator.n_features_in_)
    for name, shape in expected.items():
        if getattr(estimator, name).shape != shape:
            raise ValueError(
                f"{name} in {path / _WEIGHTS} has shape {getattr(estimator, name).shape}, "
                f"expected {shape}."
            )
    if k != estimator.n_components:
        raise ValueError(
            f"n_components_={k} in {path / _JSON} contradicts "
            f"n_components={estimator.n_components}."
        )
