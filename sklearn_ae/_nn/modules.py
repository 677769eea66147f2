"""The torch modules, one class per module kind. Nothing here knows scikit-learn.

A module kind carries its own knowledge: what ``forward`` returns (always
``(reconstruction_or_logits, code)``), whether its maps are affine, its decoder
weights and, where one exists, the closed form of its encoder Jacobian. The
estimators only ever call these methods; ``MODULE_KINDS`` maps a
``NetworkSpec.kind`` to its class.
"""

import copy
import math
from itertools import pairwise

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from .losses import LOSSES


class Activation:
    """An activation: its module, and its slope ``d act(z) / dz``.

    ``slope(h, z)`` takes the output ``h = act(z)`` and the pre-activation
    ``z``; most slopes follow from ``h`` alone, which saves recomputing ``z``.
    """

    def __init__(self, module, slope, slope_needs_z=False):
        self.module = module
        self.slope = slope
        self.slope_needs_z = slope_needs_z


def _gelu_slope(h, z):
    # gelu(z) = z * Phi(z), so its slope is Phi(z) + z * phi(z).
    return 0.5 * (1 + torch.erf(z / 2**0.5)) + z * torch.exp(-0.5 * z**2) / (2 * torch.pi) ** 0.5


# One table: a new activation cannot be added without its derivative.
ACTIVATIONS = {
    "relu": Activation(nn.ReLU, lambda h, z: (h > 0).to(h.dtype)),
    "tanh": Activation(nn.Tanh, lambda h, z: 1 - h**2),
    "sigmoid": Activation(nn.Sigmoid, lambda h, z: h * (1 - h)),
    # alpha=1: elu(z) = exp(z) - 1 below 0, so the slope there is h + 1.
    "elu": Activation(nn.ELU, lambda h, z: torch.where(h > 0, torch.ones_like(h), h + 1)),
    "gelu": Activation(nn.GELU, _gelu_slope, slope_needs_z=True),
    "identity": Activation(nn.Identity, lambda h, z: torch.ones_like(h)),
}


# Layers called as the function their ``forward`` calls: the module call
# (``_call_impl`` and ``forward``) of the eight layers of a 6-64-3-64-6 network
# was 7 % of its training step.
_AS_FUNCTIONS = {
    nn.Linear: lambda layer, x: F.linear(x, layer.weight, layer.bias),
    nn.ReLU: lambda layer, x: torch.relu(x),
    nn.Tanh: lambda layer, x: torch.tanh(x),
    nn.Sigmoid: lambda layer, x: torch.sigmoid(x),
    nn.Identity: lambda layer, x: x,
}
# torch's registries of global module hooks (private names: where one is not
# found, hooks are assumed, and layers are called as modules).
_GLOBAL_HOOK_REGISTRIES = (
    "_global_forward_hooks",
    "_global_forward_pre_hooks",
    "_global_backward_hooks",
    "_global_backward_pre_hooks",
)
_MODULE_HOOK_REGISTRIES = (
    "_forward_hooks",
    "_forward_pre_hooks",
    "_backward_hooks",
    "_backward_pre_hooks",
)


def global_hooks_possible():
    """Whether a global module hook is set, or could be (a registry was not found)."""
    registries = [getattr(torch.nn.modules.module, name, None) for name in _GLOBAL_HOOK_REGISTRIES]
    return any(registry is None or len(registry) for registry in registries)


def has_hooks(module):
    """Whether ``module`` has a hook of its own, or could have (a registry was not found)."""
    return any(getattr(module, name, True) for name in _MODULE_HOOK_REGISTRIES)


def run_layers(sequence, x):
    """``sequence(x)``, with plain layers called as functions (the same operations).

    Any layer, or the sequence, with a hook (or any global module hook) is
    called as a module, so hooks still run.
    """
    if global_hooks_possible() or has_hooks(sequence):
        return sequence(x)
    for layer in sequence:
        call = _AS_FUNCTIONS.get(type(layer))
        x = layer(x) if call is None or has_hooks(layer) else call(layer, x)
    return x


