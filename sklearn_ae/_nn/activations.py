"""The activations, one table row each: everything the package needs of one.

A row gives the torch module, the same map as a function (layers are called as
functions on the hot path), its slope for closed-form encoder Jacobians, the
backward formula the hand-written dense training step uses (None: that step
does not apply, autograd trains), and its ONNX form. Adding an activation is
adding a row; no other file lists them.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

_aten = torch.ops.aten


@dataclass(frozen=True)
class Activation:
    """One activation.

    ``slope(h, z)`` is ``d act(z) / dz`` from the output ``h = act(z)`` and the
    pre-activation ``z`` (most slopes follow from ``h`` alone, which saves
    recomputing ``z``; ``slope_needs_z`` says when it does not). ``function``
    is None for the identity (nothing to apply). ``backward(grad, out)`` is
    autograd's own derivative formula, so the dense step's gradients are
    autograd's. ``onnx(graph, x, layer)`` returns the output's name.
    """

    module: type
    function: Callable | None
    slope: Callable
    onnx: Callable
    slope_needs_z: bool = False
    backward: Callable | None = None


def _gelu_slope(h, z):
    # gelu(z) = z * Phi(z), so its slope is Phi(z) + z * phi(z).
    return 0.5 * (1 + torch.erf(z / 2**0.5)) + z * torch.exp(-0.5 * z**2) / (2 * torch.pi) ** 0.5


def _gelu_onnx(graph, x, layer):
    # x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2))
    scaled = graph.node("Mul", [x, graph.constant("inv_sqrt2", 2**-0.5)])
    erf = graph.node("Add", [graph.node("Erf", [scaled]), graph.constant("one", 1.0)])
    return graph.node("Mul", [graph.node("Mul", [x, erf]), graph.constant("half", 0.5)])


ACTIVATIONS = {
    "relu": Activation(
        nn.ReLU,
        torch.relu,
        slope=lambda h, z: (h > 0).to(h.dtype),
        onnx=lambda graph, x, layer: graph.node("Relu", [x]),
        backward=lambda grad, out: _aten.threshold_backward(grad, out, 0),
    ),
    "tanh": Activation(
        nn.Tanh,
        torch.tanh,
        slope=lambda h, z: 1 - h**2,
        onnx=lambda graph, x, layer: graph.node("Tanh", [x]),
        backward=_aten.tanh_backward,
    ),
    "sigmoid": Activation(
        nn.Sigmoid,
        torch.sigmoid,
        slope=lambda h, z: h * (1 - h),
        onnx=lambda graph, x, layer: graph.node("Sigmoid", [x]),
        backward=_aten.sigmoid_backward,
    ),
    # alpha=1: elu(z) = exp(z) - 1 below 0, so the slope there is h + 1.
    "elu": Activation(
        nn.ELU,
        torch.nn.functional.elu,
        slope=lambda h, z: torch.where(h > 0, torch.ones_like(h), h + 1),
        onnx=lambda graph, x, layer: graph.node("Elu", [x], alpha=float(layer.alpha)),
    ),
    "gelu": Activation(
        nn.GELU,
        torch.nn.functional.gelu,
        slope=_gelu_slope,
        slope_needs_z=True,
        onnx=_gelu_onnx,
    ),
    "identity": Activation(
        nn.Identity,
        None,
        slope=lambda h, z: torch.ones_like(h),
        onnx=lambda graph, x, layer: x,
        backward=lambda grad, out: grad,
    ),
}

# The row of a layer, by its exact type (a subclass may change forward).
BY_MODULE = {row.module: row for row in ACTIVATIONS.values()}
