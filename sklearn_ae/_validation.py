"""Input validation and seeding shared by the estimators: errors that name the fix."""

import numpy as np
import torch

FLOAT_DTYPES = [np.float64, np.float32]
SPARSE_FORMATS = ("csr", "csc")
# Appended to scikit-learn's input errors that name the problem but not the fix.
_INPUT_FIXES = (
    ("contains NaN", "Impute or drop missing values first, e.g. SimpleImputer in a Pipeline."),
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
