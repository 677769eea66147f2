"""The shared estimator: parameters, validation and fit/transform, written once.

Data flows one way: the parameters give a ``NetworkSpec`` when a network is
built; the spec gives the module; the module, the spec and the hooks of the
estimator configure an engine for each training run. Variants override small
hooks: ``_architecture`` (spec fields of their own), ``_make_corruption``
(noise on training batches) and ``_make_penalty`` (a term added to the loss).
After ``fit``, everything reads ``spec_``, never the current parameters.
"""

import contextlib
import copy
import warnings
import weakref
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_array
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback

from ._data import TensorData, map_rows, on_device, to_tensor
from ._device import available_device, resolve_device, warn_if_gpu_shared
from ._engine import ConvergenceMonitor, make_net
from ._inference import decode, reconstruct
from ._manifold import _ManifoldMixin
from ._modules import ACTIVATIONS, build_module
from ._persistence import save_estimator
from ._scoring import _ScoringMixin
from ._spec import NetworkSpec
from ._state import net_state, restore_net_state
from ._validation import (
    FLOAT_DTYPES,
    SPARSE_FORMATS,
    check_missing,
    column_fill_values,
    generator,
    seed_sequence,
    with_fix,
)
from .exceptions import BottleneckWarning

# Passes of "fill the holes with the reconstruction" for rows with missing entries:
# on MNIST with 30 % missing, a second and third pass made the filled pixels worse
# (RMSE 0.157 -> 0.171), the network never having seen its own reconstructions.
_COMPLETION_PASSES = 1
# Largest input (in values) that skips scikit-learn's validation when it is a
# plain finite float array; larger inputs amortise the validation anyway.
_FAST_PATH_VALUES = 2**16
# float64 copies of fitted modules, kept while the module lives.
_FLOAT64_COPIES = weakref.WeakKeyDictionary()


