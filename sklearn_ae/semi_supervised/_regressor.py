"""AutoencoderRegressor: a pretrained encoder and a linear output, fine-tuned."""

import numpy as np
from sklearn.base import RegressorMixin, _fit_context
from sklearn.linear_model import Ridge
from sklearn.utils.validation import check_is_fitted, column_or_1d

from .._training.fine_tune import masked_squared_error
from .._utils.lazy import lazy_on_dask
from ._base import _BaseFineTuned


class AutoencoderRegressor(RegressorMixin, _BaseFineTuned):
    """Regression from few targets: an autoencoder pretrained on every row, a linear
    output on its encoder, the whole network fine-tuned on the rows with a target.

    ``AutoencoderClassifier``'s recipe for a number: rows without a target
    carry ``y = NaN``; they train the autoencoder, then a linear output on its
    code (or last hidden layer) and the encoder are trained together by
    squared error on the standardised targets, with early stopping on a share
    of the rows with a target.

    Parameters
    ----------
    autoencoder : sklearn_ae autoencoder, default=None
        What is pretrained (cloned, and fitted on every row of ``X``). None: an
        ``AutoencoderTransformer`` with a code of ``min(32, n_features // 2)``
        (at least 2) and its other defaults.
    prefit : bool, default=False
        Whether ``autoencoder`` is fitted already: it is then copied, not
        trained again; only its copy is fine-tuned.
    head_input : {"code", "hidden"}, default="code"
        What the output reads: the code, or the encoder's last hidden layer.
    reconstruction_weight : float, default=0.0
        Weight of the autoencoder's reconstruction loss on every row during
        fine-tuning; 0 fine-tunes on the rows with a target alone.
    lr : float, default=1e-3
        Adam's learning rate in fine-tuning.
    weight_decay : float, default=1e-4
        L2 penalty in fine-tuning.
    batch_size : int, default=32
        Rows per fine-tuning step.
    max_epochs : int, default=200
        Most epochs of fine-tuning.
    early_stopping : bool, default=True
        Hold out ``validation_fraction`` of the rows with a target, find the epoch of
        least validation loss (stopping after ``n_iter_no_change`` epochs
        without improvement by ``tol``), then fine-tune afresh on every one of
        them for that many epochs. With fewer than 10 of them nothing is held
        out and fine-tuning runs ``max_epochs``.
    validation_fraction : float, default=0.2
        Share of the rows with a target held out for early stopping.
    n_iter_no_change : int, default=20
        Epochs without improvement before stopping.
    tol : float, default=1e-4
        Least relative improvement of the validation loss that counts.
    random_state : int, RandomState instance or None, default=None
        Seeds the pretraining (when ``autoencoder`` has none), the validation
        split, the output's initial weights and the batches.

    Attributes
    ----------
    autoencoder_ : sklearn_ae autoencoder
        The pretrained autoencoder, its encoder fine-tuned.
    head_coef_ : ndarray of shape (1, n_inputs)
        The output's weights, on the standardised target.
    head_intercept_ : ndarray of shape (1,)
        The output's bias, on the standardised target.
    target_mean_ : float
        Mean of the targets seen.
    target_scale_ : float
        Their standard deviation (1 when constant): predictions are
        ``target_mean_ + target_scale_ * output``.
    head_input_ : str
        ``head_input`` as fitted.
    n_labelled_ : int
        Rows with a target in fit.
    n_iter_ : int
        Fine-tuning epochs run with the validation split (or without one).
    best_epoch_ : int
        The epochs of the final fine-tuning on every label.
    loss_curve_ : list of float
        Training loss per fine-tuning epoch.
    validation_loss_curve_ : list of float or None
        Validation loss per epoch (None without early stopping).
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Names of features seen during fit, when ``X`` has string column names.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.datasets import load_diabetes
    >>> from sklearn.preprocessing import scale
    >>> from sklearn_ae import AutoencoderRegressor
    >>> X, y = load_diabetes(return_X_y=True)
    >>> y_few = np.full(len(y), np.nan)
    >>> y_few[:100] = y[:100]  # 100 targets, 342 rows without one
    >>> reg = AutoencoderRegressor(random_state=0).fit(scale(X), y_few)
    >>> reg.predict(scale(X)[:3]).shape
    (3,)
    """

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Pretrain the autoencoder on every row, then fine-tune it with the targets.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Every row, with a target or not (NaN marks a missing entry).
        y : array-like of shape (n_samples,)
            The targets; NaN marks a row without one.

        Returns
        -------
        self : object
            The fitted regressor.
        """
        return self._fit(X, y)

    def _targets(self, y):
        y = column_or_1d(y, warn=True)
        try:
            y = y.astype(np.float64)
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"y must hold numbers (NaN where there is no target): {error}"
            ) from error
        labelled = ~np.isnan(y)
        if labelled.sum() < 2:
            raise ValueError(
                f"y has {int(labelled.sum())} row(s) with a target (not NaN); "
                "AutoencoderRegressor needs at least 2 to fine-tune on."
            )
        if np.isinf(y[labelled]).any():
            raise ValueError("y holds infinity; pass finite targets (NaN for no target).")
        self.target_mean_ = float(y[labelled].mean())
        spread = float(y[labelled].std())
        self.target_scale_ = spread if spread > 0 else 1.0
        return ((y - self.target_mean_) / self.target_scale_).astype(np.float32), labelled

    def _n_outputs(self):
        return 1

    def _linear_probe(self, features, targets):
        model = Ridge(alpha=1.0).fit(features, targets)
        return model.coef_[None], np.atleast_1d(model.intercept_)

    @staticmethod
    def _supervised(outputs, y):
        return masked_squared_error(outputs[:, 0], y)

    @staticmethod
    def _stratify(targets):
        return None

    @staticmethod
    def _unlabel(targets, rows):
        targets[rows] = np.nan

    @lazy_on_dask
    def predict(self, X):
        """The predicted target of each row.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows to predict.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Predictions, in the units of the targets.
        """
        check_is_fitted(self)
        return self.target_mean_ + self.target_scale_ * self._outputs(X)[:, 0]

    def score(self, X, y, sample_weight=None):
        """R^2 on the rows of ``X`` with a target (NaN rows are skipped).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Rows.
        y : array-like of shape (n_samples,)
            Their targets, NaN where there is none.
        sample_weight : array-like of shape (n_samples,), default=None
            Row weights.

        Returns
        -------
        score : float
            R^2 over the rows with a target.
        """
        y = column_or_1d(y).astype(np.float64)
        labelled = ~np.isnan(y)
        return super().score(*self._labelled_rows(X, y, labelled, sample_weight))
