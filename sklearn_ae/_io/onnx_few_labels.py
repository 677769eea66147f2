"""The ONNX converters of ``AutoencoderClassifier`` (``label`` and ``probabilities``, as
skl2onnx converts scikit-learn's classifiers) and ``AutoencoderRegressor``
(``variable``): the fine-tuned autoencoder's encoder (missing entries completed
as ``transform`` completes them) up to what the output layer reads, then the
output layer."""

import numpy as np
from torch import nn

from .onnx import _completed, _Graph, _layers

_FLOAT, _DOUBLE = 1, 11


def _refuse_tables(model):
    if hasattr(model.autoencoder_, "table_layout_"):
        raise NotImplementedError(
            f"{type(model).__name__} was fitted on a table with categorical columns, which "
            "ONNX export does not support; fit it on the output of a ColumnTransformer "
            "(OneHotEncoder, StandardScaler) with an autoencoder of "
            "categorical_features=None, and export the Pipeline."
        )


def classifier_shape_calculator(operator):
    from skl2onnx.common.data_types import Int64TensorType

    model = operator.raw_operator
    _refuse_tables(model)
    if model.classes_.dtype.kind not in "iub":
        raise NotImplementedError(
            "ONNX export of AutoencoderClassifier needs integer classes_; encode the "
            f"labels ({model.classes_.dtype}) with LabelEncoder before fitting."
        )
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = Int64TensorType([n_rows])
    operator.outputs[1].type = type(operator.inputs[0].type)([n_rows, len(model.classes_)])


def regressor_shape_calculator(operator):
    _refuse_tables(operator.raw_operator)
    n_rows = operator.inputs[0].get_first_dimension()
    operator.outputs[0].type = type(operator.inputs[0].type)([n_rows, 1])


def _head_inputs(model):
    """The encoder layers whose output the output layer reads."""
    layers = list(model.autoencoder_.module_.encoder_copy())
    if model.head_input_ == "hidden":  # up to the last linear map into the code
        last = max(i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear))
        layers = layers[:last]
    return nn.Sequential(*layers)


def _outputs(graph, model, operator):
    """The output layer's values for the converter's input, as float32; and whether
    the input is float64."""
    from skl2onnx.common.data_types import DoubleTensorType

    x = operator.inputs[0].full_name
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    if double:  # the weights are float32: compute in float32
        x = graph.node("Cast", [x], to=_FLOAT)
    x = _completed(graph, model.autoencoder_, x)
    hidden = _layers(graph, _head_inputs(model), x)
    weight = graph.constant("head_coef", model.head_coef_)
    bias = graph.constant("head_intercept", model.head_intercept_)
    return graph.node("Gemm", [hidden, weight, bias], transB=1), double


def classifier_converter(scope, operator, container):
    model = operator.raw_operator
    graph = _Graph(scope, container)
    logits, double = _outputs(graph, model, operator)
    probabilities = graph.node("Softmax", [logits], axis=1)
    if double:
        probabilities = graph.node("Cast", [probabilities], to=_DOUBLE)
    graph.node("Identity", [probabilities], output=operator.outputs[1].full_name)
    index = graph.node("ArgMax", [logits], axis=1, keepdims=0)
    classes = graph.constant("classes", model.classes_, dtype=np.int64)
    graph.node("Gather", [classes, index], output=operator.outputs[0].full_name)


def regressor_converter(scope, operator, container):
    model = operator.raw_operator
    graph = _Graph(scope, container)
    output, double = _outputs(graph, model, operator)
    scale = graph.constant("target_scale", [model.target_scale_])
    mean = graph.constant("target_mean", [model.target_mean_])
    prediction = graph.node("Add", [graph.node("Mul", [output, scale]), mean])
    if double:
        prediction = graph.node("Cast", [prediction], to=_DOUBLE)
    graph.node("Identity", [prediction], output=operator.outputs[0].full_name)
