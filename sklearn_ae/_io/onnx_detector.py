"""The ONNX converter of ``AutoencoderOutlierDetector``: ``predict`` and
``decision_function``, as skl2onnx converts scikit-learn's outlier detectors.

The graph has skl2onnx's two outputs for an outlier detector: ``label``
(``predict``: -1 for an outlier, +1 otherwise) and ``scores``
(``decision_function``, shape (n, 1)); ``score_samples`` is ``scores +
detector.offset_``. Each network's encoder and decoder are written as for the
autoencoders (missing entries completed as ``transform`` completes them), then
the row's likelihood terms: each observed feature's Gaussian around its
reconstruction, and the code's Gaussian.
"""

import numpy as np

from .onnx import _completed, _decoded, _Graph, _layers

# ONNX element types: float32, float64
_FLOAT, _DOUBLE = 1, 11


def detector_shape_calculator(operator):
    from skl2onnx.common.data_types import Int64TensorType

    detector = operator.raw_operator
    if hasattr(detector, "is_categorical_"):
        raise NotImplementedError(
            "AutoencoderOutlierDetector was fitted on a table with categorical columns, which "
            "ONNX export does not support; export a Pipeline of a ColumnTransformer "
            "(OneHotEncoder, StandardScaler) and a detector fitted with "
            "categorical_features=None."
        )
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = Int64TensorType([n_rows])
    operator.outputs[1].type = type(operator.inputs[0].type)([n_rows, 1])


def _row_sum(graph, x):
    axis = graph.constant("axis", [1], dtype=np.int64)
    return graph.node("ReduceSum", [x, axis], keepdims=0)


def _network_terms(graph, detector, i, z, observed, filled):
    """``code log-density - sum of the features' terms`` of network ``i`` (or
    minus the squared residuals with ``anomaly_score="reconstruction"``)."""
    estimator = detector.estimators_[i]
    module = estimator.module_
    codes = _layers(graph, module.encoder_copy(), _completed(graph, estimator, z))
    reconstruction = _decoded(graph, module, estimator.spec_.loss, codes)
    residual = graph.node("Sub", [filled, reconstruction])
    squared = graph.node("Mul", [residual, residual])
    zero = graph.constant("zero", [0.0])
    if detector.anomaly_score == "reconstruction":
        masked = graph.node("Where", [observed, squared, zero])
        return graph.node("Neg", [_row_sum(graph, masked)])
    noise = detector.noise_variances_[i]
    terms = graph.node("Div", [squared, graph.constant("twice_noise", 2 * noise)])
    terms = graph.node("Add", [terms, graph.constant("log_noise", 0.5 * np.log(2 * np.pi * noise))])
    masked = graph.node("Where", [observed, terms, zero])
    observation = _row_sum(graph, masked)
    mean, covariance = detector.code_means_[i], detector.code_covariances_[i]
    precision = np.linalg.inv(covariance)
    constant = -0.5 * (np.linalg.slogdet(covariance)[1] + len(mean) * np.log(2 * np.pi))
    centred = graph.node("Sub", [codes, graph.constant("code_mean", mean)])
    projected = graph.node("MatMul", [centred, graph.constant("code_precision", precision)])
    distance = _row_sum(graph, graph.node("Mul", [projected, centred]))
    code = graph.node(
        "Add",
        [
            graph.node("Mul", [distance, graph.constant("minus_half", [-0.5])]),
            graph.constant("code_constant", [constant]),
        ],
    )
    return graph.node("Sub", [code, observation])


def detector_converter(scope, operator, container):
    from skl2onnx.common.data_types import DoubleTensorType

    detector = operator.raw_operator
    graph = _Graph(scope, container)
    x = operator.inputs[0].full_name
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    if double:  # the weights are float32: compute in float32, return float64
        x = graph.node("Cast", [x], to=_FLOAT)
    z = graph.node(
        "Div",
        [
            graph.node("Sub", [x, graph.constant("mean", detector.mean_)]),
            graph.constant("scale", detector.scale_),
        ],
    )
    missing = graph.node("IsNaN", [z])
    observed = graph.node("Not", [missing])
    filled = graph.node("Where", [missing, graph.constant("zero_x", [0.0]), z])
    total = None
    for i in range(len(detector.estimators_)):
        terms = _network_terms(graph, detector, i, z, observed, filled)
        total = terms if total is None else graph.node("Add", [total, terms])
    shift = detector.offset_
    if detector.anomaly_score == "likelihood":  # a density in the units of X
        shift += np.log(detector.scale_).sum()
    scores = graph.node(
        "Sub",
        [
            graph.node("Div", [total, graph.constant("count", [len(detector.estimators_)])]),
            graph.constant("shift", [shift]),
        ],
    )
    outlier = graph.node("Less", [scores, graph.constant("zero_s", [0.0])])
    labels = graph.node(
        "Where",
        [
            outlier,
            graph.constant("minus_one", [-1], dtype=np.int64),
            graph.constant("plus_one", [1], dtype=np.int64),
        ],
    )
    graph.node("Identity", [labels], output=operator.outputs[0].full_name)
    scores = graph.node("Unsqueeze", [scores, graph.constant("axis1", [1], dtype=np.int64)])
    if double:
        scores = graph.node("Cast", [scores], to=_DOUBLE)
    graph.node("Identity", [scores], output=operator.outputs[1].full_name)
