"""Plain layers and how they are called; nothing here knows a module kind."""

from numbers import Integral

import torch
from torch import nn
from torch.nn import functional as F

from .activations import ACTIVATIONS

# Layers called as the function their ``forward`` calls: the module call
# (``_call_impl`` and ``forward``) of the eight layers of a 6-64-3-64-6 network
# was 7 % of its training step.
_AS_FUNCTIONS = {
    nn.Linear: lambda layer, x: F.linear(x, layer.weight, layer.bias),
    **{
        row.module: (lambda layer, x: x)
        if row.function is None
        else (lambda layer, x, function=row.function: function(x))
        for row in ACTIVATIONS.values()
    },
}
# torch's registries of global module hooks (private names: where one is not
# found, hooks are assumed, and layers are called as modules).
_GLOBAL_HOOK_REGISTRIES = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)
_MODULE_HOOK_REGISTRIES = (
    "_forward_hooks",
    "_forward_pre_hooks",
    "_backward_hooks",
    "_backward_pre_hooks",
)


def global_hooks_possible():
    """Whether a global module hook is set, or could be (a registry was not found)."""
    registries = [getattr(torch.nn.modules.module, name, None) for name in _GLOBAL_HOOK_REGISTRIES]
    return any(registry is None or len(registry) for registry in registries)


def has_hooks(module):
    """Whether ``module`` has a hook of its own, or could have (a registry was not found)."""
    return any(getattr(module, name, True) for name in _MODULE_HOOK_REGISTRIES)


def run_layers(sequence, x):
    """``sequence(x)``, with plain layers called as functions (the same operations).

    Any layer, or the sequence, with a hook (or any global module hook) is
    called as a module, so hooks still run.
    """
    if global_hooks_possible() or has_hooks(sequence):
        return sequence(x)
    for layer in sequence:
        call = _AS_FUNCTIONS.get(type(layer))
        x = layer(x) if call is None or has_hooks(layer) else call(layer, x)
    return x


class TopK(nn.Module):
    """Keep the ``k`` largest entries of each row and zero the rest (k-sparse code)."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, h):
        if self.k >= h.shape[-1]:
            return h
        kth_largest = torch.topk(h, self.k, dim=-1).values[..., -1:]
        return h * (h >= kth_largest)

    def extra_repr(self):
        return f"k={self.k}"


def linear(n_in, n_out, device):
    # Built on the meta device by default: nn.Linear's own initialisation
    # would draw from torch's global RNG, which fitting must never touch.
    return nn.Linear(n_in, n_out, device=device)


def positive_int(value):
    """Whether ``value`` is a positive int (not a bool): a width, a count, a size."""
    return isinstance(value, Integral) and not isinstance(value, bool) and value > 0
