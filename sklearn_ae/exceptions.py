"""Warnings and errors raised by sklearn_ae."""

__all__ = ["DeviceFallbackWarning", "SharedDeviceWarning", "VersionMismatchWarning"]


class DeviceFallbackWarning(UserWarning):
    """A model saved on a device that is absent here was loaded on the CPU."""


class VersionMismatchWarning(UserWarning):
    """A saved model was written by another version of sklearn_ae or torch."""


class SharedDeviceWarning(UserWarning):
    """Parallel worker processes are about to share one GPU."""
