"""The learned manifold: encoder Jacobians, tangent spaces, binary codes, the encoder itself."""

from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._nn.inference import encoder_jacobian
from .._training.data import jacobian_batch_size, map_rows


class _ManifoldMixin:
    """Methods that look at the trained encoder rather than reconstruct data."""

    def encoder_jacobian(self, X):
        """The exact Jacobian of the fitted encoder at each row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points at which to differentiate the encoder.

        Returns
        -------
        jacobian : ndarray of shape (n_samples, n_components, n_features)
            ``jacobian[i, j, k]`` is the derivative of code unit ``j`` with
            respect to input feature ``k`` at sample ``i``.
        """
        X = self._validated(X)
        per_row = encoder_jacobian(self._fitted_module(X.dtype))
        batch_size = jacobian_batch_size(self.n_components_, X.shape[1])
        return map_rows(per_row, X, self.device_, batch_size=batch_size)

    def tangent_space(self, X, n_directions=None):
        """Local tangent directions of the learned manifold at each row of ``X``.

        The SVD of the encoder Jacobian ``J = U S V^T`` at each sample: the
        right singular vectors (rows of ``V^T``) are the input-space directions
        the code is most sensitive to, sorted by singular value. For a
        contractive autoencoder they span the tangent plane of the data
        manifold (Rifai et al. 2011).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Points at which to take the tangent space.
        n_directions : int, default=None
            Keep the leading ``n_directions``; None keeps ``n_components_``
            (at most ``n_features``).

        Returns
        -------
        singular_values : ndarray of shape (n_samples, n_directions)
            Sensitivity of the code along each direction, in decreasing order.
        directions : ndarray of shape (n_samples, n_directions, n_features)
            Orthonormal directions in input space.
        """
        check_is_fitted(self)
        rank = min(self.n_components_, self.n_features_in_)
        if n_directions is None:
            n_directions = rank
        if (
            not isinstance(n_directions, Integral)
            or isinstance(n_directions, bool)
            or not 1 <= n_directions <= rank
        ):
            raise ValueError(
                f"n_directions={n_directions!r} must be an int between 1 and {rank} "
                "(the smaller of n_components_ and n_features_in_); pass e.g. "
                f"n_directions={rank} or None."
            )
        jacobian = self.encoder_jacobian(X)
        _, singular_values, directions = np.linalg.svd(jacobian, full_matrices=False)
        return singular_values[:, :n_directions], directions[:, :n_directions]

    def hash_codes(self, X):
        """Binary codes for semantic hashing, packed into bytes.

        Each code unit is thresholded at ``hash_thresholds_``, the median of
        its training codes (so each bit splits the training rows in half and
        none is constant), and the bits are packed with ``numpy.packbits``.
        Compare them with :func:`sklearn_ae.hamming_neighbors`.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to hash.

        Returns
        -------
        codes : ndarray of shape (n_samples, ceil(n_components / 8)), dtype=uint8
            Bit ``j`` of a row is 1 where code unit ``j`` is above the threshold.
        """
        check_is_fitted(self)
        return np.packbits(self.transform(X) > self.hash_thresholds_, axis=1)

    def encoder_module(self):
        """A trained copy of the encoder as a ``torch.nn.Module``, for fine-tuning.

        The copy lives on the CPU and shares nothing with the estimator: it can
        become the first layers of, say, a skorch ``NeuralNetClassifier``
        (unsupervised pretraining).

        Returns
        -------
        encoder : torch.nn.Module
            Maps a float32 tensor of shape (n, n_features) to codes of
            shape (n, n_components).
        """
        check_is_fitted(self)
        return self.module_.encoder_copy()
