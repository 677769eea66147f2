"""Imputation of missing entries by an autoencoder."""

from ._imputer import AutoencoderImputer

__all__ = ["AutoencoderImputer"]
