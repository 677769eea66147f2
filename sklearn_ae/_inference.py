"""What a trained module computes, in data space: one definition of each quantity."""

import warnings

import torch


def load_forward_mode():
    """Import what forward-mode autodiff (``torch.func.jacfwd``) loads on first use.

    torch 2.13 registers those decompositions with the deprecated
    ``torch.jit.script`` and warns about it, from inside torch: loading them
    here, once, keeps that warning out of users' fits.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.autograd.forward_ad._maybe_load_decompositions()


def link(output, loss):
    """Decoder output in data space: the sigmoid of the logits for BCE."""
    return torch.sigmoid(output) if loss == "bce" else output


def decode(module, code, loss):
    """Decoder output in data space (the sigmoid of the logits for BCE)."""
    return link(module.decode(code), loss)


def reconstruct(module, X, loss):
    """``decode(encode(X))`` in data space."""
    return decode(module, module.encode(X), loss)


def squared_error(X, reconstruction):
    """Squared reconstruction error summed over features, one value per row."""
    return ((reconstruction - X) ** 2).sum(1)


def encoder_jacobian(module):
    """A function from a batch to the per-row encoder Jacobians (n, k, d)."""
    return torch.func.vmap(torch.func.jacrev(module.encode))
