"""Trained-net state: what a training run starts from, and how a net is rebuilt.

``net_state`` holds a trained net as numpy arrays and plain values, for
pickling and rollback: this replaces skorch's own pickling (a ``torch.save``
blob inside the pickle), so a pickled estimator holds no torch objects at all
and a failed fit can restore the previous weights exactly. ``rebuild_net``
makes the net from a spec and such a state: the one rebuild path, for
unpickling and for ``sklearn_ae.load``. ``TrainingState`` is where a training
run starts: a fresh module, or a fitted net's module, generators, optimizer
state and history.
"""

import contextlib
import copy
from dataclasses import dataclass

import numpy as np
import torch

from .._nn.modules import build_module
from .._utils.validation import generator
from .engine import make_net


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


def continued_state(net):
    """The ``TrainingState`` that continues training the fitted ``net``."""
    return TrainingState(
        module=net.plain_module(),
        shuffle_generator=net.iterator_train__generator,
        generator=net.generator,
        optimizer=net.optimizer.__name__.lower(),
        optimizer_state=net.optimizer_.state_dict(),
        history=net.history,
    )


def _numpy_tree(obj):
    if isinstance(obj, torch.Tensor):
        return obj.detach().cpu().numpy().copy()
    if isinstance(obj, dict):
        return {key: _numpy_tree(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_numpy_tree(value) for value in obj)
    return obj


def _torch_tree(obj):
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(np.array(obj))
    if isinstance(obj, dict):
        return {key: _torch_tree(value) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_torch_tree(value) for value in obj)
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


def net_state(net):
    """Everything a trained net needs to continue, as numpy arrays and plain values."""
    return {
        "module": _numpy_tree(net.plain_module().state_dict()),
        "optimizer": _numpy_tree(net.optimizer_.state_dict()),
        "generator": net.generator.get_state().numpy().copy(),
        "shuffle_generator": net.iterator_train__generator.get_state().numpy().copy(),
        "history": [dict(epoch) for epoch in net.history],
        "settings": engine_settings(net),
    }


def restore_net_state(net, state, same_device_type=True):
    """Load a ``net_state`` (or the part of it that was saved) into an initialised ``net``."""
    net.plain_module().load_state_dict(_torch_tree(state["module"]))
    if "optimizer" in state:  # sklearn_ae.load starts the optimizer afresh
        net.optimizer_.load_state_dict(_torch_tree(state["optimizer"]))
    # CUDA and CPU generators keep incompatible states.
    if same_device_type and "generator" in state:
        net.generator.set_state(torch.from_numpy(np.array(state["generator"])))
    if "shuffle_generator" in state:
        shuffle = torch.from_numpy(np.array(state["shuffle_generator"]))
        net.iterator_train__generator.set_state(shuffle)
    net.history_.clear()
    net.history_.extend(copy.deepcopy(state.get("history", [])))
    return net


def rebuild_net(spec, device, state, same_device_type=True):
    """The fitted net from ``spec`` and a saved ``net_state`` (or the part of it saved).

    Never reads an estimator's current parameters. ``state`` holds ``module``
    weights, the engine ``settings`` and, where saved, ``optimizer``,
    generator states and ``history``.
    """
    net = make_net(
        build_module(spec),  # uninitialised: the saved weights are loaded next
        loss=spec.loss,
        device=device,
        shuffle_generator=generator(0),
        generator=generator(0, device),
        monitor=None,
        callbacks=[],
        verbose=0,
        **state["settings"],
    )
    return restore_net_state(net, state, same_device_type=same_device_type)


@contextlib.contextmanager
def unchanged_on_error(estimator):
    """Leave ``estimator`` exactly as it was when the block raises.

    A failed first fit leaves it unfitted; a failed refit or warm start keeps
    the previous model, its net's weights and optimizer state included.
    """
    attributes = dict(estimator.__dict__)
    saved_net = net_state(estimator.net_) if hasattr(estimator, "net_") else None
    try:
        yield
    except BaseException:
        estimator.__dict__.clear()
        estimator.__dict__.update(attributes)
        if saved_net is not None:
            restore_net_state(estimator.net_, saved_net)
        raise
