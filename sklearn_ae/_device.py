"""Device resolution: turns the ``device`` parameter into a concrete torch device."""

import re

import torch

_DEVICE_PATTERN = re.compile(r"cpu|auto|cuda(:\d+)?")


def resolve_device(device):
    """Return the device string to train on, or raise a ValueError saying why not."""
    if not _DEVICE_PATTERN.fullmatch(device):
        raise ValueError(
            f"device={device!r} is not understood; use 'cpu', 'cuda', 'cuda:N' or 'auto'."
        )
    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={device!r} was requested but CUDA is not available; "
                "use device='cpu' or device='auto'."
            )
        index = int(device.partition(":")[2] or 0)
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device={device!r} was requested but only "
                f"{torch.cuda.device_count()} CUDA device(s) are visible; use "
                f"'cuda:0' to 'cuda:{torch.cuda.device_count() - 1}' or 'auto'."
            )
    return device
