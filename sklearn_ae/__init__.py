"""Autoencoders as scikit-learn transformers, trained with PyTorch through skorch."""

from . import metrics
from ._nn.spec import NetworkSpec
from ._registry import load as _load
from ._version import __version__
from .decomposition import (
    AdversarialAE,
    AutoencoderTransformer,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VariationalAE,
)
from .impute import AutoencoderImputer
from .neighbors import HammingIndex, hamming_neighbors, hamming_radius_neighbors
from .outlier_detection import AutoencoderOutlierDetector
from .semi_supervised import AutoencoderClassifier, AutoencoderRegressor


def load(path, device=None):
    """Load an estimator written by ``estimator.save(path)``, without unpickling.

    Parameters
    ----------
    path : str or path-like
        Directory written by ``save``.
    device : str or None, default=None
        Where to put the model: None keeps the saved device when available and
        falls back to the CPU with a ``DeviceFallbackWarning`` otherwise.

    Returns
    -------
    estimator : fitted estimator
        Ready for ``transform``, with its training history; its optimizer
        state starts afresh if it is trained further with ``warm_start=True``.

    Raises
    ------
    ValueError
        If the directory was not written by ``save`` or was tampered with
        (edited JSON, missing, extra or reshaped tensors).
    """
    return _load(path, device=device)


__all__ = [
    "AdversarialAE",
    "AutoencoderClassifier",
    "AutoencoderRegressor",
    "AutoencoderImputer",
    "AutoencoderOutlierDetector",
    "AutoencoderTransformer",
    "ContractiveAE",
    "DenoisingAE",
    "NetworkSpec",
    "SparseAE",
    "VariationalAE",
    "HammingIndex",
    "hamming_neighbors",
    "hamming_radius_neighbors",
    "load",
    "__version__",
    "metrics",
]
