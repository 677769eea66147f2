"""One training run, as plain functions of plain values.

``train`` takes the data, the run's settings (``RunSettings``), the noise and
penalty hooks and the state to start from (a fresh ``TrainingState``, or one
continuing a fitted model), configures the engine once, runs it and returns
the trained module, its history and what continuing needs (``TrainedRun``);
the engine is dropped. Nothing here reads an estimator: the estimator turns
its parameters into these values.
"""

import copy
import dataclasses
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

from .._nn.modules import build_module
from .._utils.device import resolve_device, warn_if_gpu_shared
from .._utils.validation import generator
from .data import TensorData, on_device, to_tensor
from .engine import ConvergenceMonitor, make_net
from .state import Continuation, TrainingState, continuation_of
from .stored import StoredRows, split_blocks


@dataclass(frozen=True)
class RunSettings:
    """The settings of one training run, from the estimator's parameters.

    ``validation_fraction`` is None when no rows are held out; ``score`` is
    what the stopping rule maximises on them ("reconstruction" or "objective").
    """

    optimizer: str
    lr: float
    weight_decay: float
    batch_size: int
    max_epochs: int
    shuffle: bool
    tol: float
    n_iter_no_change: int
    validation_fraction: float | None
    score: str
    callbacks: tuple
    verbose: int
    accelerator: object = None
    name: str = ""  # what the progress bar is labelled with

    @classmethod
    def from_params(cls, params, validation, score, name=""):
        """The settings an estimator's ``get_params()`` describe; ``validation``:
        whether rows are held out for the stopping rule; ``name``: the estimator's."""
        fields = {f.name: params[f.name] for f in dataclasses.fields(cls) if f.name in params}
        fields["validation_fraction"] = params["validation_fraction"] if validation else None
        fields["callbacks"] = tuple(params["callbacks"] or ())
        return cls(**fields, score=score, name=name)


@dataclass(frozen=True)
class TrainedRun:
    """What a run leaves: the trained module, the history, what continuing it
    needs (a ``Continuation``), and whether its stopping rule ended the run.
    The engine that trained them is not kept."""

    module: object
    history: object
    continuation: Continuation
    converged: bool
    n_epochs: int  # epochs run by this call

    @property
    def loss_curve(self):
        return [epoch["train_loss"] for epoch in self.history]

    def components(self):
        """The decoder's weights (n_components, n_features) of an affine network with
        an identity link, as PCA's ``components_``; else None."""
        module = self.module
        if not (module.is_affine and module.observation.link is None):
            return None
        weight = module.decoder_weights()[0]  # (n_features, n_components)
        return weight.detach().T.cpu().numpy().astype(np.float64)

    def validation_curves(self):
        """``(validation scores, validation losses)`` of the epochs that had them."""
        validated = [epoch for epoch in self.history if "valid_score" in epoch]
        return [e["valid_score"] for e in validated], [e["valid_loss"] for e in validated]


def warn_if_not_converged(run, name, epochs, settings):
    """ConvergenceWarning when ``fit`` ran all its epochs with the rule unmet."""
    if run.n_epochs < epochs or run.converged:
        return
    watched = "training loss" if settings.validation_fraction is None else "validation score"
    warnings.warn(
        f"{name} stopped at max_epochs={epochs} while the {watched} still improved by "
        f"more than tol={settings.tol} within the last n_iter_no_change="
        f"{settings.n_iter_no_change} epochs; raise max_epochs (or continue with "
        "warm_start=True) for a converged model.",
        ConvergenceWarning,
        stacklevel=5,
    )


@contextmanager
def one_convergence_warning(owner, n_networks, advice):
    """The ConvergenceWarnings of the ``n_networks`` networks that ``owner`` (a
    meta-estimator's name) trains inside the block, as one warning at its end
    with ``advice`` that is valid for ``owner`` (each network's own advice names
    its parameters, which the user of ``owner`` may not hold). Other warnings
    pass through as they were raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")  # collect each; the user's filters apply below
        yield
    unconverged = [w for w in caught if issubclass(w.category, ConvergenceWarning)]
    for w in caught:
        if not issubclass(w.category, ConvergenceWarning):
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if unconverged:
        reason = str(unconverged[0].message).split(";")[0]
        warnings.warn(
            f"{owner}: {len(unconverged)} of the {n_networks} networks trained in fit "
            f"did not converge (the first: {reason}); {advice}",
            ConvergenceWarning,
            stacklevel=4,
        )


def training_device(device, accelerator):
    """The device a new network trains on: the accelerator's, or ``device`` resolved."""
    resolved = resolve_device(str(device))
    warn_if_gpu_shared(resolved)
    return resolved if accelerator is None else str(accelerator.device)


