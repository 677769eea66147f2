"""AutoencoderImputer on mixed tables: categorical columns filled with valid
levels, numbers in their units, the table returned in its own dtypes.

The denoising autoencoder reads the table itself (``categorical_features``:
each number a Gaussian, each category a softmax over its levels, trained
jointly; see ``sklearn_ae._tables``). A hole is filled with the
reconstruction of its row: a number's mean, a category's most probable level.
"""

import warnings

import numpy as np
from sklearn.utils.validation import validate_data

from .._tables.layout import TableLayout, _is_dataframe, _missing, categorical_mask
from .._tables.validation import as_table
from .._utils.validation import seed_sequence, with_fix
from ._table_blend import blended_fill, blends, fit_blend, held_out_cells


def table_mask(imputer, X):
    """The categorical columns of ``X`` when it is a table that has some, else None."""
    if not _is_dataframe(X) and imputer.categorical_features in ("from_dtype", None):
        return None
    table = as_table(X)
    if table.ndim != 2 or table.shape[1] == 0 or hasattr(table, "tocsr"):
        return None  # left to the numeric path's errors
    mask = categorical_mask(table, imputer.categorical_features)
    # a categorical column with no observed value is dropped (or kept as 0s):
    # the numbers left are a numeric table
    seen = [not _missing(_column_values(table, i)).all() for i in np.flatnonzero(mask)]
    return mask if any(seen) else None


def _column_values(table, i):
    return table.iloc[:, i].to_numpy() if _is_dataframe(table) else table[:, i]


def _table(imputer, X, reset):
    table = X if _is_dataframe(X) else np.asarray(X)
    try:
        validate_data(imputer, table, skip_check_array=True, reset=reset)
    except (ValueError, TypeError) as error:
        raise with_fix(error) from error
    if table.shape[0] == 0:
        raise ValueError("X has 0 rows; pass at least one row.")
    return table


def _columns(table, keep):
    return table.iloc[:, keep] if _is_dataframe(table) else table[:, keep]


def fit_table(imputer, X, mask):
    """Fit ``imputer`` on the mixed table ``X`` with categorical columns ``mask``."""
    if not (isinstance(imputer.missing_values, float) and np.isnan(imputer.missing_values)):
        raise ValueError(
            f"missing_values={imputer.missing_values!r} with categorical columns: a table "
            "marks its holes with NaN, None or pd.NA; use missing_values=np.nan."
        )
    if imputer.add_indicator or imputer.loss == "bce":
        raise ValueError(
            "add_indicator=True and loss='bce' are not supported with categorical columns; "
            "use add_indicator=False and loss='auto' or 'mse'."
        )
    table = _table(imputer, X, reset=True)
    names = (
        [str(c) for c in table.columns]
        if _is_dataframe(table)
        else [f"x{i}" for i in range(table.shape[1])]
    )
    observed = np.array(
        [not _missing(_column_values(table, i)).all() for i in range(table.shape[1])]
    )
    empty = [name for name, seen in zip(names, observed, strict=True) if not seen]
    if empty and not imputer.keep_empty_features:
        warnings.warn(
            f"Column(s) {empty} have no observed value and are dropped from the output; "
            "use keep_empty_features=True to keep them (filled with 0).",
            UserWarning,
            stacklevel=4,
        )
    imputer.kept_features_ = observed | imputer.keep_empty_features
    imputer.modelled_features_ = observed
    modelled = _columns(table, np.flatnonzero(observed))
    modelled = modelled[~_empty_rows(modelled)]  # a row with no cell teaches nothing
    layout = TableLayout.from_data(modelled, mask[observed])
    width = modelled.shape[1] if layout is None else layout.width
    hidden = None
    if layout is not None and blends(layout, len(modelled)):
        rng = np.random.default_rng(seed_sequence(imputer.random_state))
        hidden = held_out_cells(modelled, layout, rng)
    training = modelled if hidden is None else _without(modelled, hidden)
    imputer.autoencoder_ = imputer._fitted_autoencoder(
        training, width, categorical_features=mask[observed]
    )
    imputer.shrinkage_ = imputer.gaussian_weight_ = None
    imputer.gaussian_mean_ = imputer.gaussian_covariance_ = None
    if hidden is not None:
        for name, value in fit_blend(imputer.autoencoder_, training, modelled, hidden).items():
            setattr(imputer, name, value)
    imputer.loss_ = "mse"
    imputer.indicator_ = None
    return imputer


