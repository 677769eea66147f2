"""Mixed-type tables: which column is a number and which a category, and the
matrix the network sees.

``TableLayout.from_data`` reads a table's columns once, at fit: each numeric
column is standardised (the network sees ``(x - mean) / scale``), each
categorical column becomes one block of indicator columns, one per level, in
the order ``OneHotEncoder`` sorts them. A missing cell is NaN in the matrix (a
categorical one across its whole block), so the package's missing-value
handling covers both kinds; a level not seen in fit is a missing cell too.
``decode`` maps the network's output back: numbers in their units and dtype
(integer columns rounded), each category its most probable level.

The layout is plain values (tuples, strings, floats), so pickle, skops and
the JSON of ``save`` hold it as data. Nothing here knows torch.
"""

import dataclasses
import warnings
from numbers import Integral

import numpy as np

NUMERIC, CATEGORICAL = "numeric", "categorical"


def _is_dataframe(X):
    return hasattr(X, "columns") and hasattr(X, "dtypes") and hasattr(X, "iloc")


def _integer_label(label):
    """A DataFrame column label kept as it is in the frames given back: an integer
    (``pd.DataFrame(array)`` labels its columns 0, 1, ...); None for any other
    label, which the column's name (its text) stands for."""
    if isinstance(label, Integral) and not isinstance(label, (bool, np.bool_)):
        return int(label)
    return None


def _is_numeric_dtype(dtype):
    import pandas as pd

    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def categorical_mask(X, categorical_features):
    """Boolean mask of the categorical columns of ``X``, as
    ``HistGradientBoostingClassifier`` reads ``categorical_features``."""
    n_columns = X.shape[1]
    names = [str(c) for c in X.columns] if _is_dataframe(X) else None
    if isinstance(categorical_features, str) and categorical_features == "from_dtype":
        if names is None:
            return np.zeros(n_columns, dtype=bool)
        return np.array([not _is_numeric_dtype(dtype) for dtype in X.dtypes])
    if categorical_features is None:
        return np.zeros(n_columns, dtype=bool)
    values = np.asarray(categorical_features)
    if values.dtype == bool:
        if values.shape != (n_columns,):
            raise ValueError(
                f"categorical_features has {values.size} booleans but X has {n_columns} "
                "columns; pass one boolean per column."
            )
        return values.copy()
    mask = np.zeros(n_columns, dtype=bool)
    for value in values.ravel():
        value = _plain(value)
        if isinstance(value, str):
            if names is None:
                raise ValueError(
                    f"categorical_features names the column {value!r}, but X has no column "
                    "names; pass a DataFrame or the columns' indices."
                )
            if value not in names:
                raise ValueError(
                    f"categorical_features names the column {value!r}, which X lacks; its "
                    f"columns are {names}."
                )
            mask[names.index(value)] = True
        elif isinstance(value, Integral) and -n_columns <= value < n_columns:
            mask[value] = True
        else:
            raise ValueError(
                f"categorical_features holds {value!r}; pass column names, indices in "
                f"[0, {n_columns}), a boolean mask or 'from_dtype'."
            )
    return mask


def _column(X, index):
    """Column ``index`` of ``X`` as a 1-D numpy array (object for text)."""
    if _is_dataframe(X):
        column = X.iloc[:, index]
        if _is_numeric_dtype(column.dtype):
            return column.to_numpy(dtype=np.float64, na_value=np.nan)
        return column.astype(object).to_numpy()
    return np.asarray(X)[:, index]


def _missing(values):
    """Missing cells of a column: None, NaN, pandas' NA and NaT."""
    import pandas as pd

    return np.asarray(pd.isna(values), dtype=bool)