class TopK(nn.Module):
    """Keep the ``k`` largest entries of each row and zero the rest (k-sparse code)."""

    def __init__(self, k):
        super().__init__()
        self.k = k

    def forward(self, h):
        if self.k >= h.shape[-1]:
            return h
        kth_largest = torch.topk(h, self.k, dim=-1).values[..., -1:]
        return h * (h >= kth_largest)

    def extra_repr(self):
        return f"k={self.k}"


def _linear(n_in, n_out, device):
    # Built on the meta device by default: nn.Linear's own initialisation
    # would draw from torch's global RNG, which fitting must never touch.
    return nn.Linear(n_in, n_out, device=device)


class AutoencoderModule(nn.Module):
    """What every module kind offers the estimators and the engine.

    ``forward(x, generator=None)`` returns ``(output, code)``: the decoder's
    output (before the observation model's link, e.g. logits for ``loss="bce"``)
    and what the estimator's penalty sees; ``encode``/``decode`` are the
    deterministic maps used for inference; ``reconstruction_loss`` is the
    training criterion per element.
    """

    def __init__(self, spec):
        super().__init__()
        self.loss = spec.loss

    @property
    def observation(self):
        """The observation model (an entry of ``LOSSES``)."""
        return LOSSES[self.loss]

    def reconstruction_loss(self, output, target, observed=None):
        """The training criterion, a mean per element.

        With ``observed`` (a boolean mask of the entries of ``target`` that are
        not missing) the mean runs over observed entries only.
        """
        return self.observation.criterion(output, target, observed)

    # Kinds override what applies to them.
    is_affine = False
    decoder_is_affine = False
    has_analytic_jacobian_norm = False

    def analytic_jacobian_norm(self, x, code):
        raise ValueError(
            f"{type(self).__name__} has no closed-form encoder Jacobian; use "
            "jacobian_method='hutchinson' or 'exact'."
        )

    def first_layer_weight(self):
        """The encoder's first weight matrix (n_out, n_features): its input filters."""
        return next(m for m in self.modules() if isinstance(m, nn.Linear)).weight

    # Kinds with ``self.encoder`` and ``self.decoder`` sequences share these.
    def encode(self, x):
        return run_layers(self.encoder, x)

    def decode(self, h):
        return run_layers(self.decoder, h)

    def forward(self, x, generator=None):
        code = self.encode(x)
        return self.decode(code), code

    def decoder_weights(self):
        """The decoder's dense weight matrices, input side first, as used in ``decode``."""
        return [m.weight for m in self.decoder if isinstance(m, nn.Linear)]

    def encoder_copy(self):
        """A trained copy of the encoder alone, on the CPU, in training mode."""
        return copy.deepcopy(self.encoder).cpu().train()

    def decoder_copy(self):
        """A trained copy of ``decode`` as a plain sequence of layers, on the CPU."""
        return copy.deepcopy(self.decoder).cpu().train()

    @torch.no_grad()
    def resample_code_units(self, units, alive, optimizer, generator):
        """Restart the dead code ``units`` as perturbed copies of ``alive`` ones.

        Each gets the weights into a randomly chosen live unit plus Glorot-scale
        noise of a tenth (a copy is active where its source is, whereas fresh
        random weights could be negative on every row of a ReLU network) and,
        unless tied, a zero decoder column, so the output is unchanged until
        training gives the unit a use; their optimizer moments are cleared.
        Kinds with a linear layer into the code only.
        """
        layer = [m for m in self.encoder if isinstance(m, nn.Linear)][-1]
        bound = 0.1 * math.sqrt(6.0 / (layer.in_features + layer.out_features))
        device = generator.device
        noise = torch.empty(len(units), layer.in_features, device=device)
        noise.uniform_(-bound, bound, generator=generator)
        pick = torch.randint(len(alive), (len(units),), generator=generator, device=device)
        sources = alive.to(device)[pick].to(layer.weight.device)
        layer.weight[units] = layer.weight[sources] + noise.to(layer.weight)
        layer.bias[units] = layer.bias[sources]
        cleared = [(layer.weight, units), (layer.bias, units)]
        if not getattr(self, "tied_weights", False):
            column = self.decoder_weights()[0]  # (width, n_components), a parameter
            column[:, units] = 0.0
            cleared.append((column, (slice(None), units)))
        for param, index in cleared:
            for moment in optimizer.state.get(param, {}).values():
                if moment.shape == param.shape:
                    moment[index] = 0.0

    @torch.no_grad()
    def reset_parameters(self, generator):
        """Glorot-uniform weights and zero biases, drawn from ``generator``.

        Glorot initialisation converged markedly faster than PyTorch's default
        here: a held-out error of 33.5 against 51.9 per MNIST image after 5
        epochs of a 784-128-64-32 autoencoder. A private generator keeps the
        global RNG untouched and makes the result reproducible.
        """
        for param in self.parameters():
            if param.ndim >= 2:  # Linear (out, in); convolutions (out, in, kh, kw)
                receptive = math.prod(param.shape[2:])
                fan_out, fan_in = param.shape[0] * receptive, param.shape[1] * receptive
                bound = math.sqrt(6.0 / (fan_in + fan_out))
                param.uniform_(-bound, bound, generator=generator)
            else:
                param.zero_()


class DenseAutoencoder(AutoencoderModule):
    """Fully connected encoder ``f`` and decoder ``g`` with mirrored hidden widths.

    ``forward`` returns ``(g(f(x)), f(x))`` so that losses can penalise the code.
    With ``tied_weights`` each decoder layer uses the transpose of the matching
    encoder weight and keeps its own bias.
    """

    def __init__(self, spec, device="meta"):
        super().__init__(spec)
        widths = [spec.n_features, *spec.hidden_layer_sizes, spec.n_components]
        self.tied_weights = spec.tied_weights
        self.code_activation = spec.code_activation
        self._affine = not spec.hidden_layer_sizes
        encoder = []
        for i, (n_in, n_out) in enumerate(pairwise(widths)):
            encoder.append(_linear(n_in, n_out, device))
            last = i == len(widths) - 2
            encoder.append(ACTIVATIONS[spec.code_activation if last else spec.activation].module())
        if spec.k is not None:
            encoder.append(TopK(spec.k))
        self.encoder = nn.Sequential(*encoder)

        reversed_widths = widths[::-1]
        if spec.tied_weights:
            self.decoder_biases = nn.ParameterList(
                nn.Parameter(torch.empty(n_out, device=device)) for n_out in reversed_widths[1:]
            )
            self.decoder_activation = ACTIVATIONS[spec.activation].module()
        else:
            decoder = []
            for i, (n_in, n_out) in enumerate(pairwise(reversed_widths)):
                decoder.append(_linear(n_in, n_out, device))
                if i < len(widths) - 2:
                    decoder.append(ACTIVATIONS[spec.activation].module())
            self.decoder = nn.Sequential(*decoder)
        self._encoder_is_affine = (
            self._affine and spec.code_activation == "identity" and spec.k is None
        )

    # ------------------------------------------------------------ structure
    @property
    def decoder_is_affine(self):
        """Whether ``decode`` is an affine map (no hidden layers)."""
        return self._affine

    @property
    def is_affine(self):
        """Whether encoder and decoder are both affine maps (the PCA setting)."""
        return self._encoder_is_affine and self._affine

    def encoder_linears(self):
        return [m for m in self.encoder if isinstance(m, nn.Linear)]

    def decoder_weights(self):
        if self.tied_weights:
            return [lin.weight.T for lin in reversed(self.encoder_linears())]
        return super().decoder_weights()

    def decoder_copy(self):
        if not self.tied_weights:
            return super().decoder_copy()
        linears = self.encoder_linears()[::-1]
        layers = []
        for i, (lin, bias) in enumerate(zip(linears, self.decoder_biases, strict=True)):
            layer = nn.Linear(lin.out_features, lin.in_features)
            with torch.no_grad():
                layer.weight.copy_(lin.weight.T)
                layer.bias.copy_(bias)
            layers.append(layer)
            if i < len(linears) - 1:
                layers.append(copy.deepcopy(self.decoder_activation))
        return nn.Sequential(*layers).cpu().train()

    # ------------------------------------------------------------- the maps
    def decode(self, h):
        if not self.tied_weights:
            return run_layers(self.decoder, h)
        linears = self.encoder_linears()[::-1]
        for i, (lin, bias) in enumerate(zip(linears, self.decoder_biases, strict=True)):
            h = F.linear(h, lin.weight.T, bias)
            if i < len(linears) - 1:
                h = self.decoder_activation(h)
        return h

    # ------------------------------------------------------------ Jacobians
    @property
    def has_analytic_jacobian_norm(self):
        """Whether ``analytic_jacobian_norm`` applies: one layer, no top-k."""
        return len(self.encoder) == 2

    def analytic_jacobian_norm(self, x, code):
        """Per-sample ``||d code / d x||_F^2``, differentiable in the weights.

        One Linear layer then an elementwise activation: ``J = diag(act'(z)) W``,
        so ``||J||_F^2 = sum_j act'(z_j)^2 ||W_j||^2``.
        """
        if not self.has_analytic_jacobian_norm:
            raise ValueError(
                "The analytic Jacobian norm needs a one-layer encoder without top-k "
                "(hidden_layer_sizes=(), k=None); use jacobian_method='hutchinson' "
                "or 'exact'."
            )
        linear = self.encoder[0]
        activation = ACTIVATIONS[self.code_activation]
        z = F.linear(x, linear.weight, linear.bias) if activation.slope_needs_z else None
        slope = activation.slope(code, z)
        return slope.pow(2) @ linear.weight.pow(2).sum(1)


class ImageUnflatten(nn.Unflatten):
    """Flat rows to (channels, height, width) maps, channels-last in inference.

    Channels-last maps made the transposed convolutions of inference twice as
    fast on the CPU (scoring decodes 64 samples per row); training keeps the
    default layout, so trained weights are unchanged.
    """

    def forward(self, x):
        maps = super().forward(x)
        # torch.func transforms (the score's Jacobians) support only the default layout
        if not self.training and maps.dim() == 4 and not _is_transformed(maps):
            maps = maps.contiguous(memory_format=torch.channels_last)
        return maps


def _is_transformed(tensor):
    """Whether ``tensor`` is traced by a torch.func transform (vmap, jvp, grad)."""
    return torch._C._functorch.is_functorch_wrapped_tensor(tensor)


def conv_stack(image_shape, channels, activation, device):
    """3x3 stride-2 convolutions and their mirror, sized to give back ``image_shape``.

    Returns the encoder layers, the decoder layers and the flat size of the
    last feature map.
    """
    sizes = [tuple(image_shape[1:])]
    for _ in channels:
        sizes.append(tuple(-(-n // 2) for n in sizes[-1]))  # ceil(n / 2)
    widths = [image_shape[0], *channels]
    # Dimensions counted from the end, so a single unbatched row works too (vmap).
    encoder = [ImageUnflatten(-1, tuple(image_shape))]
    for n_in, n_out in pairwise(widths):
        conv = nn.Conv2d(n_in, n_out, 3, stride=2, padding=1, device=device)
        encoder += [conv, ACTIVATIONS[activation].module()]
    encoder.append(nn.Flatten(-3))
    flat = widths[-1] * math.prod(sizes[-1])
    decoder = [ImageUnflatten(-1, (widths[-1], *sizes[-1]))]
    for i in range(len(channels), 0, -1):
        # A stride-2 transposed convolution gives 2n - 1 (+1 with output_padding).
        padding = tuple(t - (2 * n - 1) for t, n in zip(sizes[i - 1], sizes[i], strict=True))
        decoder.append(
            nn.ConvTranspose2d(
                widths[i],
                widths[i - 1],
                3,
                stride=2,
                padding=1,
                output_padding=padding,
                device=device,
            )
        )
        if i > 1:
            decoder.append(ACTIVATIONS[activation].module())
    decoder.append(nn.Flatten(-3))
    return encoder, decoder, flat


class ConvAutoencoder(AutoencoderModule):
    """Strided convolutions to a dense code, and their mirror back to the image.

    Rows stay flat outside (``n_features = channels * height * width``); the
    module reshapes them. Dense layers (``hidden_layer_sizes``) join the last
    feature map to the code.
    """

    def __init__(self, spec, device="meta"):
        super().__init__(spec)
        convs, deconvs, flat = conv_stack(
            spec.image_shape, spec.conv_channels, spec.activation, device
        )
        widths = [flat, *spec.hidden_layer_sizes, spec.n_components]
        encoder = list(convs)
        for i, (n_in, n_out) in enumerate(pairwise(widths)):
            last = i == len(widths) - 2
            encoder += [
                _linear(n_in, n_out, device),
                ACTIVATIONS[spec.code_activation if last else spec.activation].module(),
            ]
        if spec.k is not None:
            encoder.append(TopK(spec.k))
        self.encoder = nn.Sequential(*encoder)
        decoder = []
        for n_in, n_out in pairwise(widths[::-1]):
            decoder += [_linear(n_in, n_out, device), ACTIVATIONS[spec.activation].module()]
        self.decoder = nn.Sequential(*decoder, *deconvs)

    def first_layer_weight(self):
        """The first convolution's kernels (out_channels, channels, 3, 3)."""
        return next(m for m in self.encoder if isinstance(m, nn.Conv2d)).weight


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
            trunk += [_linear(n_in, n_out, device), act()]
        self.trunk = nn.Sequential(*trunk)
        self.mean_head = _linear(widths[-1], spec.n_components, device)
        self.log_variance_head = _linear(widths[-1], spec.n_components, device)
        decoder = []
        reversed_widths = [spec.n_components, *spec.hidden_layer_sizes[::-1], flat]
        for i, (n_in, n_out) in enumerate(pairwise(reversed_widths)):
            decoder.append(_linear(n_in, n_out, device))
            if i < len(reversed_widths) - 2 or deconvs:
                decoder.append(act())
        self.decoder = nn.Sequential(*decoder, *deconvs)
        if LOSSES[spec.loss].has_scale:
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


MODULE_KINDS = {
    "dense": DenseAutoencoder,
    "conv": ConvAutoencoder,
    "variational": VariationalAutoencoder,
}


def module_shapes(spec):
    """Name and shape of every tensor of the module ``spec`` describes, allocating nothing."""
    module = MODULE_KINDS[spec.kind](spec, device="meta")
    return {name: tuple(value.shape) for name, value in module.state_dict().items()}


def build_module(spec, generator=None):
    """The module ``spec`` describes, on the CPU, with weights drawn from ``generator``.

    Without a generator the weights are left uninitialised, to be loaded.
    """
    module = MODULE_KINDS[spec.kind](spec, device="meta").to_empty(device="cpu")
    if generator is not None:
        module.reset_parameters(generator)
    return module


def fitted_network(spec, weights, device):
    """The trained module ``spec`` describes, with ``weights`` (name -> array), on ``device``.

    What unpickling and ``sklearn_ae.load`` rebuild for inference: no optimizer,
    no engine.
    """
    module = build_module(spec)  # uninitialised: the weights are loaded next
    module.load_state_dict(
        {name: torch.as_tensor(np.array(value)) for name, value in weights.items()}
    )
    return module.to(device)
