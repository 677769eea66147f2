"""The constraints of the parameters every autoencoder shares (scikit-learn's
``_parameter_constraints``), checked by ``_fit_context`` before each fit."""

from numbers import Integral, Real

import numpy as np
import torch
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions

from .._nn.activations import ACTIVATIONS
from .._nn.losses import LOSSES
from .._training.optimizers import OPTIMIZERS

PARAMETER_CONSTRAINTS = {
    "n_components": [Interval(Integral, 1, None, closed="left")],
    "hidden_layer_sizes": [tuple, list, StrOptions({"auto"})],
    "activation": [StrOptions(set(ACTIVATIONS))],
    "code_activation": [StrOptions(set(ACTIVATIONS))],
    "loss": [StrOptions(LOSSES.keys())],  # live: a new entry is accepted
    "tied_weights": ["boolean"],
    "optimizer": [StrOptions(set(OPTIMIZERS))],
    "lr": [Interval(Real, 0, None, closed="neither")],
    "weight_decay": [Interval(Real, 0, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left")],
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "shuffle": ["boolean"],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
    "tol": [Interval(Real, 0, None, closed="left")],
    "warm_start": ["boolean"],
    "callbacks": [list, tuple, None],
    "device": [str, torch.device],
    "random_state": ["random_state"],
    "verbose": ["verbose"],
    "accelerator": [None, HasMethods(["prepare", "backward"])],
    "image_shape": [tuple, list, np.ndarray, None],
    "conv_channels": [tuple, list],
    "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
}
