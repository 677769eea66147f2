"""Warnings and errors raised by sklearn_ae."""

__all__ = ["DeviceFallbackWarning"]


class DeviceFallbackWarning(UserWarning):
    """A model saved on a device that is absent here was loaded on the CPU."""
