"""The fully connected autoencoder (``kind="dense"``)."""

import copy
from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional as F

from .activations import ACTIVATIONS
from .base import AutoencoderModule
from .layers import TopK, linear, run_layers


class DenseAutoencoder(AutoencoderModule):
    """Fully connected encoder ``f`` and decoder ``g`` with mirrored hidden widths.

    ``forward`` returns ``(g(f(x)), f(x))`` so that losses can penalise the code.
    With ``tied_weights`` each decoder layer uses the transpose of the matching
    encoder weight and keeps its own bias.
    """

    spec_fields = ("k",)

    def __init__(self, spec, device="meta"):
        super().__init__(spec)
        widths = [spec.n_features, *spec.hidden_layer_sizes, spec.n_components]
        self.tied_weights = spec.tied_weights
        self.code_activation = spec.code_activation
        self._affine = not spec.hidden_layer_sizes
        encoder = []
        for i, (n_in, n_out) in enumerate(pairwise(widths)):
            encoder.append(linear(n_in, n_out, device))
            last = i == len(widths) - 2
            encoder.append(ACTIVATIONS[spec.code_activation if last else spec.activation].module())
        if spec.k is not None:
            encoder.append(TopK(spec.k))
        self.encoder = nn.Sequential(*encoder)

        reversed_widths = widths[::-1]
        if spec.tied_weights:
            self.decoder_biases = nn.ParameterList(
                nn.Parameter(torch.empty(n_out, device=device)) for n_out in reversed_widths[1:]
            )
            self.decoder_activation = ACTIVATIONS[spec.activation].module()
        else:
            decoder = []
            for i, (n_in, n_out) in enumerate(pairwise(reversed_widths)):
                decoder.append(linear(n_in, n_out, device))
                if i < len(widths) - 2:
                    decoder.append(ACTIVATIONS[spec.activation].module())
            self.decoder = nn.Sequential(*decoder)
        self._encoder_is_affine = (
            self._affine and spec.code_activation == "identity" and spec.k is None
        )

    # ------------------------------------------------------------ structure
    @property
    def decoder_is_affine(self):
        """Whether ``decode`` is an affine map (no hidden layers)."""
        return self._affine

    @property
    def is_affine(self):
        """Whether encoder and decoder are both affine maps (the PCA setting)."""
        return self._encoder_is_affine and self._affine

    def encoder_linears(self):
        return [m for m in self.encoder if isinstance(m, nn.Linear)]

    def decoder_weights(self):
        if self.tied_weights:
            return [lin.weight.T for lin in reversed(self.encoder_linears())]
        return super().decoder_weights()

    def decoder_copy(self):
        if not self.tied_weights:
            return super().decoder_copy()
        linears = self.encoder_linears()[::-1]
        layers = []
        for i, (lin, bias) in enumerate(zip(linears, self.decoder_biases, strict=True)):
            layer = nn.Linear(lin.out_features, lin.in_features)
            with torch.no_grad():
                layer.weight.copy_(lin.weight.T)
                layer.bias.copy_(bias)
            layers.append(layer)
            if i < len(linears) - 1:
                layers.append(copy.deepcopy(self.decoder_activation))
        return nn.Sequential(*layers).cpu().train()

    # ------------------------------------------------------------- the maps
    def decode(self, h):
        if not self.tied_weights:
            return run_layers(self.decoder, h)
        linears = self.encoder_linears()[::-1]
        for i, (lin, bias) in enumerate(zip(linears, self.decoder_biases, strict=True)):
            h = F.linear(h, lin.weight.T, bias)
            if i < len(linears) - 1:
                h = self.decoder_activation(h)
        return h

    # ------------------------------------------------------------ Jacobians
    @property
    def has_analytic_jacobian_norm(self):
        """Whether ``analytic_jacobian_norm`` applies: one layer, no top-k."""
        return len(self.encoder) == 2

    def analytic_jacobian_norm(self, x, code):
        """Per-sample ``||d code / d x||_F^2``, differentiable in the weights.

        One Linear layer then an elementwise activation: ``J = diag(act'(z)) W``,
        so ``||J||_F^2 = sum_j act'(z_j)^2 ||W_j||^2``.
        """
        if not self.has_analytic_jacobian_norm:
            raise ValueError(
                "The analytic Jacobian norm needs a one-layer encoder without top-k "
                "(hidden_layer_sizes=(), k=None); use jacobian_method='hutchinson' "
                "or 'exact'."
            )
        linear = self.encoder[0]
        activation = ACTIVATIONS[self.code_activation]
        z = F.linear(x, linear.weight, linear.bias) if activation.slope_needs_z else None
        slope = activation.slope(code, z)
        return slope.pow(2) @ linear.weight.pow(2).sum(1)
