"""The torch modules: a mirrored encoder/decoder pair. Nothing here knows scikit-learn."""

import math
from itertools import pairwise

import torch
from torch import nn
from torch.nn import functional as F

ACTIVATIONS = {
    "relu": nn.ReLU,
    "tanh": nn.Tanh,
    "sigmoid": nn.Sigmoid,
    "elu": nn.ELU,
    "gelu": nn.GELU,
    "identity": nn.Identity,
}


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


def _linear(n_in, n_out):
    # Built on the meta device: nn.Linear's own initialisation would draw from
    # torch's global RNG, which fitting must never touch.
    return nn.Linear(n_in, n_out, device="meta")


class AutoencoderModule(nn.Module):
    """Encoder ``f`` and decoder ``g`` with mirrored hidden widths.

    ``forward`` returns ``(g(f(x)), f(x))`` so that losses can penalise the code.
    With ``tied_weights`` each decoder layer uses the transpose of the matching
    encoder weight and keeps its own bias.
    """

    def __init__(
        self,
        n_features,
        n_components,
        hidden_layer_sizes=(),
        activation="relu",
        code_activation="identity",
        tied_weights=False,
        k=None,
    ):
        super().__init__()
        widths = [n_features, *hidden_layer_sizes, n_components]
        self.tied_weights = tied_weights
        encoder = []
        for i, (n_in, n_out) in enumerate(pairwise(widths)):
            encoder.append(_linear(n_in, n_out))
            last = i == len(widths) - 2
            encoder.append(ACTIVATIONS[code_activation if last else activation]())
        if k is not None:
            encoder.append(TopK(k))
        self.encoder = nn.Sequential(*encoder)

        reversed_widths = widths[::-1]
        if tied_weights:
            self.decoder_biases = nn.ParameterList(
                nn.Parameter(torch.empty(n_out, device="meta")) for n_out in reversed_widths[1:]
            )
            self.decoder_activation = ACTIVATIONS[activation]()
        else:
            decoder = []
            for i, (n_in, n_out) in enumerate(pairwise(reversed_widths)):
                decoder.append(_linear(n_in, n_out))
                if i < len(widths) - 2:
                    decoder.append(ACTIVATIONS[activation]())
            self.decoder = nn.Sequential(*decoder)

    def encoder_linears(self):
        return [m for m in self.encoder if isinstance(m, nn.Linear)]

    def decoder_weights(self):
        """The decoder weight matrices, input side first, as used in ``decode``."""
        if self.tied_weights:
            return [lin.weight.T for lin in reversed(self.encoder_linears())]
        return [m.weight for m in self.decoder if isinstance(m, nn.Linear)]

    def encode(self, x):
        return self.encoder(x)

    def decode(self, h):
        if not self.tied_weights:
            return self.decoder(h)
        linears = self.encoder_linears()[::-1]
        for i, (lin, bias) in enumerate(zip(linears, self.decoder_biases, strict=True)):
            h = F.linear(h, lin.weight.T, bias)
            if i < len(linears) - 1:
                h = self.decoder_activation(h)
        return h

    def forward(self, x):
        code = self.encode(x)
        return self.decode(code), code

    @torch.no_grad()
    def reset_parameters(self, generator):
        """Glorot-uniform weights and zero biases, drawn from ``generator``.

        Glorot initialisation converges markedly faster than PyTorch's default
        for autoencoders (see CONVENTIONS.md); a private generator keeps the
        global RNG untouched and makes the result reproducible.
        """
        for param in self.parameters():
            if param.ndim == 2:
                fan_out, fan_in = param.shape
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                param.uniform_(-bound, bound, generator=generator)
            else:
                param.zero_()


def build_module(generator, **architecture):
    """Instantiate ``AutoencoderModule`` on the CPU with seeded weights."""
    module = AutoencoderModule(**architecture).to_empty(device="cpu")
    module.reset_parameters(generator)
    return module
