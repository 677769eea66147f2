"""The shared estimator: the scikit-learn interface, written once.

Data flows one way: the parameters give a ``NetworkSpec`` when a network is
built; ``_training.train`` runs the engine on it; inference, pickling, saving
and export read ``spec_`` and the trained net, never the current parameters.
"""

import warnings

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from .._io.persistence import save_estimator
from .._nn.inference import complete, decode, fitted_module, reconstruct
from .._nn.losses import LOSSES
from .._nn.modules import fitted_network
from .._nn.spec import NetworkSpec
from .._tables.layout import TableLayout
from .._tables.validation import as_table, check_table_params, network_blocks, validate_table
from .._training.data import map_rows
from .._training.run import RunSettings, fresh_state, train, training_device, warn_if_not_converged
from .._training.state import continued_state, numpy_tree, unchanged_on_error
from .._training.stored import StoredRows, running_means, store_rows, streams
from .._utils.device import available_device
from .._utils.lazy import lazy_on_dask
from .._utils.validation import (
    FLOAT_DTYPES,
    check_fit_size,
    check_image_shape,
    check_layer_sizes,
    column_fill_values,
    is_plain_float_array,
    seed_sequence,
    validate_input,
    warn_if_no_bottleneck,
    with_fix,
)
from ._manifold import _ManifoldMixin
from ._parameters import PARAMETER_CONSTRAINTS
from ._scoring import _ScoringMixin


