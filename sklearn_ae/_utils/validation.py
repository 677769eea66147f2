"""Input validation and seeding shared by the estimators: errors that name the fix."""

import warnings
from numbers import Integral

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.utils.validation import validate_data

from ..exceptions import BottleneckWarning

FLOAT_DTYPES = [np.float64, np.float32]
SPARSE_FORMATS = ("csr", "csc")
# Appended to scikit-learn's input errors that name the problem but not the fix.
_INPUT_FIXES = (
    # Data may miss entries (NaN); codes may not, so this reaches inverse_transform only.
    ("contains NaN", "Codes have no missing entries: pass the output of transform."),
    ("contains infinity", "Replace, clip or drop infinite values first."),
    ("0 sample(s)", "Pass at least one sample."),
    ("0 feature(s)", "Pass at least one feature column."),
    ("Found array with dim", "Reshape to 2-D (n_samples, n_features), e.g. X.reshape(len(X), -1)."),
    (
        "could not convert",
        "Encode text or categorical columns as numbers first, e.g. "
        "OneHotEncoder in a ColumnTransformer.",
    ),
    (
        "Complex data not supported",
        "Pass real values, e.g. the real and imaginary parts as separate columns.",
    ),
    ("features, but", "Pass the same columns, in the same order, as in fit."),
    ("feature names", "Pass the same columns, in the same order, as in fit."),
)


def with_fix(error):
    """``error`` again, with the fix appended when scikit-learn's message lacks one."""
    message = str(error)
    for needle, fix in _INPUT_FIXES:
        if needle in message:
            return type(error)(f"{message} {fix}")
    return error


def check_layer_sizes(sizes, name, fix):
    """Raise ValueError unless ``sizes`` holds positive integers only; ``fix`` says
    what to pass instead."""
    if not _positive_ints(sizes):
        raise ValueError(f"{name} must be a tuple of positive integers, got {sizes!r}; {fix}.")


def check_count(value, name, minimum=1):
    """``value`` as an int of at least ``minimum``, or an error naming ``name`` and the fix."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(f"{name} must be an int, got {value!r}; pass e.g. {name}={minimum}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}; pass a larger {name}.")
    return int(value)


def seed_sequence(random_state):
    """A numpy SeedSequence from ``random_state`` that leaves global RNGs alone."""
    if random_state is None:
        return np.random.SeedSequence()  # fresh OS entropy, not np.random's state
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(int(random_state.randint(np.iinfo(np.int32).max)))
    return np.random.SeedSequence(random_state)


def generator(seed, device="cpu"):
    """A private torch generator: fitting never touches torch's global RNG."""
    return torch.Generator(device=device).manual_seed(int(seed))


def check_missing(X):
    """Raise for missing entries (NaN) that cannot be worked with; return X.

    Dense rows may miss entries but not all of them; sparse input has no
    missing entries.
    """
    if sp.issparse(X):
        if np.isnan(X.data).any():
            raise ValueError(
                "Sparse X with NaN is not supported: missing entries need a dense "
                "array; pass X.toarray() or impute them first."
            )
        return X
    if X.size and np.isnan(X).any():
        empty = np.flatnonzero(np.isnan(X).all(axis=1))
        if len(empty):
            raise ValueError(
                f"Row(s) {empty[:10].tolist()} of X have no observed value (all NaN); "
                "drop those rows, or impute them first."
            )
    return X


def column_fill_values(X, allow_empty=False, previous=None):
    """Per-feature means of the observed entries, and how many entries each mean counts.

    The network sees a feature's mean where an entry is missing. ``previous``
    (means, counts) from earlier batches of a stream are combined with ``X``'s
    observed entries into running means, so that a feature the first batch
    never observed gets its mean from the batches that do. A feature with no
    observed entry raises, unless ``allow_empty`` (a stream's batch need not
    hold every feature): its mean is then that of earlier batches, or 0.
    """
    if sp.issparse(X):
        totals = np.asarray(X.sum(axis=0), dtype=np.float64).ravel()
        counts = np.full(X.shape[1], X.shape[0], dtype=np.int64)
    else:
        observed = ~np.isnan(X)
        counts = observed.sum(axis=0).astype(np.int64)
        empty = np.flatnonzero(counts == 0)
        if len(empty) and not allow_empty:
            raise ValueError(
                f"Column(s) {empty[:10].tolist()} of X have no observed value (all NaN); "
                "drop them, or impute them first (AutoencoderImputer(keep_empty_features=True) "
                "fills them with 0)."
            )
        totals = np.where(observed, X, 0).sum(axis=0, dtype=np.float64)
    if previous is not None:
        means, seen = previous
        totals = totals + np.asarray(means, dtype=np.float64) * seen
        counts = counts + np.asarray(seen, dtype=np.int64)
    return totals / np.maximum(counts, 1), counts


# Largest input (in values) that skips scikit-learn's validation when it is a
# plain finite float array; larger inputs amortise the validation anyway.
_FAST_PATH_VALUES = 2**16


