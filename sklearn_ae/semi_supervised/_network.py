"""The fine-tuned network: a pretrained autoencoder's module with an output layer on
its encoder (trained by ``_training.fine_tune``)."""

import numpy as np
from torch import nn

from .._nn.layers import run_layers


def feature_layers(module, head_input):
    """The encoder layers whose output the head reads: all of them (``"code"``), or
    those before the last linear map into the code (``"hidden"``)."""
    if head_input == "code":
        return None
    layers = list(module.encoder)
    last = max(i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear))
    return nn.Sequential(*layers[:last])


def features(module, x, head_input):
    """What the head reads for the batch ``x``: the code, or the last hidden layer."""
    if head_input == "code":
        return module.encode(x)
    return run_layers(feature_layers(module, head_input), x)


class FineTuned(nn.Module):
    """``autoencoder`` (a fitted module) with ``head``, a linear map from its
    features to the outputs; ``forward`` gives the outputs and, with
    ``reconstruct``, the decoder's output."""

    def __init__(self, autoencoder, head, head_input, reconstruct):
        super().__init__()
        self.autoencoder = autoencoder
        self.head = head
        self.head_input = head_input
        self.reconstruct = reconstruct

    def forward(self, x):
        if not self.reconstruct:
            return self.head(features(self.autoencoder, x, self.head_input)), None
        code = self.autoencoder.encode(x)
        hidden = code if self.head_input == "code" else features(self.autoencoder, x, "hidden")
        return self.head(hidden), self.autoencoder.decode(code)


def as_float32(X):
    return np.ascontiguousarray(X, dtype=np.float32)
