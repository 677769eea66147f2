"""A probabilistic reading of an autoencoder that reduces to probabilistic PCA.

A sample ``x`` is described in the coordinates the autoencoder gives it: its
code ``h = f(x)`` and its residual ``x - g(h)``. The code gets a Gaussian
density fitted to the training codes; the residual gets isotropic Gaussian
noise in the remaining ``d - k`` directions, with the variance of the training
residuals; and the change of variables from ``x`` to ``h`` contributes the
volume factor ``sqrt(det(J J^T))``, ``J`` the k x d encoder Jacobian at ``x``:

    log p(x) = log N(h; mu, Sigma) + 1/2 log det(J J^T)
               - (d - k)/2 log(2 pi sigma^2) - ||x - g(h)||^2 / (2 sigma^2)

Where the encoder inverts the decoder on the data (``J`` the pseudo-inverse of
the d x k decoder Jacobian ``J_dec``), ``1/2 log det(J J^T)`` equals
``-1/2 log det(J_dec^T J_dec)``, the decoder's change of volume. The encoder
form is used because it is the change of variables of the very coordinates the
code density is fitted on: it stays normalised while the two are not yet
exact inverses, where the decoder form overstates the likelihood. With PCA's
encoder and decoder (orthonormal rows) the volume term is 0 and this is
exactly ``PCA.score_samples`` (Tipping & Bishop's probabilistic PCA). Nothing
here knows torch: the estimator supplies codes, residuals and volumes.
"""

import numpy as np

# Relative ridge on the code covariance and on J J^T: keeps the density finite
# when a code unit is constant (dead ReLU, k-sparse codes) or the decoder is
# locally degenerate; far below anything that changes a well-posed score.
_RIDGE = 1e-9
_TINY = 1e-12


def fit_code_density(codes, squared_residuals, n_features):
    """Mean and covariance of the codes, and the residual noise variance (ddof=1)."""
    n_samples, n_components = codes.shape
    dof = max(n_samples - 1, 1)
    mean = codes.mean(axis=0)
    centred = codes - mean
    covariance = centred.T @ centred / dof
    n_rest = n_features - n_components
    noise_variance = float(np.sum(squared_residuals) / (dof * n_rest)) if n_rest > 0 else 0.0
    return mean, covariance, noise_variance


def ridge(matrix):
    """``matrix`` plus a ridge relative to its mean diagonal, for a stable log-determinant."""
    k = matrix.shape[-1]
    scale = np.trace(matrix, axis1=-2, axis2=-1)[..., None, None] / k
    return matrix + (_RIDGE * scale + _TINY) * np.eye(k)


def log_likelihood(
    codes, squared_residuals, log_volume, mean, covariance, noise_variance, n_features
):
    """Per-sample log-likelihood in nats (see the module docstring).

    ``log_volume`` is ``1/2 log det(J J^T)`` per sample (0 for PCA).
    """
    n_components = codes.shape[1]
    cholesky = np.linalg.cholesky(ridge(covariance))
    whitened = np.linalg.solve(cholesky, (codes - mean).T)
    code_term = -0.5 * (
        n_components * np.log(2 * np.pi)
        + 2 * np.sum(np.log(np.diag(cholesky)))
        + np.sum(whitened**2, axis=0)
    )
    n_rest = n_features - n_components
    if n_rest <= 0:
        return code_term + log_volume
    variance = max(noise_variance, _TINY)
    residual_term = -0.5 * (n_rest * np.log(2 * np.pi * variance) + squared_residuals / variance)
    return code_term + log_volume + residual_term
