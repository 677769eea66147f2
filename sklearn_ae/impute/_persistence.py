"""Safe persistence of an AutoencoderImputer: its own JSON and arrays, and its autoencoder.

``save`` writes ``estimator.json`` (class, parameters, fitted values),
``weights.safetensors`` (the standardisation and the feature masks, with a
copy of the JSON's fitted values in its metadata) and the fitted autoencoder
in ``autoencoder/`` in the format of :mod:`sklearn_ae._persistence`. ``load``
validates every value against the others before anything is built; nothing
in the files can run code.
"""

from pathlib import Path

import numpy as np
from safetensors import safe_open
from sklearn.impute import MissingIndicator

from .._io import persistence as _persistence
from .._nn.losses import LOSSES

_JSON, _WEIGHTS, _AUTOENCODER = "estimator.json", "weights.safetensors", "autoencoder"
_ARRAYS = (
    "mean_",
    "scale_",
    "kept_features_",
    "constant_features_",
    "shrinkage_",
    "observed_means_",
)
# The Gaussian of the blend (tables of at most MAX_FEATURES features): its
# weight per feature, and its mean and covariance where it was fitted. A
# directory written before the blend has none: weight 0, the network alone.
_GAUSSIAN = ("gaussian_weight_", "gaussian_mean_", "gaussian_covariance_")
# An imputer fitted on a table with categorical columns: its autoencoder reads
# the table (and saves its layout); the imputer keeps which columns it models.
_TABLE_ARRAYS = ("kept_features_", "modelled_features_")
# Its blend, when it fitted one: the weights per modelled column, and the
# Gaussian over the network's matrix (one entry per number, one per level).
_TABLE_BLEND = ("shrinkage_", "gaussian_weight_", "gaussian_mean_", "gaussian_covariance_")


def _encode_missing(value):
    return {"float": "nan"} if isinstance(value, float) and np.isnan(value) else value


def _decode_missing(value):
    return np.nan if value == {"float": "nan"} else value


def save_imputer(imputer, path):
    params = imputer.get_params()
    params["missing_values"] = _encode_missing(params["missing_values"])
    params["random_state"] = _persistence.encode_random_state(params["random_state"])
    if params["hidden_layer_sizes"] is not None:
        params["hidden_layer_sizes"] = [int(v) for v in params["hidden_layer_sizes"]]
    if params["categorical_features"] is not None and not isinstance(
        params["categorical_features"], str
    ):
        params["categorical_features"] = np.asarray(params["categorical_features"]).tolist()
    indicator = imputer.indicator_
    fitted = {
        "n_features_in_": int(imputer.n_features_in_),
        "loss_": imputer.loss_,
        "indicator_features": None if indicator is None else indicator.features_.tolist(),
        "output_config": dict(getattr(imputer, "_sklearn_output_config", {})),
    }
    if hasattr(imputer, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in imputer.feature_names_in_]
    table = hasattr(imputer, "modelled_features_")
    fitted["table"] = table
    names = _TABLE_ARRAYS + _TABLE_BLEND if table else _ARRAYS + _GAUSSIAN
    arrays = {
        name: np.ascontiguousarray(getattr(imputer, name))
        for name in names
        if getattr(imputer, name) is not None
    }
    for name in ("kept_features_", "constant_features_", "modelled_features_"):
        if name in arrays:
            arrays[name] = arrays[name].astype(np.uint8)
    _persistence.save_wrapper(path, type(imputer).__name__, params, fitted, arrays)
    path = Path(path)
    _persistence.save_estimator(imputer.autoencoder_, path / _AUTOENCODER)


def _invalid(path, problem):
    return ValueError(f"{path / _JSON} holds invalid parameters or attributes: {problem}")


