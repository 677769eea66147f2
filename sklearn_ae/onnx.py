"""ONNX export of the estimators, for skl2onnx.

Call :func:`register_converters` once; then ``skl2onnx.to_onnx`` converts any
fitted estimator of this package, alone or inside a Pipeline, to an ONNX graph
that onnxruntime runs without Python or PyTorch: the autoencoders'
``transform``, the imputer's ``transform``, and the outlier detector's
``predict`` and ``decision_function`` (outputs ``label`` and ``scores``, as
skl2onnx gives scikit-learn's detectors; ``score_samples`` is ``scores +
offset_``), and the few-labels classifier's ``predict`` and
``predict_proba`` (``label`` and ``probabilities``; integer classes) and
regressor's ``predict``. Needs ``pip install skl2onnx onnxruntime`` (the ``[onnx]``
extra).
"""

from ._io.onnx import converter, imputer_converter, imputer_shape_calculator, shape_calculator
from ._io.onnx_detector import detector_converter, detector_shape_calculator
from ._io.onnx_few_labels import (
    classifier_converter,
    classifier_shape_calculator,
    regressor_converter,
    regressor_shape_calculator,
)
from ._registry import AUTOENCODERS
from .impute import AutoencoderImputer
from .outlier_detection import AutoencoderOutlierDetector
from .semi_supervised import AutoencoderClassifier, AutoencoderRegressor

__all__ = ["register_converters"]


def register_converters():
    """Register every estimator of this package with skl2onnx (idempotent).

    Examples
    --------
    >>> import numpy as np
    >>> from skl2onnx import to_onnx
    >>> from sklearn_ae import AutoencoderTransformer
    >>> from sklearn_ae.onnx import register_converters
    >>> register_converters()
    >>> X = np.random.default_rng(0).random((50, 6)).astype(np.float32)
    >>> ae = AutoencoderTransformer(2, max_epochs=2, random_state=0).fit(X)
    >>> onnx_model = to_onnx(ae, X[:1])
    """
    try:
        from skl2onnx import update_registered_converter
    except ImportError as error:
        raise ImportError(
            "ONNX export needs skl2onnx and onnxruntime: pip install skl2onnx onnxruntime "
            "(or sklearn_ae's [onnx] extra)."
        ) from error
    for cls in AUTOENCODERS:
        update_registered_converter(
            cls, f"SklearnAE{cls.__name__}", shape_calculator, converter, overwrite=True
        )
    update_registered_converter(
        AutoencoderImputer,
        "SklearnAEAutoencoderImputer",
        imputer_shape_calculator,
        imputer_converter,
        overwrite=True,
    )
    update_registered_converter(
        AutoencoderOutlierDetector,
        "SklearnAEAutoencoderOutlierDetector",
        detector_shape_calculator,
        detector_converter,
        overwrite=True,
    )
    update_registered_converter(
        AutoencoderClassifier,
        "SklearnAEAutoencoderClassifier",
        classifier_shape_calculator,
        classifier_converter,
        options={"zipmap": [True, False, "columns"], "nocl": [True, False]},
        overwrite=True,
    )
    update_registered_converter(
        AutoencoderRegressor,
        "SklearnAEAutoencoderRegressor",
        regressor_shape_calculator,
        regressor_converter,
        overwrite=True,
    )
