"""Observation models: what each ``loss`` means, in one table.

An entry of ``LOSSES`` owns everything the package needs to know about one
observation model p(x | decoder output): its training criterion, the link from
the decoder's output to data space (in torch and in ONNX), the data it accepts,
its log-density, and the line that documents it. Every place that depends on
the loss reads this table, so a new observation model is one new entry.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
import torch
from torch.nn import functional as F

from .joint import JointObservation


@dataclass(frozen=True)
class ObservationModel:
    """One observation model.

    ``elementwise(output, target)`` is the training criterion of each entry
    before averaging (the negative log-density up to an affine map);
    ``log_density_elementwise(output, target)`` is ``log p(x | output)`` of each
    entry (for a scaled density, at unit scale); ``link`` maps the
    decoder's output to data space (None: the output is already there) and
    ``onnx_link`` names the ONNX operator that does the same; ``domain`` is the
    (low, high) range the data must lie in (None: any real value), with
    ``domain_fix`` telling the user what to do otherwise; ``has_scale`` marks a
    density with a free scale parameter (a Gaussian's variance), which the
    variational autoencoder fits per batch; ``discrete`` marks a density that is
    a probability of discrete values; ``fused_mean(output, target)``, where
    torch has one, is the criterion's mean in one kernel (faster on small
    networks), and ``fused_mean_gradient(output, target, grad)`` its gradient
    with respect to ``output`` times ``grad``, computed as autograd computes
    it (what lets a dense network train with its gradients written out, see
    ``_dense_step``); ``description`` is its line in the ``loss``
    parameter's documentation.
    """

    elementwise: Callable
    log_density_elementwise: Callable
    description: str
    link: Callable | None = None
    onnx_link: str | None = None
    domain: tuple | None = None
    domain_fix: str = ""
    has_scale: bool = False
    discrete: bool = False
    fused_mean: Callable | None = None
    fused_mean_gradient: Callable | None = None

    def to_data(self, output):
        """The decoder's ``output`` in data space."""
        return output if self.link is None else self.link(output)

    def criterion(self, output, target, observed=None):
        """The training criterion, a mean per element (over ``observed`` entries only)."""
        if observed is None:
            if self.fused_mean is not None:
                return self.fused_mean(output, target)
            return self.elementwise(output, target).mean()
        values = self.elementwise(output, torch.where(observed, target, torch.zeros_like(target)))
        return (values * observed).sum() / observed.sum().clamp_min(1)

    def log_density(self, output, target, observed):
        """``log p(x | output)`` summed over the last axis, over ``observed`` (1.0/0.0)
        entries only."""
        target = torch.where(observed > 0, target, torch.zeros_like(target))
        return (self.log_density_elementwise(output, target) * observed).sum(-1)

    def check_data(self, name, X):
        """Raise ValueError when the (dense or sparse) ``X`` leaves the domain; NaN
        entries (missing) are ignored."""
        if self.domain is None or not X.size:
            return
        low, high = (X.min(), X.max()) if sp.issparse(X) else (np.nanmin(X), np.nanmax(X))
        if self.accepts(low, high):
            return
        raise ValueError(
            f"loss={name!r} needs X in [{self.domain[0]:g}, {self.domain[1]:g}] (to within "
            f"{ROUNDING:g}), got values from {float(low)!r} to {float(high)!r}; "
            f"{self.domain_fix}."
        )

    def accepts(self, low, high):
        """Whether data in ``[low, high]`` lies in the domain, to within ``ROUNDING``
        (a MinMaxScaler's 1 + 2e-16 is a 1)."""
        return self.domain is None or (
            self.domain[0] - ROUNDING <= low and high <= self.domain[1] + ROUNDING
        )

    def clip_range(self, low, high):
        """The domain, when data whose columns range over ``[low, high]`` needs
        clipping to it (values within rounding outside); else None."""
        if self.domain is None:
            return None
        inside = np.min(low) >= self.domain[0] and np.max(high) <= self.domain[1]
        return None if inside else self.domain

    def clipped(self, X):
        """``X`` with values within rounding outside the domain set to its bound
        (a copy only when there are any)."""
        if self.domain is None or not X.size:
            return X
        values = X.data if sp.issparse(X) else X
        low, high = self.domain
        if np.nanmin(values) >= low and np.nanmax(values) <= high:
            return X
        X = X.copy()
        if sp.issparse(X):
            np.clip(X.data, low, high, out=X.data)
        else:
            np.clip(X, low, high, out=X)
        return X


# How far outside its domain a value may lie and still be read as the bound:
# rounding (MinMaxScaler's output reaches 1 + 2.2e-16), not a unit error.
ROUNDING = 1e-9


def _squared_error(output, target):
    return (output - target) ** 2


def _bce(output, target):
    return F.binary_cross_entropy_with_logits(output, target, reduction="none")


def _mse_gradient(output, target, grad):
    return torch.ops.aten.mse_loss_backward(grad, output, target, 1)  # 1: mean


def _bce_gradient(output, target, grad):
    # autograd's formula for the mean of binary_cross_entropy_with_logits
    return ((torch.sigmoid(output) - target) * grad).div_(output.numel())


LOSSES = {
    "mse": ObservationModel(
        elementwise=_squared_error,
        log_density_elementwise=lambda output, target: (
            -0.5 * ((output - target) ** 2 + math.log(2 * math.pi))
        ),
        description="squared error with a linear decoder output (a Gaussian).",
        has_scale=True,
        fused_mean=F.mse_loss,
        fused_mean_gradient=_mse_gradient,
    ),
    "bce": ObservationModel(
        elementwise=_bce,
        log_density_elementwise=lambda output, target: -_bce(output, target),
        description=(
            "binary cross-entropy for data in [0, 1] (a Bernoulli); the decoder "
            "outputs logits and ``inverse_transform`` applies the sigmoid."
        ),
        link=torch.sigmoid,
        onnx_link="Sigmoid",
        domain=(0.0, 1.0),
        domain_fix="scale X with MinMaxScaler or use loss='mse'",
        discrete=True,
        fused_mean=F.binary_cross_entropy_with_logits,
        fused_mean_gradient=_bce_gradient,
    ),
}


def observation_for(spec):
    """The observation model of the network ``spec`` describes: a mixed table's
    joint model over its ``column_blocks``, else the ``LOSSES`` entry of its loss."""
    if spec.column_blocks:
        return JointObservation(spec.column_blocks)
    return LOSSES[spec.loss]


def observation_model(loss):
    """The ``LOSSES`` entry of ``loss``; a clear error for an unknown name."""
    try:
        return LOSSES[loss]
    except KeyError:
        raise ValueError(f"loss={loss!r} is not one of {sorted(LOSSES)}.") from None
