"""Where a training run starts, and what a fitted model keeps to continue one.

A fitted estimator holds its trained module (all that inference needs) and,
apart from it, a ``Continuation``: the optimizer's state, the private
generators' states and the last run's engine settings, as numpy arrays and
plain values. Pickling it needs no torch objects, and nothing in it is
trained in place: a warm start or ``partial_fit`` trains a copy of the module
from a ``TrainingState`` built out of it, so a failed run leaves the fitted
model as it was. The skorch engine exists only while a run trains.
"""

import contextlib
import copy
from dataclasses import dataclass

import numpy as np
import torch

from .._utils.validation import generator


@dataclass(frozen=True)
class TrainingState:
    """The module and private generators a training run starts from and, when
    training continues, the optimizer (name and state) and history so far."""

    module: object
    shuffle_generator: torch.Generator
    generator: torch.Generator
    optimizer: str | None = None
    optimizer_state: dict | None = None
    history: object = None


@dataclass(frozen=True)
class Continuation:
    """What continuing training needs besides the fitted module, as plain values.

    ``settings``: the last run's engine settings (optimizer name, lr,
    weight_decay, batch_size, max_epochs, shuffle). ``optimizer_state``,
    ``generator_state`` and ``shuffle_state`` are numpy trees, or None where
    training continues afresh (a model read by ``sklearn_ae.load``).
    ``device_type``: where the generators ran (CPU and CUDA states differ).
    """

    settings: dict
    optimizer_state: dict | None = None
    generator_state: np.ndarray | None = None
    shuffle_state: np.ndarray | None = None
    device_type: str = "cpu"


def numpy_tree(obj):
    """``obj`` with every tensor replaced by a numpy copy."""
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().numpy().copy()
    if isinstance(obj, dict):
        return {key: numpy_tree(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(numpy_tree(value) for value in obj)
    return obj


def torch_tree(obj):
    """``obj`` with every numpy array replaced by a tensor (a copy)."""
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.array(obj))
    if isinstance(obj, dict):
        return {key: torch_tree(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(torch_tree(value) for value in obj)
    return obj


def engine_settings(net):
    """The training-run settings an engine was built with, as plain values."""
    return {
        "optimizer": net.optimizer.__name__.lower(),
        "lr": net.lr,
        "weight_decay": net.optimizer__weight_decay,
        "batch_size": net.batch_size,
        "max_epochs": net.max_epochs,
        "shuffle": net.iterator_train__shuffle,
    }


def continuation_of(net):
    """The ``Continuation`` of a trained engine: copies, so the engine can go."""
    return Continuation(
        settings=engine_settings(net),
        optimizer_state=numpy_tree(net.optimizer_.state_dict()),
        generator_state=net.generator.get_state().numpy().copy(),
        shuffle_state=net.iterator_train__generator.get_state().numpy().copy(),
        device_type=net.generator.device.type,
    )


def continued_state(module, history, continuation, device):
    """The ``TrainingState`` that continues training a copy of the fitted ``module``."""
    shuffle_generator, noise_generator = generator(0), generator(0, device)
    if continuation.shuffle_state is not None:
        shuffle_generator.set_state(torch.from_numpy(np.array(continuation.shuffle_state)))
    same_device_type = continuation.device_type == noise_generator.device.type
    if continuation.generator_state is not None and same_device_type:
        noise_generator.set_state(torch.from_numpy(np.array(continuation.generator_state)))
    optimizer_state = continuation.optimizer_state
    return TrainingState(
        module=copy.deepcopy(module),
        shuffle_generator=shuffle_generator,
        generator=noise_generator,
        optimizer=continuation.settings["optimizer"],
        optimizer_state=None if optimizer_state is None else torch_tree(optimizer_state),
        history=history,
    )


@contextlib.contextmanager
def unchanged_on_error(estimator):
    """Leave ``estimator`` exactly as it was when the block raises.

    A failed first fit leaves it unfitted; a failed refit or warm start keeps
    the previous model: training never writes into the fitted module or its
    ``Continuation`` (a run trains a copy), so restoring the attributes suffices.
    """
    attributes = dict(estimator.__dict__)
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(attributes)
        raise
