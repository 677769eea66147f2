"""Every module kind, listed once: ``NetworkSpec.kind`` -> class, and how a
spec becomes a module. Nothing here knows scikit-learn.

A module kind (one file each) carries its own knowledge: what ``forward``
returns (always ``(reconstruction_or_logits, code)``), whether its maps are
affine, its decoder weights and, where one exists, the closed form of its
encoder Jacobian; ``spec_fields`` names the ``NetworkSpec`` fields beyond the
common ones that it reads, ``spec_problems`` checks them. The estimators only
ever call these methods.
"""

import numpy as np
import torch

from .adversarial import AdversarialAutoencoder
from .conv import ConvAutoencoder
from .dense import DenseAutoencoder
from .variational import VariationalAutoencoder

MODULE_KINDS = {
    "dense": DenseAutoencoder,
    "conv": ConvAutoencoder,
    "variational": VariationalAutoencoder,
    "adversarial": AdversarialAutoencoder,
}


def module_shapes(spec):
    """Name and shape of every tensor of the module ``spec`` describes, allocating nothing."""
    module = MODULE_KINDS[spec.kind](spec, device="meta")
    return {name: tuple(value.shape) for name, value in module.state_dict().items()}


def build_module(spec, generator=None):
    """The module ``spec`` describes, on the CPU, with weights drawn from ``generator``.

    Without a generator the weights are left uninitialised, to be loaded.
    """
    module = MODULE_KINDS[spec.kind](spec, device="meta").to_empty(device="cpu")
    if generator is not None:
        module.reset_parameters(generator)
    return module


def fitted_network(spec, weights, device):
    """The trained module ``spec`` describes, with ``weights`` (name -> array), on ``device``.

    What unpickling and ``sklearn_ae.load`` rebuild for inference: no optimizer,
    no engine.
    """
    module = build_module(spec)  # uninitialised: the weights are loaded next
    module.load_state_dict(
        {name: torch.as_tensor(np.array(value)) for name, value in weights.items()}
    )
    return module.to(device)
