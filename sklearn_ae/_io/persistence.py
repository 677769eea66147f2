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
from numbers import Integral, Real
from pathlib import Path

import numpy as np
import sklearn
import skorch
import torch
from safetensors import safe_open
from safetensors.numpy import save_file
from sklearn.base import clone

from .._nn.modules import fitted_network, module_shapes
from .._nn.spec import NetworkSpec
from .._tables.layout import TableLayout
from .._tables.validation import network_blocks
from .._training.engine import PlainHistory
from .._training.state import Continuation
from .._utils.device import available_device, resolve_device
from .._version import __version__
from ..exceptions import VersionMismatchWarning
from .schema import ARRAY_ATTRIBUTES, JSON_ATTRIBUTES, array_shapes

FORMAT = "sklearn_ae"
FORMAT_VERSION = 3
_JSON, _WEIGHTS = "estimator.json", "weights.safetensors"
_MOMENTS = "code_moments_."
# Key of the weights file's metadata holding a copy of the JSON's spec, settings
# and fitted values (format 3 on): an edit of one file alone is detected.
_COPY_KEY = "sklearn_ae.model"
# Per-epoch history values kept by save (skorch's per-batch records are not).
_HISTORY_KEYS = (
    "epoch",
    "train_loss",
    "valid_loss",
    "valid_loss_best",
    "valid_score",
    "dur",
    # an AdversarialAE's game
    "reconstruction_loss",
    "discriminator_loss",
    "generator_loss",
)
# Tuple parameters, written to JSON as lists.
_TUPLE_PARAMETERS = (
    "hidden_layer_sizes",
    "conv_channels",
    "image_shape",
    "discriminator_layer_sizes",
)
# Kinds whose estimators sample, and keep the dtype of their samples.
_SAMPLING_KINDS = ("variational", "adversarial")
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


def encode_random_state(value):
    """JSON for ``random_state``; a RandomState is saved with its full stream position."""
    if isinstance(value, np.random.RandomState):
        name, keys, position, has_gauss, cached = value.get_state()
        return {"RandomState": [name, keys.tolist(), position, has_gauss, cached]}
    return value


def decode_random_state(value):
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
    params["random_state"] = encode_random_state(params["random_state"])
    for name in _TUPLE_PARAMETERS:
        if params.get(name) is not None and not isinstance(params[name], str):  # "auto"
            params[name] = [int(v) for v in np.asarray(params[name]).ravel()]
    for name, value in params.items():
        if isinstance(value, np.ndarray):  # an array parameter (an AdversarialAE's prior)
            params[name] = value.tolist()
    params["device"] = str(params["device"])
    tensors = {
        f"module.{name}": value.detach().cpu().numpy()
        for name, value in estimator.module_.state_dict().items()
    }
    for row in ARRAY_ATTRIBUTES:
        if hasattr(estimator, row.name) or not row.optional:
            tensors[row.name] = getattr(estimator, row.name)
    moments = estimator.code_moments_
    for name, value in moments.items():
        if np.ndim(value):
            tensors[_MOMENTS + name] = value
    tensors = {name: np.ascontiguousarray(value) for name, value in tensors.items()}
    fitted = {name: getattr(estimator, name) for name in JSON_ATTRIBUTES}
    fitted["loss_curve_"] = [float(v) for v in fitted["loss_curve_"]]
    fitted["code_moments_"] = {k: float(v) for k, v in moments.items() if not np.ndim(v)}
    if hasattr(estimator, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in estimator.feature_names_in_]
    fitted["output_config"] = dict(getattr(estimator, "_sklearn_output_config", {}))
    if hasattr(estimator, "output_dtype_"):
        fitted["output_dtype_"] = estimator.output_dtype_
    if hasattr(estimator, "table_layout_"):
        fitted["table_layout_"] = estimator.table_layout_.to_dict()
    history = [{k: epoch[k] for k in _HISTORY_KEYS if k in epoch} for epoch in estimator.history_]
    model = {
        "class": type(estimator).__name__,
        "spec": estimator.spec_.to_dict(),
        "settings": estimator.training_state_.settings,
        "fitted": fitted,
    }
    fields = {"class": model["class"], "params": params, "spec": model["spec"]}
    fields.update(settings=model["settings"], fitted=fitted, history=history)
    _write(path, fields, tensors, copy=model)


