"""Scores of a fitted autoencoder: the decoder's marginal likelihood, and reconstruction error.

The model and the way its parameters are fitted are described in ``_likelihood``.
"""

import math
import threading
import warnings

import numpy as np
import scipy.sparse as sp
import torch
from torch.autograd import forward_ad

from .._density.likelihood import CodeMoments, fit_latent_gaussian, prior_factor
from .._nn.inference import decode, load_forward_mode
from .._training.data import JACOBIAN_VALUES_PER_BATCH, map_rows, to_tensor
from .._training.stored import StoredRows, sampled
from .._utils.lazy import lazy_on_dask
from .._utils.validation import check_count, seed_sequence
from ..exceptions import DeadCodeUnitsWarning

# Training rows per fit (or per partial_fit batch) from which the code density
# is estimated: enough for a k x k covariance, and a bounded cost.
_DENSITY_ROWS = 2048
# Importance samples per row and Gauss-Newton steps towards the posterior mode.
N_IMPORTANCE_SAMPLES = 64
_N_NEWTON_STEPS = 2
# Width of the second proposal component, relative to the Laplace Gaussian.
_WIDE = 1.5


def importance_estimate(log_weights):
    """``log mean exp`` of (n, s) log importance weights per row, and its standard error.

    The error is the delta-method standard error of the log of the mean weight.
    """
    s = log_weights.shape[1]
    estimate = torch.logsumexp(log_weights, 1) - math.log(s)
    weights = torch.exp(log_weights - log_weights.max(1, keepdim=True).values)
    return estimate, weights.std(1) / (weights.mean(1) * math.sqrt(s))


