"""The fitted state of an autoencoder, one row per attribute.

Each row names a fitted attribute, where ``save`` stores it (``storage``), its
shape in terms of the ``NetworkSpec`` for arrays, and its documentation. Save,
load and its shape checks, the persistence tests and the estimators'
docstrings all read this table: a new fitted attribute is one row here.

``storage`` is ``"json"`` (a value in ``estimator.json``), ``"array"`` (a tensor
in ``weights.safetensors``, checked against ``shape`` before anything is
allocated) or the name of its own handling in ``persistence.py``: ``"spec"``,
``"module"`` (the weights, shapes from the module kind), ``"history"``,
``"training"`` (a loaded model keeps the settings only), ``"moments"`` (arrays
in the weights, scalars in the JSON), ``"names"``, ``"layout"`` (the table
layout, JSON) and ``"derived"`` (a property of another attribute, not stored).
"""

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class FittedAttribute:
    name: str
    storage: str
    doc_type: str
    doc: str
    shape: tuple = ()  # ``NetworkSpec`` field names, for arrays
    since_format: int = 1  # the save format version that first stores it
    optional: bool = False  # only some models have it


FITTED_STATE = (
    FittedAttribute(
        "table_layout_",
        "layout",
        "TableLayout",
        "Fitted on a table with categorical columns only: each column's name, kind "
        "(numeric or categorical), dtype, levels (categorical) or mean, scale, range "
        "and whether it is integral (numeric). ``categories_`` and "
        "``is_categorical_`` read it.",
        optional=True,
    ),
    FittedAttribute(
        "categories_",
        "derived",
        "list of ndarray",
        "Fitted on a table with categorical columns only: the levels of each "
        "categorical column, sorted, as ``OneHotEncoder.categories_``.",
        optional=True,
    ),
    FittedAttribute(
        "is_categorical_",
        "derived",
        "ndarray of shape (n_features,) of bool",
        "Fitted on a table with categorical columns only: which columns seen in "
        "fit are categorical.",
        optional=True,
    ),
    FittedAttribute(
        "column_variances_",
        "array",
        "ndarray of shape (n_network_inputs,)",
        "Fitted on a table with categorical columns only: the variance of each "
        "numeric column's Gaussian on its standardised scale (the mean squared "
        "training residual of its observed cells), 1 for the level indicators; "
        "``score_samples`` and ``sample`` use it.",
        shape=("n_features",),
        optional=True,
    ),
    FittedAttribute(
        "n_components_",
        "json",
        "int",
        "Width of the code.",
    ),
    FittedAttribute(
        "spec_",
        "spec",
        "NetworkSpec",
        "The architecture of the trained network (kind, widths, activations, loss, k). "
        "Inference, pickling and ``save`` read it, never the current parameters.",
    ),
    FittedAttribute(
        "components_",
        "array",
        "ndarray of shape (n_components, n_features)",
        "The decoder's weight matrix, transposed, when encoder and decoder are both "
        'affine (``hidden_layer_sizes=()``, identity code, ``loss="mse"``, no k); '
        "absent otherwise. Spans PCA's subspace at the optimum.",
        shape=("n_components", "n_features"),
        optional=True,
    ),
    FittedAttribute(
        "n_features_in_",
        "json",
        "int",
        "Number of features seen during fit.",
    ),
    FittedAttribute(
        "feature_names_in_",
        "names",
        "ndarray of shape (n_features,)",
        "Names of features seen during fit, when ``X`` has string column names.",
        optional=True,
    ),
    FittedAttribute(
        "module_",
        "module",
        "torch.nn.Module",
        "The trained network (encoder and decoder), all that inference reads besides "
        "``spec_`` and the fitted arrays. Unpickling and :func:`sklearn_ae.load` "
        "rebuild it alone: no optimizer, no engine.",
    ),
    FittedAttribute(
        "history_",
        "history",
        "skorch.history.History",
        "One row per epoch over all fits of a warm-started model: ``train_loss``, "
        "``dur``, ``valid_loss``, ``valid_score`` and what the estimator records "
        '(``history_[:, "train_loss"]`` reads a column).',
    ),
    FittedAttribute(
        "training_state_",
        "training",
        "Continuation",
        "What continuing training (``warm_start=True``, ``partial_fit``) needs besides "
        "``module_``: the optimizer's state, the private generators' states and the "
        "last run's settings, as numpy arrays and plain values. :func:`sklearn_ae.load` "
        "keeps the settings only: the optimizer then starts afresh.",
    ),
    FittedAttribute(
        "device_",
        "json",
        "str",
        "The device the model was trained on.",
    ),
    FittedAttribute(
        "loss_curve_",
        "json",
        "list of float",
        "Training loss (the criterion's mean per element) of each epoch, over all fits "
        "of a warm-started model.",
    ),
    FittedAttribute(
        "validation_scores_",
        "json",
        "list of float or None",
        "Minus the mean reconstruction error (as ``reconstruction_error``) on the held- "
        "out rows at each epoch with ``early_stopping=True``, else None.",
    ),
    FittedAttribute(
        "validation_loss_curve_",
        "json",
        "list of float or None",
        "The training criterion on the held-out rows at each epoch with "
        "``early_stopping=True``, in the unit of ``loss_curve_``; else None.",
    ),
    FittedAttribute(
        "n_iter_",
        "json",
        "int",
        "Number of epochs run.",
    ),
    FittedAttribute(
        "fill_values_",
        "array",
        "ndarray of shape (n_features,)",
        "What the network sees in place of a missing (NaN) entry: ``feature_means_`` (0 "
        "for masking noise).",
        shape=("n_features",),
        since_format=3,
    ),
    FittedAttribute(
        "feature_means_",
        "array",
        "ndarray of shape (n_features,)",
        "Mean of each feature's observed entries over every row trained on since the "
        "network was built (``partial_fit`` and warm starts keep running means, so a "
        "feature a stream's first batch lacks gets its mean from later batches; 0 until "
        "one is observed).",
        shape=("n_features",),
        since_format=3,
    ),
    FittedAttribute(
        "n_observed_",
        "array",
        "ndarray of shape (n_features,)",
        "Number of observed entries of each feature behind ``feature_means_``.",
        shape=("n_features",),
        since_format=3,
    ),
    FittedAttribute(
        "hash_thresholds_",
        "array",
        "ndarray of shape (n_components,)",
        "Where ``hash_codes`` splits each code unit: the median of its codes on the "
        "training rows behind ``code_mean_`` (``partial_fit`` keeps a running average "
        "of the batches' medians, weighted by rows).",
        shape=("n_components",),
        since_format=3,
    ),
    FittedAttribute(
        "code_moments_",
        "moments",
        "dict of ndarray",
        "Running sums of the training codes and residuals from which ``code_mean_``, "
        "``code_covariance_`` and ``noise_variance_`` follow (``partial_fit`` adds each "
        "batch).",
    ),
    FittedAttribute(
        "code_mean_",
        "array",
        "ndarray of shape (n_components,)",
        "Mean ``mu`` of the code in the latent model ``h ~ N(mu, Sigma)``, ``x | h ~ "
        "N(g(h), s^2 I)`` behind ``score_samples``: the mean of the training codes (at "
        "most 2048 rows per fit, drawn with ``random_state``). 0 for a VariationalAE "
        "(its prior).",
        shape=("n_components",),
    ),
    FittedAttribute(
        "code_covariance_",
        "array",
        "ndarray of shape (n_components, n_components)",
        "``Sigma``: the covariance of the training codes (ddof=1) less the noise the "
        "encoder passes through, ``s^2 (J^T J)^+``, clipped to be positive semi- "
        "definite. The identity for a VariationalAE.",
        shape=("n_components", "n_components"),
    ),
    FittedAttribute(
        "noise_variance_",
        "json",
        "float",
        "``s^2``: the training residual per degree of freedom the decoder leaves, as "
        "``PCA.noise_variance_``. For a VariationalAE, the mean squared residual of "
        'posterior draws; with ``loss="bce"`` too, around the Bernoulli mean, so that '
        "its score is a Gaussian density like every other estimator's.",
    ),
)

JSON_ATTRIBUTES = tuple(row.name for row in FITTED_STATE if row.storage == "json")
ARRAY_ATTRIBUTES = tuple(row for row in FITTED_STATE if row.storage == "array")


def array_shapes(spec, format_version, present):
    """Name -> shape of every fitted array a file of ``format_version`` for
    ``spec`` holds; ``present`` are the names found, which decides the optional ones."""
    return {
        row.name: tuple(getattr(spec, field) for field in row.shape)
        for row in ARRAY_ATTRIBUTES
        if format_version >= row.since_format and (not row.optional or row.name in present)
    }


def numpydoc(rows=FITTED_STATE, indent=4):
    """The Attributes entries of ``rows`` as numpydoc text, the first line unindented."""
    body = " " * (indent + 4)
    entries = [
        f"{row.name} : {row.doc_type}\n"
        + textwrap.fill(row.doc, 79, initial_indent=body, subsequent_indent=body)
        for row in rows
    ]
    return ("\n" + " " * indent).join(entries)
