"""A training step for plain dense networks, with the gradients written out.

On a table's small network the matmuls take microseconds and the autograd
engine's bookkeeping most of a step: recording the graph in the forward pass
and walking it backwards. A stack of linear layers and elementwise
activations under a fused loss has a short, fixed backward pass, so this
step computes it directly, with the operations autograd's formulas use, in
the same order (the same gradients, bit for bit; a test checks it). Anything
else (a penalty, noise, missing entries, tied weights, top-k, hooks, another
activation or loss) trains through autograd as before.
"""

import torch
from torch import nn
from torch.nn import functional as F

from .._nn.activations import ACTIVATIONS
from .._nn.dense import DenseAutoencoder
from .._nn.layers import has_hooks

# Each activation's forward, and its backward from the activation's output, as
# autograd's derivative formulas write them (the identity: nothing to apply).
_ACTIVATIONS = {
    row.module: (row.function, None if row.function is None else row.backward)
    for row in ACTIVATIONS.values()
    if row.backward is not None
}


def _layers(sequence):
    """``[(linear, forward, backward), ...]`` of a sequence of Linear layers each
    followed by at most one known activation, or None for anything else."""
    layers = []
    for layer in sequence:
        if type(layer) is nn.Linear:
            layers.append([layer, None, None])
        elif type(layer) in _ACTIVATIONS and layers and layers[-1][1] is None:
            layers[-1][1:] = _ACTIVATIONS[type(layer)]
        else:
            return None
    return [tuple(layer) for layer in layers]


class DenseStep:
    """Forward pass, loss and gradients of a plain ``DenseAutoencoder``.

    ``__call__(X, y)`` sets every parameter's ``.grad`` (as ``backward`` would
    on gradients set to None) and returns ``(loss, (output, code))`` as the
    engine's autograd step does, the loss detached.
    """

    def __init__(self, module, encoder, decoder, gradient):
        self.module = module
        self.layers = encoder + decoder
        self.n_encoder = len(encoder)
        self.gradient = gradient

    @classmethod
    def for_net(cls, net):
        """The step for ``net``'s module and settings, or None where autograd must run."""
        module = net.module_
        if (
            net.penalty is not None
            or net.corruption is not None
            or net.fill is not None
            or getattr(net, "accelerator", None) is not None
            or type(module) is not DenseAutoencoder
            or module.tied_weights
            or any(has_hooks(m) for m in module.modules())
            or not all(p.requires_grad for p in module.parameters())
        ):
            return None
        gradient = module.observation.fused_mean_gradient
        encoder, decoder = _layers(module.encoder), _layers(module.decoder)
        if gradient is None or encoder is None or decoder is None:
            return None
        return cls(module, encoder, decoder, gradient)

    def __call__(self, X, y):
        with torch.no_grad():
            saved, h = [], X
            for index, (linear, forward, _) in enumerate(self.layers):
                inputs = h
                h = F.linear(h, linear.weight, linear.bias)
                if forward is not None:
                    h = forward(h)
                saved.append((inputs, h))
                if index == self.n_encoder - 1:
                    code = h
            output = h
            loss = self.module.reconstruction_loss(output, y)
            grad = self.gradient(output, y, torch.ones_like(loss))
            for index in range(len(self.layers) - 1, -1, -1):
                linear, _, backward = self.layers[index]
                inputs, out = saved[index]
                if backward is not None:
                    grad = backward(grad, out)
                # addmm's backward: mat2 (the transposed weight) is column-major,
                # so its gradient is computed as grad^T @ inputs.
                linear.weight.grad = grad.t().mm(inputs)
                linear.bias.grad = grad.sum(0)
                if index:  # the input rows need no gradient
                    grad = grad.mm(linear.weight)
        return loss, (output, code)