class _MarginalLikelihood:
    """``log p(x)`` under the fitted latent Gaussian, for batches of float64 rows."""

    def __init__(self, module, mean, covariance, noise_variance):
        self.module = module
        factor, pseudo_inverse = prior_factor(covariance)
        self.mean = torch.as_tensor(mean)
        self.factor = torch.as_tensor(factor)  # (k, r)
        self.pseudo_inverse = torch.as_tensor(pseudo_inverse)  # (r, k)
        self.noise = float(noise_variance)
        self.rank = factor.shape[1]
        self.exact = module.decoder_is_affine and module.observation.link is None
        self.jacobian = torch.func.vmap(torch.func.jacfwd(self._mean_of_one))

    def to(self, device, dtype):
        for name in ("mean", "factor", "pseudo_inverse"):
            setattr(self, name, getattr(self, name).to(device, dtype))
        return self

    def _decoded(self, eps):
        return decode(self.module, self.mean + eps @ self.factor.T)

    def _mean_of_one(self, eps):
        return self._decoded(eps[None])[0]

    def log_joint(self, eps, X, observed):
        """``log N(x_o; g(mu + L eps)_o, s^2 I) + log N(eps; 0, I)`` per row.

        Only the observed entries ``o`` of ``x`` count (missing ones are
        integrated out, which for an isotropic Gaussian is dropping them).
        """
        return self.log_joint_of_samples(eps[:, None], X, observed)[:, 0]

    def log_joint_of_samples(self, samples, X, observed):
        """``log_joint`` of (n, s, r) samples, each against its own row of ``X``,
        without repeating the rows ``s`` times in memory (the copies and the
        unfused square-and-sum took a quarter of the score's time on MNIST)."""
        n, s, _ = samples.shape
        decoded = self._decoded(samples.reshape(n * s, self.rank)).reshape(n, s, -1)
        residual = X[:, None] - decoded
        if not bool((observed == 1).all()):
            residual = residual * observed[:, None]
        fit = torch.linalg.vector_norm(residual, dim=2) ** 2 / self.noise
        prior = (samples**2).sum(2) + self.rank * math.log(2 * math.pi)
        n_observed = observed.sum(1, keepdim=True)
        return -0.5 * (fit + n_observed * math.log(2 * math.pi * self.noise) + prior)

    def _precision(self, eps, observed):
        jacobian = self.jacobian(eps) * observed[:, :, None]  # (n, d, r), observed rows
        eye = torch.eye(self.rank, dtype=eps.dtype, device=eps.device)
        return jacobian, jacobian.transpose(1, 2) @ jacobian / self.noise + eye

    def _residual(self, X, eps, observed):
        """``d log p(x | h) / d g(h)`` at ``h = mean + L eps``, over observed entries."""
        return (X - self._decoded(eps)) * observed / self.noise

    def posterior_mode(self, X, observed, n_steps):
        """Gauss-Newton from the encoder's code, with one Jacobian (the chord method).

        The Jacobian at the encoder's code serves every step (each costs one
        decoder pass instead of ``r``: the score cost 13x a training epoch on
        MNIST with a fresh Jacobian per step, 9x with one); a step is kept
        only where it raises the log joint. Returns the mode, the log joint
        there and the posterior precision from that Jacobian: the proposal
        need not be exact, the importance weights correct for it.
        """
        eps = (self.module.encode(X) - self.mean) @ self.pseudo_inverse.T
        current = self.log_joint(eps, X, observed)
        jacobian, precision = self._precision(eps, observed)
        for _ in range(1 if self.exact else n_steps):
            residual = self._residual(X, eps, observed)
            gradient = (jacobian.transpose(1, 2) @ residual[:, :, None])[:, :, 0] - eps
            proposal = eps + torch.linalg.solve(precision, gradient)
            value = self.log_joint(proposal, X, observed)
            better = value > current
            eps = torch.where(better[:, None], proposal, eps)
            current = torch.where(better, value, current)
        return eps, current, precision

    def __call__(self, X, draws, observed, n_steps=_N_NEWTON_STEPS):
        """Estimates of ``log p(x)`` and their standard errors, one per row.

        ``draws`` (n_rows, n_samples, r) are standard normal; ``observed``
        (n_rows, d) marks the entries that count (1.0) and the missing ones
        (0.0). With an affine decoder (or no draws) the Laplace value at the
        mode is returned, exact then.
        """
        if self.rank == 0:  # no code variance left: x ~ N(g(mu), s^2 I)
            zero = X.new_zeros(X.shape[0])
            return self.log_joint(X.new_zeros(X.shape[0], 0), X, observed), zero
        mode, at_mode, precision = self.posterior_mode(X, observed, n_steps)
        cholesky = torch.linalg.cholesky(precision)  # precision = R R^T
        half_log_det = torch.log(torch.diagonal(cholesky, dim1=1, dim2=2)).sum(1)
        log_norm = -0.5 * self.rank * math.log(2 * math.pi)
        if self.exact or draws.shape[1] == 0:
            return at_mode - log_norm - half_log_det, torch.zeros_like(at_mode)
        s = draws.shape[1]
        # Defensive mixture proposal (Hesterberg 1995), drawn stratified and
        # weighted by the whole mixture's density (unbiased): the Laplace
        # Gaussian, the same 1.5 times as wide (posteriors curved away from the
        # Gaussian), and the prior (posteriors with several modes).
        shares = np.array([0.8, 0.1, 0.1])
        sizes = np.diff(np.round(np.cumsum(np.r_[0, shares]) * s).astype(int))
        scales = torch.repeat_interleave(
            torch.tensor([1.0, _WIDE, 0.0], dtype=X.dtype, device=X.device),
            torch.as_tensor(sizes, device=X.device),
        )
        from_prior = scales == 0
        # eps = mode + scale R^-T z has density N(mode, scale^2 precision^-1).
        offsets = torch.linalg.solve_triangular(
            cholesky.transpose(1, 2), (draws * scales[:, None]).transpose(1, 2), upper=True
        ).transpose(1, 2)
        samples = torch.where(from_prior[None, :, None], draws, mode[:, None] + offsets)
        whitened = (samples - mode[:, None]) @ cholesky  # R^T (eps - mode), per row
        squared = (whitened**2).sum(2)  # (n, s)
        log_components = torch.stack(
            [
                log_norm + half_log_det[:, None] - 0.5 * squared,
                log_norm
                + half_log_det[:, None]
                - self.rank * math.log(_WIDE)
                - squared / (2 * _WIDE**2),
                (log_norm - 0.5 * (samples**2).sum(2)),
            ]
        )
        log_shares = torch.log(torch.as_tensor(shares, dtype=X.dtype, device=X.device))
        log_proposal = torch.logsumexp(log_components + log_shares[:, None, None], 0)
        return importance_estimate(self.log_joint_of_samples(samples, X, observed) - log_proposal)


