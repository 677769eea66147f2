"""Device resolution: turns the ``device`` parameter into a concrete torch device."""

import multiprocessing
import os
import re
import warnings

import torch

from ..exceptions import DeviceFallbackWarning, SharedDeviceWarning

_DEVICE_PATTERN = re.compile(r"cpu|auto|cuda(:\d+)?")


def resolve_device(device):
    """Return the device string to train on, or raise a ValueError saying why not."""
    device = str(device)  # a torch.device reads as "cpu", "cuda" or "cuda:N"
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


def available_device(saved_device, what):
    """``saved_device`` if usable here, else the CPU with a ``DeviceFallbackWarning``.

    For models loaded (unpickled or with ``sklearn_ae.load``) on another machine.
    """
    if saved_device.startswith("cuda") and not torch.cuda.is_available():
        warnings.warn(
            f"This {what} was fitted on device={saved_device!r}, which is not "
            "available here; it was loaded on the CPU. It transforms and scores here "
            "as is; to train it further here, call set_params(device='cpu') first "
            "(a warm start then continues on the CPU).",
            DeviceFallbackWarning,
            stacklevel=4,
        )
        return "cpu"
    return saved_device


# Names of the worker processes of joblib's default (loky) backend and of Dask.
_WORKER_PROCESS_PREFIXES = ("LokyProcess", "Dask Worker")


def warn_if_gpu_shared(device):
    """Warn when parallel workers would all train on the one visible GPU.

    ``GridSearchCV(n_jobs>1)`` or a Dask cluster on one GPU works (each worker
    is a fresh process with its own CUDA context), but the workers then share
    the GPU's memory and compute. Setting ``CUDA_VISIBLE_DEVICES`` per worker
    marks the choice as deliberate and silences this.
    """
    if not device.startswith("cuda") or "CUDA_VISIBLE_DEVICES" in os.environ:
        return
    process = multiprocessing.current_process().name
    if process.startswith(_WORKER_PROCESS_PREFIXES) and torch.cuda.device_count() == 1:
        warnings.warn(
            f"device={device!r} in parallel worker {process!r}: every worker trains on "
            "the same GPU, each with its own CUDA context. If intended, silence this "
            "SharedDeviceWarning; otherwise give each worker its own GPU through "
            "CUDA_VISIBLE_DEVICES, or use n_jobs=1.",
            SharedDeviceWarning,
            stacklevel=3,
        )
