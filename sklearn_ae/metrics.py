"""Scorers for unsupervised model selection, and the evaluation of generative models.

``neg_reconstruction_error`` scores any transformer with an inverse. For the
models that generate, ``classifier_two_sample_accuracy`` measures how well a
classifier tells their samples from real rows, and ``prior_mmd`` how far
their codes are from the prior they are meant to follow; with
``score_samples`` (the likelihood) they cover likelihood and sample quality
side by side.
"""

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import train_test_split
from sklearn.utils import check_array
from sklearn.utils.validation import check_is_fitted

from ._utils.validation import check_count, seed_sequence

__all__ = ["classifier_two_sample_accuracy", "neg_reconstruction_error", "prior_mmd"]


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


def _check_generative(estimator, name):
    check_is_fitted(estimator)
    if not hasattr(estimator, "_prior_draws"):
        raise TypeError(
            f"{name} needs a fitted sklearn_ae estimator (one with a code density to "
            f"draw from), got {type(estimator).__name__}; pass an AdversarialAE, a "
            "VariationalAE or another sklearn_ae autoencoder."
        )


def _generate(estimator, n_samples, random_state=None):
    """``n_samples`` rows decoded from draws of the estimator's code density.

    ``sample`` where the estimator has one (VariationalAE, AdversarialAE: their
    prior); for the other autoencoders, the Gaussian of the codes behind
    ``score_samples``.
    """
    _check_generative(estimator, "_generate")
    if hasattr(estimator, "sample"):
        return estimator.sample(n_samples, random_state=random_state)
    codes = estimator._prior_draws(n_samples, random_state)
    return estimator.inverse_transform(codes.astype(np.float64))


