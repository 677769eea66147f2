"""``save`` / ``load`` of AutoencoderOutlierDetector: JSON, safetensors and one
directory per fitted autoencoder, validated on load and never unpickled."""

from pathlib import Path

import numpy as np
from safetensors import safe_open
from sklearn.base import clone

from .._io import persistence as _persistence

_JSON, _WEIGHTS, _ESTIMATOR = "estimator.json", "weights.safetensors", "estimator_{}"
_ARRAYS = ("mean_", "scale_", "noise_variances_", "code_means_", "code_covariances_")


def save_detector(detector, path):
    params = detector.get_params(deep=False)
    params["random_state"] = _persistence.encode_random_state(params["random_state"])
    # The template is rebuilt from the first fitted estimator's parameters on load.
    params["estimator"] = None if params["estimator"] is None else "fitted estimator_0"
    fitted = {
        "n_features_in_": int(detector.n_features_in_),
        "n_estimators_": len(detector.estimators_),
        "offset_": float(detector.offset_),
    }
    if hasattr(detector, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in detector.feature_names_in_]
    arrays = {name: np.ascontiguousarray(getattr(detector, name), np.float64) for name in _ARRAYS}
    # A detector of a mixed table (its autoencoders save their layouts).
    fitted["table"] = hasattr(detector, "is_categorical_")
    if fitted["table"]:
        arrays["level_offsets_"] = np.ascontiguousarray(detector.level_offsets_, np.float64)
        arrays["level_variance_factors_"] = np.ascontiguousarray(
            detector.level_variance_factors_, np.float64
        )
        arrays["is_categorical_"] = detector.is_categorical_.astype(np.uint8)
    _persistence.save_wrapper(path, type(detector).__name__, params, fitted, arrays)
    path = Path(path)
    for i, estimator in enumerate(detector.estimators_):
        _persistence.save_estimator(estimator, path / _ESTIMATOR.format(i))


def _invalid(path, problem):
    return ValueError(f"{path / _JSON} holds invalid parameters or attributes: {problem}")


def load_detector(cls, path, document, device, load):
    """The detector of class ``cls`` saved in ``path``; ``load`` reads each autoencoder."""

    path = Path(path)
    _persistence.check_versions(document)
    try:
        params = dict(document["params"])
        params["random_state"] = _persistence.decode_random_state(params["random_state"])
        given = params.pop("estimator")
        if given not in (None, "fitted estimator_0"):
            raise ValueError(f"estimator={given!r}")
        detector = cls(**params)
        detector._validate_params()
        fitted = dict(document["fitted"])
        n_features, n_estimators = fitted["n_features_in_"], fitted["n_estimators_"]
        for name, value in (("n_features_in_", n_features), ("n_estimators_", n_estimators)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r}")
        offset = fitted["offset_"]
        if isinstance(offset, bool) or not isinstance(offset, (int, float)):
            raise ValueError(f"offset_={offset!r}")
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise _invalid(path, error) from error
    shapes = _persistence.wrapper_shapes(path, document, fitted)
    k = shapes.get("code_means_", (0, 0))[-1]
    table = fitted.get("table", False) is True
    width = shapes.get("noise_variances_", (0, 0))[-1] if table else n_features
    expected = {
        "mean_": (n_features,),
        "scale_": (n_features,),
        "noise_variances_": (n_estimators, width),
        "code_means_": (n_estimators, k),
        "code_covariances_": (n_estimators, k, k),
    }
    if table:
        expected.update(level_offsets_=(n_estimators, width), is_categorical_=(n_features,))
        # Saved before the levels' variance factors existed: none (all 1).
        if "level_variance_factors_" in shapes:
            n_numbers = shapes["level_variance_factors_"][-1]
            expected["level_variance_factors_"] = (n_estimators, width, n_numbers)
    if shapes != expected:
        raise ValueError(f"{path / _WEIGHTS} does not hold the detector's arrays: {shapes}.")
    with safe_open(str(path / _WEIGHTS), framework="numpy") as file:
        arrays = {name: file.get_tensor(name) for name in expected}
    if table and not np.isin(arrays["is_categorical_"], (0, 1)).all():
        raise ValueError(f"{path / _WEIGHTS}: is_categorical_ must hold 0 or 1.")
    if not all(np.isfinite(a).all() for a in arrays.values()) or (arrays["scale_"] <= 0).any():
        raise ValueError(f"{path / _WEIGHTS}: arrays must be finite and scale_ positive.")
    for name in ("noise_variances_", "level_variance_factors_"):
        if name in arrays and (arrays[name] <= 0).any():
            raise ValueError(f"{path / _WEIGHTS}: {name} must be positive.")
    estimators = [load(path / _ESTIMATOR.format(i)) for i in range(n_estimators)]
    if any(est.n_features_in_ != n_features or est.n_components_ != k for est in estimators):
        raise ValueError(f"{path}: an estimator does not map {n_features} features to {k}.")
    if table and any(
        not hasattr(est, "table_layout_") or est.spec_.n_features != width for est in estimators
    ):
        raise ValueError(f"{path}: an estimator does not read the table the detector scores.")
    if table:
        n_numbers = sum(model == "gaussian" for model, _ in estimators[0].spec_.column_blocks)
        factors = arrays.get("level_variance_factors_")
        if factors is None:
            factors = np.ones((n_estimators, width, n_numbers))
        if factors.shape[-1] != n_numbers:
            raise ValueError(f"{path}: level_variance_factors_ does not match the numbers.")
    if given is not None:
        detector.set_params(estimator=clone(estimators[0]))
    _persistence.set_input_names(detector, fitted, path)
    for name in _ARRAYS:
        setattr(detector, name, arrays[name])
    if table:
        detector.level_offsets_ = arrays["level_offsets_"]
        detector.level_variance_factors_ = factors
        detector.is_categorical_ = arrays["is_categorical_"].astype(bool)
    detector.offset_ = float(offset)
    detector.estimators_ = estimators
    detector.estimator_ = estimators[0]
    return detector
