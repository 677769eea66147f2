"""Outlier detection with scikit-learn's contract over any of the package's autoencoders."""

from ._detector import AutoencoderOutlierDetector

__all__ = ["AutoencoderOutlierDetector"]
