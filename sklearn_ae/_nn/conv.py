"""The convolutional autoencoder (``kind="conv"``) and its convolution stacks."""

import math
from itertools import pairwise

import torch
from torch import nn

from .activations import ACTIVATIONS
from .base import AutoencoderModule
from .layers import TopK, linear


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

    spec_fields = ("k", "image_shape", "conv_channels")

    @classmethod
    def spec_problems(cls, spec):
        if spec.image_shape is None:
            yield "kind='conv' needs an image_shape"

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
                linear(n_in, n_out, device),
                ACTIVATIONS[spec.code_activation if last else spec.activation].module(),
            ]
        if spec.k is not None:
            encoder.append(TopK(spec.k))
        self.encoder = nn.Sequential(*encoder)
        decoder = []
        for n_in, n_out in pairwise(widths[::-1]):
            decoder += [linear(n_in, n_out, device), ACTIVATIONS[spec.activation].module()]
        self.decoder = nn.Sequential(*decoder, *deconvs)

    def first_layer_weight(self):
        """The first convolution's kernels (out_channels, channels, 3, 3)."""
        return next(m for m in self.encoder if isinstance(m, nn.Conv2d)).weight
