"""AutoencoderImputer: missing values filled by a denoising autoencoder's reconstruction."""

import math
import warnings
from numbers import Integral, Real

import numpy as np
from scipy.optimize import nnls
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.impute import MissingIndicator
from sklearn.utils._mask import _get_mask
from sklearn.utils._param_validation import Interval, MissingValues, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from .._nn.losses import LOSSES
from .._training.run import one_convergence_warning
from .._training.stored import StoredRows, sample_and_rest, streams
from .._utils.lazy import lazy_on_dask
from .._utils.validation import FLOAT_DTYPES, check_fit_size, seed_sequence, with_fix
from ..decomposition._denoising import DenoisingAE
from ._gaussian import MAX_FEATURES, fit_gaussian, gaussian_fill
from ._held_out import draw_held_out
from ._persistence import save_imputer
from ._tables import fit_table, impute_table, table_mask


def _observed_moments(X):
    """Mean and standard deviation of each column's observed (non-NaN) entries; 0 if none."""
    observed = ~np.isnan(X)
    counts = np.maximum(observed.sum(axis=0), 1)
    mean = np.where(observed, X, 0).sum(axis=0) / counts
    return mean, np.sqrt(np.where(observed, (X - mean) ** 2, 0).sum(axis=0) / counts)


def _standardisation(X):
    """Each column's observed mean and spread, the scale it is standardised by,
    and whether it is constant.

    Each feature is standardised by its own observed spread, whatever its
    unit: a shared floor once gave a 1e-3 ratio beside a 1e5 price a scale 500x
    its spread and imputed values 30 spreads off. A nearly constant feature
    with rare excursions (an image's border pixel) would be blown up by its tiny
    spread: its scale is at least a tenth of its own observed range, so no
    training value lies beyond 10 scales (on MNIST the spread alone gave RMSE
    1.9, the mean 0.29). A constant feature (range at rounding level) gets
    scale 1: it is imputed with its value.
    """
    observed = ~np.isnan(X)
    mean, spread = _observed_moments(X)
    low = np.min(np.where(observed, X, np.inf), axis=0)
    high = np.max(np.where(observed, X, -np.inf), axis=0)
    extent = np.where(observed.any(axis=0), high - low, 0.0)
    rounding = 16 * np.finfo(X.dtype).eps * np.maximum(np.abs(low), np.abs(high))
    constant = extent <= np.maximum(rounding, np.finfo(X.dtype).tiny)
    scale = np.where(constant, 1.0, np.maximum(spread, 0.1 * extent))
    return mean, spread, scale, constant


_GRADIENT_STEPS = 1500  # what max_epochs=None trains for, whatever the table's size


def _automatic_loss(X):
    """``loss="auto"``: a bounded observation model (the Bernoulli's [0, 1]) for
    data that lie in its domain and pile up at its bounds (at least a quarter
    of the observed values exactly at one: pixels, binary flags), else squared
    error. Deciding from the data costs nothing, where training both and
    keeping the better made the imputer twice as slow on MNIST; and the
    choice matches what that comparison picked (MNIST pixels, 81 % at 0: the
    Bernoulli, RMSE 0.128 against 0.311 at 40 % missing; MinMax-scaled tables,
    two values per column at a bound: squared error, 0.59 against 0.86 on
    breast_cancer in units of each feature's spread)."""
    values = X[~np.isnan(X)]
    if len(X) < 20 or not values.size:
        return "mse"
    for name, model in LOSSES.items():
        if model.domain is not None and model.accepts(values.min(), values.max()):
            at_bounds = np.isclose(values, model.domain[0]) | np.isclose(values, model.domain[1])
            if at_bounds.mean() >= 0.25:
                return name
    return "mse"


def _shrinkage(fills, truth, hidden):
    """Per feature, the least-squares weight in [0, 1] of ``fills`` for ``truth``
    (both centred, zero outside ``hidden``), kept only where it is two standard
    errors above 0: on a feature the others do not predict, a weight fitted to
    noise made the fill a few percent worse than the mean."""
    power = (fills**2).sum(0)
    product = (fills * truth).sum(0)
    weight = np.clip(product / np.maximum(power, 1e-300), 0.0, 1.0)
    # the standard error of the weight, from the residuals of the fit
    residual = ((truth - weight * fills) ** 2).sum(0) / np.maximum(hidden.sum(0) - 1, 1)
    weight = np.where(weight > 2 * np.sqrt(residual / np.maximum(power, 1e-300)), weight, 0.0)
    return np.where(power > 0, weight, 1.0)  # no fill differs from the mean: moot


