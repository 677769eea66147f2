"""Checks of a mixed table's input and parameters: errors that name the column
and the fix."""

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import validate_data

from .._nn.joint import CATEGORICAL, GAUSSIAN
from .._utils.validation import check_missing, with_fix
from .layout import NUMERIC, _is_dataframe


def as_table(X):
    """``X`` as ``TableLayout.from_data`` reads it: a DataFrame as it is, anything
    else as a 2-D array (sparse matrices hold numbers only, and pass through)."""
    if _is_dataframe(X) or sp.issparse(X):
        return X
    array = np.asarray(X)
    return array if array.ndim == 2 else np.empty((0, 0))


def check_table_params(loss, image_shape):
    """Raise ValueError for parameters a mixed table cannot have."""
    if loss != "mse":
        raise ValueError(
            f"loss={loss!r} models every column alike, but X has categorical columns, "
            "each modelled by its own distribution (numbers: a Gaussian); use "
            "loss='mse', or categorical_features=None to model every column as a number."
        )
    if image_shape is not None:
        raise ValueError(
            "image_shape describes pixels, but X has categorical columns; use "
            "image_shape=None, or categorical_features=None for images."
        )


def network_blocks(layout):
    """The spec's ``column_blocks`` for ``layout``: one observation model per column."""
    return tuple(
        (GAUSSIAN, 1) if column.kind == NUMERIC else (CATEGORICAL, column.width)
        for column in layout.columns
    )


def validate_table(estimator, X, reset, layout):
    """The matrix the network sees for the table ``X`` (``layout.encode``), with
    scikit-learn's checks of the feature names and their number."""
    if sp.issparse(X):
        raise TypeError(
            "X is a sparse matrix, but the model has categorical columns; pass a DataFrame "
            "or a dense array."
        )
    table = X if _is_dataframe(X) else np.asarray(X)
    try:
        validate_data(estimator, table, skip_check_array=True, reset=reset)
    except (ValueError, TypeError) as error:
        raise with_fix(error) from error
    if table.ndim != 2 or table.shape[0] == 0:
        raise ValueError(
            f"X has shape {table.shape}; pass at least one row of {len(layout.columns)} columns."
        )
    Z = layout.encode(table)
    infinite = np.isinf(Z).any(axis=0)
    if infinite.any():
        names = [
            c.name
            for c, (a, b) in zip(layout.columns, layout.blocks(), strict=True)
            if infinite[a:b].any()
        ]
        raise ValueError(
            f"Column(s) {names} of X contain infinity; replace, clip or drop infinite values first."
        )
    return check_missing(Z)