def _check_levels(name, dtype, levels):
    """ValueError unless every level is text, a number or a bool (what a level can
    be written as, in a saved model too): dates and other objects are not."""
    odd = [v for v in levels if not isinstance(v, (str, bool, int, float))]
    if odd:
        raise ValueError(
            f"Column {name!r} ({dtype}) holds {type(odd[0]).__name__} values such as "
            f"{odd[0]!r}, which are neither text nor numbers; convert it (a date to a "
            "number, such as days since a reference date, or to text) or drop it."
        )


def _sorted_levels(values):
    levels = list(set(values.tolist()))
    try:
        return tuple(sorted(levels))
    except TypeError:  # mixed types: sorted by their text, as a stable order
        return tuple(sorted(levels, key=lambda v: (type(v).__name__, str(v))))


def _plain(value):
    """A numpy scalar as the Python value it holds (JSON and skops read those)."""
    return value.item() if isinstance(value, np.generic) else value


@dataclasses.dataclass(frozen=True)
class Column:
    """One column of the table: its name, kind and what decoding needs.

    A numeric column keeps its mean and scale (the network sees standardised
    values), its dtype, whether it is integral and its observed range; a
    categorical column keeps its levels and its dtype.
    """

    name: str
    kind: str
    dtype: str
    levels: tuple = ()
    mean: float = 0.0
    scale: float = 1.0
    integral: bool = False
    low: float = -np.inf
    high: float = np.inf
    label: int | None = None  # the DataFrame's label when it is an integer, not ``name``

    @property
    def output_label(self):
        """The column's label in a DataFrame given back: as in the fitted one."""
        return self.name if self.label is None else self.label

    @property
    def width(self):
        """Columns of the network's matrix this column takes."""
        return len(self.levels) if self.kind == CATEGORICAL else 1