def _canonical(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def read_document(path):
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


def check_versions(document):
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


def _expected_shapes(spec, present, format_version):
    """Every tensor a file for ``spec`` must hold, by name, with its shape."""
    k, d = spec.n_components, spec.n_features
    expected = {f"module.{name}": shape for name, shape in module_shapes(spec).items()}
    expected.update(
        {
            _MOMENTS + "code_sum": (k,),
            _MOMENTS + "code_outer": (k, k),
            _MOMENTS + "data_sum": (d,),
        }
    )
    expected.update(array_shapes(spec, format_version, present))
    return expected


def _header(path):
    """Tensor names and shapes, and the metadata, from the safetensors header alone."""
    try:
        with safe_open(str(path), framework="numpy") as file:
            shapes = {name: tuple(file.get_slice(name).get_shape()) for name in file.keys()}
            return shapes, file.metadata() or {}
    except Exception as error:  # safetensors raises its own error types
        raise ValueError(f"{path} is missing or not a safetensors file: {error}") from error


def _parse(cls, document, path):
    """Estimator, spec, fitted values and engine settings from the JSON document."""
    check_versions(document)
    try:
        params = dict(document["params"])
        for name in _TUPLE_PARAMETERS:
            if isinstance(params.get(name), list):  # JSON has lists; the parameters were tuples
                params[name] = tuple(params[name])
        params["random_state"] = decode_random_state(params["random_state"])
        estimator = cls(**params)
        estimator._validate_params()
        spec = NetworkSpec.from_dict(document["spec"])
        fitted = dict(document["fitted"])
        settings = dict(document["settings"])
        if set(settings) != set(_SETTINGS_TYPES) or not all(
            isinstance(settings[k], t) for k, t in _SETTINGS_TYPES.items()
        ):
            raise ValueError(f"settings {settings!r}")
        layout = None
        if "table_layout_" in fitted:
            layout = TableLayout.from_dict(fitted["table_layout_"])
            if network_blocks(layout) != spec.column_blocks:
                raise ValueError(f"table_layout_ does not fit column_blocks {spec.column_blocks}")
        n_columns = spec.n_features if layout is None else len(layout.columns)
        if (fitted["n_features_in_"], fitted["n_components_"]) != (
            n_columns,
            spec.n_components,
        ):
            raise ValueError(
                f"n_features_in_={fitted['n_features_in_']} and n_components_="
                f"{fitted['n_components_']} contradict the network specification {spec}"
            )
        history = [dict(epoch) for epoch in document.get("history", [])]
        _check_spec_fits_class(estimator, spec)
        _check_fitted(fitted, spec, history, document.get("format_version", 2))
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise ValueError(
            f"{path / _JSON} holds invalid parameters or attributes: {error}"
        ) from error
    fitted["table_layout_"] = layout
    return estimator, spec, fitted, settings, history


def _check_spec_fits_class(estimator, spec):
    """The spec must be one that its class builds from valid parameters."""
    fields = {k: v for k, v in spec.to_dict().items() if k in estimator.get_params()}
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    candidate = clone(estimator).set_params(**fields)
    candidate._validate_params()
    candidate._check_params(np.zeros((1, spec.n_features)))
    rebuilt = candidate._network_spec(spec.n_features, spec.column_blocks)
    if rebuilt != spec:
        changed = [k for k in spec.to_dict() if getattr(rebuilt, k) != getattr(spec, k)]
        raise ValueError(f"spec fields {changed} are not what {type(estimator).__name__} builds")


def _number(value, name, low=-np.inf, integer=False, allow_none=False):
    if value is None and allow_none:
        return
    kinds = Integral if integer else Real
    if isinstance(value, bool) or not isinstance(value, kinds) or not np.isfinite(value):
        raise ValueError(f"{name}={value!r} is not a finite {'int' if integer else 'number'}")
    if value < low:
        raise ValueError(f"{name}={value!r} is below {low}")


def _check_fitted(fitted, spec, history, format_version):
    """Type, range and consistency of every fitted value in the JSON file."""
    _number(fitted["n_iter_"], "n_iter_", 0, integer=True)
    if fitted["n_iter_"] != len(history) or len(fitted["loss_curve_"]) != len(history):
        raise ValueError(
            f"n_iter_={fitted['n_iter_']}, {len(fitted['loss_curve_'])} loss_curve_ values "
            f"and {len(history)} history epochs disagree"
        )
    for value in fitted["loss_curve_"]:
        _number(value, "loss_curve_")
    for name in ("validation_scores_", "validation_loss_curve_"):
        if fitted[name] is not None:
            if not isinstance(fitted[name], list) or len(fitted[name]) > len(history):
                raise ValueError(f"{name}={fitted[name]!r}")
            for value in fitted[name]:
                _number(value, name)
    if fitted["noise_variance_"] is None and format_version < 3:
        pass  # a Bernoulli VariationalAE of format 2 had none: it cannot score
    else:
        _number(fitted["noise_variance_"], "noise_variance_")
        if fitted["noise_variance_"] <= 0:
            raise ValueError(f"noise_variance_={fitted['noise_variance_']!r} is not positive")
    if not isinstance(fitted["device_"], str):
        raise ValueError(f"device_={fitted['device_']!r} is not a string")
    moments = fitted.get("code_moments_", {})
    if set(moments) != {"count", "residual_sum", "data_square_sum"}:
        raise ValueError(f"code_moments_ scalars {sorted(moments)}")
    _number(moments["count"], "code_moments_.count", 1)
    _number(moments["residual_sum"], "code_moments_.residual_sum", 0)
    _number(moments["data_square_sum"], "code_moments_.data_square_sum", 0)
    names = fitted.get("feature_names_in_")
    if names is not None and (
        not isinstance(names, list)
        or len(names) != fitted["n_features_in_"]
        or not all(isinstance(n, str) for n in names)
    ):
        raise ValueError(f"feature_names_in_ must be {fitted['n_features_in_']} strings")
    if (spec.kind in _SAMPLING_KINDS) != ("output_dtype_" in fitted) or fitted.get(
        "output_dtype_", "float32"
    ) not in ("float32", "float64"):
        raise ValueError(f"output_dtype_={fitted.get('output_dtype_')!r}")
    transform = dict(fitted.get("output_config", {})).get("transform")
    if transform not in (None, "default", "pandas", "polars"):
        raise ValueError(f"output_config transform={transform!r}")


def _check_copy(document, metadata, path):
    """The weights file's copy of the model's values must match the JSON file's."""
    if document.get("format_version", 2) < 3:
        return  # written before the copy existed: validated, but edits go unseen
    try:
        copy = json.loads(metadata[_COPY_KEY])
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path / _WEIGHTS} lacks the model's copy ({error}).") from error
    differing = [
        f"{part}.{name}"
        for part in ("spec", "settings", "fitted")
        for name in sorted(set(copy.get(part, {})) | set(document.get(part, {})))
        if _canonical(copy.get(part, {}).get(name)) != _canonical(document[part].get(name))
        and (part, name) != ("fitted", "device_")  # where it ran; load may move it
    ]
    if copy.get("class") != document.get("class"):
        differing.insert(0, "class")
    if differing:
        raise ValueError(
            f"{path / _JSON} does not match the copy in {path / _WEIGHTS}: "
            f"{', '.join(differing)} differ from it; the directory was edited. Save the "
            "model again."
        )


