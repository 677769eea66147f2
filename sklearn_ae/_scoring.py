"""Scores of a fitted autoencoder: log-likelihood (see ``_likelihood``) and reconstruction error."""

import numpy as np
import torch

from ._engine import JACOBIAN_VALUES_PER_BATCH, decode, map_rows, squared_error
from ._likelihood import fit_code_density, log_likelihood, ridge

# Training rows from which the code density of ``score`` is estimated: enough
# for a k x k covariance, and a bounded cost at the end of every fit.
_DENSITY_ROWS = 2048


class _ScoringMixin:
    """``score``, ``score_samples`` and ``reconstruction_error`` of the estimators."""

    def _fit_code_density(self, X, seed):
        """Fit ``code_mean_``, ``code_covariance_`` and ``noise_variance_`` on ``X``."""
        if X.shape[0] > _DENSITY_ROWS:  # bounded cost, whatever the data size
            rows = np.random.default_rng(seed).choice(X.shape[0], _DENSITY_ROWS, replace=False)
            X = X[np.sort(rows)]
        codes, squared_residuals = self._codes_and_residuals(X)
        self.code_mean_, self.code_covariance_, self.noise_variance_ = fit_code_density(
            codes, squared_residuals, X.shape[1]
        )

    def _codes_and_residuals(self, X):
        """Codes and summed squared reconstruction errors, as float64 arrays."""
        module = self._fitted_module(np.float32)

        def codes_and_errors(batch):
            code = module.encode(batch)
            error = ((decode(module, code, self.loss) - batch) ** 2).sum(1, keepdim=True)
            return torch.cat([code, error], 1)

        stats = map_rows(codes_and_errors, X, self.device_, dtype=np.float32).astype(np.float64)
        return stats[:, :-1], stats[:, -1]

    def score_samples(self, X):
        """Log-likelihood of each sample in nats, comparable with ``PCA.score_samples``.

        The autoencoder is read as a density: a Gaussian on the codes (fitted
        on the training codes), the change of volume from the input to the
        code (``1/2 log det(J J^T)``, ``J`` the encoder's Jacobian), and
        isotropic Gaussian noise for the residual in the remaining
        ``n_features - n_components`` directions (variance fitted on the
        training residuals). With PCA's encoder and decoder this is exactly
        probabilistic PCA. For the plain reconstruction error use
        ``reconstruction_error``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Higher is better.
        """
        X = self._validated(X)
        module = self._fitted_module(np.float64)
        k = self.n_components_
        encoder_jacobian = torch.func.vmap(torch.func.jacrev(module.encode))

        def per_batch(batch):
            code = module.encode(batch)
            error = ((decode(module, code, self.loss) - batch) ** 2).sum(1, keepdim=True)
            jacobian = encoder_jacobian(batch)
            gram = (jacobian @ jacobian.transpose(1, 2)).flatten(1)
            return torch.cat([code, error, gram], 1)

        batch_size = max(1, JACOBIAN_VALUES_PER_BATCH // (k * X.shape[1]))
        stats = map_rows(per_batch, X, self.device_, batch_size=batch_size, dtype=np.float64)
        codes, errors = stats[:, :k], stats[:, k]
        _, log_det = np.linalg.slogdet(ridge(stats[:, k + 1 :].reshape(-1, k, k)))
        scores = log_likelihood(
            codes,
            errors,
            0.5 * log_det,
            self.code_mean_,
            self.code_covariance_,
            self.noise_variance_,
            X.shape[1],
        )
        return scores.astype(X.dtype, copy=False)

    def score(self, X, y=None):
        """Average log-likelihood of the samples, comparable with ``PCA.score``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            Mean of ``score_samples(X)``; higher is better.
        """
        return float(np.mean(self.score_samples(X)))

    def reconstruction_error(self, X):
        """Squared reconstruction error of each sample, summed over features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to reconstruct.

        Returns
        -------
        errors : ndarray of shape (n_samples,)
            ``||x - inverse_transform(transform(x))||^2`` per sample; 0 is perfect.
        """
        X = self._validated(X)
        module = self._fitted_module(X.dtype)
        return map_rows(lambda batch: squared_error(module, batch, self.loss), X, self.device_)
