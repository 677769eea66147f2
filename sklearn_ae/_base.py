"""The shared estimator: parameters, validation and fit/transform, written once.

Variants override three small hooks: ``_module_kwargs`` (architecture extras),
``_make_corruption`` (noise on training batches) and ``_make_penalty`` (a term
added to the loss). Everything else lives here.
"""

import contextlib
import copy
from numbers import Integral, Real

import numpy as np
import torch
from sklearn.base import (
    BaseEstimator,
    ClassNamePrefixFeaturesOutMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils import check_array
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data
from skorch.callbacks import Callback

from ._device import available_device, resolve_device, warn_if_gpu_shared
from ._engine import (
    ConvergenceMonitor,
    TensorData,
    decode,
    make_net,
    map_rows,
    on_device,
    reconstruct,
)
from ._manifold import _ManifoldMixin
from ._modules import ACTIVATIONS, build_module
from ._persistence import save_estimator
from ._scoring import _ScoringMixin
from ._state import load_net_state, net_state, restore_net_state

_FLOAT_DTYPES = [np.float64, np.float32]
_SPARSE_FORMATS = ("csr", "csc")
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


def _with_fix(error):
    """``error`` again, with the fix appended when scikit-learn's message lacks one."""
    message = str(error)
    for needle, fix in _INPUT_FIXES:
        if needle in message:
            return type(error)(f"{message} {fix}")
    return error


def _seed_sequence(random_state):
    """A numpy SeedSequence from ``random_state`` that leaves global RNGs alone."""
    if random_state is None:
        return np.random.SeedSequence()  # fresh OS entropy, not np.random's state
    if isinstance(random_state, np.random.RandomState):
        return np.random.SeedSequence(int(random_state.randint(np.iinfo(np.int32).max)))
    return np.random.SeedSequence(random_state)


def _generator(seed, device="cpu"):
    return torch.Generator(device=device).manual_seed(int(seed))


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
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "accelerator": [None, HasMethods(["prepare", "backward"])],
    }

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

    # ----------------------------------------------------------------- hooks
    def _module_kwargs(self):
        """Extra architecture arguments for ``AutoencoderModule``."""
        return {}

    def _make_corruption(self, X):
        """A callable ``(batch, generator) -> corrupted batch``, or None."""
        return None

    def _make_penalty(self):
        """A callable ``(module, batch, code, generator) -> scalar``, or None."""
        return None

    def _check_params(self, X):
        """Checks that involve several parameters or the data; raise ValueError."""
        sizes = self.hidden_layer_sizes
        if not all(isinstance(s, Integral) and not isinstance(s, bool) and s > 0 for s in sizes):
            raise ValueError(
                "hidden_layer_sizes must be a tuple of positive integers, "
                f"got {sizes!r}; use () for a single linear layer each way."
            )
        if self.loss == "bce" and X.size and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                f"loss='bce' needs X in [0, 1], got values in [{X.min():.4g}, "
                f"{X.max():.4g}]; scale X with MinMaxScaler or use loss='mse'."
            )

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

    def _build_net(self, n_features, device, seeds):
        module = build_module(
            _generator(seeds[0]),
            n_features=n_features,
            n_components=self.n_components,
            hidden_layer_sizes=tuple(self.hidden_layer_sizes),
            activation=self.activation,
            code_activation=self.code_activation,
            tied_weights=self.tied_weights,
            **self._module_kwargs(),
        )
        return make_net(
            module,
            loss=self.loss,
            optimizer=self.optimizer,
            lr=self.lr,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            max_epochs=self.max_epochs,
            shuffle=self.shuffle,
            shuffle_generator=_generator(seeds[1]),
            # Each data-parallel process draws its own noise for its own batches.
            generator=_generator(seeds[2] + self._process_index(), device),
            monitor=ConvergenceMonitor(self.tol, self.n_iter_no_change),
            callbacks=self._user_callbacks(),
            device=device,
            verbose=self.verbose,
            accelerator=self.accelerator,
        )

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

    def _train(self, X, epochs, continue_training, validation=False):
        self._check_params(X)
        seeds = _seed_sequence(self.random_state).generate_state(4)
        if continue_training:
            # Architecture, optimizer and generators carry over; the settings of
            # the training run itself follow the current parameters.
            net, device = self.net_, self.device_
            net.callbacks, net.verbose = self._user_callbacks(), self.verbose
            net.batch_size = self.batch_size
            net.iterator_train__shuffle = self.shuffle
            net.initialize_callbacks()
        else:
            device = resolve_device(self.device)
            warn_if_gpu_shared(device)
            if self.accelerator is not None:
                device = str(self.accelerator.device)
            net = self._build_net(X.shape[1], device, seeds)
            net.initialize()
        X_train, X_valid = self._split_validation(X, seeds[3]) if validation else (X, None)
        X_train = on_device(X_train, device)
        monitor = dict(net.callbacks_)["convergence"]
        monitor.tol, monitor.n_iter_no_change = self.tol, self.n_iter_no_change
        monitor.validation_X = None if X_valid is None else on_device(X_valid, device)
        net.corruption = self._make_corruption(X_train)
        net.penalty = self._make_penalty()
        try:
            net.partial_fit(TensorData(X_train), epochs=epochs)
        finally:
            monitor.validation_X = None  # the net must not keep the data alive

        self.net_ = net
        self.device_ = device
        self.n_components_ = self.n_components
        self.loss_curve_ = [epoch["train_loss"] for epoch in net.history]
        scores = [epoch["valid_score"] for epoch in net.history if "valid_score" in epoch]
        self.validation_scores_ = scores if self.early_stopping else None
        self.n_iter_ = len(net.history)
        self.__dict__.pop("components_", None)
        if self._is_linear():
            weight = self.net_.module_.decoder_weights()[0]  # (n_features, n_components)
            self.components_ = weight.detach().T.cpu().numpy().astype(np.float64)
        self._fit_code_density(X, seeds[3])
        return self

    def _is_linear(self):
        """Whether encoder and decoder are both affine maps (the PCA setting)."""
        return (
            len(self.hidden_layer_sizes) == 0
            and self.code_activation == "identity"
            and self.loss == "mse"
            and getattr(self, "k", None) is None
        )

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
            first_call = not hasattr(self, "net_")
            X = self._validate_input(X, reset=first_call)
            return self._train(X, 1, continue_training=not first_call)

    # ------------------------------------------------------------ inference
    def _fitted_module(self, dtype):
        """The trained module in eval mode, in the floating precision of the input.

        float64 input is computed in float64 (on a copy of the weights): a row's
        result then does not depend on which other rows share its batch.
        """
        module = self.net_.module_
        if dtype == np.float64:
            module = copy.deepcopy(module).double()
        return module.eval()

    def _validate_input(self, X, reset):
        try:
            return validate_data(
                self, X, dtype=_FLOAT_DTYPES, accept_sparse=_SPARSE_FORMATS, reset=reset
            )
        except (ValueError, TypeError) as error:
            raise _with_fix(error) from error

    def _validated(self, X):
        check_is_fitted(self)
        return self._validate_input(X, reset=False)

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
        X = self._validated(X)
        return map_rows(self._fitted_module(X.dtype).encode, X, self.device_)

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
            in [0, 1] when ``loss="bce"``).
        """
        check_is_fitted(self)
        try:
            X = check_array(X, dtype=_FLOAT_DTYPES, input_name="X")
        except (ValueError, TypeError) as error:
            raise _with_fix(error) from error
        if X.shape[1] != self.n_components_:
            raise ValueError(
                f"X has {X.shape[1]} columns, but inverse_transform expects codes "
                f"of width n_components_={self.n_components_}; pass the output "
                "of transform."
            )
        module = self._fitted_module(X.dtype)
        return map_rows(lambda code: decode(module, code, self.loss), X, self.device_)

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
        X = self._validated(X)
        module = self._fitted_module(X.dtype)
        return map_rows(lambda batch: reconstruct(module, batch, self.loss), X, self.device_)

    # ---------------------------------------------------------- sklearn API
    @property
    def _n_features_out(self):
        return self.n_components_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        tags.input_tags.sparse = True
        return tags

    # ---------------------------------------------------------- persistence
    def save(self, path):
        """Save the fitted estimator to a directory that loads without running code.

        Writes ``estimator.json`` (class, parameters, package versions, fitted
        scalars, tensor names and shapes) and ``weights.safetensors``. Load it
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
        if "net_" in state:
            state["net_"] = net_state(state["net_"])
        return state

    def __setstate__(self, state):
        saved_net = state.pop("net_", None)
        super().__setstate__(state)
        if saved_net is None:
            return
        device = self.device_ = available_device(self.device_, type(self).__name__)
        net = self._build_net(self.n_features_in_, device, seeds=[0, 0, 0])
        self.net_ = load_net_state(net, saved_net, same_device_type=device == state["device_"])
