"""Warnings and errors raised by sklearn_ae."""

__all__ = [
    "BottleneckWarning",
    "DeadCodeUnitsWarning",
    "DeviceFallbackWarning",
    "SharedDeviceWarning",
    "VersionMismatchWarning",
]


class DeviceFallbackWarning(UserWarning):
    """A model saved on a device that is absent here was loaded on the CPU."""


class VersionMismatchWarning(UserWarning):
    """A saved model was written by another version of sklearn_ae or torch."""


class SharedDeviceWarning(UserWarning):
    """Parallel worker processes are about to share one GPU."""


class BottleneckWarning(UserWarning):
    """A code at least as wide as the input leaves the autoencoder no bottleneck."""


class DeadCodeUnitsWarning(UserWarning):
    """Some code units are constant on the training data and carry no information."""
