"""Trained-net state as numpy arrays and plain values, for pickling and rollback.

This replaces skorch's own pickling (a ``torch.save`` blob inside the pickle), so
a pickled estimator holds no torch objects at all and a failed fit can restore
the previous weights exactly.
"""

import copy

import numpy as np
import torch


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