def _without(table, hidden):
    """``table`` with the ``hidden`` cells missing."""
    if _is_dataframe(table):
        return table.mask(hidden)
    out = np.array(table, dtype=object if table.dtype == object else float, copy=True)
    out[hidden] = np.nan
    return out


def impute_table(imputer, X):
    """``X`` with its holes filled, in its own dtypes (a DataFrame for a DataFrame)."""
    table = _table(imputer, X, reset=False)
    modelled = _columns(table, np.flatnonzero(imputer.modelled_features_))
    filled = _reconstructed(imputer, modelled)
    if _is_dataframe(table):
        result = table.copy()
        for position, name in zip(
            np.flatnonzero(imputer.modelled_features_), filled.columns, strict=True
        ):
            holes = _missing(result.iloc[:, position].to_numpy())
            if holes.any():
                column = result.iloc[:, position]
                values = column.astype(object).to_numpy(copy=True)
                values[holes] = filled[name].to_numpy()[holes]
                result[result.columns[position]] = _as_dtype(values, column)
        for position in np.flatnonzero(imputer.kept_features_ & ~imputer.modelled_features_):
            result[result.columns[position]] = 0
        return result.iloc[:, np.flatnonzero(imputer.kept_features_)]
    result = np.array(table, dtype=float, copy=True)
    columns = np.flatnonzero(imputer.modelled_features_)
    result[:, columns] = np.where(np.isnan(result[:, columns]), filled, result[:, columns])
    result[:, imputer.kept_features_ & ~imputer.modelled_features_] = 0.0
    return result[:, imputer.kept_features_]


def _empty_rows(table):
    cells = table.to_numpy() if _is_dataframe(table) else table
    return np.asarray(_missing(cells), dtype=bool).reshape(len(cells), -1).all(axis=1)


def _reconstructed(imputer, table):
    """The fill of each row (``blended_fill``); a row with no observed cell gets
    what the network sees for holes (each number's mean, each category's
    commonest level)."""
    autoencoder = imputer.autoencoder_
    empty = _empty_rows(table)
    # The training means: each number's mean, each category's level frequencies
    # (the masking fill values are 0, which would pick a category's first level).
    fill = autoencoder.table_layout_.decode(autoencoder.feature_means_[None])
    with warnings.catch_warnings():
        # a level unseen in fit counts as a hole, which is filled
        warnings.simplefilter("ignore", UserWarning)
        if empty.all():
            rows = None
        else:
            part = table.loc[~empty] if _is_dataframe(table) else table[~empty]
            rows = autoencoder._as_table(blended_fill(imputer, part))
    if _is_dataframe(table):
        import pandas as pd

        parts = [] if rows is None else [rows.set_axis(table.index[~empty])]
        if empty.any():
            parts.append(pd.concat([fill] * int(empty.sum())).set_axis(table.index[empty]))
        return pd.concat(parts).loc[table.index]
    out = np.empty((len(table), table.shape[1]))
    if rows is not None:
        out[~empty] = rows
    out[empty] = fill
    return out


def _as_dtype(values, column):
    """``values`` in the dtype of ``column`` (a category keeps its categories)."""
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        return pd.Categorical(values, dtype=column.dtype)
    try:
        return pd.Series(values, index=column.index).astype(column.dtype)
    except (TypeError, ValueError):
        return pd.Series(values, index=column.index)