class _JointMarginalLikelihood(_MarginalLikelihood):
    """``log p(x)`` of a mixed table's rows (standardised numbers, level indicators).

    The same latent Gaussian and importance sampler; ``x | h`` is the joint
    observation model: each number a Gaussian with its column's own variance,
    each category the decoder's softmax. The Gauss-Newton steps towards the
    mode use the categorical terms' gradient and a bounded curvature (1/4);
    the importance weights correct the proposal for it.
    """

    def __init__(self, module, mean, covariance, noise_variance, column_variances):
        super().__init__(module, mean, covariance, noise_variance)
        self.observation = module.observation
        self.variances = torch.as_tensor(column_variances)
        self.exact = False

    def to(self, device, dtype):
        self.variances = self.variances.to(device, dtype)
        return super().to(device, dtype)

    def _decoded(self, eps):
        return self.module.decode(self.mean + eps @ self.factor.T)  # logits for categories

    def log_joint_of_samples(self, samples, X, observed):
        n, s, _ = samples.shape
        decoded = self._decoded(samples.reshape(n * s, self.rank)).reshape(n, s, -1)
        fit = self.observation.log_likelihood(
            decoded, X[:, None], observed[:, None], self.variances
        )
        prior = (samples**2).sum(2) + self.rank * math.log(2 * math.pi)
        return fit - 0.5 * prior

    def _precision(self, eps, observed):
        jacobian = self.jacobian(eps) * observed[:, :, None]
        weights = self.observation.fisher_weights(self.variances.clone())
        eye = torch.eye(self.rank, dtype=eps.dtype, device=eps.device)
        return jacobian, (jacobian * weights[:, None]).transpose(1, 2) @ jacobian + eye

    def _residual(self, X, eps, observed):
        return self.observation.score_gradient(self._decoded(eps), X, observed, self.variances)


load_forward_mode()
_FORWARD_MODE_LOCK = threading.Lock()


class RowDraws:
    """Standard normal draws for each row, fixed by the seed and the row's values.

    One uniform point set, shifted per row by a hash of the row (a
    Cranley-Patterson rotation): a row's score does not depend on the other
    rows passed with it, and the Monte Carlo errors of different rows are
    independent rather than shared.
    """

    def __init__(self, seeds, n_samples, rank, n_features):
        rng = np.random.default_rng(seeds)
        self.points = torch.as_tensor(rng.random((n_samples, rank)))
        self.projection = torch.as_tensor(rng.standard_normal((n_features, rank)))
        self.offset = torch.as_tensor(rng.random(rank) * 2 * np.pi)

    def to(self, device, dtype=torch.float64):
        for name in ("points", "projection", "offset"):
            setattr(self, name, getattr(self, name).to(device, dtype))
        return self

    def __call__(self, X):
        shift = torch.frac(torch.sin(X @ self.projection + self.offset) * 43758.5453).abs()
        tiny = torch.finfo(X.dtype).eps  # in float32, 1 - 1e-12 rounds to 1: erfinv(1) = inf
        uniform = torch.frac(self.points[None] + shift[:, None]).clamp(tiny, 1 - tiny)
        return math.sqrt(2) * torch.erfinv(2 * uniform - 1)


def with_mask(X, observed):
    """``[X | observed]`` as one float array (1.0 where observed), so batches keep both."""
    mask = np.ones(X.shape) if observed is None else observed.astype(np.float64)
    dense = X.toarray() if sp.issparse(X) else X
    return np.hstack([dense, mask])


def decoder_jacobian(module, code):
    """The (d, k) Jacobian of ``decode`` in data space at one ``code`` (1, k).

    Forward mode, all k directions in one batched pass of dual numbers: the
    same values as ``torch.func.jacfwd``, without its per-call transform
    set-up, which was a fifth of a small table's fit.
    """
    k = code.shape[1]
    with _FORWARD_MODE_LOCK, torch.no_grad(), forward_ad.dual_level():
        tangents = torch.eye(k, dtype=code.dtype, device=code.device)
        dual = forward_ad.make_dual(code.expand(k, k).clone(), tangents)
        return forward_ad.unpack_dual(decode(module, dual)).tangent.T


