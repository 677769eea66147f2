"""The optimizer's step without what surrounds it, for small networks.

A small network's step is short enough that the Python around the
optimizer's kernel shows: ``Optimizer.step``'s profiling wrapper and hook
loops, and Adam's per-step bookkeeping (collecting the state of every
parameter, grouping tensors by device, checking options). Both helpers fall
back to the optimizer's own ``step`` whenever something could need it.
"""

import functools

import torch
from torch.optim import optimizer as _optimizer_module


def _has_step_hooks(optimizer):
    hooks = (
        getattr(_optimizer_module, "_global_optimizer_pre_hooks", None),
        getattr(_optimizer_module, "_global_optimizer_post_hooks", None),
        getattr(optimizer, "_optimizer_step_pre_hooks", None),
        getattr(optimizer, "_optimizer_step_post_hooks", None),
    )
    return any(h is None or len(h) for h in hooks)


def unhooked_step(optimizer):
    """``optimizer.step`` without torch's profiling wrapper when no step hook is set.

    The wrapper (a profiler record and the hook loops) cost 5 % of a small
    network's step; with a hook registered, globally or on this optimizer, the
    wrapped step runs so that the hook is called.
    """
    wrapped = getattr(type(optimizer).step, "__wrapped__", None)
    if wrapped is None or _has_step_hooks(optimizer):
        return optimizer.step
    return functools.partial(wrapped, optimizer)


def direct_fused_adam(optimizer):
    """A callable doing what ``optimizer.step()`` does for fused Adam or AdamW,
    calling its kernel directly, or None where it does not apply.

    It applies to one parameter group on one device and dtype, plain options
    (no amsgrad, maximize, capturable, differentiable or tensor lr), no step
    hooks, every parameter's state created by a first ``step`` and a gradient
    for every parameter at each call: the same two kernels
    (``_foreach_add_`` of the step counts, ``_fused_adam_``) with the same
    arguments, so the same update; the learning rate and weight decay are
    read from the group at each call (schedulers change them).
    """
    if not isinstance(optimizer, torch.optim.Adam) or len(optimizer.param_groups) != 1:
        return None
    group = optimizer.param_groups[0]
    params = group["params"]
    states = [optimizer.state.get(param) for param in params]
    plain = (
        group.get("fused")
        and not group.get("amsgrad")
        and not group.get("maximize")
        and not group.get("capturable")
        and not group.get("differentiable")
        and isinstance(group.get("lr"), float)
        and all(isinstance(beta, float) for beta in group.get("betas", (None,)))
    )
    if not plain or _has_step_hooks(optimizer) or not params or not all(states):
        return None
    if len({(p.device, p.dtype) for p in params}) != 1 or any(p.is_complex() for p in params):
        return None
    kernel = getattr(
        torch, "_fused_adamw_" if group.get("decoupled_weight_decay") else "_fused_adam_", None
    )
    if kernel is None:
        return None
    steps = [state["step"] for state in states]
    averages = [state["exp_avg"] for state in states]
    squares = [state["exp_avg_sq"] for state in states]
    beta1, beta2 = group["betas"]

    def step():
        torch._foreach_add_(steps, 1)
        kernel(
            params,
            [param.grad for param in params],
            averages,
            squares,
            [],
            steps,
            amsgrad=False,
            lr=group["lr"],
            beta1=beta1,
            beta2=beta2,
            weight_decay=group["weight_decay"],
            eps=group["eps"],
            maximize=False,
            grad_scale=None,
            found_inf=None,
        )

    return step