class AutoencoderImputer(TransformerMixin, BaseEstimator):
    """Imputation by a denoising autoencoder, blended with a Gaussian's conditional mean.

    The observed entries, standardised per feature, train a
    :class:`DenoisingAE` with masking noise whose loss counts observed entries
    only (MIDA, Gondara & Wang 2018): it learns to fill in what is hidden from
    it. ``transform`` shows it each row with the missing entries masked (as in
    training) and fills them with the reconstruction; observed entries are
    returned unchanged. On tables of at most 100 features a multivariate
    Gaussian is also fitted by EM, and each hole's fill is the blend of the
    network's and the Gaussian's conditional mean (the linear end of what the
    autoencoder generalises), weighted by least squares on entries held out in
    ``fit``: on small tables, where the network alone is barely better than
    the column means, the Gaussian carries the fill. When no fill beats the
    column means on the held-out entries, ``fit`` warns. Assumes entries are
    missing at random given the observed ones; see the user guide.

    Parameters
    ----------
    missing_values : int, float, str, np.nan or None, default=np.nan
        The placeholder of a missing entry.
    add_indicator : bool, default=False
        Append a ``MissingIndicator``'s columns to the output.
    keep_empty_features : bool, default=False
        Keep features with no observed value in ``fit`` (filled with 0)
        instead of dropping them.
    n_components : int or None, default=None
        Width of the code; None takes half the number of features, at least 1
        and at most 128.
    hidden_layer_sizes : tuple of int or None, default=None
        Hidden widths of the encoder (mirrored in the decoder); None is one
        layer of 4 units per feature, at most 512.
    loss : {"auto", "mse", "bce"}, default="auto"
        "bce" works on the raw values, which must lie in [0, 1] (pixels,
        proportions; values within 1e-9 of a bound count as the bound);
        "mse" on values standardised per feature. "auto" takes "bce" when
        every observed value lies in [0, 1] and at least a quarter of them sit
        exactly at 0 or 1 (pixels, binary flags; at least 20 rows), else
        "mse": on MNIST pixels (81 % zeros, 40 % missing) "bce" filled with
        RMSE 0.128 and "mse" 0.311; after MinMaxScaler (two values per column
        at a bound) "mse" won on every bundled table.
    noise_level : float, default=0.3
        Share of the observed entries masked in each training batch.
    n_passes : int, default=1
        Rounds of "fill with the reconstruction" in ``transform`` (more
        rounds feed the network its own reconstructions, which it was not
        trained on).
    lr : float, default=2e-3
        Learning rate (2e-3 with the default number of steps reached MNIST's
        fill of 40 epochs at 1e-3 in two thirds of the time).
    weight_decay : float, default=0.0
        L2 penalty (1e-4 to 1e-3 changed no RMSE on the bundled tables by more
        than 0.005, and cost 0.014 on MNIST).
    batch_size : int, default=128
        Rows per training batch.
    max_epochs : int or None, default=None
        Most passes over the data; early stopping on 10 % held-out rows
        (their observed entries) may end training sooner. None takes enough
        for about 1,500 gradient steps, at least 10 and at most 500 (a 150-row
        table in batches of 128 gets 500 epochs; MNIST's 8,000 rows 27).
    device : str, default="cpu"
        As for the autoencoders.
    random_state : int, RandomState instance or None, default=None
        Seeds the autoencoder.
    verbose : int, default=0
        As for the autoencoders.
    categorical_features : "from_dtype", array-like of str, int or bool, or \
None, default="from_dtype"
        The categorical columns, as for the autoencoders (a DataFrame's
        ``category``, ``object``, ``string`` and ``bool`` columns by
        default). With any, the table is modelled as a mixed table (each
        number a Gaussian, each category a softmax over its levels) and
        ``transform`` returns it in its own dtypes: a hole in a categorical
        column gets the most probable level given the row's other cells, a
        number its reconstruction in the column's unit. Needs
        ``missing_values=np.nan`` (NaN, None or ``pd.NA`` in the table) and
        ``add_indicator=False``.

    Attributes
    ----------
    autoencoder_ : DenoisingAE
        The fitted autoencoder, on standardised features.
    loss_ : str
        The loss used, "mse" or "bce".
    mean_ : ndarray of shape (n_kept_features,)
        Mean of the observed entries of each kept feature (0 with "bce").
    scale_ : ndarray of shape (n_kept_features,)
        Each feature's own scale: the standard deviation of its observed
        entries, at least a tenth of their range (so that a nearly constant
        feature with rare excursions is not blown up); 1 for a constant
        feature and with "bce".
    shrinkage_ : ndarray of shape (n_kept_features,)
        Weight of the network's reconstruction in each feature's fill:
        ``fill = observed_means_ + shrinkage_ * (network - observed_means_) +
        gaussian_weight_ * (gaussian - observed_means_)``. Fitted by least
        squares on observed entries hidden from the network in ``fit`` (1
        with fewer than 20 rows); 0 on a feature the network's fill does not
        predict (not two standard errors above 0).
    gaussian_weight_ : ndarray of shape (n_kept_features,)
        Weight of the Gaussian's conditional mean in each feature's fill (the
        same for every feature; 0 on tables of more than 100 features or
        fewer than 20 rows).
    gaussian_mean_ : ndarray of shape (n_kept_features,) or None
        Mean of the Gaussian fitted by EM to the kept features (in their
        units), None where it was not fitted.
    gaussian_covariance_ : ndarray of shape (n_kept_features, n_kept_features) or None
        Its covariance (with a ridge of 1 % of the mean variance), None
        where it was not fitted. On a mixed table these four are over the
        network's matrix (numbers standardised, each level an indicator) and
        per modelled column: a number's fill is ``shrinkage_ * network +
        gaussian_weight_ * gaussian`` in standard units, a category's level
        probabilities the same mix of the network's and the Gaussian's (whose
        shares sum to 1); None with fewer than 20 rows or a matrix wider than
        100 columns.
    observed_means_ : ndarray of shape (n_kept_features,)
        Mean of each kept feature's observed entries.
    kept_features_ : ndarray of shape (n_features,), dtype=bool
        The features ``transform`` returns: those with an observed value in
        ``fit`` (all with ``keep_empty_features``).
    constant_features_ : ndarray of shape (n_kept_features,), dtype=bool
        Kept features with one observed value (or none): imputed with it.
    indicator_ : MissingIndicator or None
        The indicator when ``add_indicator=True``.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when ``X`` has string column names.

    See Also
    --------
    sklearn.impute.KNNImputer : Imputation from the nearest complete neighbours.
    sklearn.impute.IterativeImputer : One regression per feature, round robin.

    References
    ----------
    .. [1] L. Gondara and K. Wang, "MIDA: Multiple imputation using denoising
       autoencoders", PAKDD 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_ae import AutoencoderImputer
    >>> X = np.random.default_rng(0).random((60, 4))
    >>> X[::7, 1] = np.nan
    >>> filled = AutoencoderImputer(max_epochs=5, random_state=0).fit_transform(X)
    >>> bool(np.isnan(filled).any()), filled.shape
    (False, (60, 4))
    """

    _parameter_constraints = {
        "missing_values": [MissingValues()],
        "add_indicator": ["boolean"],
        "keep_empty_features": ["boolean"],
        "n_components": [Interval(Integral, 1, None, closed="left"), None],
        "hidden_layer_sizes": [tuple, list, None],
        "loss": [StrOptions({"auto", *LOSSES})],
        "noise_level": [Interval(Real, 0, 1, closed="left")],
        "n_passes": [Interval(Integral, 1, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left"), None],
        "device": [str],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
        "categorical_features": [StrOptions({"from_dtype"}), "array-like", None],
    }

    def __init__(
        self,
        *,
        missing_values=np.nan,
        add_indicator=False,
        keep_empty_features=False,
        n_components=None,
        hidden_layer_sizes=None,
        loss="auto",
        noise_level=0.3,
        n_passes=1,
        lr=2e-3,
        weight_decay=0.0,
        batch_size=128,
        max_epochs=None,
        device="cpu",
        random_state=None,
        verbose=0,
        categorical_features="from_dtype",
    ):
        self.missing_values = missing_values
        self.add_indicator = add_indicator
        self.keep_empty_features = keep_empty_features
        self.n_components = n_components
        self.hidden_layer_sizes = hidden_layer_sizes
        self.loss = loss
        self.noise_level = noise_level
        self.n_passes = n_passes
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.device = device
        self.random_state = random_state
        self.verbose = verbose
        self.categorical_features = categorical_features

    def _validate(self, X, reset):
        allow_nan = self.missing_values is np.nan or (
            isinstance(self.missing_values, float) and np.isnan(self.missing_values)
        )
        try:
            X = validate_data(
                self,
                X,
                reset=reset,
                dtype=FLOAT_DTYPES,
                ensure_all_finite="allow-nan" if allow_nan else True,
                copy=True,
            )
        except (ValueError, TypeError) as error:
            raise with_fix(error) from error
        missing = _get_mask(X, self.missing_values)
        X[missing] = np.nan
        return X, missing

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Train the autoencoder on the observed entries of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        self : object
            The fitted imputer.
        """
        check_fit_size(self, X)
        self.__dict__.pop("modelled_features_", None)
        store = None
        if streams(X):  # the network reads the store; the rest, a sample of its rows
            store, X = sample_and_rest(self, X, self.random_state)
        mask = table_mask(self, X)
        if mask is not None:  # a table with categorical columns
            return fit_table(self, X, mask)
        X, missing = self._validate(X, reset=True)
        observed = ~missing
        # A store's scan refused columns without an observed value: all are kept.
        self.kept_features_ = observed.any(axis=0) | self.keep_empty_features | (store is not None)
        if not self.kept_features_.all():
            names = getattr(self, "feature_names_in_", np.arange(X.shape[1]))
            warnings.warn(
                f"Feature(s) {names[~self.kept_features_].tolist()} have no observed value and "
                "are dropped from the output; use keep_empty_features=True to keep them "
                "(filled with 0).",
                UserWarning,
                stacklevel=3,
            )
        X_kept = X[:, self.kept_features_]
        loss = self.loss if self.loss != "auto" else _automatic_loss(X_kept)
        mean, spread, scale, self.constant_features_ = _standardisation(X_kept)
        fitted = self._fit_validated(X_kept, loss, mean, spread, scale, store)
        for name, value in fitted.items():
            setattr(self, name, value)
        self.indicator_ = (
            MissingIndicator(missing_values=np.nan).fit(X) if self.add_indicator else None
        )
        return self

    def _fit_validated(self, X, loss, centre, spread, scale, store=None):
        """The fitted network and Gaussian, and the weights of their fills.

        A fifth of the observed entries of a third of the rows (at least 100
        rows) are hidden; the network, and on tables of at most
        ``MAX_FEATURES`` features a Gaussian fitted by EM, are trained on the
        rest and fill them. On such tables the fill is the blend of the
        network's and the Gaussian's with the non-negative least-squares
        weights on the hidden entries (what is left goes to each feature's
        mean); on wider tables each feature's network fill is shrunk towards
        its mean by its own least-squares weight in [0, 1] (0 unless two
        standard errors above 0: a feature the others do not predict is filled
        with its mean). Both are kept as trained; when the fill does not beat
        the column means on the hidden entries (in units of each feature's
        spread), one warning says so.

        Fitted on a store (``store``: its ``StoredRows`` without the rows of
        ``X``, a sample of it in memory), the network trains on the store,
        block by block, and never sees ``X``, whose entries are then held out
        in every row; the rest is as above, on ``X``.
        """
        standardisation = centre, scale
        spread = np.where(spread > 0, spread, 1.0)
        fitted = {"observed_means_": centre, "gaussian_weight_": np.zeros(X.shape[1])}
        fitted["gaussian_mean_"] = fitted["gaussian_covariance_"] = None
        rng = np.random.default_rng(seed_sequence(self.random_state))
        rows, hidden = draw_held_out(~np.isnan(X), rng, every_row=store is not None)
        if len(X) < 20 or not hidden.any():
            network = self._fit_network(X if store is None else store, loss, standardisation)
            return {**fitted, **network, "shrinkage_": np.ones(X.shape[1])}
        held_out = hidden[rows]
        seen = np.where(held_out, np.nan, X[rows])
        truth = np.where(held_out, X[rows] - centre, 0.0)
        if store is None:
            network = self._fit_network(X, loss, standardisation, hidden)
        else:
            network = self._fit_network(store, loss, standardisation)
        fitted.update(network)
        raw = np.where(held_out, self._network_fill(seen, network) - centre, 0.0)
        if X.shape[1] <= MAX_FEATURES:
            known = np.where(hidden, np.nan, X)
            known[:, np.isnan(X).all(axis=0)] = 0.0  # kept empty features: constant
            gaussian = fit_gaussian(known, self.random_state)
            linear = np.where(held_out, gaussian_fill(seen, *gaussian) - centre, 0.0)
            unit = spread[np.nonzero(held_out)[1], None]
            fills = np.stack([raw[held_out], linear[held_out]], axis=1) / unit
            weights = nnls(fills, (truth / spread)[held_out])[0]
            # the network's fill only where it predicts the feature at all
            fitted["shrinkage_"] = weights[0] * (_shrinkage(raw, truth, held_out) > 0)
            fitted["gaussian_weight_"] = np.full(X.shape[1], weights[1])
            fitted["gaussian_mean_"], fitted["gaussian_covariance_"] = gaussian
            fill = fitted["shrinkage_"] * raw + fitted["gaussian_weight_"] * linear
        else:
            fitted["shrinkage_"] = _shrinkage(raw, truth, held_out)
            fill = fitted["shrinkage_"] * raw
        error = np.sum(((fill - truth) / spread)[held_out] ** 2)
        baseline = np.sum((truth / spread)[held_out] ** 2)
        if error >= 0.99 * baseline:
            warnings.warn(
                f"AutoencoderImputer: no fill beat the column means on the {int(hidden.sum())} "
                f"observed entries held out in fit (squared error {error:.4g} against "
                f"{baseline:.4g}, in units of each feature's spread), so the holes are "
                "filled with (nearly) the column means; the features may not predict "
                "each other, or the table may be too small.",
                UserWarning,
                stacklevel=3,
            )
        return fitted

    def _fit_network(self, X, loss, standardisation, hidden=None):
        """``loss_``, ``mean_``, ``scale_`` and ``autoencoder_`` for the kept
        features ``X``: the network trained without the ``hidden`` entries."""
        mean, scale = standardisation
        if LOSSES[loss].domain is not None:  # e.g. a Bernoulli's [0, 1]: raw values
            mean = np.where(self.constant_features_, mean, 0.0)
            scale = np.ones_like(scale)
        if isinstance(X, StoredRows):  # a store: standardised as it is read
            autoencoder = self._fitted_autoencoder(X.scaled(mean, scale), X.shape[1], loss=loss)
            return {"loss_": loss, "mean_": mean, "scale_": scale, "autoencoder_": autoencoder}
        Z = (X - mean) / scale
        if hidden is not None:
            Z[hidden] = np.nan
        Z[:, np.isnan(X).all(axis=0)] = 0.0  # kept empty features: constant, as in SimpleImputer
        Z = Z[np.isfinite(Z).any(axis=1)]
        autoencoder = self._fitted_autoencoder(Z, Z.shape[1], loss=loss)
        return {"loss_": loss, "mean_": mean, "scale_": scale, "autoencoder_": autoencoder}

    def _fitted_autoencoder(self, data, width, **params):
        """The masking-trained DenoisingAE fitted on ``data`` (``width`` inputs,
        e.g. a mixed table's encoded width), with ``params`` on top of the
        imputer's own; its ConvergenceWarning is re-worded for the imputer."""
        n_rows = len(data)
        hidden = self.hidden_layer_sizes
        autoencoder = DenoisingAE(
            self.n_components or max(1, min(width // 2, 128)),
            hidden_layer_sizes=(min(4 * width, 512),) if hidden is None else tuple(hidden),
            noise="masking",
            noise_level=self.noise_level,
            lr=self.lr,
            weight_decay=self.weight_decay,
            batch_size=self.batch_size,
            max_epochs=self._epochs(n_rows),
            early_stopping=n_rows >= 20,
            device=self.device,
            random_state=self.random_state,
            verbose=self.verbose,
            **params,
        )
        advice = "raise max_epochs (None trains for about 1,500 gradient steps)."
        with one_convergence_warning(type(self).__name__, 1, advice):
            return autoencoder.fit(data)

    def _epochs(self, n_rows):
        """``max_epochs``, or by default enough epochs for about 1,500 gradient
        steps (at least 10, at most 500): a fixed 40 epochs were 80 steps on a
        150-row table, which left the network barely better than the means,
        and 2,300 on MNIST, more than its fill needs (RMSE 0.128 against
        0.131 at 27 epochs, for 40 % more time)."""
        if self.max_epochs is not None:
            return self.max_epochs
        batches = math.ceil(0.9 * n_rows / self.batch_size)
        return int(np.clip(math.ceil(_GRADIENT_STEPS / batches), 10, 500))

    def _network_fill(self, X, network):
        """The kept features of ``X`` (NaN where missing) with the holes filled
        by the network's reconstruction (``network``: the fitted values of
        :meth:`_fit_network`)."""
        mean, scale = network["mean_"], network["scale_"]
        holes = np.isnan(X)
        Z = (X - mean) / scale
        filled = np.where(holes, 0.0, Z)  # as masked in training
        if holes.any():
            for _ in range(self.n_passes):
                filled = np.where(holes, network["autoencoder_"].reconstruct(filled), Z)
            # a constant feature's value, exactly (0 for a kept empty feature)
            filled[:, self.constant_features_] = 0.0
        return filled * scale + mean

    def _impute(self, X):
        """The kept features of ``X`` (NaN where missing) with the holes filled:
        the network's fill and the Gaussian's, blended around each feature's
        observed mean."""
        holes = np.isnan(X)
        centre = self.observed_means_
        network = {name: getattr(self, name) for name in ("mean_", "scale_", "autoencoder_")}
        result = centre + self.shrinkage_ * (self._network_fill(X, network) - centre)
        if np.any(self.gaussian_weight_ > 0) and holes.any():
            linear = gaussian_fill(X, self.gaussian_mean_, self.gaussian_covariance_)
            result += self.gaussian_weight_ * (linear - centre)
        result = result.astype(X.dtype, copy=False)
        result[~holes] = X[~holes]  # observed entries exactly as given
        return result

    @lazy_on_dask
    def transform(self, X):
        """Fill the missing entries of ``X``; observed entries are returned unchanged.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data with missing entries.

        Returns
        -------
        X_imputed : ndarray of shape (n_samples, n_features_out)
            ``X`` without missing entries (and without the features that had no
            observed value in ``fit``, unless ``keep_empty_features``), then the
            indicator columns with ``add_indicator``.
        """
        check_is_fitted(self)
        if hasattr(self, "modelled_features_"):
            return impute_table(self, X)
        X, _ = self._validate(X, reset=False)
        result = self._impute(X[:, self.kept_features_])
        if self.indicator_ is not None:
            result = np.hstack([result, self.indicator_.transform(X).astype(result.dtype)])
        return result

    def save(self, path):
        """Save the fitted imputer to a directory that loads without running code.

        Writes ``estimator.json`` (parameters and fitted values),
        ``weights.safetensors`` (the standardisation and the feature masks)
        and the autoencoder in ``autoencoder/``; load it with
        :func:`sklearn_ae.load`, which validates every value.

        Parameters
        ----------
        path : str or path-like
            Directory to write (created if needed).

        Returns
        -------
        self : object
            The imputer, unchanged.
        """
        check_is_fitted(self)
        save_imputer(self, path)
        return self

    def get_feature_names_out(self, input_features=None):
        """Names of the output features (kept inputs, then indicator columns).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Input feature names; None uses ``feature_names_in_`` or x0, x1...

        Returns
        -------
        feature_names_out : ndarray of str objects
            The output feature names.
        """
        from sklearn.utils.validation import _check_feature_names_in

        check_is_fitted(self)
        names = _check_feature_names_in(self, input_features)[self.kept_features_]
        if self.indicator_ is not None:
            # the indicator was fitted on an array: hand it the input's own names
            all_names = _check_feature_names_in(self, input_features)
            names = np.concatenate([names, self.indicator_.get_feature_names_out(all_names)])
        return names

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags
