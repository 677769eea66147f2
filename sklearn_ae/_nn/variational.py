"""The variational autoencoder (``kind="variational"``), dense or convolutional."""

import copy
import math
from itertools import pairwise

import torch
from torch import nn

from .activations import ACTIVATIONS
from .base import AutoencoderModule
from .conv import conv_stack
from .layers import linear, run_layers
from .losses import observation_for


def reparameterise(mean, log_variance, eps):
    """``mean + sigma * eps``, a draw of ``N(mean, diag sigma^2)`` from standard normal ``eps``."""
    return mean + torch.exp(0.5 * log_variance) * eps


def gaussian_kl(mean, log_variance):
    """``KL(N(mean, diag sigma^2) || N(0, I))`` per row."""
    return 0.5 * (torch.exp(log_variance) + mean**2 - 1 - log_variance).sum(1)


class VariationalAutoencoder(AutoencoderModule):
    """Gaussian encoder ``q(h|x) = N(mu(x), diag sigma^2(x))`` and a mirrored decoder.

    ``encode`` is the posterior mean; in training ``forward`` decodes a draw
    ``mu + sigma * eps`` (the reparameterisation trick, ``eps`` from the
    engine's private generator) and returns ``code = [mu, log sigma^2]`` for
    the KL term. ``loss="bce"`` is a Bernoulli decoder; ``loss="mse"`` a
    Gaussian one whose variance ``exp(log_noise_variance)`` is fitted to the
    training residuals.
    """

    spec_fields = ("image_shape", "conv_channels")

    def __init__(self, spec, device="meta"):
        super().__init__(spec)
        act = ACTIVATIONS[spec.activation].module
        # With ``image_shape`` the trunk starts with strided convolutions and the
        # decoder ends with their mirror, as in ``ConvAutoencoder``.
        convs, deconvs, flat = [], [], spec.n_features
        if spec.image_shape is not None:
            convs, deconvs, flat = conv_stack(
                spec.image_shape, spec.conv_channels, spec.activation, device
            )
        widths = [flat, *spec.hidden_layer_sizes]
        trunk = list(convs)
        for n_in, n_out in pairwise(widths):
            trunk += [linear(n_in, n_out, device), act()]
        self.trunk = nn.Sequential(*trunk)
        self.mean_head = linear(widths[-1], spec.n_components, device)
        self.log_variance_head = linear(widths[-1], spec.n_components, device)
        decoder = []
        reversed_widths = [spec.n_components, *spec.hidden_layer_sizes[::-1], flat]
        for i, (n_in, n_out) in enumerate(pairwise(reversed_widths)):
            decoder.append(linear(n_in, n_out, device))
            if i < len(reversed_widths) - 2 or deconvs:
                decoder.append(act())
        self.decoder = nn.Sequential(*decoder, *deconvs)
        if observation_for(spec).has_scale:
            # Set from the training residuals at the end of fit (see
            # ``reconstruction_loss`` for training); the score reads the
            # estimator's noise_variance_, equal to it. Kept for saved files.
            self.register_buffer("log_noise_variance", torch.empty(1, device=device))
        self._affine = not spec.hidden_layer_sizes and spec.image_shape is None

    @property
    def decoder_is_affine(self):
        return self._affine

    @property
    def is_affine(self):
        return self._affine

    def first_layer_weight(self):
        layers = [m for m in self.trunk if isinstance(m, (nn.Linear, nn.Conv2d))]
        return (layers[0] if layers else self.mean_head).weight

    def encoder_copy(self):
        """The trained encoder to the posterior mean, on the CPU, in training mode."""
        return copy.deepcopy(nn.Sequential(*self.trunk, self.mean_head)).cpu().train()

    def posterior(self, x):
        hidden = run_layers(self.trunk, x)
        return self.mean_head(hidden), self.log_variance_head(hidden)

    def encode(self, x):
        return self.posterior(x)[0]

    def forward(self, x, generator=None):
        mean, log_variance = self.posterior(x)
        h = mean
        if self.training:
            eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
            h = reparameterise(mean, log_variance, eps)
        return self.decode(h), torch.cat([mean, log_variance], 1)

    def reconstruction_loss(self, output, target, observed=None):
        criterion = super().reconstruction_loss(output, target, observed)
        if not self.observation.has_scale:
            return criterion
        # Gaussian negative log-likelihood per element at the variance that
        # maximises it for this batch, the mean squared error (a "calibrated
        # decoder", Rybkin et al. 2021): a learned variance parameter moved
        # too slowly under Adam at lr=1e-3 and left the ELBO 20 nats short.
        return 0.5 * (torch.log(criterion + 1e-12) + 1 + math.log(2 * math.pi))

    def log_likelihood(self, output, X, observed, noise_variance=None):
        """``log p(x | h)`` per row over the ``observed`` entries (1.0, else 0.0).

        ``output`` are decoder outputs (n, s, d) for rows ``X`` (n, 1, d). With
        ``noise_variance``, the Gaussian ``N(mean, noise_variance I)`` around
        the decoder's mean in data space, the observation model of every
        estimator's score; without, the Bernoulli decoder's own likelihood.
        """
        if noise_variance is None:
            return self.observation.log_density(output, X.expand_as(output), observed)
        residual = (X - self.observation.to_data(output)) * observed
        return -0.5 * (
            (residual**2).sum(-1) / noise_variance
            + observed.sum(-1) * math.log(2 * math.pi * noise_variance)
        )

    @torch.no_grad()
    def reset_parameters(self, generator):
        super().reset_parameters(generator)
        self.log_variance_head.bias.fill_(-4.0)  # start with a small posterior variance
        if self.observation.has_scale:
            self.log_noise_variance.zero_()
