"""Every estimator of the package, listed once, and how each is read back from disk.

``sklearn_ae.load``, the ONNX converters and the cross-cutting tests read these
tables. Nothing registers itself on import: an estimator is added here, with
its loader, or it is not loadable.
"""

from pathlib import Path

from ._io.persistence import load_autoencoder, read_document
from .decomposition import (
    AdversarialAE,
    AutoencoderTransformer,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VariationalAE,
)
from .impute import AutoencoderImputer
from .impute._persistence import load_imputer
from .outlier_detection import AutoencoderOutlierDetector
from .outlier_detection._persistence import load_detector
from .semi_supervised import AutoencoderClassifier, AutoencoderRegressor
from .semi_supervised._persistence import load_fine_tuned

AUTOENCODERS = (
    AdversarialAE,
    AutoencoderTransformer,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VariationalAE,
)
# ``loader(cls, path, document, device, load)``: ``load`` reads a directory inside.
LOADERS = {
    **dict.fromkeys(AUTOENCODERS, load_autoencoder),
    AutoencoderImputer: load_imputer,
    AutoencoderOutlierDetector: load_detector,
    AutoencoderClassifier: load_fine_tuned,
    AutoencoderRegressor: load_fine_tuned,
}
ESTIMATORS = {cls.__name__: cls for cls in LOADERS}


def load(path, device=None):
    """The estimator saved in ``path`` (see ``sklearn_ae.load``)."""
    path = Path(path)
    document = read_document(path)
    cls = ESTIMATORS.get(document.get("class"))
    if cls is None:
        raise ValueError(
            f"class {document.get('class')!r} is not a sklearn_ae estimator; expected "
            f"one of {sorted(ESTIMATORS)}."
        )
    return LOADERS[cls](cls, path, document, device, lambda inner: load(inner, device))