def is_plain_float_array(X, n_features):
    """Whether ``X`` is a plain finite float ndarray of ``n_features`` columns (and
    small enough that skipping scikit-learn's validation pays off).

    What serving passes most: scikit-learn's dataframe detection alone took a
    quarter of a one-row transform.
    """
    return (
        type(X) is np.ndarray
        and X.dtype in (np.float32, np.float64)
        and X.ndim == 2
        and X.shape[0] > 0
        and X.shape[1] == n_features
        and X.size <= _FAST_PATH_VALUES
        and np.isfinite(X).all()
    )


# The fewest rows ``fit`` takes: one row shows nothing of how the features vary
# (a detector fitted on one once scored other rows around -1e21).
MIN_FIT_ROWS = 2


def check_fit_size(estimator, X):
    """Raise ValueError when ``X`` is too small for ``estimator.fit``: no column,
    or fewer than ``MIN_FIT_ROWS`` rows (a DataFrame without columns otherwise
    met numpy's "at least one array or dtype is required")."""
    name = type(estimator).__name__
    try:
        shape = X.shape if hasattr(X, "shape") else np.shape(X)
    except (TypeError, ValueError):
        return  # ragged, or an array-like numpy cannot read: left to scikit-learn's checks
    if len(shape) != 2:
        return
    if shape[1] == 0:
        raise ValueError(
            f"Found array with 0 feature(s) (shape=({shape[0]}, 0)) while a minimum of 1 is "
            f"required by {name}. Pass X with its columns (a DataFrame's selection may have "
            "dropped them)."
        )
    if shape[0] < MIN_FIT_ROWS:
        raise ValueError(
            f"X has {shape[0]} sample(s); {name}.fit needs at least {MIN_FIT_ROWS} rows (one "
            "row shows nothing of how the features vary); pass more rows"
            + (
                ", or partial_fit batches of any size."
                if hasattr(estimator, "partial_fit")
                else "."
            )
        )


def validate_input(estimator, X, reset):
    """Validated X for ``estimator``: NaN marks a missing entry; a row must have an
    observed one."""
    try:
        X = validate_data(
            estimator,
            X,
            dtype=FLOAT_DTYPES,
            accept_sparse=SPARSE_FORMATS,
            ensure_all_finite="allow-nan",
            reset=reset,
        )
    except (ValueError, TypeError) as error:
        raise with_fix(error) from error
    check_missing(X)
    return X


def warn_if_no_bottleneck(spec, name):
    """BottleneckWarning when the code of ``spec`` is wider than its input."""
    if spec.n_components > spec.n_features:
        warnings.warn(
            f"n_components={spec.n_components} > n_features={spec.n_features}: without "
            f"a bottleneck {name} can learn the identity map. Use fewer components, or "
            "SparseAE or DenoisingAE for an overcomplete code.",
            BottleneckWarning,
            stacklevel=5,
        )


def _positive_ints(values):
    return all(isinstance(n, Integral) and not isinstance(n, bool) and n > 0 for n in values)


def check_image_shape(image_shape, conv_channels, tied_weights, n_features, warn=False):
    """``image_shape`` as (channels, height, width), checked against the width of X.

    With ``warn``, a shape whose last axis looks like colour channels (channels
    last) is warned about.
    """
    if image_shape is None:
        return None
    shape = tuple(np.asarray(image_shape, dtype=object).ravel())
    if len(shape) == 2:
        shape = (1, *shape)
    if not (np.ndim(image_shape) == 1 and len(shape) == 3 and _positive_ints(shape)):
        raise ValueError(
            f"image_shape={image_shape!r} must be (height, width) or (channels, "
            "height, width) of positive ints, e.g. image_shape=(28, 28)."
        )
    if warn and shape[2] in (1, 3, 4) and shape[0] not in (1, 3, 4):
        warnings.warn(
            f"image_shape={tuple(int(n) for n in shape)!r} reads as {shape[0]} channels "
            f"of {shape[1]}x{shape[2]} images, but its last axis looks like colour "
            "channels: if the rows are height x width x channels pixels, pass "
            f"image_shape={(int(shape[2]), int(shape[0]), int(shape[1]))!r} and rows in "
            "channels-first order, X.reshape(n, h, w, c).transpose(0, 3, 1, 2)"
            ".reshape(n, -1).",
            UserWarning,
            stacklevel=7,
        )
    if int(np.prod(shape)) != n_features:
        raise ValueError(
            f"X has {n_features} features, but image_shape={image_shape!r} needs "
            f"{int(np.prod(shape))}; pass rows of channels * height * width pixels "
            "or fix image_shape."
        )
    if not conv_channels or not _positive_ints(conv_channels):
        raise ValueError(
            f"conv_channels must be a non-empty tuple of positive ints, got {conv_channels!r}; "
            "e.g. conv_channels=(32, 64)."
        )
    if tied_weights:
        raise ValueError(
            "tied_weights=True is not supported with image_shape (a transposed "
            "convolution is not the transpose of a strided one); use tied_weights=False."
        )
    return tuple(int(n) for n in shape)