def fresh_state(spec, seeds, device, process_index=0):
    """A new network for ``spec`` and the private generators of its training.

    ``seeds`` are the weights', shuffling's and noise's; each data-parallel
    process draws its own noise for its own batches.
    """
    return TrainingState(
        module=build_module(spec, generator(seeds[0])),
        shuffle_generator=generator(seeds[1]),
        generator=generator(seeds[2] + process_index, device),
    )


def user_callbacks(callbacks):
    """Fresh copies of the user's skorch callbacks (instances, or factories of them)."""
    made = []
    for item in callbacks or ():
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
        made.append(callback if name is None else (name, callback))
    return made


def split_validation(X, fraction, seed):
    """Training and validation rows: ``fraction`` of the rows held out, order kept."""
    n_samples = X.shape[0]
    n_valid = int(np.ceil(fraction * n_samples))
    if isinstance(X, StoredRows) and 2 <= n_samples and n_valid < n_samples:
        return split_blocks(X, fraction, seed)
    if n_samples < 2 or n_valid >= n_samples:
        raise ValueError(
            f"early_stopping=True holds out validation_fraction={fraction} of the data, "
            f"which leaves no training rows with n_samples={n_samples} ({n_samples} "
            "sample(s)); use more samples, a smaller validation_fraction or "
            "early_stopping=False."
        )
    order = np.random.default_rng(seed).permutation(n_samples)
    return X[np.sort(order[n_valid:])], X[np.sort(order[:n_valid])]


def train(X, settings, *, epochs, start, device, loss, make_corruption, penalty, fill_values, seed):
    """Train ``start.module`` on ``X`` for at most ``epochs`` epochs.

    ``make_corruption(X_train)`` gives the noise hook (or None) for the
    training rows; ``penalty`` is an ``_engine.Penalty`` or None;
    ``fill_values`` replace missing entries in the network's input; ``seed``
    draws the validation split. A warm start (``start.history`` set) continues
    the history and, with the same optimizer, its state.
    """
    validation = settings.validation_fraction is not None
    X_train, X_valid = (X, None)
    if validation:
        X_train, X_valid = split_validation(X, settings.validation_fraction, seed)
    X_train = on_device(X_train, device)
    if isinstance(X, StoredRows):
        has_missing = X.has_missing  # read in the scan, as every value the store holds
    else:
        has_missing = not sp.issparse(X) and bool(np.isnan(X).any())
    fill = to_tensor(fill_values, device) if has_missing else None
    monitor = ConvergenceMonitor(
        settings.tol,
        settings.n_iter_no_change,
        loss,
        validation_X=None if X_valid is None else on_device(X_valid, device),
        penalty=penalty,
        score=settings.score,
        fill=fill,
    )
    same_optimizer = start.optimizer == settings.optimizer
    net = make_net(
        start.module,
        loss=loss,
        optimizer=settings.optimizer,
        lr=settings.lr,
        weight_decay=settings.weight_decay,
        batch_size=settings.batch_size,
        max_epochs=settings.max_epochs,
        shuffle=settings.shuffle,
        shuffle_generator=start.shuffle_generator,
        generator=start.generator,
        monitor=monitor,
        callbacks=user_callbacks(settings.callbacks),
        corruption=make_corruption(X_train),
        penalty=penalty,
        device=device,
        verbose=settings.verbose,
        progress_name=settings.name,
        optimizer_state=start.optimizer_state if same_optimizer else None,
        previous_history=start.history,
        fill=fill,
        accelerator=settings.accelerator,
        stored=isinstance(X_train, StoredRows),
    )
    n_before = len(net.history)
    net.partial_fit(TensorData(X_train), epochs=epochs)
    return TrainedRun(
        module=net.plain_module(),
        history=net.history,
        continuation=continuation_of(net),
        converged=monitor.converged_,
        n_epochs=len(net.history) - n_before,
    )
