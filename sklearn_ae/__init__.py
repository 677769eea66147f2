"""Autoencoders as scikit-learn transformers, trained with PyTorch through skorch."""

from . import metrics
from ._autoencoder import AutoencoderTransformer
from ._contractive import ContractiveAE
from ._denoising import DenoisingAE
from ._hashing import hamming_neighbors
from ._sparse import SparseAE

__version__ = "0.1.0.dev0"

__all__ = [
    "AutoencoderTransformer",
    "ContractiveAE",
    "DenoisingAE",
    "SparseAE",
    "hamming_neighbors",
    "__version__",
    "metrics",
]
