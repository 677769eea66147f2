"""DenoisingAE: the autoencoder trained to undo noise added to its input."""

import math
from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .._training.data import feature_range
from ._base import _BaseAutoencoder
from ._docs import Substitution


def _uniform_int16(shape, generator, device):
    """Uniform int16 draws, four per 64-bit word.

    Cheaper than ``torch.rand``: the generator runs a quarter as often, which
    matters because random numbers are most of the cost of corruption.
    """
    n = math.prod(shape)
    words = torch.empty(-(-n // 4), dtype=torch.int64, device=device)
    words.random_(-(2**63), None, generator=generator)  # the full 64-bit range
    return words.view(torch.int16)[:n].view(shape)


def _below(draws, probability, dtype):
    """1.0 with ``probability`` (to 2 / 65536), else 0.0, for uniform int16 draws.

    The threshold is even, so the lowest bit of a draw stays a fair coin
    independent of the result (salt and pepper uses it to pick min or max).
    Computed as a clamped difference rather than a comparison: boolean masks
    cost two more passes over the batch on the CPU.
    """
    threshold = 2 * round(probability * 32768) - 32768  # P(draw < threshold) = probability
    return draws.to(dtype).sub_(threshold).clamp_(-1, 0).neg_()


class Corruption:
    """Noise applied to each training batch; never to ``transform``'s input."""

    def __init__(self, noise, level, low=None, high=None, columns=None):
        if noise not in ("gaussian", "masking", "salt_and_pepper"):
            raise ValueError(
                f"noise={noise!r} is not one of 'gaussian', 'masking', 'salt_and_pepper'."
            )
        self.noise = noise
        self.level = level
        self.low = low
        self.high = high
        # A mixed table's entry -> column map: masking hides whole columns (a
        # category's block at once), as a missing cell is hidden.
        self.columns = columns

    def __call__(self, X, generator):
        if self.noise == "gaussian":
            noise = torch.empty_like(X).normal_(0.0, self.level, generator=generator)
            return noise.add_(X)
        if self.noise == "masking":
            if self.columns is not None:
                draws = _uniform_int16(
                    (X.shape[0], int(self.columns.max()) + 1), generator, X.device
                )
                hidden = _below(draws, self.level, X.dtype)[:, self.columns.to(X.device)]
                return X - X * hidden
            draws = _uniform_int16(X.shape, generator, X.device)
            return X - X * _below(draws, self.level, X.dtype)
        draws = _uniform_int16(X.shape, generator, X.device)
        hit = _below(draws, self.level, X.dtype)
        salt = (draws & 1).to(X.dtype)  # the draw's lowest bit: min or max, 50/50
        extreme = torch.addcmul(self.low, salt, self.high - self.low)
        return torch.addcmul(X, hit, extreme - X)


@Substitution()
class DenoisingAE(_BaseAutoencoder):
    """Denoising autoencoder: reconstructs clean inputs from corrupted ones.

    Each training batch is corrupted (additive Gaussian noise, masking, or salt
    and pepper) and the network learns to reconstruct the clean batch, so it
    cannot simply copy its input: it must learn the structure of the data.
    ``transform``, ``inverse_transform`` and ``score`` see the input as given.

    Parameters
    ----------
    %(core_parameters)s
    noise : {"gaussian", "masking", "salt_and_pepper"}, default="gaussian"
        "gaussian" adds N(0, noise_level^2) to each entry; "masking" sets each
        entry to 0 with probability ``noise_level`` (on a mixed table, each
        cell: a number, or a category's whole block of level indicators, as a
        missing cell is seen); "salt_and_pepper" sets each
        entry to its feature's training minimum or maximum (equally likely)
        with probability ``noise_level``.
    noise_level : float, default=0.1
        Standard deviation (gaussian) or probability (masking, salt_and_pepper).

    Attributes
    ----------
    %(fitted_attributes)s

    See Also
    --------
    AutoencoderTransformer : The plain autoencoder.
    ContractiveAE : Penalises the encoder's sensitivity analytically.

    References
    ----------
    .. [1] P. Vincent, H. Larochelle, Y. Bengio and P.-A. Manzagol, "Extracting
       and composing robust features with denoising autoencoders", ICML 2008.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import DenoisingAE
    >>> X = load_digits().data[:200] / 16
    >>> dae = DenoisingAE(n_components=8, noise="masking", noise_level=0.3,
    ...                   max_epochs=5, random_state=0).fit(X)
    >>> dae.denoise(X).shape
    (200, 64)
    """

    _needs_narrow_code = False  # the noise is the bottleneck

    _parameter_constraints = {
        **_BaseAutoencoder._parameter_constraints,
        "noise": [StrOptions({"gaussian", "masking", "salt_and_pepper"})],
        "noise_level": [Interval(Real, 0, None, closed="left")],
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
        noise="gaussian",
        noise_level=0.1,
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
        self.noise = noise
        self.noise_level = noise_level

    def _check_params(self, X):
        super()._check_params(X)
        if self.noise != "gaussian" and self.noise_level > 1:
            raise ValueError(
                f"noise_level={self.noise_level} is a probability for "
                f"noise={self.noise!r} and must be at most 1."
            )

    def _missing_fill(self, means):
        if self.noise == "masking":
            # Missing entries look like masked ones, which the network learns to fill.
            return np.zeros_like(means)
        return means

    def _make_corruption(self, X):
        if self.noise_level == 0:
            return None
        if self.noise == "salt_and_pepper":
            # A feature with no observed entry in these rows (a stream's batch)
            # has no range: its salt and pepper are its fill value.
            fill = torch.as_tensor(self.fill_values_, dtype=torch.float32)
            low, high = (
                torch.where(torch.isfinite(end), end, fill.to(end.device))
                for end in feature_range(X)
            )
            return Corruption(self.noise, self.noise_level, low, high)
        columns = None
        if self.noise == "masking" and hasattr(self, "table_layout_"):
            widths = [width for _, width in self.spec_.column_blocks]
            columns = torch.repeat_interleave(torch.arange(len(widths)), torch.tensor(widths))
        return Corruption(self.noise, self.noise_level, columns=columns)

    def denoise(self, X):
        """Reconstruct ``X`` through the code: ``inverse_transform(transform(X))``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Possibly noisy data.

        Returns
        -------
        X_denoised : ndarray of shape (n_samples, n_features)
            The reconstructions, in the floating dtype of ``X``.
        """
        return self.reconstruct(X)
