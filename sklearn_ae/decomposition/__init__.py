"""Autoencoders as transformers, beside scikit-learn's ``PCA``: the classic bottlenecks
and the generative models."""

from ._adversarial import AdversarialAE
from ._autoencoder import AutoencoderTransformer
from ._contractive import ContractiveAE
from ._denoising import DenoisingAE
from ._sparse import SparseAE
from ._variational import VariationalAE

__all__ = [
    "AdversarialAE",
    "AutoencoderTransformer",
    "ContractiveAE",
    "DenoisingAE",
    "SparseAE",
    "VariationalAE",
]