class _BaseAutoencoder(
    _ScoringMixin, _ManifoldMixin, ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator
):
    """Base class of the autoencoder transformers; not for direct use."""

    _parameter_constraints = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "hidden_layer_sizes": [tuple, list],
        "activation": [StrOptions(set(ACTIVATIONS))],
        "code_activation": [StrOptions(set(ACTIVATIONS))],
        "loss": [StrOptions({"mse", "bce"})],
        "tied_weights": ["boolean"],
        "optimizer": [StrOptions({"adam", "adamw", "sgd"})],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "shuffle": ["boolean"],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "warm_start": ["boolean"],
        "callbacks": [list, tuple, None],
        "device": [str, torch.device],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "accelerator": [None, HasMethods(["prepare", "backward"])],
        "image_shape": [tuple, list, np.ndarray, None],
        "conv_channels": [tuple, list],
    }

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
        hidden_layer_sizes=(128,),
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
        sizes = self.hidden_layer_sizes
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must be a tuple of positive integers, "
                f"got {sizes!r}; use () for a single linear layer each way."
            )
        self._image_shape(X.shape[1], warn=True)  # raises for a width the images cannot have
        if self.loss == "bce" and X.size:
            low, high = (X.min(), X.max()) if sp.issparse(X) else (np.nanmin(X), np.nanmax(X))
            if low < 0 or high > 1:
                raise ValueError(
                    f"loss='bce' needs X in [0, 1], got values in [{low:.4g}, "
                    f"{high:.4g}]; scale X with MinMaxScaler or use loss='mse'."
                )

    def _image_shape(self, n_features, warn=False):
        """``image_shape`` as (channels, height, width), checked against the width of X."""
        if self.image_shape is None:
            return None
        shape = tuple(np.asarray(self.image_shape, dtype=object).ravel())
        if len(shape) == 2:
            shape = (1, *shape)
        valid = (
            np.ndim(self.image_shape) == 1
            and len(shape) == 3
            and all(isinstance(n, Integral) and not isinstance(n, bool) and n > 0 for n in shape)
        )
        if not valid:
            raise ValueError(
                f"image_shape={self.image_shape!r} must be (height, width) or (channels, "
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
                stacklevel=5,
            )
        if int(np.prod(shape)) != n_features:
            raise ValueError(
                f"X has {n_features} features, but image_shape={self.image_shape!r} needs "
                f"{int(np.prod(shape))}; pass rows of channels * height * width pixels "
                "or fix image_shape."
            )
        channels = self.conv_channels
        if not channels or not all(
            isinstance(c, Integral) and not isinstance(c, bool) and c > 0 for c in channels
        ):
            raise ValueError(
                f"conv_channels must be a non-empty tuple of positive ints, got {channels!r}; "
                "e.g. conv_channels=(32, 64)."
            )
        if self.tied_weights:
            raise ValueError(
                "tied_weights=True is not supported with image_shape (a transposed "
                "convolution is not the transpose of a strided one); use tied_weights=False."
            )
        return tuple(int(n) for n in shape)

    def _network_spec(self, n_features):
        """The network the current parameters describe, for ``n_features`` inputs."""
        image_shape = self._image_shape(n_features)
        kind = self._module_kind
        if image_shape is not None and kind == "dense":
            kind = "conv"  # the variational kind reads image_shape itself
        fields = {
            "kind": kind,
            "n_features": int(n_features),
            "n_components": int(self.n_components),
            "hidden_layer_sizes": tuple(int(s) for s in self.hidden_layer_sizes),
            "activation": self.activation,
            "code_activation": self.code_activation,
            "tied_weights": bool(self.tied_weights),
            "loss": self.loss,
            "image_shape": image_shape,
            "conv_channels": tuple(int(c) for c in self.conv_channels) if image_shape else (),
        }
        return NetworkSpec(**fields, **self._architecture())

    # ------------------------------------------------------------- training
    @contextlib.contextmanager
    def _unchanged_on_error(self):
        """Leave the estimator exactly as it was when training raises.

        A failed first fit leaves it unfitted; a failed refit or warm start
        keeps the previous model, weights and optimizer state included.
        """
        attributes = dict(self.__dict__)
        saved_net = net_state(self.net_) if hasattr(self, "net_") else None
        try:
            yield
        except BaseException:
            self.__dict__.clear()
            self.__dict__.update(attributes)
            if saved_net is not None:
                restore_net_state(self.net_, saved_net)
            raise

    def _process_index(self):
        return 0 if self.accelerator is None else self.accelerator.process_index

    def _user_callbacks(self):
        callbacks = []
        for item in self.callbacks or ():
            name, callback = item if isinstance(item, tuple) else (None, item)
            if isinstance(callback, Callback):
                callback = copy.deepcopy(callback)
            elif callable(callback):
                callback = callback()
            if not isinstance(callback, Callback):
                raise TypeError(
                    "callbacks must hold skorch Callback instances or zero-argument "
                    f"factories of them, got {callback!r}."
                )
            callbacks.append(callback if name is None else (name, callback))
        return callbacks

    def _split_validation(self, X, seed):
        n_samples = X.shape[0]
        n_valid = int(np.ceil(self.validation_fraction * n_samples))
        if n_samples < 2 or n_valid >= n_samples:
            raise ValueError(
                f"early_stopping=True holds out validation_fraction="
                f"{self.validation_fraction} of the data, which leaves no training "
                f"rows with n_samples={n_samples} ({n_samples} sample(s)); use more "
                "samples, a smaller validation_fraction or early_stopping=False."
            )
        order = np.random.default_rng(seed).permutation(n_samples)
        return X[np.sort(order[n_valid:])], X[np.sort(order[:n_valid])]

    def _engine(
        self,
        module,
        device,
        *,
        generators,
        monitor,
        X_train,
        penalty,
        fill,
        previous,
    ):
        """Configure the engine for one training run of ``module``, once.

        ``previous`` is the net of the fitted model when training continues:
        its optimizer state (when the optimizer is the same) and history carry over.
        """
        optimizer_state = history = None
        if previous is not None:
            history = previous.history
            if previous.optimizer.__name__.lower() == self.optimizer:
                optimizer_state = previous.optimizer_.state_dict()
        return make_net(
            module,
            loss=self.spec_.loss,
            optimizer=self.optimizer,
            lr=self.lr,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            shuffle=self.shuffle,
            shuffle_generator=generators[0],
            generator=generators[1],
            monitor=monitor,
            callbacks=self._user_callbacks(),
            corruption=self._make_corruption(X_train),
            penalty=penalty,
            device=device,
            verbose=self.verbose,
            optimizer_state=optimizer_state,
            previous_history=history,
            fill=fill,
            accelerator=self.accelerator,
        )

    def _update_fill_values(self, X, continue_training, allow_empty):
        """``feature_means_`` and ``n_observed_`` over every row trained on since the
        network was built; ``fill_values_`` from them."""
        previous = (self.feature_means_, self.n_observed_) if continue_training else None
        self.feature_means_, self.n_observed_ = column_fill_values(X, allow_empty, previous)
        self.fill_values_ = self._missing_fill(self.feature_means_)

    def _check_unchanged_architecture(self, spec, method):
        changed = self.spec_.changed_parameters(spec)
        if changed:
            described = ", ".join(
                f"{name}={getattr(self.spec_, name)!r} -> {getattr(spec, name)!r}"
                for name in changed
            )
            fix = (
                "set warm_start=False to train a new network"
                if method == "fit"
                else "call fit to train a new network"
            )
            raise ValueError(
                f"{method} would continue training the fitted network, but its architecture "
                f"parameters changed since it was built ({described}); {fix}, or set them "
                "back."
            )

    def _train(self, X, epochs, continue_training, validation=False, method="fit"):
        self._check_params(X)
        spec = self._network_spec(X.shape[1])
        seeds = seed_sequence(self.random_state).generate_state(4)
        if continue_training:
            self._check_unchanged_architecture(spec, method)
            previous, device = self.net_, self.device_
            module = previous.plain_module()
            generators = (previous.iterator_train__generator, previous.generator)
        else:
            if self._needs_narrow_code and spec.n_components > spec.n_features:
                warnings.warn(
                    f"n_components={spec.n_components} > n_features={spec.n_features}: "
                    f"without a bottleneck {type(self).__name__} can learn the identity "
                    "map. Use fewer components, or SparseAE or DenoisingAE for an "
                    "overcomplete code.",
                    BottleneckWarning,
                    stacklevel=4,
                )
            previous = None
            device = resolve_device(str(self.device))
            warn_if_gpu_shared(device)
            if self.accelerator is not None:
                device = str(self.accelerator.device)
            module = build_module(spec, generator(seeds[0]))
            # Each data-parallel process draws its own noise for its own batches.
            generators = (
                generator(seeds[1]),
                generator(seeds[2] + self._process_index(), device),
            )
        self._update_fill_values(X, continue_training, allow_empty=method == "partial_fit")
        self.spec_ = spec
        X_train, X_valid = self._split_validation(X, seeds[3]) if validation else (X, None)
        X_train = on_device(X_train, device)
        penalty = self._make_penalty()
        has_missing = not sp.issparse(X) and bool(np.isnan(X).any())
        fill = to_tensor(self.fill_values_, device) if has_missing else None
        monitor = ConvergenceMonitor(
            self.tol,
            self.n_iter_no_change,
            spec.loss,
            validation_X=None if X_valid is None else on_device(X_valid, device),
            penalty=penalty,
            score=self._validation_score,
            fill=fill,
        )
        net = self._engine(
            module,
            device,
            generators=generators,
            monitor=monitor,
            X_train=X_train,
            penalty=penalty,
            fill=fill,
            previous=previous,
        )
        n_before = len(net.history)
        net.partial_fit(TensorData(X_train), epochs=epochs)

        self.net_ = net
        self.device_ = device
        self.n_components_ = spec.n_components
        self.loss_curve_ = [epoch["train_loss"] for epoch in net.history]
        validated = [epoch for epoch in net.history if "valid_score" in epoch]
        self.validation_scores_ = [e["valid_score"] for e in validated] if validation else None
        self.validation_loss_curve_ = [e["valid_loss"] for e in validated] if validation else None
        self.n_iter_ = len(net.history)
        self.__dict__.pop("components_", None)
        plain = net.plain_module()
        if plain.is_affine and spec.loss == "mse":
            weight = plain.decoder_weights()[0]  # (n_features, n_components)
            self.components_ = weight.detach().T.cpu().numpy().astype(np.float64)
        self._fit_code_density(X, seeds[3], incremental=method == "partial_fit")
        ran_out = len(net.history) - n_before == epochs and not monitor.converged_
        if method == "fit" and ran_out:
            warnings.warn(
                f"{type(self).__name__} stopped at max_epochs={epochs} while the "
                f"{'validation score' if validation else 'training loss'} still improved "
                f"by more than tol={self.tol} within the last n_iter_no_change="
                f"{self.n_iter_no_change} epochs; raise max_epochs (or continue with "
                "warm_start=True) for a converged model.",
                ConvergenceWarning,
                stacklevel=4,
            )
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
        with self._unchanged_on_error():
            continue_training = self.warm_start and hasattr(self, "net_")
            X = self._validate_input(X, reset=not continue_training)
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
        with self._unchanged_on_error():
            first_call = not hasattr(self, "net_")
            X = self._validate_input(X, reset=first_call)
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
        """The trained module in eval mode, in the floating precision of the input.

        float64 input is computed in float64 (on a copy of the weights): a row's
        result then does not depend on which other rows share its batch. The
        copy is cached until the weights change (a refit, a warm start, a
        rollback): copying on every call made one-row float64 transforms 10x
        slower than float32 ones.
        """
        module = self.net_.plain_module()
        if dtype != np.float64:
            # eval() walks every submodule: a third of a one-row transform's time.
            return module.eval() if module.training else module
        # Valid for this training run's net (each fit builds a new one: fused Adam
        # updates weights without bumping their version counters) and these
        # versions (any other in-place change of a parameter or buffer bumps them).
        versions = tuple(t._version for t in (*module.parameters(), *module.buffers()))
        cached = _FLOAT64_COPIES.get(module)
        if cached is None or cached[0]() is not self.net_ or cached[1] != versions:
            copied = copy.deepcopy(module).double().eval()
            cached = _FLOAT64_COPIES[module] = (weakref.ref(self.net_), versions, copied)
        return cached[2]

    def _validate_input(self, X, reset):
        """Validated X: NaN marks a missing entry; a row must have an observed one."""
        try:
            X = validate_data(
                self,
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

    def _complete(self, X):
        """``X`` with its missing entries filled, and the mask of observed entries.

        Missing entries start at ``fill_values_`` and are replaced by the
        reconstruction, so that the code of a row with holes follows from its
        observed entries. Complete data passes through.
        """
        if sp.issparse(X) or not np.isnan(X).any():
            return X, None
        observed = ~np.isnan(X)
        completed = np.where(observed, X, self.fill_values_.astype(X.dtype))
        loss = self.spec_.loss
        for _ in range(_COMPLETION_PASSES):
            recon = self._infer(lambda module, batch: reconstruct(module, batch, loss), completed)
            completed = np.where(observed, X, recon)
        return completed, observed

    def _validated(self, X):
        """Validated ``X``, missing entries completed (see ``_complete``)."""
        return self._validated_with_mask(X)[0]

    def _validated_with_mask(self, X):
        """Validated, completed ``X`` and its mask of observed entries (None if complete)."""
        check_is_fitted(self)
        # Fast path for what serving passes most: a plain finite float array of the
        # fitted width, fitted without feature names. scikit-learn's dataframe
        # detection alone took a quarter of a one-row transform. Anything else
        # takes the full validation, which raises the documented errors.
        if (
            type(X) is np.ndarray
            and X.dtype in (np.float32, np.float64)
            and X.ndim == 2
            and X.shape[0] > 0
            and X.shape[1] == self.n_features_in_
            and X.size <= _FAST_PATH_VALUES
            and not hasattr(self, "feature_names_in_")
            and np.isfinite(X).all()
        ):
            return X, None
        return self._complete(self._validate_input(X, reset=False))

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
        return self._infer(lambda module, code: decode(module, code, self.spec_.loss), X)

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
        loss = self.spec_.loss
        return self._infer(
            lambda module, batch: reconstruct(module, batch, loss), self._validated(X)
        )

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

    def _rebuild_net(self, device, state, same_device_type=True):
        """The fitted net from ``spec_`` and a saved state: the one rebuild path.

        Used by unpickling and by ``sklearn_ae.load``; never reads the current
        parameters' architecture. ``state`` holds ``module`` weights and,
        where saved, ``optimizer``, generator states and ``history``.
        """
        net = make_net(
            build_module(self.spec_),  # uninitialised: the saved weights are loaded next
            loss=self.spec_.loss,
            device=device,
            shuffle_generator=generator(0),
            generator=generator(0, device),
            monitor=None,
            callbacks=[],
            verbose=0,
            **state["settings"],
        )
        return restore_net_state(net, state, same_device_type=same_device_type)

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: never mutate the live object
        # An Accelerator is the running process group, not model state.
        state["accelerator"] = None
        if "net_" in state:
            state["net_"] = net_state(state["net_"])
        return state

    def __setstate__(self, state):
        saved_net = state.pop("net_", None)
        super().__setstate__(state)
        if saved_net is None:
            return
        device = self.device_ = available_device(self.device_, type(self).__name__)
        self.net_ = self._rebuild_net(
            device, saved_net, same_device_type=device == state["device_"]
        )
