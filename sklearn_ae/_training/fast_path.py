"""How a training epoch runs: the one place that decides whether the fast path applies.

A small network's step is short enough that the Python around it shows:
autograd's bookkeeping (the dense step writes a plain dense network's
gradients out instead, 35 % of a 6-64-3-64-6 network's step), skorch's three
callback notifications a batch and its closure, and ``Optimizer.step``'s
profiling wrapper and hook loops (5 %). ``plan_epoch`` takes each shortcut
only where nothing could observe the difference, and otherwise leaves the
epoch to autograd, skorch's loop and the optimizer's own ``step``. Every
shortcut calls public PyTorch only: where a private attribute it inspects is
missing (another PyTorch version), the standard path runs.
"""

import functools
from dataclasses import dataclass

from skorch.callbacks import Callback
from torch.optim import optimizer as _optimizer_module

from .._nn.layers import global_hooks_possible
from .dense_step import DenseStep

# Callback methods skorch calls for every batch.
_BATCH_HOOKS = ("on_batch_begin", "on_batch_end", "on_grad_computed")


@dataclass(frozen=True)
class EpochPlan:
    """``dense_step``: the step computing the gradients without autograd, or None.
    ``optimizer_step``: what the engine's own batch loop calls after each
    batch's gradients, or None for skorch's loop (callbacks notified per batch)."""

    dense_step: object = None
    optimizer_step: object = None


def plan_epoch(net, training):
    """How ``net`` runs its next epoch (``training``: a training epoch with batches)."""
    if not training:
        return EpochPlan()
    dense_step = None if global_hooks_possible() else DenseStep.for_net(net)
    if listens_per_batch(net.callbacks_):
        return EpochPlan(dense_step=dense_step)
    return EpochPlan(dense_step=dense_step, optimizer_step=plain_step(net.optimizer_))


def listens_per_batch(callbacks):
    """Whether any of skorch's ``(name, callback)`` pairs acts on each batch."""
    return any(
        getattr(type(callback), hook) is not getattr(Callback, hook)
        for _, callback in callbacks
        for hook in _BATCH_HOOKS
    )


def _step_hooks_possible(optimizer):
    hooks = (
        getattr(_optimizer_module, "_global_optimizer_pre_hooks", None),
        getattr(_optimizer_module, "_global_optimizer_post_hooks", None),
        getattr(optimizer, "_optimizer_step_pre_hooks", None),
        getattr(optimizer, "_optimizer_step_post_hooks", None),
    )
    return any(h is None or len(h) for h in hooks)


def plain_step(optimizer):
    """``optimizer.step``, without torch's profiling wrapper where nothing needs it.

    The wrapper (a profiler record and the hook loops) cost 5 % of a small
    network's step. The optimizer's own ``step`` runs when a step hook is set
    (globally or on this optimizer), when ``step`` was replaced on the
    instance (a learning-rate scheduler wraps it to track its calls, a user's
    callback may patch it), or when the class's ``step`` is not the wrapped
    function this relies on.
    """
    wrapped = getattr(type(optimizer).step, "__wrapped__", None)
    patched = "step" in vars(optimizer)
    if wrapped is None or patched or _step_hooks_possible(optimizer):
        return optimizer.step
    return functools.partial(wrapped, optimizer)
