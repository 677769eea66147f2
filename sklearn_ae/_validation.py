"""Input validation and seeding shared by the estimators: errors that name the fix."""

import numpy as np
import scipy.sparse as sp
import torch

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


def column_fill_values(X, allow_empty=False):
    """Per-feature means of the observed entries, where the network sees a missing one.

    A feature with no observed entry raises, unless ``allow_empty`` (the first
    batch of a stream need not hold every feature): its value is then 0.
    """
    if sp.issparse(X):
        return np.asarray(X.mean(axis=0), dtype=np.float64).ravel()
    observed = ~np.isnan(X)
    empty = np.flatnonzero(~observed.any(axis=0))
    if len(empty) and not allow_empty:
        raise ValueError(
            f"Column(s) {empty[:10].tolist()} of X have no observed value (all NaN); "
            "drop them, or impute them first (AutoencoderImputer(keep_empty_features=True) "
            "fills them with 0)."
        )
    totals = np.where(observed, X, 0).sum(axis=0, dtype=np.float64)
    return totals / np.maximum(observed.sum(axis=0), 1)
