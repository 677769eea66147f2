"""Scorers for unsupervised model selection."""

import numpy as np
from sklearn.utils import check_array

__all__ = ["neg_reconstruction_error"]


def neg_reconstruction_error(estimator, X, y=None):
    """Minus the mean squared reconstruction error, summed over features.

    A scorer (``scoring=neg_reconstruction_error`` in ``GridSearchCV`` or
    ``cross_val_score``) for any fitted transformer with ``inverse_transform``,
    PCA and pipelines of such transformers included.

    Parameters
    ----------
    estimator : fitted transformer
        Must implement ``transform`` and ``inverse_transform``.
    X : array-like of shape (n_samples, n_features)
        Data to reconstruct.
    y : Ignored
        Not used, present for the scorer signature.

    Returns
    -------
    score : float
        ``-mean_i ||x_i - inverse_transform(transform(x_i))||^2``; higher is
        better, 0 is perfect.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.decomposition import PCA
    >>> from sklearn_ae.metrics import neg_reconstruction_error
    >>> X = load_digits().data / 16
    >>> round(neg_reconstruction_error(PCA(8).fit(X), X), 3)
    -1.53
    """
    reconstruction = check_array(estimator.inverse_transform(estimator.transform(X)))
    X = check_array(X, dtype=[np.float64, np.float32])
    return -float(np.mean(np.sum((X - reconstruction) ** 2, axis=1)))
