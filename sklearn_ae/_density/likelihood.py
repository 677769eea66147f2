"""Every fitted autoencoder read as the latent-variable model its decoder defines.

    h ~ N(mu, Sigma),    x | h ~ N(g(h), s^2 I),
    log p(x) = log integral N(x; g(h), s^2 I) N(h; mu, Sigma) dh.

This is a proper density for any decoder ``g`` and any code (dead units,
k-sparse or overcomplete codes only shrink or widen the support of Sigma). It
is probabilistic PCA when ``g`` is PCA's decoder (Tipping & Bishop 1999), and
the quantity a variational autoencoder's importance-weighted bound estimates.

Fitting ``mu, Sigma, s^2`` given the trained decoder (moment matching, from
running sums, so ``partial_fit`` can summarise every batch it saw):

- ``mu`` and ``C``: mean and covariance (ddof=1) of the training codes f(x);
- ``s^2``: the summed squared residual ``||x - g(f(x))||^2`` per remaining
  degree of freedom, ``d - r`` with ``r`` the rank of the decoder Jacobian
  ``J`` on the codes' support (all ``d`` when nothing remains);
- ``Sigma = C - s^2 (J^T J)^+`` on that support, clipped to be positive
  semi-definite: the codes of noisy inputs carry the noise the encoder passes
  through, ``J^+ eps``, which the prior must not count twice.

With PCA's encoder and decoder this is exactly maximum likelihood: ``C`` is
``diag(explained_variance_)``, ``s^2`` is ``noise_variance_`` and the marginal
covariance ``W Sigma W^T + s^2 I`` is ``PCA.get_covariance()``.

Estimating the integral (``_scoring``): in whitened coordinates
``h = mu + L eps`` (``Sigma = L L^T``, ``eps ~ N(0, I_r)``) the posterior mode
is found by Gauss-Newton from the encoder's code, and importance samples are
drawn from ``N(mode, (J_eps^T J_eps / s^2 + I)^-1)``. For an affine decoder the
posterior is that Gaussian and the estimate is exact with no sampling.
"""

import numpy as np

# Eigenvalues of a code covariance below this share of the largest one are
# taken as zero (constant code units: dead ReLUs, never-selected k-sparse units).
_RANK_TOL = 1e-10
# Floor of s^2, relative to the data's mean variance per feature: keeps the
# density finite for an autoencoder that reconstructs its training rows exactly.
_MIN_NOISE_SHARE = 1e-8


class CodeMoments:
    """Running sums of training codes and residuals, merged over batches."""

    def __init__(self, n_components, n_features):
        self.count = 0
        self.code_sum = np.zeros(n_components)
        self.code_outer = np.zeros((n_components, n_components))
        self.residual_sum = 0.0
        self.data_sum = np.zeros(n_features)
        self.data_square_sum = 0.0

    def update(self, X, codes, squared_residuals):
        self.count += codes.shape[0]
        self.code_sum += codes.sum(0)
        self.code_outer += codes.T @ codes
        self.residual_sum += float(squared_residuals.sum())
        self.data_sum += np.asarray(X.sum(0)).ravel()
        self.data_square_sum += float(
            X.multiply(X).sum() if hasattr(X, "multiply") else (X**2).sum()
        )
        return self

    def as_arrays(self):
        """The sums as a dict of numpy arrays (for pickling and saving)."""
        return {name: np.asarray(value, dtype=np.float64) for name, value in vars(self).items()}

    @classmethod
    def from_arrays(cls, arrays):
        moments = cls(len(arrays["code_sum"]), len(arrays["data_sum"]))
        for name, value in arrays.items():
            setattr(moments, name, value if np.ndim(value) else float(value))
        return moments

    def code_mean_and_covariance(self):
        mean = self.code_sum / max(self.count, 1)
        dof = max(self.count - 1, 1)
        covariance = (self.code_outer - self.count * np.outer(mean, mean)) / dof
        return mean, (covariance + covariance.T) / 2

    def data_variance(self):
        """Mean variance per feature of the rows seen (ddof=1)."""
        n, d = max(self.count, 1), len(self.data_sum)
        total = self.data_square_sum - np.sum(self.data_sum**2) / n
        return max(total, 0.0) / (max(n - 1, 1) * d)


def support(covariance):
    """Orthonormal basis (k, r) and eigenvalues (r,) of the non-zero part of a covariance."""
    values, vectors = np.linalg.eigh(covariance)
    keep = values > _RANK_TOL * max(values.max(initial=0.0), 0.0)
    keep &= values > 0
    return vectors[:, keep], values[keep]


def fit_latent_gaussian(moments, decoder_jacobian):
    """``mu, Sigma, s^2`` from ``CodeMoments`` and the decoder Jacobian (d, k) at ``mu``."""
    n_features = len(moments.data_sum)
    mean, covariance = moments.code_mean_and_covariance()
    basis, variances = support(covariance)
    jacobian = decoder_jacobian @ basis  # (d, r): the decoder along the code's support
    if jacobian.size:
        singular = np.linalg.svd(jacobian, compute_uv=False)
        rank = int(np.sum(singular > 1e-8 * singular.max(initial=0.0)))
    else:
        rank = 0
    remaining = n_features - rank if rank < n_features else n_features
    noise = moments.residual_sum / (max(moments.count - 1, 1) * remaining)
    noise = max(noise, _MIN_NOISE_SHARE * moments.data_variance(), np.finfo(float).tiny)
    if basis.shape[1] == 0:
        return mean, np.zeros_like(covariance), noise
    passed_through = np.linalg.pinv(jacobian.T @ jacobian, hermitian=True)
    reduced = np.diag(variances) - noise * passed_through
    values, vectors = np.linalg.eigh((reduced + reduced.T) / 2)
    reduced = (vectors * np.clip(values, 0, None)) @ vectors.T
    return mean, basis @ reduced @ basis.T, noise


def prior_factor(covariance):
    """``L`` (k, r) with ``L L^T = covariance`` on its support, and its pseudo-inverse."""
    basis, variances = support(covariance)
    scale = np.sqrt(variances)
    return basis * scale, (basis / scale).T