class _ScoringMixin:
    """``score``, ``score_samples`` and ``reconstruction_error`` of the estimators."""

    def _fit_code_density(self, X, seed, incremental=False):
        """Fit ``code_mean_``, ``code_covariance_`` and ``noise_variance_``.

        ``incremental`` adds ``X`` to the running sums of earlier batches
        (``partial_fit``) instead of starting afresh.
        """
        if X.shape[0] > _DENSITY_ROWS:  # bounded cost, whatever the data size
            rows = np.random.default_rng(seed).choice(X.shape[0], _DENSITY_ROWS, replace=False)
            X = sampled(X, np.sort(rows))
        elif isinstance(X, StoredRows):
            X = X.read(0, len(X))
        X, observed = self._complete(X)
        # The module's own precision (float32 unless made double): this runs at the
        # end of every fit, and a float64 copy of the network took 8% of a fit.
        module = self.module_.eval()
        dtype = torch.empty(0, dtype=next(module.parameters()).dtype).numpy().dtype

        table = hasattr(self, "table_layout_")  # its column variances need each entry's

        def codes_and_errors(batch):
            code = module.encode(batch)
            squared = (batch - decode(module, code)) ** 2
            parts = [code, squared.sum(1, keepdim=True)] + ([squared] if table else [])
            return torch.cat(parts, 1)

        stats = map_rows(codes_and_errors, X, self.device_, dtype=dtype).astype(np.float64)
        n_codes = stats.shape[1] - 1 - (X.shape[1] if table else 0)
        codes, residuals, squared = stats[:, :n_codes], stats[:, n_codes], stats[:, n_codes + 1 :]
        if observed is not None:  # completed entries fit by construction: scale up
            residuals = residuals * X.shape[1] / observed.sum(1)
        if incremental and hasattr(self, "code_moments_"):
            moments = CodeMoments.from_arrays(self.code_moments_)
        else:
            moments = CodeMoments(codes.shape[1], X.shape[1])
        # Bits of hash_codes split the training codes in half: thresholding at 0
        # left 3 of 16 bits constant on digits (precision@10 0.47, PCA's signs 0.66).
        median = np.median(codes, axis=0)
        if incremental and hasattr(self, "hash_thresholds_") and moments.count:
            share = len(codes) / (moments.count + len(codes))  # running, weighted by rows
            median = (1 - share) * self.hash_thresholds_ + share * median
        self.hash_thresholds_ = median
        moments.update(X, codes, residuals)
        mean = moments.code_mean_and_covariance()[0]
        mean_code = to_tensor(mean[None], self.device_, dtype)
        jacobian = decoder_jacobian(module, mean_code)
        jacobian = jacobian.detach().cpu().numpy().astype(np.float64)  # (d, k)
        self.code_mean_, self.code_covariance_, self.noise_variance_ = fit_latent_gaussian(
            moments, jacobian
        )
        self.code_moments_ = moments.as_arrays()
        self._fit_column_variances(squared, observed)
        if not incremental:
            self._warn_dead_units(np.diag(moments.code_mean_and_covariance()[1]))

    def _fit_column_variances(self, squared, observed):
        """``column_variances_`` of a mixed table's model: each numeric column's mean
        squared residual on its observed training cells (``squared``: the training
        rows' squared residuals; standardised scale; 1 for level indicators), its
        Gaussian's variance in the score and in ``sample``."""
        self.__dict__.pop("column_variances_", None)
        if not hasattr(self, "table_layout_"):
            return
        n_rows, width = squared.shape
        counts = np.full(width, n_rows) if observed is None else observed.sum(0)
        if observed is not None:
            squared = squared * observed
        variances = squared.sum(0) / np.maximum(counts, 1)
        numeric = self.module_.observation.numeric  # each number's matrix column
        # A floor: a column the decoder copies exactly would otherwise score +inf.
        self.column_variances_ = np.ones(width)
        self.column_variances_[numeric] = np.maximum(variances[numeric], 1e-6)

    def _warn_dead_units(self, code_variances):
        dead = int(np.sum(code_variances <= 1e-12 * max(code_variances.max(), 1e-300)))
        if dead:
            warnings.warn(
                f"{dead} of {len(code_variances)} code units of {type(self).__name__} are "
                "constant on the training data (dead): they carry no information. Lower "
                "the sparsity (alpha) or lr, use code_activation='identity' or 'elu', or "
                "fewer n_components.",
                DeadCodeUnitsWarning,
                stacklevel=6,
            )

    def _prior_draws(self, n_samples, random_state):
        """Codes drawn from the model's code density (float64): for an
        autoencoder, the Gaussian ``N(code_mean_, code_covariance_)`` of the score."""
        rng = np.random.default_rng(seed_sequence(random_state))
        return rng.multivariate_normal(
            self.code_mean_, self.code_covariance_, size=n_samples, method="eigh"
        )

    def _code_draws(self, X, random_state):
        """The codes of ``X`` as the model draws them (float64): ``transform``
        for a deterministic encoder, a draw of ``q(h|x)`` for a Gaussian one."""
        return self.transform(X).astype(np.float64)

    def _posterior_draws(self, X, random_state):
        """One draw of ``q(h|x) = N(mean, diag exp(log_variance))`` per row of ``X``,
        for the modules with a ``posterior`` (Gaussian encoders)."""
        X = self._validated(X)
        rng = np.random.default_rng(seed_sequence(random_state))
        moments = self._infer(lambda module, batch: torch.cat(module.posterior(batch), 1), X)
        mean, log_variance = np.split(moments.astype(np.float64), 2, axis=1)
        return mean + np.exp(0.5 * log_variance) * rng.standard_normal(mean.shape)

    def _log_likelihood(self, X, n_importance_samples):
        """Per-row estimates of ``log p(x)`` and their standard errors.

        Computed in the float precision ``transform`` uses for ``X``.
        """
        layout = getattr(self, "table_layout_", None)
        units = None if layout is None else layout.log_scale(X)
        X, observed = self._validated_with_mask(X)
        stacked = with_mask(X, observed)
        compute = self._compute_dtype(X.dtype)
        module = self._fitted_module(compute)
        dtype = torch.float32 if compute == np.float32 else torch.float64
        arguments = (module, self.code_mean_, self.code_covariance_, self.noise_variance_)
        if layout is None:
            model = _MarginalLikelihood(*arguments).to(self.device_, dtype)
        else:
            model = _JointMarginalLikelihood(*arguments, self.column_variances_)
            model = model.to(self.device_, dtype)
        draws = RowDraws(
            seed_sequence(self.random_state), n_importance_samples, model.rank, X.shape[1]
        ).to(self.device_, dtype)
        per_row = max(1, n_importance_samples, model.rank) * self._widest_layer()
        batch_size = max(1, JACOBIAN_VALUES_PER_BATCH // per_row)

        def per_batch(batch):
            batch, mask = batch.chunk(2, dim=1)
            # Forward-mode autodiff keeps process-wide state: one thread at a time.
            with _FORWARD_MODE_LOCK:
                estimate, error = model(batch, draws(batch), mask)
            return torch.stack([estimate, error], 1)

        out = map_rows(per_batch, stacked, self.device_, batch_size=batch_size, dtype=compute)
        out = out.astype(X.dtype, copy=False)
        if units is not None:  # a density of numbers in their units, not standardised
            out[:, 0] -= units
        return out[:, 0], out[:, 1], X.dtype

    def _widest_layer(self):
        """Values per row of the decoder's widest layer, which bounds a batch's memory.

        Counting the input width alone let a convolutional decoder's feature
        maps (8x wider on MNIST) spill out of the cache: decoding the score's
        samples was 1.3x slower per row.
        """
        spec = self.spec_
        if spec.image_shape is None:
            return spec.n_features
        _, height, width = spec.image_shape
        maps = spec.conv_channels[0] * -(-height // 2) * -(-width // 2)
        return max(spec.n_features, maps)

    @lazy_on_dask
    def score_samples(self, X, n_importance_samples=N_IMPORTANCE_SAMPLES):
        """Log-likelihood of each sample in nats, comparable with ``PCA.score_samples``.

        The autoencoder is read as the latent-variable model its decoder
        defines: ``h ~ N(code_mean_, code_covariance_)`` and
        ``x | h ~ N(g(h), noise_variance_ I)``. The marginal ``log p(x)`` is
        estimated by importance sampling from a Gaussian at the posterior mode
        of ``h`` (found from the encoder's code by Gauss-Newton steps); it is
        exact, with no sampling, when the decoder is affine, and it is then
        probabilistic PCA's likelihood. Deterministic given ``random_state``.
        For the plain reconstruction error use ``reconstruction_error``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        n_importance_samples : int, default=64
            Importance samples per row; more lower the Monte Carlo error.

        Returns
        -------
        log_likelihood : ndarray of shape (n_samples,)
            Higher is better.
        """
        n_importance_samples = check_count(n_importance_samples, "n_importance_samples")
        estimate, _, dtype = self._log_likelihood(X, n_importance_samples)
        return estimate.astype(dtype, copy=False)

    def score(self, X, y=None):
        """Average log-likelihood of the samples, comparable with ``PCA.score``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to score.
        y : Ignored
            Not used, present for API consistency by convention.

        Returns
        -------
        score : float
            Mean of ``score_samples(X)``; higher is better.
        """
        return float(np.mean(self.score_samples(X)))

    @lazy_on_dask
    def reconstruction_error(self, X):
        """Squared reconstruction error of each sample, summed over features.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data to reconstruct.

        Returns
        -------
        errors : ndarray of shape (n_samples,)
            ``||x - inverse_transform(transform(x))||^2`` per sample, over its
            observed (non-NaN) features; 0 is perfect.
        """
        X, observed = self._validated_with_mask(X)
        errors = self._infer(
            lambda module, batch: (batch - decode(module, module.encode(batch))) ** 2, X
        )
        return (errors if observed is None else errors * observed).sum(1, dtype=X.dtype)