class _BaseAutoencoder(
    _ScoringMixin, _ManifoldMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Base class of the autoencoder transformers; not for direct use.

    The subclass interface, in one list. Hooks a variant may override:

    - ``_architecture()``: spec fields of its own (e.g. ``{"k": 5}``).
    - ``_check_params(X)``: checks across parameters or against the data
      (call ``super()``); raise ValueError.
    - ``_make_corruption(X_train)``: noise on training batches, a callable
      ``(batch, generator) -> batch``, or None.
    - ``_make_penalty()``: an ``_engine.Penalty`` added to the loss, or None.
    - ``_missing_fill(means)``: what the network sees in place of a missing
      entry, from the running means of the observed ones.
    - ``_fit_code_density(X, seed, incremental)``: fitted attributes of the
      score, at the end of each training run.
    - ``_warn_dead_units(code_variances)``: the warning about constant units.
    - ``_log_likelihood(X, n_importance_samples)``: per-row ``log p(x)`` and
      its standard error, behind ``score_samples``.
    - class attributes ``_module_kind`` (a key of ``MODULE_KINDS``),
      ``_needs_narrow_code`` and ``_validation_score``.

    - ``_prior_draws(n_samples, random_state)``: codes drawn from the
      model's prior (generative models; ``sample`` and ``metrics`` call it).
    - ``_code_draws(X, random_state)``: one code per row of ``X`` as the
      model draws them (the encoder's code, or a posterior draw), compared
      with the prior by ``metrics.prior_mmd``.
    - ``_posterior_draws(X, random_state)``: draws of ``q(h | x)`` where the
      encoder is stochastic.

    Services the mixins, variants and meta-estimators (the outlier detector,
    ``metrics``) call, never override: ``_network_spec(n_features)``,
    ``_validated(X)`` and ``_validated_with_mask(X)`` (checked, missing
    entries completed), ``_validate_input(X, reset)`` (checked, NaN where
    missing), ``_complete(X)``, ``_infer(fn, X)``,
    ``_fitted_module(dtype)`` (``module_`` in eval mode in a precision),
    ``_filled_reconstruction(X)`` (the matrix of ``X`` and one pass from its
    observed entries),
    ``_as_table(Z)`` (the network's matrix in the user's terms),
    ``_compute_dtype(dtype)`` and ``_widest_layer()``.

    Fitted state: ``spec_``, ``module_`` and the fitted arrays are what
    inference reads; ``history_`` and ``training_state_`` are what continuing
    training reads. No skorch engine outlives a fit.
    """

    _parameter_constraints = dict(PARAMETER_CONSTRAINTS)

    # The module kind this estimator builds (a key of ``_modules.MODULE_KINDS``).
    _module_kind = "dense"
    # Whether a code wider than the input leaves no bottleneck (warned about).
    _needs_narrow_code = True
    # What early stopping maximises: "reconstruction" (minus the mean
    # reconstruction_error) or "objective" (minus the training objective).
    _validation_score = "reconstruction"

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes="auto",
        activation="relu",
        code_activation="identity",
        loss="mse",
        tied_weights=False,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=256,
        max_epochs=100,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        accelerator=None,
        image_shape=None,
        conv_channels=(32, 64),
        categorical_features="from_dtype",
    ):
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.code_activation = code_activation
        self.loss = loss
        self.tied_weights = tied_weights
        self.optimizer = optimizer
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.shuffle = shuffle
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.warm_start = warm_start
        self.callbacks = callbacks
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.accelerator = accelerator
        self.image_shape = image_shape
        self.conv_channels = conv_channels
        self.categorical_features = categorical_features

    # ----------------------------------------------------------------- hooks
    def _architecture(self):
        """Spec fields this estimator adds to the shared ones (e.g. ``k``)."""
        return {}

    def _make_corruption(self, X):
        """A callable ``(batch, generator) -> corrupted batch``, or None."""
        return None

    def _make_penalty(self):
        """An ``_engine.Penalty``, or None."""
        return None

    def _missing_fill(self, means):
        """Per-feature values the network sees in place of missing entries,
        from the running means of the observed entries."""
        return means

    def _check_params(self, X):
        """Checks that involve several parameters or the data; raise ValueError."""
        check_layer_sizes(
            self._hidden_layer_sizes(),
            "hidden_layer_sizes",
            "use () for a single linear layer each way",
        )
        if hasattr(self, "table_layout_"):
            check_table_params(self.loss, self.image_shape)
        self._image_shape(X.shape[1], warn=True)  # raises for a width the images cannot have
        if isinstance(X, StoredRows):  # a store's range, read by its scan
            LOSSES[self.loss].check_data(self.loss, X.extremes())
        elif not hasattr(self, "table_layout_"):
            LOSSES[self.loss].check_data(self.loss, X)

    def _hidden_layer_sizes(self):
        """``hidden_layer_sizes`` with "auto" resolved: ``(128,)``, or ``()`` with
        ``image_shape`` (the convolutions are the hidden layers)."""
        if isinstance(self.hidden_layer_sizes, str):  # "auto"
            return () if self.image_shape is not None else (128,)
        return tuple(self.hidden_layer_sizes)

    def _image_shape(self, n_features, warn=False):
        """``image_shape`` as (channels, height, width), checked against the width of X."""
        return check_image_shape(
            self.image_shape, self.conv_channels, self.tied_weights, n_features, warn
        )

    def _network_spec(self, n_features, column_blocks=None):
        """The network the current parameters describe, for ``n_features`` inputs
        (by default, of the fitted table's ``column_blocks``)."""
        image_shape = self._image_shape(n_features)
        kind = self._module_kind
        if image_shape is not None and kind == "dense":
            kind = "conv"  # the variational kind reads image_shape itself
        if column_blocks is None:
            layout = getattr(self, "table_layout_", None)
            column_blocks = () if layout is None else network_blocks(layout)
        params = self.get_params(deep=False)
        params["hidden_layer_sizes"] = self._hidden_layer_sizes()
        return NetworkSpec.from_params(
            params, kind, n_features, image_shape, self._architecture(), column_blocks
        )

    # ------------------------------------------------------------- training
    def _train(self, X, epochs, continue_training, validation=False, method="fit"):
        self._check_params(X)
        if isinstance(X, StoredRows):
            X.clip = LOSSES[self.loss].clip_range(X.low, X.high)
        elif not hasattr(self, "table_layout_"):
            X = LOSSES[self.loss].clipped(X)  # values within rounding of a bound
        spec = self._network_spec(X.shape[1])
        seeds = seed_sequence(self.random_state).generate_state(4)
        if continue_training:
            self.spec_.check_continues(spec, method)
            device = self.device_
            start = continued_state(self.module_, self.history_, self.training_state_, device)
        else:
            if self._needs_narrow_code:
                warn_if_no_bottleneck(spec, type(self).__name__)
            device = training_device(self.device, self.accelerator)
            process = 0 if self.accelerator is None else self.accelerator.process_index
            start = fresh_state(spec, seeds, device, process)
        # Running means over every row trained on since the network was built.
        previous = (self.feature_means_, self.n_observed_) if continue_training else None
        if isinstance(X, StoredRows):
            self.feature_means_, self.n_observed_ = running_means(X, previous)
        else:
            self.feature_means_, self.n_observed_ = column_fill_values(
                X, method == "partial_fit", previous
            )
        self.fill_values_ = self._missing_fill(self.feature_means_)
        self.spec_ = spec
        settings = RunSettings.from_params(
            self.get_params(deep=False), validation, self._validation_score, type(self).__name__
        )
        run = train(
            X,
            settings,
            epochs=epochs,
            start=start,
            device=device,
            loss=spec.loss,
            make_corruption=self._make_corruption,
            penalty=self._make_penalty(),
            fill_values=self.fill_values_,
            seed=seeds[3],
        )
        self.module_, self.history_ = run.module, run.history
        self.training_state_ = run.continuation
        self.device_ = device
        self.n_components_ = spec.n_components
        self.loss_curve_ = run.loss_curve
        scores, losses = run.validation_curves()
        self.validation_scores_ = scores if validation else None
        self.validation_loss_curve_ = losses if validation else None
        self.n_iter_ = len(run.history)
        self.__dict__.pop("components_", None)
        if run.components() is not None:
            self.components_ = run.components()
        self._fit_code_density(X, seeds[3], incremental=method == "partial_fit")
        if method == "fit":
            warn_if_not_converged(run, type(self).__name__, epochs, settings)
        return self

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder to reconstruct ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        check_fit_size(self, X)
        with unchanged_on_error(self):
            continue_training = self.warm_start and hasattr(self, "module_")
            X = self._training_input(X, reset=not continue_training)
            return self._train(
                X, self.max_epochs, continue_training, validation=self.early_stopping
            )

    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y=None):
        """Train for one more epoch on ``X``, building the network on the first call.

        ``early_stopping`` has no effect here (as in scikit-learn's MLP): there
        is no validation split of a stream, and a warning says so. The code
        density behind ``score`` summarises every batch passed since the
        network was built.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        if self.early_stopping:
            warnings.warn(
                "early_stopping=True has no effect in partial_fit, which trains one "
                "epoch on the batch it is given; use fit for early stopping, or set "
                "early_stopping=False to silence this warning.",
                UserWarning,
                stacklevel=3,
            )
        with unchanged_on_error(self):
            first_call = not hasattr(self, "module_")
            X = self._training_input(X, reset=first_call)
            return self._train(X, 1, continue_training=not first_call, method="partial_fit")

    # ------------------------------------------------------------ inference
    def _compute_dtype(self, dtype):
        """The float precision inference runs in for input of ``dtype``.

        Convolutions run in float32 whatever the input (results come back in
        the input's dtype): in float64 they made ``transform`` 3.5x and
        ``score`` 2x slower than float32 input; dense layers follow the input.
        """
        return np.dtype(np.float32) if self.spec_.image_shape is not None else np.dtype(dtype)

    def _infer(self, fn, X):
        """``fn(module, batch)`` over row batches of ``X``, with the trained module in
        the precision ``_compute_dtype`` chooses, returned in ``X``'s dtype."""
        compute = self._compute_dtype(X.dtype)
        module = self._fitted_module(compute)
        out = map_rows(lambda batch: fn(module, batch), X, self.device_, dtype=compute)
        return out.astype(X.dtype, copy=False)

    def _fitted_module(self, dtype):
        """The trained module in eval mode, in the floating precision ``dtype``."""
        return fitted_module(self.module_, dtype)

    def _training_input(self, X, reset):
        """What ``fit`` trains on: a store larger than the memory budget as its
        ``StoredRows`` (read block by block), anything else validated in memory."""
        if streams(X):
            if reset:
                self.__dict__.pop("table_layout_", None)
            return store_rows(self, X, reset)
        return self._validate_input(X, reset)

    def _validate_input(self, X, reset):
        """The matrix the network sees for ``X``; on ``reset``, the table layout
        (``table_layout_``) is read from ``X`` first when it has categorical columns."""
        if reset:
            self.__dict__.pop("table_layout_", None)
            layout = TableLayout.from_data(as_table(X), self.categorical_features)
            if layout is not None:
                self.table_layout_ = layout
        if hasattr(self, "table_layout_"):
            return validate_table(self, X, reset, self.table_layout_)
        return validate_input(self, X, reset)

    def _complete(self, X):
        """``X`` with missing entries completed, and its mask (see ``_inference.complete``)."""
        return complete(
            X,
            self.fill_values_,
            lambda rows: self._infer(lambda module, batch: reconstruct(module, batch), rows),
        )

    def _validated(self, X):
        """Validated ``X``, missing entries completed (see ``_complete``)."""
        return self._validated_with_mask(X)[0]

    def _validated_with_mask(self, X):
        """Validated, completed ``X`` and its mask of observed entries (None if complete)."""
        check_is_fitted(self)
        # Fast path (fitted without feature names); anything else takes the full
        # validation, which raises the documented errors.
        if (
            not hasattr(self, "feature_names_in_")
            and not hasattr(self, "table_layout_")
            and is_plain_float_array(X, self.n_features_in_)
        ):
            return X, None
        return self._complete(self._validate_input(X, reset=False))

    @lazy_on_dask
    def transform(self, X):
        """Encode ``X`` into the learned code.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to encode.

        Returns
        -------
        X_new : ndarray of shape (n_samples, n_components)
            The codes, in the floating dtype of ``X``.
        """
        return self._infer(lambda module, batch: module.encode(batch), self._validated(X))

    @lazy_on_dask
    def inverse_transform(self, X):
        """Decode codes back to the input space.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_components)
            Codes, as returned by ``transform``.

        Returns
        -------
        X_original : ndarray of shape (n_samples, n_features)
            The reconstructions, in the floating dtype of ``X`` (probabilities
            in [0, 1] when the model was trained with ``loss="bce"``).
        """
        check_is_fitted(self)
        try:
            X = check_array(X, dtype=FLOAT_DTYPES, input_name="X")
        except (ValueError, TypeError) as error:
            raise with_fix(error) from error
        if X.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {X.shape[1]} columns, but inverse_transform expects codes "
                f"of width n_components_={self.n_components_}; pass the output "
                "of transform."
            )
        return self._as_table(self._infer(lambda module, code: decode(module, code), X))

    @lazy_on_dask
    def reconstruct(self, X):
        """``inverse_transform(transform(X))`` in one pass.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to reconstruct.

        Returns
        -------
        X_reconstructed : ndarray of shape (n_samples, n_features)
            The reconstructions, in the floating dtype of ``X``.
        """
        return self._as_table(
            self._infer(lambda module, batch: reconstruct(module, batch), self._validated(X))
        )

    def _filled_reconstruction(self, X):
        """``(Z, R)``: the network's matrix of ``X`` (NaN where missing) and the
        reconstruction of each row from its observed entries, holes seen as
        ``fill_values_`` (as training sees missing and masked entries), one pass.
        What the imputer fills holes with (and blends with its Gaussian's fill
        of ``Z``)."""
        Z = self._validate_input(X, reset=False)
        filled = Z if sp.issparse(Z) else np.where(np.isnan(Z), self.fill_values_, Z)
        return Z, self._infer(lambda module, batch: reconstruct(module, batch), filled)

    def _as_table(self, Z):
        """The network's outputs ``Z`` in the user's terms: the table fitted on
        (columns, dtypes, levels) for a mixed table, else ``Z`` itself."""
        layout = getattr(self, "table_layout_", None)
        return Z if layout is None else layout.decode(Z)

    def _drawn_table(self, codes, random_state):
        """Rows of the fitted table drawn from the observation model at the decoded
        ``codes`` (``sample`` of a generative model fitted on a mixed table)."""
        Z = self._infer(lambda module, code: decode(module, code), codes).astype(np.float64)
        rng = np.random.default_rng(seed_sequence(random_state).spawn(1)[0])
        return self.table_layout_.draw(Z, self.column_variances_, rng)

    def reconstruct_proba(self, X):
        """Each categorical column's level probabilities in the reconstruction of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Data to reconstruct, with the columns seen in fit.

        Returns
        -------
        probabilities : dict of str to ndarray of shape (n_samples, n_levels)
            One entry per categorical column (by name; ``x0``, ``x1``, ... for
            an array), its columns in the order of that column's
            ``categories_`` entry; each row sums to 1.
        """
        check_is_fitted(self)
        if not hasattr(self, "table_layout_"):
            raise ValueError(
                f"{type(self).__name__} was fitted without categorical columns; pass a "
                "DataFrame with categorical columns or categorical_features to fit."
            )
        Z = self._infer(lambda module, batch: reconstruct(module, batch), self._validated(X))
        return self.table_layout_.probabilities(Z)

    @property
    def categories_(self):
        """The levels of each categorical column, as ``OneHotEncoder.categories_``
        (fitted on a table with categorical columns)."""
        return self._fitted_layout("categories_").categories_

    @property
    def is_categorical_(self):
        """Boolean mask of the categorical columns among the columns seen in fit."""
        return self._fitted_layout("is_categorical_").is_categorical

    def _fitted_layout(self, name):
        check_is_fitted(self)
        if not hasattr(self, "table_layout_"):
            raise AttributeError(
                f"{name} exists for models fitted on a table with categorical columns; "
                f"this {type(self).__name__} was fitted on numbers only."
            )
        return self.table_layout_

    # ---------------------------------------------------------- sklearn API
    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        tags.input_tags.allow_nan = True
        return tags

    # ---------------------------------------------------------- persistence
    def save(self, path):
        """Save the fitted estimator to a directory that loads without running code.

        Writes ``estimator.json`` (class, parameters, the fitted network
        specification, package versions, fitted scalars and the training
        history, tensor names and shapes) and ``weights.safetensors``. Load it
        with :func:`sklearn_ae.load`. Unlike pickle, loading never executes
        code from the file, so it is safe for files from others.

        Parameters
        ----------
        path : str or path-like
            Directory to write (created if needed).

        Returns
        -------
        self : object
            The estimator, unchanged.
        """
        check_is_fitted(self)
        if self.accelerator is None or self.accelerator.is_main_process:
            save_estimator(self, path)  # one writer in data-parallel training
        return self

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: never mutate the live object
        # An Accelerator is the running process group, not model state.
        state["accelerator"] = None
        if "module_" in state:  # the weights as numpy arrays: no torch object in a pickle
            state["module_"] = numpy_tree(state["module_"].state_dict())
        return state

    def __setstate__(self, state):
        weights = state.pop("module_", None)
        super().__setstate__(state)
        if weights is None:
            return
        self.device_ = available_device(self.device_, type(self).__name__)
        self.module_ = fitted_network(self.spec_, weights, self.device_)
