"""SparseAE: an L1 penalty on the code, or a hard cap of k active units."""

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import Interval

from .._training.engine import Penalty
from ._base import _BaseAutoencoder
from ._docs import Substitution


class L1CodePenalty(Penalty):
    """``alpha * sum_j |h_j| ||d_j||``, averaged over the batch.

    ``d_j`` is the decoder's first-layer column that code unit ``j`` feeds:
    only the product ``h_j d_j`` reaches the reconstruction, so a plain L1
    penalty on ``h`` was dodged by shrinking the code and growing the decoder
    (no exact zero on digits at any alpha). Weighted by the column norms, the
    penalty does not change when a unit's scale moves between code and
    decoder.
    """

    def __init__(self, alpha):
        self.alpha = alpha
        self.active = None  # code units nonzero for some row of this epoch
        self.rows = 0

    def __call__(self, module, X, code, generator):
        active = (code.detach() != 0).any(0)
        self.active = active if self.active is None else self.active | active
        self.rows += code.shape[0]
        norms = torch.linalg.vector_norm(module.decoder_weights()[0], dim=0)
        return self.alpha * (code.abs() * norms).sum(1).mean()

    def end_epoch(self, module, optimizer, generator):
        # A unit zero on every row of an epoch gets no gradient and stays dead
        # (ReLU codes: 9 of 32 on digits even at alpha=1e-4): restart it as a
        # copy of a live one. With none alive, alpha is too large for any code:
        # they stay dead, and the fit warns (DeadCodeUnitsWarning).
        # Only an epoch of at least ten rows per unit tells: a small partial_fit
        # batch may simply not need every unit.
        active, rows, self.active, self.rows = self.active, self.rows, None, 0
        if active is None or rows < 10 * len(active):
            return
        if bool(active.any()) and not bool(active.all()):
            dead, alive = (torch.nonzero(mask).flatten() for mask in (~active, active))
            module.resample_code_units(dead, alive, optimizer, generator)


@Substitution()
class SparseAE(_BaseAutoencoder):
    """Sparse autoencoder: few code units are active for each sample.

    The code is made sparse by an L1 penalty ``alpha * sum_j |h_j| ||d_j||``
    (averaged over the batch, so its scale does not depend on
    ``batch_size``), and/or by keeping only the ``k`` largest code units of
    each sample (k-sparse autoencoder), in training and in ``transform``.
    ``d_j`` is the decoder's first-layer column fed by unit ``j``: a plain L1
    penalty is dodged by shrinking the code and growing the decoder. A unit
    that is zero on every row of a training epoch is restarted as a perturbed
    copy of a live one, with a zero decoder column (dead-unit resampling);
    when every unit is dead, ``alpha`` is too large and a
    ``DeadCodeUnitsWarning`` says so.
    With sparsity as the bottleneck the code may be wider than the input
    (overcomplete).

    Exact zeros need ``code_activation="relu"``: on digits with
    ``n_components=32``, the share of zero code entries is 0.10, 0.26, 0.77
    and 0.90 at ``alpha`` 1e-4, 1e-3, 1e-2 and 3e-2, with no dead unit, and
    the held-out error stays below 8-component PCA's up to ``alpha=1e-2``.
    The default identity code is sparse in magnitude only, and reconstructs
    better than PCA with as many components (see the benchmarks).

    Parameters
    ----------
    %(core_parameters)s
    alpha : float, default=1e-3
        Weight of the L1 penalty on the code; 0 disables it. With ReLU codes,
        1e-4 to 3e-2 spans little to strong sparsity on data scaled to [0, 1].
    k : int or None, default=None
        Keep only the k largest code units of each sample (the rest are set to
        0); None keeps them all.

    Attributes
    ----------
    %(fitted_attributes)s

    See Also
    --------
    AutoencoderTransformer : The plain autoencoder.

    References
    ----------
    .. [1] A. Ng, "Sparse autoencoder", CS294A lecture notes, Stanford, 2011.
    .. [2] A. Makhzani and B. Frey, "k-Sparse Autoencoders", ICLR 2014.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import SparseAE
    >>> X = load_digits().data[:200] / 16
    >>> sae = SparseAE(n_components=16, k=4, max_epochs=5, random_state=0).fit(X)
    >>> int((sae.transform(X) != 0).sum(axis=1).max()) <= 4
    True
    """

    _needs_narrow_code = False  # sparsity is the bottleneck

    _parameter_constraints = {
        **_BaseAutoencoder._parameter_constraints,
        "alpha": [Interval(Real, 0, None, closed="left")],
        "k": [Interval(Integral, 1, None, closed="left"), None],
    }

    def __init__(
        self,
        n_components=2,
        *,
        hidden_layer_sizes="auto",
        activation="relu",
        code_activation="identity",
        loss="mse",
        tied_weights=False,
        optimizer="adam",
        lr=1e-3,
        weight_decay=0.0,
        batch_size=256,
        max_epochs=100,
        shuffle=True,
        early_stopping=False,
        validation_fraction=0.1,
        n_iter_no_change=10,
        tol=1e-4,
        warm_start=False,
        callbacks=None,
        device="cpu",
        random_state=None,
        verbose=0,
        accelerator=None,
        image_shape=None,
        conv_channels=(32, 64),
        categorical_features="from_dtype",
        alpha=1e-3,
        k=None,
    ):
        super().__init__(
            n_components=n_components,
            hidden_layer_sizes=hidden_layer_sizes,
            activation=activation,
            code_activation=code_activation,
            loss=loss,
            tied_weights=tied_weights,
            optimizer=optimizer,
            lr=lr,
            weight_decay=weight_decay,
            batch_size=batch_size,
            max_epochs=max_epochs,
            shuffle=shuffle,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            n_iter_no_change=n_iter_no_change,
            tol=tol,
            warm_start=warm_start,
            callbacks=callbacks,
            device=device,
            random_state=random_state,
            verbose=verbose,
            accelerator=accelerator,
            image_shape=image_shape,
            conv_channels=conv_channels,
            categorical_features=categorical_features,
        )
        self.alpha = alpha
        self.k = k

    def _check_params(self, X):
        super()._check_params(X)
        if self.k is not None and self.k > self.n_components:
            raise ValueError(
                f"k={self.k} must be between 1 and n_components={self.n_components}; "
                "lower k or raise n_components."
            )

    def _architecture(self):
        return {"k": None if self.k is None else int(self.k)}

    def _make_penalty(self):
        return L1CodePenalty(self.alpha) if self.alpha > 0 else None