def classifier_two_sample_accuracy(
    estimator, X, *, classifier=None, test_size=0.5, random_state=None
):
    """Held-out accuracy of a classifier telling ``X`` from the model's samples.

    The classifier two-sample test: as many samples as ``X`` has rows are
    drawn (``sample`` for VariationalAE and AdversarialAE; for the other
    autoencoders, decoded draws of the code density behind
    ``score_samples``), the real rows labelled 1 and the samples 0, and a
    classifier is fitted on a stratified share of them and scored on the
    rest. 0.5 means the samples cannot be told from the data; 1.0 that
    every sample gives itself away.

    Parameters
    ----------
    estimator : fitted sklearn_ae estimator
        The generative model.
    X : array-like of shape (n_samples, n_features)
        Real rows not used in training.
    classifier : classifier or None, default=None
        Cloned and fitted; None: logistic regression on standardised
        features (``make_pipeline(StandardScaler(), LogisticRegression())``).
        Stronger classifiers tell blurred decoder means from real images
        every time (a gradient-boosted classifier scored 1.0 against both
        VariationalAE's and AdversarialAE's MNIST samples, whatever their
        quality), and nearest neighbours in pixel space reward blur (a
        blurred mean image is close to many real ones).
    test_size : float, default=0.5
        Share of the pooled rows held out to measure the accuracy.
    random_state : int, RandomState instance or None, default=None
        Seeds the samples and the split.

    Returns
    -------
    accuracy : float
        In [0, 1]; lower is better, 0.5 is indistinguishable.

    References
    ----------
    .. [1] D. Lopez-Paz and M. Oquab, "Revisiting classifier two-sample
       tests", ICLR 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VariationalAE
    >>> from sklearn_ae.metrics import classifier_two_sample_accuracy
    >>> X = load_digits().data / 16
    >>> vae = VariationalAE(4, loss="bce", max_epochs=3, random_state=0).fit(X[:1500])
    >>> 0.5 <= classifier_two_sample_accuracy(vae, X[1500:], random_state=0) <= 1.0
    True
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    _check_generative(estimator, "classifier_two_sample_accuracy")
    X = check_array(X, dtype=[np.float64, np.float32])
    seeds = seed_sequence(random_state).generate_state(2)
    samples = np.asarray(_generate(estimator, X.shape[0], random_state=int(seeds[0])))
    rows = np.vstack([X, samples.astype(X.dtype, copy=False)])
    labels = np.r_[np.ones(X.shape[0], dtype=int), np.zeros(samples.shape[0], dtype=int)]
    train, test, y_train, y_test = train_test_split(
        rows, labels, test_size=test_size, stratify=labels, random_state=int(seeds[1])
    )
    if classifier is None:
        classifier = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    fitted = clone(classifier).fit(train, y_train)
    return float(np.mean(fitted.predict(test) == y_test))


def _squared_distances(A, B):
    distances = (A**2).sum(1)[:, None] + (B**2).sum(1)[None] - 2 * A @ B.T
    return np.maximum(distances, 0.0)


def prior_mmd(estimator, X, *, max_samples=2000, random_state=None):
    """Squared maximum mean discrepancy between the codes of ``X`` and the prior.

    How far the model's codes are from the distribution they are meant to
    follow, and from which ``sample`` draws: the prior of a VariationalAE
    (its codes are draws of ``q(h|x)``) or an AdversarialAE, the code
    density behind ``score_samples`` for the other autoencoders. The
    unbiased estimate with a Gaussian kernel whose bandwidth is the median
    distance between prior draws (so models with the same prior are measured
    with the same kernel), on at most ``max_samples`` rows and as many prior
    draws.

    Parameters
    ----------
    estimator : fitted sklearn_ae estimator
        The model whose codes are measured.
    X : array-like of shape (n_samples, n_features)
        Rows to encode, preferably not used in training.
    max_samples : int, default=2000
        At most this many rows (drawn with ``random_state``) and prior draws.
    random_state : int, RandomState instance or None, default=None
        Seeds the row subset, the code and prior draws.

    Returns
    -------
    mmd2 : float
        Lower is better; about 0 (either sign) when the codes follow the prior.

    References
    ----------
    .. [1] A. Gretton, K. Borgwardt, M. Rasch, B. Schoelkopf and A. Smola, "A
       kernel two-sample test", JMLR 13, 2012.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import AdversarialAE
    >>> from sklearn_ae.metrics import prior_mmd
    >>> X = load_digits().data / 16
    >>> params = dict(loss="bce", batch_size=64, max_epochs=20, random_state=0)
    >>> game = AdversarialAE(2, **params).fit(X[:1000])
    >>> no_game = AdversarialAE(2, adversarial_weight=0.0, **params).fit(X[:1000])
    >>> prior_mmd(game, X[1500:], random_state=0) < prior_mmd(no_game, X[1500:], random_state=0)
    True
    """
    _check_generative(estimator, "prior_mmd")
    max_samples = check_count(max_samples, "max_samples")
    seeds = seed_sequence(random_state).generate_state(3)
    n_rows = len(X) if hasattr(X, "__len__") else X.shape[0]
    if n_rows > max_samples:
        rows = np.sort(np.random.default_rng(seeds[0]).choice(n_rows, max_samples, replace=False))
        X = X.iloc[rows] if hasattr(X, "iloc") else X[rows]
    codes = estimator._code_draws(X, int(seeds[1]))
    n = codes.shape[0]
    if n < 2:
        raise ValueError(f"prior_mmd needs at least 2 rows of X, got {n}; pass more rows.")
    prior = estimator._prior_draws(n, int(seeds[2]))
    within_prior = _squared_distances(prior, prior)
    off_diagonal = within_prior[~np.eye(n, dtype=bool)]
    bandwidth2 = max(float(np.median(off_diagonal)), 1e-12)

    def kernel_mean(squared, unbiased):
        values = np.exp(-squared / bandwidth2)
        if not unbiased:
            return values.mean()
        return (values.sum() - np.trace(values)) / (n * (n - 1))

    return float(
        kernel_mean(_squared_distances(codes, codes), True)
        + kernel_mean(within_prior, True)
        - 2 * kernel_mean(_squared_distances(codes, prior), False)
    )