def load_imputer(cls, path, document, device, load):
    """The imputer of class ``cls`` saved in ``path``; ``load`` reads its autoencoder."""

    path = Path(path)
    _persistence.check_versions(document)
    try:
        params = dict(document["params"])
        params["missing_values"] = _decode_missing(params["missing_values"])
        params["random_state"] = _persistence.decode_random_state(params["random_state"])
        if params.get("hidden_layer_sizes") is not None:
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        imputer = cls(**params)
        imputer._validate_params()
        fitted = dict(document["fitted"])
        n_features = fitted["n_features_in_"]
        if isinstance(n_features, bool) or not isinstance(n_features, int) or n_features < 1:
            raise ValueError(f"n_features_in_={n_features!r}")
        if fitted["loss_"] not in LOSSES:
            raise ValueError(f"loss_={fitted['loss_']!r}")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _invalid(path, error) from error
    shapes = _persistence.wrapper_shapes(path, document, fitted)
    if fitted.get("table", False) is True:
        return _load_table_imputer(imputer, path, fitted, shapes, load)
    gaussian = [name for name in _GAUSSIAN if name in shapes]
    if (
        set(shapes) - set(gaussian) != set(_ARRAYS)
        or gaussian not in ([], list(_GAUSSIAN[:1]), list(_GAUSSIAN))
        or shapes["kept_features_"] != (n_features,)
    ):
        raise ValueError(f"{path / _WEIGHTS} does not hold the imputer's arrays: {shapes}.")
    with safe_open(str(path / _WEIGHTS), framework="numpy") as file:
        kept = file.get_tensor("kept_features_")
        if not np.isin(kept, (0, 1)).all():
            raise ValueError(f"{path / _WEIGHTS}: kept_features_ is not a mask.")
        n_kept = int(kept.sum())
        expected = {name: (n_kept,) for name in _ARRAYS + _GAUSSIAN if name in shapes}
        if "gaussian_covariance_" in shapes:
            expected["gaussian_covariance_"] = (n_kept, n_kept)
        if any(
            shapes[name] != shape for name, shape in expected.items() if name != "kept_features_"
        ):
            raise ValueError(f"{path / _WEIGHTS}: arrays do not match {n_kept} kept features.")
        arrays = {name: file.get_tensor(name) for name in expected}
    if not all(np.all(np.isfinite(array)) for array in arrays.values()):
        raise ValueError(f"{path / _WEIGHTS}: every array must be finite.")
    weights = [arrays["shrinkage_"], arrays.get("gaussian_weight_", np.zeros(n_kept))]
    if any(np.any(w < 0) for w in weights):
        raise ValueError(f"{path / _WEIGHTS}: shrinkage_ and gaussian_weight_ must be >= 0.")
    if "gaussian_covariance_" in arrays and (
        not np.allclose(arrays["gaussian_covariance_"], arrays["gaussian_covariance_"].T)
        or np.any(np.diag(arrays["gaussian_covariance_"]) <= 0)
    ):
        raise ValueError(f"{path / _WEIGHTS}: gaussian_covariance_ must be a covariance.")
    if np.any(arrays["scale_"] <= 0) or not np.isin(arrays["constant_features_"], (0, 1)).all():
        raise ValueError(f"{path / _WEIGHTS}: scale_ must be positive, masks 0 or 1.")
    autoencoder = load(path / _AUTOENCODER)
    if autoencoder.n_features_in_ != n_kept or autoencoder.spec_.loss != fitted["loss_"]:
        raise ValueError(
            f"{path / _AUTOENCODER} does not fit the imputer: {autoencoder.n_features_in_} "
            f"features and loss {autoencoder.spec_.loss!r} against {n_kept} and "
            f"{fitted['loss_']!r}."
        )
    _set_common(imputer, fitted, path)
    imputer.loss_ = fitted["loss_"]
    imputer.mean_, imputer.scale_ = arrays["mean_"], arrays["scale_"]
    imputer.shrinkage_, imputer.observed_means_ = arrays["shrinkage_"], arrays["observed_means_"]
    imputer.gaussian_weight_ = weights[1]
    imputer.gaussian_mean_ = arrays.get("gaussian_mean_")
    imputer.gaussian_covariance_ = arrays.get("gaussian_covariance_")
    imputer.kept_features_ = arrays["kept_features_"].astype(bool)
    imputer.constant_features_ = arrays["constant_features_"].astype(bool)
    imputer.autoencoder_ = autoencoder
    imputer.indicator_ = _indicator(fitted["indicator_features"], n_features, path)
    return imputer


def _set_common(imputer, fitted, path):
    """``n_features_in_``, ``feature_names_in_`` and the output configuration."""
    _persistence.set_input_names(imputer, fitted, path)
    output = fitted.get("output_config", {})
    if output.get("transform") is not None:
        imputer.set_output(transform=output["transform"])


def _load_table_imputer(imputer, path, fitted, shapes, load):
    n_features = fitted["n_features_in_"]
    blend = [name for name in _TABLE_BLEND if name in shapes]
    if (
        set(shapes) - set(blend) != set(_TABLE_ARRAYS)
        or blend not in ([], list(_TABLE_BLEND))
        or any(shapes[name] != (n_features,) for name in _TABLE_ARRAYS)
    ):
        raise ValueError(f"{path / _WEIGHTS} does not hold the imputer's masks: {shapes}.")
    with safe_open(str(path / _WEIGHTS), framework="numpy") as file:
        masks = {name: file.get_tensor(name) for name in _TABLE_ARRAYS}
        weights = {name: file.get_tensor(name) for name in blend}
    if not all(np.isin(mask, (0, 1)).all() for mask in masks.values()):
        raise ValueError(f"{path / _WEIGHTS}: the feature masks must hold 0 or 1.")
    kept, modelled = (masks[name].astype(bool) for name in _TABLE_ARRAYS)
    if np.any(modelled & ~kept) or fitted["loss_"] != "mse":
        raise _invalid(path, "modelled_features_ outside kept_features_, or loss_")
    autoencoder = load(path / _AUTOENCODER)
    if not hasattr(autoencoder, "table_layout_") or autoencoder.n_features_in_ != modelled.sum():
        raise ValueError(
            f"{path / _AUTOENCODER} does not fit the imputer: it must read a table of "
            f"{int(modelled.sum())} columns."
        )
    if weights:
        n_columns, width = int(modelled.sum()), autoencoder.table_layout_.width
        expected = [(n_columns,), (n_columns,), (width,), (width, width)]
        if [shapes[name] for name in _TABLE_BLEND] != expected or not all(
            np.all(np.isfinite(w)) for w in weights.values()
        ):
            raise ValueError(f"{path / _WEIGHTS}: the blend does not fit the autoencoder.")
    _set_common(imputer, fitted, path)
    imputer.loss_, imputer.indicator_ = "mse", None
    imputer.kept_features_, imputer.modelled_features_ = kept, modelled
    imputer.autoencoder_ = autoencoder
    for name in _TABLE_BLEND:
        setattr(imputer, name, weights.get(name))
    return imputer


def _indicator(features, n_features, path):
    """A MissingIndicator with these ``features_``, fitted through its public API."""
    if features is None:
        return None
    if (
        not isinstance(features, list)
        or not all(isinstance(j, int) and 0 <= j < n_features for j in features)
        or sorted(set(features)) != features
    ):
        raise _invalid(path, f"indicator_features={features!r}")
    holes = np.zeros((1, n_features))
    holes[0, features] = np.nan
    return MissingIndicator(missing_values=np.nan).fit(holes)