def _check_tensors(tensors, path):
    for name, value in tensors.items():
        if not np.all(np.isfinite(value)):
            raise ValueError(f"{path / _WEIGHTS} holds non-finite values in {name}.")
    if "n_observed_" in tensors and (
        np.any(tensors["n_observed_"] < 0) or tensors["n_observed_"].dtype.kind != "i"
    ):
        raise ValueError(f"{path / _WEIGHTS} holds an invalid n_observed_.")
    covariance = tensors["code_covariance_"]
    if not np.allclose(covariance, covariance.T) or np.linalg.eigvalsh(
        covariance
    ).min() < -1e-8 * max(1.0, np.abs(covariance).max()):
        raise ValueError(f"{path / _WEIGHTS}: code_covariance_ is not a covariance.")


def _write(path, fields, tensors, copy):
    """``estimator.json`` (format, ``fields``, versions, tensor shapes) and
    ``weights.safetensors`` holding ``tensors`` and the canonical ``copy``."""
    document = {"format": FORMAT, "format_version": FORMAT_VERSION, **fields}
    document["versions"] = _versions()
    document["tensors"] = {name: list(array.shape) for name, array in tensors.items()}
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    (path / _JSON).write_text(json.dumps(document, indent=2))
    save_file(tensors, str(path / _WEIGHTS), metadata={_COPY_KEY: _canonical(copy)})


def save_wrapper(path, name, params, fitted, arrays):
    """Write a meta-estimator's ``estimator.json`` and ``weights.safetensors``
    (its fitted arrays and a copy of its fitted values); its autoencoders go
    in subdirectories, each saved by ``save_estimator``."""
    fields = {"class": name, "params": params, "fitted": fitted}
    _write(path, fields, arrays, copy={"class": name, "fitted": fitted})


