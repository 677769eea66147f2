"""VariationalAE: the variational autoencoder, with sampling and an importance-weighted score."""

import math
from numbers import Real

import numpy as np
import torch
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted

from .._nn.inference import decode
from .._nn.variational import gaussian_kl, reparameterise
from .._training.data import JACOBIAN_VALUES_PER_BATCH, map_rows, to_tensor
from .._training.engine import Penalty
from .._training.stored import sampled
from .._utils.validation import check_count, seed_sequence
from ._base import _BaseAutoencoder
from ._docs import Substitution
from ._scoring import (
    _DENSITY_ROWS,
    N_IMPORTANCE_SAMPLES,
    RowDraws,
    importance_estimate,
    with_mask,
)

_LOG_2PI = math.log(2 * math.pi)


class KLPenalty(Penalty):
    """``beta`` times ``KL(q(h|x) || N(0, I))``, per input feature like the reconstruction loss."""

    in_objective = True

    def __init__(self, beta, n_features):
        self.beta = beta
        self.n_features = n_features

    def __call__(self, module, X, code, generator):
        mean, log_variance = code.chunk(2, dim=1)
        return self.beta * gaussian_kl(mean, log_variance).mean() / self.n_features


@Substitution()
class VariationalAE(_BaseAutoencoder):
    """Variational autoencoder: a generative model with a Gaussian code.

    The encoder gives a Gaussian posterior ``q(h|x) = N(mu(x), diag
    sigma^2(x))``, the prior is ``N(0, I)`` and the decoder a Bernoulli
    (``loss="bce"``, data in [0, 1]) or a Gaussian with a learned variance
    (``loss="mse"``). Training maximises the evidence lower bound, with the
    KL term weighted by ``beta`` (beta-VAE) and the reparameterisation trick
    drawing from the estimator's private generator. ``transform`` returns the
    posterior mean, ``inverse_transform`` the decoder's mean, ``sample`` draws
    new data, and ``score_samples`` estimates ``log p(x)`` by importance
    sampling with the encoder as proposal (IWAE). Whatever the training
    loss, the score is the density of the Gaussian observation model
    ``x | h ~ N(g(h), noise_variance_ I)`` around the decoder's mean, the
    unit of the other estimators' and PCA's scores, so that a grid search
    can rank them together; ``bernoulli_log_likelihood`` gives the Bernoulli
    decoder's log-probability that papers report for binarised images.
    Early stopping monitors the validation objective (the ELBO at the
    posterior mean).

    Parameters
    ----------
    %(core_parameters)s
    beta : float, default=1.0
        Weight of the KL term; 1 is the ELBO, larger values trade
        reconstruction for a code closer to the prior.

    Attributes
    ----------
    %(fitted_attributes)s
    output_dtype_ : str
        The name of the float dtype of the training data ("float32" or
        "float64"), that of ``sample``'s output.

    See Also
    --------
    AutoencoderTransformer : The deterministic autoencoder.

    References
    ----------
    .. [1] D. P. Kingma and M. Welling, "Auto-encoding variational Bayes",
       ICLR 2014.
    .. [2] Y. Burda, R. Grosse and R. Salakhutdinov, "Importance weighted
       autoencoders", ICLR 2016.
    .. [3] I. Higgins et al., "beta-VAE: learning basic visual concepts with a
       constrained variational framework", ICLR 2017.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn_ae import VariationalAE
    >>> X = load_digits().data[:200] / 16
    >>> vae = VariationalAE(n_components=2, loss="bce", max_epochs=5, random_state=0).fit(X)
    >>> vae.transform(X).shape, vae.sample(3, random_state=0).shape
    ((200, 2), (3, 64))
    """

    _module_kind = "variational"
    _needs_narrow_code = False  # the KL term is the bottleneck
    _validation_score = "objective"

    _parameter_constraints = {
        **_BaseAutoencoder._parameter_constraints,
        "beta": [Interval(Real, 0, None, closed="left")],
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
        beta=1.0,
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
        self.beta = beta

    def _check_params(self, X):
        super()._check_params(X)
        if self.code_activation != "identity":
            raise ValueError(
                f"VariationalAE has a Gaussian code, got code_activation="
                f"{self.code_activation!r}; use code_activation='identity'."
            )
        if self.tied_weights:
            raise ValueError(
                "VariationalAE does not tie weights (its encoder has two heads); "
                "use tied_weights=False."
            )

    def _make_penalty(self):
        return KLPenalty(self.beta, self.spec_.n_features)

    def _fit_code_density(self, X, seed, incremental=False):
        # The prior is the model's own; the running code moments are kept for
        # dead-unit (posterior collapse) warnings and for persistence.
        super()._fit_code_density(X, seed, incremental)
        k = self.spec_.n_components
        self.code_mean_, self.code_covariance_ = np.zeros(k), np.eye(k)
        self.noise_variance_ = self._fit_noise_variance(X, seed)
        self.output_dtype_ = X.dtype.name  # a plain string pickles and skops-loads as data

    def _fit_noise_variance(self, X, seed):
        """``E_q ||x - g(h)||^2 / d`` on training rows: the variance of the Gaussian
        observation model behind ``score_samples``.

        ``g(h)`` is the decoder's mean in data space (the Bernoulli mean, the
        sigmoid of the logits, with ``loss="bce"``), so every estimator's score
        is a Gaussian density on the same space, whatever the training loss. A
        Gaussian decoder's own variance is set to it as well.
        """
        module = self.module_
        rows = np.random.default_rng(seed).permutation(X.shape[0])[:_DENSITY_ROWS]
        X, observed = self._complete(sampled(X, np.sort(rows)))
        generator = torch.Generator().manual_seed(int(seed))
        with torch.no_grad():
            batch = to_tensor(X, self.device_)
            mean, log_variance = module.posterior(batch)
            draws = torch.randn((8, *mean.shape), generator=generator).to(mean.device)
            h = reparameterise(mean, log_variance, draws)
            decoded = decode(module, h.reshape(-1, h.shape[-1]))
            squared = (decoded.reshape(*h.shape[:2], -1) - batch) ** 2
            if observed is not None:  # over the observed entries only
                mask = to_tensor(observed, self.device_)
                variance = float((squared * mask).sum() / (8 * mask.sum()))
            else:
                variance = float(squared.mean())
            variance = max(variance, 1e-12)
            if module.observation.has_scale:
                module.log_noise_variance.fill_(math.log(variance))
        return variance

    def _warn_dead_units(self, code_variances):
        pass  # collapsed units are the KL term at work, not a training failure

    def _importance_weights(self, module, X, draws, observed, bernoulli=False):
        """Log importance weights (n, s) of ``draws`` through the encoder, and the ELBO.

        ``log p(x | h)`` is the Gaussian observation model ``N(g(h),
        noise_variance_ I)`` shared by every estimator's score, or with
        ``bernoulli`` the Bernoulli decoder's own likelihood. Only the
        ``observed`` entries of ``X`` count.
        """
        mean, log_variance = module.posterior(X)
        k = mean.shape[1]
        h = reparameterise(mean[:, None], log_variance[:, None], draws)
        output = module.decode(h.reshape(-1, k)).reshape(*h.shape[:2], -1)
        if hasattr(self, "table_layout_") and not bernoulli:  # a mixed table's joint model
            variances = torch.as_tensor(self.column_variances_).to(X)
            log_px = module.observation.log_likelihood(
                output, X[:, None], observed[:, None], variances
            )
        else:
            noise_variance = None if bernoulli else self.noise_variance_
            log_px = module.log_likelihood(output, X[:, None], observed[:, None], noise_variance)
        log_prior = -0.5 * ((h**2).sum(-1) + k * _LOG_2PI)
        log_q = -0.5 * ((draws**2).sum(-1) + log_variance.sum(1)[:, None] + k * _LOG_2PI)
        return log_px + log_prior - log_q, log_px.mean(1) - gaussian_kl(mean, log_variance)

    def _estimates(self, X, n_samples, bernoulli=False):
        if self.noise_variance_ is None:
            raise ValueError(
                "This VariationalAE was saved by sklearn_ae before scores shared one "
                "Gaussian observation model and has no noise_variance_; fit it again."
            )
        layout = getattr(self, "table_layout_", None)
        units = None if layout is None else layout.log_scale(X)
        X, observed = self._validated_with_mask(X)
        stacked = with_mask(X, observed)
        module = self._fitted_module(np.float64)
        k = self.spec_.n_components
        draws = RowDraws(seed_sequence(self.random_state), n_samples, k, X.shape[1])
        draws = draws.to(self.device_)

        def per_batch(batch):
            batch, mask = batch.chunk(2, dim=1)
            log_weights, elbo = self._importance_weights(
                module, batch, draws(batch), mask, bernoulli
            )
            return torch.stack([*importance_estimate(log_weights), elbo], 1)

        batch_size = max(1, JACOBIAN_VALUES_PER_BATCH // (n_samples * self._widest_layer()))
        out = map_rows(per_batch, stacked, self.device_, batch_size=batch_size, dtype=np.float64)
        if units is not None:  # densities of numbers in their units, not standardised
            out[:, 0] -= units
            out[:, 2] -= units
        return out, X.dtype

    def _log_likelihood(self, X, n_importance_samples):
        out, dtype = self._estimates(X, n_importance_samples)
        return out[:, 0], out[:, 1], dtype

    def elbo(self, X, n_samples=N_IMPORTANCE_SAMPLES):
        """The evidence lower bound of each sample, in nats (a lower bound of ``score_samples``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to evaluate.
        n_samples : int, default=64
            Posterior draws averaged for the expected log-likelihood; the KL
            term is exact.

        Returns
        -------
        elbo : ndarray of shape (n_samples,)
            ``E_q[log p(x|h)] - KL(q(h|x) || p(h))`` per sample.
        """
        n_samples = check_count(n_samples, "n_samples")
        out, dtype = self._estimates(X, n_samples)
        return out[:, 2].astype(dtype, copy=False)

    def bernoulli_log_likelihood(self, X, n_importance_samples=N_IMPORTANCE_SAMPLES):
        """``log p(x)`` of each sample under the Bernoulli decoder, in nats (IWAE).

        The number papers report for binarised images (about -85 nats on
        binarised MNIST): a log-probability of binary data, not a density, so
        it is not comparable with ``score_samples`` (a Gaussian density on the
        data space, as every estimator's and PCA's scores). Needs
        ``loss="bce"``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data in [0, 1] (binary for a probability).
        n_importance_samples : int, default=64
            Importance samples per row.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Higher is better.
        """
        check_is_fitted(self)
        if not self.module_.observation.discrete:
            raise ValueError(
                "bernoulli_log_likelihood needs a Bernoulli decoder (a likelihood "
                "that is a probability), but this model was "
                f"trained with loss={self.spec_.loss!r}; use score_samples, or fit with "
                "loss='bce'."
            )
        n_importance_samples = check_count(n_importance_samples, "n_importance_samples")
        out, dtype = self._estimates(X, n_importance_samples, bernoulli=True)
        return out[:, 0].astype(dtype, copy=False)

    def _prior_draws(self, n_samples, random_state):
        rng = np.random.default_rng(seed_sequence(random_state))
        return rng.standard_normal((n_samples, self.spec_.n_components))

    def _code_draws(self, X, random_state):
        return self._posterior_draws(X, random_state)

    def sample(self, n_samples=1, random_state=None):
        """Draw new samples from the prior through the decoder.

        Parameters
        ----------
        n_samples : int, default=1
            Number of samples.
        random_state : int, RandomState instance or None, default=None
            Seeds the draws from the prior (through a private generator).

        Returns
        -------
        X : ndarray of shape (n_samples, n_features)
            The decoder's means (probabilities in [0, 1] with ``loss="bce"``),
            in the float dtype of the training data.
        """
        check_is_fitted(self)
        n_samples = check_count(n_samples, "n_samples")
        generator = torch.Generator().manual_seed(
            int(seed_sequence(random_state).generate_state(1)[0])
        )
        codes = torch.randn(n_samples, self.spec_.n_components, generator=generator)
        if hasattr(self, "table_layout_"):
            return self._drawn_table(codes.numpy().astype(self.output_dtype_), random_state)
        return self.inverse_transform(codes.numpy().astype(self.output_dtype_))
