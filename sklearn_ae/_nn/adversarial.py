"""The adversarial autoencoder's module and its prior. Nothing here knows scikit-learn.

The module is a dense or convolutional autoencoder (as ``DenseAutoencoder``
and ``ConvAutoencoder`` build them) with a discriminator on the code beside
it. The discriminator is trained by its own optimizer (see
``_adversarial.AdversarialGame``): the engine's optimizer leaves the
parameters listed by ``separately_trained`` alone.
"""

import dataclasses
import math
from itertools import pairwise
from numbers import Real

import numpy as np
import torch
from torch import nn

from .base import AutoencoderModule
from .conv import ConvAutoencoder
from .dense import DenseAutoencoder
from .layers import linear, positive_int
from .variational import reparameterise

# Slope of the discriminator's leaky ReLUs, as GAN discriminators usually have
# (Radford et al.'s DCGAN): a ReLU unit that is off for every code would pass
# no gradient on to the encoder.
_LEAK = 0.2
# The Gaussian encoder's log-variance starts here (a standard deviation of
# 0.14), as the variational autoencoder's does: unit noise on a fresh code
# would drown what the decoder needs.
_INITIAL_LOG_VARIANCE = -4.0


class MixturePrior:
    """An equal-weight mixture of isotropic Gaussians ``N(mean_i, std^2 I)``.

    One component at 0 with ``std=1`` is the standard normal prior.
    """

    def __init__(self, means, std):
        self.means = np.asarray(means, dtype=np.float64)
        self.std = float(std)

    def sample(self, n_samples, generator, like):
        """``n_samples`` draws as a tensor of ``like``'s dtype and device, from ``generator``."""
        means = torch.as_tensor(self.means, dtype=like.dtype, device=like.device)
        noise = torch.randn(
            (n_samples, means.shape[1]), generator=generator, device=like.device, dtype=like.dtype
        )
        if means.shape[0] == 1:
            return means[0] + self.std * noise
        pick = torch.randint(means.shape[0], (n_samples,), generator=generator, device=like.device)
        return means[pick] + self.std * noise

    def sample_numpy(self, n_samples, rng):
        """``n_samples`` draws (float64) from a numpy ``Generator``."""
        pick = rng.integers(self.means.shape[0], size=n_samples)
        noise = rng.standard_normal((n_samples, self.means.shape[1]))
        return self.means[pick] + self.std * noise


def circle_means(n_modes, n_components, radius):
    """``n_modes`` means evenly spaced on a circle of ``radius`` in the first two code
    dimensions (0 in the others), as in the adversarial autoencoder paper's figures."""
    angles = 2 * np.pi * np.arange(n_modes) / n_modes
    means = np.zeros((n_modes, n_components))
    means[:, 0] = radius * np.cos(angles)
    if n_components > 1:
        means[:, 1] = radius * np.sin(angles)
    return means


class AdversarialAutoencoder(AutoencoderModule):
    """An autoencoder whose code is pushed towards a prior by a discriminator.

    ``encoder="gaussian"``: the encoder gives ``q(h|x) = N(mu(x), diag
    sigma^2(x))`` (its last layer is twice as wide), training decodes a draw,
    and ``encode`` is the mean. ``forward`` returns ``(output, code)`` where
    ``code`` is what the discriminator judges: the draw, or the deterministic
    code. ``discriminate(code)`` gives the discriminator's logit that a code is
    a prior draw.
    """

    separately_trained = ("discriminator",)
    spec_fields = (
        "image_shape",
        "conv_channels",
        "encoder",
        "discriminator_layer_sizes",
        "prior_means",
        "prior_std",
    )

    @classmethod
    def spec_problems(cls, spec):
        if spec.encoder not in ("deterministic", "gaussian"):
            yield f"encoder={spec.encoder!r}"
        sizes = spec.discriminator_layer_sizes
        if not all(positive_int(s) for s in sizes):
            yield f"discriminator_layer_sizes={sizes!r}"
        means, std = spec.prior_means, spec.prior_std
        valid_means = (
            isinstance(means, tuple)
            and len(means) > 0
            and all(
                isinstance(mean, tuple)
                and len(mean) == spec.n_components
                and all(isinstance(v, Real) and math.isfinite(v) for v in mean)
                for mean in means
            )
        )
        if not valid_means:
            yield f"prior_means={means!r} for n_components={spec.n_components}"
        if not (isinstance(std, Real) and math.isfinite(std) and std > 0):
            yield f"prior_std={std!r}"

    def __init__(self, spec, device="meta"):
        super().__init__(spec)
        self.gaussian = spec.encoder == "gaussian"
        kind = DenseAutoencoder if spec.image_shape is None else ConvAutoencoder
        plain = dataclasses.replace(spec, kind="dense" if spec.image_shape is None else "conv")
        width = 2 * spec.n_components if self.gaussian else spec.n_components
        self.encoder = kind(dataclasses.replace(plain, n_components=width), device).encoder
        self.decoder = kind(plain, device).decoder
        self.n_components = spec.n_components
        widths = [spec.n_components, *spec.discriminator_layer_sizes]
        layers = []
        for n_in, n_out in pairwise(widths):
            layers += [linear(n_in, n_out, device), nn.LeakyReLU(_LEAK)]
        self.discriminator = nn.Sequential(*layers, linear(widths[-1], 1, device))
        self._decoder_affine = not spec.hidden_layer_sizes and spec.image_shape is None
        self._encoder_affine = (
            self._decoder_affine and not self.gaussian and spec.code_activation == "identity"
        )

    @property
    def decoder_is_affine(self):
        return self._decoder_affine

    @property
    def is_affine(self):
        return self._encoder_affine and self._decoder_affine

    def posterior(self, x):
        """The Gaussian encoder's ``(mean, log variance)``."""
        return super().encode(x).chunk(2, dim=-1)

    def encode(self, x):
        return self.posterior(x)[0] if self.gaussian else super().encode(x)

    def forward(self, x, generator=None):
        if not self.gaussian:
            return super().forward(x)
        mean, log_variance = self.posterior(x)
        code = mean
        if self.training:
            eps = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
            code = reparameterise(mean, log_variance, eps)
        return self.decode(code), code

    def discriminate(self, code):
        return self.discriminator(code)

    def encoder_copy(self):
        """The trained encoder to the code (the mean of a Gaussian encoder), on the CPU."""
        encoder = super().encoder_copy()
        if self.gaussian:
            index, last = [(i, m) for i, m in enumerate(encoder) if isinstance(m, nn.Linear)][-1]
            narrowed = nn.Linear(last.in_features, self.n_components)
            with torch.no_grad():
                narrowed.weight.copy_(last.weight[: self.n_components])
                narrowed.bias.copy_(last.bias[: self.n_components])
            encoder[index] = narrowed
        return encoder

    @torch.no_grad()
    def reset_parameters(self, generator):
        super().reset_parameters(generator)
        if self.gaussian:
            last = [m for m in self.encoder if isinstance(m, nn.Linear)][-1]
            last.bias[self.n_components :] = _INITIAL_LOG_VARIANCE