def set_input_names(estimator, fitted, path):
    """A meta-estimator's ``n_features_in_`` and ``feature_names_in_`` from its
    saved ``fitted`` values, checked against each other."""
    n_features = fitted["n_features_in_"]
    estimator.n_features_in_ = n_features
    if "feature_names_in_" in fitted:
        names = fitted["feature_names_in_"]
        if len(names) != n_features or not all(isinstance(n, str) for n in names):
            raise ValueError(f"{path / _JSON} holds invalid attributes: feature_names_in_.")
        estimator.feature_names_in_ = np.asarray(names, dtype=object)


def wrapper_shapes(path, document, fitted):
    """The tensor shapes of a meta-estimator's weights file, once its copy of the
    fitted values is checked against ``estimator.json``."""
    shapes, metadata = _header(path / _WEIGHTS)
    try:
        copy = json.loads(metadata[_COPY_KEY])
    except (KeyError, TypeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path / _WEIGHTS} lacks the model's copy ({error}).") from error
    if copy != {"class": document["class"], "fitted": fitted}:
        raise ValueError(
            f"{path / _JSON} does not match the copy in {path / _WEIGHTS}: the directory "
            "was edited. Save the model again."
        )
    return shapes


def load_autoencoder(cls, path, document, device=None, load=None):
    """The autoencoder of class ``cls`` saved in ``path`` (``document``: its JSON);
    ``load`` (for directories inside this one) is unused: an autoencoder holds none."""
    estimator, spec, fitted, settings, history = _parse(cls, document, path)
    listed = {name: tuple(shape) for name, shape in dict(document.get("tensors", {})).items()}
    found, metadata = _header(path / _WEIGHTS)
    if listed != found:
        raise ValueError(
            f"{path / _WEIGHTS} does not match {_JSON}: tensors listed "
            f"{sorted(listed.items())}, found {sorted(found.items())}."
        )
    expected = _expected_shapes(spec, found, document.get("format_version", 2))
    if found != expected:
        raise ValueError(
            f"The tensors in {path / _WEIGHTS} do not fit the architecture of the network "
            f"specification in {_JSON}: expected {sorted(expected.items())}, found "
            f"{sorted(found.items())}."
        )
    _check_copy(document, metadata, path)
    # Only now, with every shape and value checked, is anything allocated.
    with safe_open(str(path / _WEIGHTS), framework="numpy") as file:
        tensors = {name: file.get_tensor(name) for name in file.keys()}
    _check_tensors(tensors, path)

    saved_device = str(fitted.get("device_", "cpu"))
    device = (
        available_device(saved_device, type(estimator).__name__)
        if device is None
        else (resolve_device(str(device)))
    )
    estimator.spec_ = spec
    weights = {k[len("module.") :]: v for k, v in tensors.items() if k.startswith("module.")}
    estimator.module_ = fitted_network(spec, weights, device)
    estimator.history_ = PlainHistory(history)
    # The optimizer and the generators were not saved: training continues afresh.
    estimator.training_state_ = Continuation(settings=settings)
    for name in JSON_ATTRIBUTES:
        setattr(estimator, name, fitted[name])
    estimator.device_ = device
    if "feature_names_in_" in fitted:
        estimator.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
    for row in ARRAY_ATTRIBUTES:
        if row.name in tensors:
            setattr(estimator, row.name, tensors[row.name])
    moments = {k[len(_MOMENTS) :]: v for k, v in tensors.items() if k.startswith(_MOMENTS)}
    estimator.code_moments_ = {**moments, **fitted.get("code_moments_", {})}
    if "fill_values_" not in tensors:
        # format 2: fill values and hash thresholds from the training sums
        count = int(estimator.code_moments_["count"])
        estimator.hash_thresholds_ = estimator.code_moments_["code_sum"] / count
        estimator.feature_means_ = estimator.code_moments_["data_sum"] / count
        estimator.n_observed_ = np.full(spec.n_features, count, dtype=np.int64)
        estimator.fill_values_ = estimator._missing_fill(estimator.feature_means_)
    if "output_dtype_" in fitted:
        if fitted["output_dtype_"] not in ("float32", "float64"):
            raise ValueError(f"{path / _JSON} holds an invalid output_dtype_.")
        estimator.output_dtype_ = fitted["output_dtype_"]
    if fitted["table_layout_"] is not None:
        estimator.table_layout_ = fitted["table_layout_"]
    output = fitted.get("output_config", {})
    if output.get("transform") is not None:
        estimator.set_output(transform=output["transform"])
    return estimator
