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


def net_state(net):
    """Everything a trained net needs to continue, as numpy arrays and plain values.

    This replaces skorch's own pickling (a ``torch.save`` blob inside the
    pickle), so a pickled estimator holds no torch objects at all.
    """
    return {
        "module": _numpy_tree(net.module_.state_dict()),
        "optimizer": _numpy_tree(net.optimizer_.state_dict()),
        "generator": net.generator.get_state().numpy().copy(),
        "shuffle_generator": net.iterator_train__generator.get_state().numpy().copy(),
        "history": [dict(epoch) for epoch in net.history],
    }


def restore_net_state(net, state, same_device_type=True):
    """Load a ``net_state`` into an initialised ``net``, history included."""
    net.module_.load_state_dict(_torch_tree(state["module"]))
    net.optimizer_.load_state_dict(_torch_tree(state["optimizer"]))
    if same_device_type:  # CUDA and CPU generators keep incompatible states
        net.generator.set_state(torch.from_numpy(np.array(state["generator"])))
    net.iterator_train__generator.set_state(torch.from_numpy(np.array(state["shuffle_generator"])))
    net.history_.clear()
    net.history_.extend(copy.deepcopy(state["history"]))
    return net


def load_net_state(net, state, same_device_type=True):
    """Initialise ``net`` and load a ``net_state`` into it."""
    net.initialize()
    return restore_net_state(net, state, same_device_type)
