"""Autoencoders as scikit-learn transformers, trained with PyTorch through skorch."""

from . import metrics
from ._adversarial import AdversarialAE
from ._autoencoder import AutoencoderTransformer
from ._contractive import ContractiveAE
from ._denoising import DenoisingAE
from ._detector import AutoencoderOutlierDetector
from ._hashing import HammingIndex, hamming_neighbors, hamming_radius_neighbors
from ._imputer import AutoencoderImputer
from ._persistence import load_estimator as _load_estimator
from ._sparse import SparseAE
from ._spec import NetworkSpec
from ._variational import VariationalAE
from ._version import __version__


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
    return _load_estimator(path, device=device)


__all__ = [
    "AdversarialAE",
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
