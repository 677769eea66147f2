"""What the classifier and the regressor share: pretraining, the head, fine-tuning.

The recipe of unsupervised feature learning: an autoencoder is trained on every
row (labelled or not), an output layer is put on its encoder, and the whole
network is fine-tuned on the labelled rows. The fitted model is a fitted
autoencoder (``autoencoder_``, its encoder fine-tuned) and the head's weights
as arrays, so inference, pickling and export go through the autoencoder's own.
"""

import copy
import math
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
import torch
from sklearn.base import BaseEstimator, clone
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit
from sklearn.utils import _safe_indexing, check_array, metadata_routing
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._training.fine_tune import fine_tune
from .._utils.validation import check_fit_size, generator, seed_sequence
from ..decomposition import AutoencoderTransformer
from ._network import FineTuned, as_float32, feature_layers, features
from ._persistence import save_fine_tuned

# Fewer labelled rows than this train without a validation split.
MIN_LABELS_TO_VALIDATE = 10


class _BaseFineTuned(BaseEstimator):
    """Base class of ``AutoencoderClassifier`` and ``AutoencoderRegressor``; not for
    direct use. Subclasses define ``_targets(y)``, ``_n_outputs()``,
    ``_supervised`` and ``_stratify(targets)``."""

    # ``score`` takes sample_weight as scikit-learn's mixins do; nothing routes it.
    __metadata_request__score = {"sample_weight": metadata_routing.UNUSED}

    _parameter_constraints = {
        "autoencoder": [HasMethods(["fit", "transform", "encoder_module"]), None],
        "prefit": ["boolean"],
        "head_input": [StrOptions({"code", "hidden"})],
        "reconstruction_weight": [Interval(Real, 0, None, closed="left")],
        "lr": [Interval(Real, 0, None, closed="neither")],
        "weight_decay": [Interval(Real, 0, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "max_epochs": [Interval(Integral, 1, None, closed="left")],
        "early_stopping": ["boolean"],
        "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
        "n_iter_no_change": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        autoencoder=None,
        *,
        prefit=False,
        head_input="code",
        reconstruction_weight=0.0,
        lr=1e-3,
        weight_decay=1e-4,
        batch_size=32,
        max_epochs=200,
        early_stopping=True,
        validation_fraction=0.2,
        n_iter_no_change=20,
        tol=1e-4,
        random_state=None,
    ):
        self.autoencoder = autoencoder
        self.prefit = prefit
        self.head_input = head_input
        self.reconstruction_weight = reconstruction_weight
        self.lr = lr
        self.weight_decay = weight_decay
        self.batch_size = batch_size
        self.max_epochs = max_epochs
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.random_state = random_state

    # ------------------------------------------------------------ fitting
    def _pretrained(self, X, seed):
        """A fitted copy of ``autoencoder``: trained on ``X`` now, or, with
        ``prefit``, the given fitted one."""
        if self.prefit:
            if self.autoencoder is None:
                raise ValueError(
                    "prefit=True needs a fitted autoencoder; pass autoencoder=... "
                    "(fitted), or prefit=False to pretrain one here."
                )
            check_is_fitted(self.autoencoder)
            return copy.deepcopy(self.autoencoder)
        template = self.autoencoder
        if template is None:
            n_features = X.shape[1]
            template = AutoencoderTransformer(n_components=max(2, min(32, n_features // 2)))
        autoencoder = clone(template)
        if autoencoder.get_params().get("random_state") is None:
            autoencoder.set_params(random_state=int(seed))
        return autoencoder.fit(X)

    def _split(self, labelled_rows, targets, seed):
        """``(training rows, validation rows)`` among the labelled rows."""
        n_labelled = len(labelled_rows)
        if not self.early_stopping or n_labelled < MIN_LABELS_TO_VALIDATE:
            return labelled_rows, None
        stratify = self._stratify(targets[labelled_rows])
        splitter = StratifiedShuffleSplit if stratify is not None else ShuffleSplit
        n_valid = max(1, math.ceil(self.validation_fraction * n_labelled))
        if stratify is not None and n_valid < len(np.unique(stratify)):
            splitter, stratify = ShuffleSplit, None
        split = splitter(n_splits=1, test_size=n_valid, random_state=int(seed))
        train, valid = next(split.split(labelled_rows, stratify))
        return labelled_rows[np.sort(train)], labelled_rows[np.sort(valid)]

    def _fit(self, X, y):
        if not hasattr(X, "columns"):  # a DataFrame goes to the autoencoder as it is
            X = check_array(X, accept_sparse=True, ensure_all_finite="allow-nan", dtype=None)
        check_fit_size(self, X)
        seeds = seed_sequence(self.random_state).generate_state(3)
        targets, labelled = self._targets(y)
        autoencoder = self._pretrained(X, seeds[0])
        Z = autoencoder._validated(X)  # the matrix its network reads, holes completed
        Z = as_float32(Z.toarray() if sp.issparse(Z) else Z)
        if len(Z) != len(targets):
            raise ValueError(
                f"X has {len(Z)} rows but y has {len(targets)}; pass one target per row "
                "(-1 or NaN where there is no label)."
            )
        labelled_rows = np.flatnonzero(labelled)
        train, valid = self._split(labelled_rows, targets, seeds[1])
        trained, history = self._tune(autoencoder, Z, targets, train, valid, None, seeds[2])
        if valid is not None:
            # The held-out labels chose the number of epochs; the network is then
            # trained afresh on every label for that many: with 100 labels, the
            # 20 held out were a fifth of what fine-tuning could learn from.
            epochs = int(np.argmin([epoch["valid_loss"] for epoch in history])) + 1
            trained, _ = self._tune(autoencoder, Z, targets, labelled_rows, None, epochs, seeds[2])
        autoencoder.module_ = trained.autoencoder.to(autoencoder.device_)
        self.autoencoder_ = autoencoder
        self.head_input_ = self.head_input
        self.head_coef_ = trained.head.weight.detach().numpy().astype(np.float64)
        self.head_intercept_ = trained.head.bias.detach().numpy().astype(np.float64)
        self.n_features_in_ = autoencoder.n_features_in_
        if hasattr(autoencoder, "feature_names_in_"):
            self.feature_names_in_ = autoencoder.feature_names_in_
        self.n_iter_ = len(history)
        self.best_epoch_ = len(history) if valid is None else epochs
        self.loss_curve_ = [epoch["train_loss"] for epoch in history]
        self.validation_loss_curve_ = (
            None if valid is None else [epoch["valid_loss"] for epoch in history]
        )
        self.n_labelled_ = int(labelled.sum())
        return self

    def _tune(self, autoencoder, Z, targets, train, valid, epochs, seed):
        """Fine-tune a copy of ``autoencoder``'s module with a head on the labelled
        rows ``train`` (and, with a reconstruction weight, on every row but
        ``valid``), stopping early on the rows ``valid`` when given, else after
        ``epochs`` (``max_epochs`` when None). Returns the module and history."""
        rows = train
        if self.reconstruction_weight > 0:  # every row but the validation ones
            rows = np.setdiff1d(np.arange(len(Z)), valid if valid is not None else [])
            targets = targets.copy()
            self._unlabel(targets, np.setdiff1d(rows, train))
        module = copy.deepcopy(autoencoder.module_).cpu().float().eval()
        head = nn.Linear(self._feature_width(module, Z[:1]), self._n_outputs())
        # The head starts as a linear model fitted to the pretrained features of
        # the training labels ("linear probe, then fine-tune"): from a random
        # head, the first steps' large gradients rewrote the pretrained encoder
        # (10.7 % test error against 15.3 % on digits with 100 labels).
        with torch.no_grad():
            probe = features(module, torch.as_tensor(Z[train]), self.head_input).numpy()
            coef, intercept = self._linear_probe(probe.astype(np.float64), targets[train])
            head.weight.copy_(torch.as_tensor(coef))
            head.bias.copy_(torch.as_tensor(intercept))
        network = FineTuned(module.train(), head, self.head_input, self.reconstruction_weight > 0)
        names = ("lr", "weight_decay", "batch_size", "n_iter_no_change", "tol")
        settings = {name: getattr(self, name) for name in names}
        settings["max_epochs"] = self.max_epochs if epochs is None else epochs
        return fine_tune(
            network,
            *self._tensors(Z[rows], targets[rows]),
            None if valid is None else self._tensors(Z[valid], targets[valid]),
            self._supervised,
            settings,
            "cpu",
            generator(seed),
            self.reconstruction_weight,
        )

    def _linear_probe(self, features, targets):
        """``(coef, intercept)`` of the head's starting point: a linear model of the
        ``targets`` from the pretrained ``features`` of the training rows."""
        raise NotImplementedError

    def _labelled_rows(self, X, y, labelled, sample_weight):
        """``(X, y, sample_weight)`` of the rows where ``labelled`` holds: what
        ``score`` judges, so that held-out folds with unlabeled rows score."""
        rows = np.flatnonzero(labelled)
        if sample_weight is not None:
            sample_weight = np.asarray(sample_weight)[rows]
        return _safe_indexing(X, rows), y[rows], sample_weight

    def _feature_width(self, module, row):
        with torch.no_grad():
            return features(module.eval(), torch.as_tensor(row), self.head_input).shape[1]

    def _tensors(self, Z, targets):
        return torch.as_tensor(Z), torch.as_tensor(targets)

    # ----------------------------------------------------------- inference
    def _outputs(self, X):
        """The head's outputs for ``X`` (logits, or standardised predictions)."""
        check_is_fitted(self)
        autoencoder = self.autoencoder_
        Z = autoencoder._validated(X)
        if sp.issparse(Z):
            Z = Z.toarray()
        head_input = self.head_input_
        hidden = autoencoder._infer(lambda module, batch: features(module, batch, head_input), Z)
        return hidden.astype(np.float64) @ self.head_coef_.T + self.head_intercept_

    def save(self, path):
        """Save the fitted model to a directory that loads without running code.

        Writes ``estimator.json`` (parameters and fitted values),
        ``weights.safetensors`` (the output layer) and the fine-tuned
        autoencoder in ``autoencoder/``; load it with :func:`sklearn_ae.load`,
        which validates every value. A given ``autoencoder`` parameter comes
        back as a copy of the fine-tuned ``autoencoder_``.

        Parameters
        ----------
        path : str or path-like
            Directory to write (created if needed).

        Returns
        -------
        self : object
            The model, unchanged.
        """
        check_is_fitted(self)
        save_fine_tuned(self, path)
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.input_tags.sparse = True
        return tags


__all__ = ["_BaseFineTuned", "feature_layers"]