@dataclasses.dataclass(frozen=True)
class TableLayout:
    """The columns of a table as fitted, and the matrix the network sees."""

    columns: tuple
    dataframe: bool

    # ------------------------------------------------------------ building
    @classmethod
    def from_data(cls, X, categorical_features):
        """The layout of ``X`` (a DataFrame or a 2-D array) with the categorical
        columns ``categorical_features`` selects; None when there is none."""
        mask = categorical_mask(X, categorical_features)
        if not mask.any():
            return None
        dataframe = _is_dataframe(X)
        names = [str(c) for c in X.columns] if dataframe else [f"x{i}" for i in range(X.shape[1])]
        labels = [_integer_label(c) for c in X.columns] if dataframe else [None] * len(names)
        columns = []
        for index, (name, label, categorical) in enumerate(zip(names, labels, mask, strict=True)):
            values = _column(X, index)
            observed = values[~_missing(values)]
            dtype = str(X.dtypes.iloc[index]) if dataframe else str(np.asarray(X).dtype)
            if len(observed) == 0:
                raise ValueError(
                    f"Column {name!r} of X has no observed value; drop it, or fill it first."
                )
            if categorical:
                levels = tuple(_plain(v) for v in _sorted_levels(observed))
                _check_levels(name, dtype, levels)
                columns.append(Column(name, CATEGORICAL, dtype, levels=levels, label=label))
                continue
            numbers = _numeric(values, name)[~_missing(values)]
            scale = float(numbers.std())
            columns.append(
                Column(
                    name,
                    NUMERIC,
                    dtype,
                    mean=float(numbers.mean()),
                    scale=scale if scale > 0 else 1.0,
                    integral=bool(np.all(numbers == np.round(numbers))),
                    low=float(numbers.min()),
                    high=float(numbers.max()),
                    label=label,
                )
            )
        return cls(tuple(columns), dataframe)

    # ---------------------------------------------------------- structure
    @property
    def names(self):
        return [column.name for column in self.columns]

    @property
    def labels(self):
        """The columns' labels as the fitted DataFrame had them (names, or integers)."""
        return [column.output_label for column in self.columns]

    @property
    def width(self):
        """Columns of the matrix the network sees."""
        return sum(column.width for column in self.columns)

    def blocks(self):
        """``(start, stop)`` of each column in the network's matrix."""
        start, blocks = 0, []
        for column in self.columns:
            blocks.append((start, start + column.width))
            start += column.width
        return blocks

    @property
    def categories_(self):
        """Each categorical column's levels, as ``OneHotEncoder.categories_``."""
        return [
            np.asarray(column.levels, dtype=object)
            for column in self.columns
            if column.kind == CATEGORICAL
        ]

    @property
    def is_categorical(self):
        return np.array([column.kind == CATEGORICAL for column in self.columns])

    # ------------------------------------------------------------ encoding
    def encode(self, X):
        """The float64 matrix the network sees for the table ``X``: numbers
        standardised, categories as indicator blocks; NaN where a cell is missing
        (across a category's block), or holds a level not seen in fit (warned)."""
        if X.shape[1] != len(self.columns):
            raise ValueError(
                f"X has {X.shape[1]} columns, but the model was fitted on "
                f"{len(self.columns)} ({self.names}); pass the same columns."
            )
        Z = np.empty((X.shape[0], self.width))
        unknown = {}
        for index, (column, (start, stop)) in enumerate(
            zip(self.columns, self.blocks(), strict=True)
        ):
            values = _column(X, index)
            missing = _missing(values)
            if column.kind == NUMERIC:
                numbers = _numeric(values, column.name)
                Z[:, start] = (numbers - column.mean) / column.scale
                continue
            position = {level: i for i, level in enumerate(column.levels)}
            codes = np.array(
                [
                    -1 if gone else position.get(_plain(v), -2)
                    for v, gone in zip(values, missing, strict=False)
                ],
                dtype=np.int64,
            )
            if (codes == -2).any():
                unknown[column.name] = sorted({str(v) for v in values[codes == -2]})[:5]
            block = np.zeros((len(values), stop - start))
            known = codes >= 0
            block[np.flatnonzero(known), codes[known]] = 1.0
            block[~known] = np.nan
            Z[:, start:stop] = block
        if unknown:
            described = "; ".join(f"{name!r}: {levels}" for name, levels in unknown.items())
            warnings.warn(
                f"Levels not seen in fit are treated as missing cells ({described}); "
                "refit with them to model them.",
                UserWarning,
                stacklevel=4,
            )
        return Z

    # ------------------------------------------------------------ decoding
    def decode(self, Z):
        """The table for the network's outputs ``Z`` (numbers standardised,
        category probabilities): a DataFrame in the fitted dtypes when the model
        was fitted on one, else an array."""
        columns = {}
        for column, (start, stop) in zip(self.columns, self.blocks(), strict=True):
            if column.kind == NUMERIC:
                numbers = Z[:, start] * column.scale + column.mean
                columns[column.name] = np.round(numbers) if column.integral else numbers
            else:
                levels = np.asarray(column.levels, dtype=object)
                columns[column.name] = levels[np.argmax(Z[:, start:stop], axis=1)]
        return self.table(columns, len(Z))

    def table(self, columns, n_rows):
        """Decoded ``columns`` (name -> values) as the table type fitted on: a
        DataFrame in the fitted dtypes, or an array (float when every level is
        a number, else object)."""
        if self.dataframe:
            return self.frame(columns, n_rows)
        values = [np.asarray(v) for v in columns.values()]
        try:
            return np.column_stack([v.astype(np.float64) for v in values])
        except (TypeError, ValueError):
            return np.column_stack([v.astype(object) for v in values])

    def draw(self, Z, variances, rng):
        """A table drawn from the observation model at the network's outputs ``Z``:
        each number from its Gaussian (``variances`` per matrix column, on the
        standardised scale), clipped to the range seen in fit and rounded for
        an integer column; each category from its level probabilities."""
        columns = {}
        for column, (start, stop) in zip(self.columns, self.blocks(), strict=True):
            if column.kind == NUMERIC:
                noise = rng.standard_normal(len(Z)) * np.sqrt(variances[start])
                numbers = (Z[:, start] + noise) * column.scale + column.mean
                numbers = np.clip(numbers, column.low, column.high)
                columns[column.name] = np.round(numbers) if column.integral else numbers
            else:
                probabilities = Z[:, start:stop] / Z[:, start:stop].sum(1, keepdims=True)
                cumulative = np.cumsum(probabilities, axis=1)
                picks = (rng.random((len(Z), 1)) > cumulative[:, :-1]).sum(1)
                columns[column.name] = np.asarray(column.levels, dtype=object)[picks]
        return self.table(columns, len(Z))

    def log_scale(self, X):
        """Per row, the sum of ``log scale`` over its observed numeric cells: what
        turns a density of standardised values into one in the column's units."""
        total = np.zeros(X.shape[0])
        for index, column in enumerate(self.columns):
            if column.kind == NUMERIC:
                total += np.where(_missing(_column(X, index)), 0.0, np.log(column.scale))
        return total

    def frame(self, columns, n_rows):
        """A DataFrame of decoded ``columns`` (name -> values), in the fitted dtypes."""
        import pandas as pd

        frame = {}
        for column in self.columns:
            values = columns[column.name]
            if column.kind == CATEGORICAL and column.dtype == "category":
                frame[column.output_label] = pd.Categorical(values, categories=list(column.levels))
            else:
                frame[column.output_label] = pd.Series(values, index=pd.RangeIndex(n_rows)).astype(
                    column.dtype
                )
        return pd.DataFrame(frame, index=pd.RangeIndex(n_rows))

    def probabilities(self, Z):
        """Each categorical column's level probabilities in ``Z``: name -> (n, levels)."""
        return {
            column.name: Z[:, start:stop]
            for column, (start, stop) in zip(self.columns, self.blocks(), strict=True)
            if column.kind == CATEGORICAL
        }

    # --------------------------------------------------------- persistence
    def to_dict(self):
        """Plain JSON values: each column's name, kind, dtype and what decoding needs."""
        columns = []
        for column in self.columns:
            entry = {"name": column.name, "kind": column.kind, "dtype": column.dtype}
            if column.label is not None:
                entry["label"] = column.label
            if column.kind == CATEGORICAL:
                entry["levels"] = list(column.levels)
            else:
                entry.update(
                    mean=column.mean,
                    scale=column.scale,
                    integral=column.integral,
                    low=column.low,
                    high=column.high,
                )
            columns.append(entry)
        return {"dataframe": self.dataframe, "columns": columns}

    @classmethod
    def from_dict(cls, fields):
        """A layout from ``to_dict`` output, validated; ValueError otherwise."""
        try:
            columns = []
            for entry in fields["columns"]:
                entry = dict(entry)
                entry["levels"] = tuple(entry.get("levels", ()))
                column = Column(**entry)
                if column.kind not in (NUMERIC, CATEGORICAL) or (
                    column.kind == CATEGORICAL and not column.levels
                ):
                    raise ValueError(f"column {entry!r}")
                if column.label is not None and (
                    isinstance(column.label, bool) or not isinstance(column.label, int)
                ):
                    raise ValueError(f"column label {column.label!r}")
                numbers = (column.mean, column.scale, column.low, column.high)
                if column.kind == NUMERIC and not (
                    all(isinstance(v, (int, float)) and np.isfinite(v) for v in numbers)
                    and column.scale > 0
                    and column.low <= column.high
                ):
                    raise ValueError(f"numeric column {entry!r}")
                columns.append(column)
            return cls(tuple(columns), bool(fields["dataframe"]))
        except (KeyError, TypeError) as error:
            raise ValueError(f"not a table layout: {error}") from error


def _numeric(values, name):
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"Column {name!r} was numeric in fit but holds non-numeric values now ({error}); "
            "pass the same columns as in fit."
        ) from error
