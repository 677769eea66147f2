"""The ONNX converters of the estimators' ``transform``, for skl2onnx.

``sklearn_ae.onnx.register_converters`` registers these converters; then
``skl2onnx.to_onnx`` converts any fitted estimator of this package, alone or
inside a Pipeline, to an ONNX graph that onnxruntime runs without Python or
PyTorch. Rows with missing (NaN) entries are completed as ``transform``
completes them (fill values, then one pass of the reconstruction), so the graph
holds the decoder too. The graph is written from the trained encoder's and
decoder's layers (every module kind exposes them as plain sequences of layers
through ``encoder_copy`` and ``decoder_copy``), with the weights as float32
initialisers. Needs ``pip install skl2onnx onnxruntime`` (the ``[onnx]``
extra).
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted
from torch import nn

from .._nn.activations import BY_MODULE
from .._nn.inference import COMPLETION_PASSES
from .._nn.layers import TopK
from .._nn.losses import LOSSES

_OPSET = 13


def shape_calculator(operator):
    check_is_fitted(operator.raw_operator)
    if hasattr(operator.raw_operator, "table_layout_"):
        raise ValueError(
            f"{type(operator.raw_operator).__name__} was fitted on a table with categorical "
            "columns, which ONNX export does not support (text columns and the per-column "
            "scaling are not written to the graph). Export a Pipeline instead: a "
            "ColumnTransformer with OneHotEncoder for the categorical columns and "
            "StandardScaler for the numbers, then the autoencoder fitted on its output "
            "with categorical_features=None."
        )
    n_rows = operator.inputs[0].get_first_dimension()
    # The output has the input's float type, as transform's does.
    output_type = type(operator.inputs[0].type)
    operator.outputs[0].type = output_type([n_rows, operator.raw_operator.n_components_])


class _Graph:
    """Adds nodes and float32 initialisers to a skl2onnx container, uniquely named."""

    def __init__(self, scope, container):
        self.scope, self.container = scope, container

    def name(self, seed):
        return self.scope.get_unique_variable_name(seed)

    def constant(self, seed, array, dtype=np.float32):
        from onnx import TensorProto

        array = np.asarray(array, dtype=dtype)
        kind = {np.float32: TensorProto.FLOAT, np.int64: TensorProto.INT64}[dtype]
        name = self.name(seed)
        self.container.add_initializer(name, kind, list(array.shape), array.ravel().tolist())
        return name

    def node(self, op_type, inputs, output=None, domain="", **attrs):
        output = output or self.name(op_type.lower())
        self.container.add_node(
            op_type,
            inputs,
            [output],
            name=self.scope.get_unique_operator_name(op_type),
            op_domain=domain,
            # onnxruntime's own operators (domain com.microsoft) are at version 1
            op_version=1 if domain else _OPSET,
            **attrs,
        )
        return output


def _activation(graph, layer, x):
    row = BY_MODULE.get(type(layer))
    return None if row is None else row.onnx(graph, x, layer)


def _layer(graph, layer, x):
    """The ONNX nodes of one encoder layer applied to ``x``; returns the output name."""
    if isinstance(layer, nn.Identity):
        return x
    if isinstance(layer, nn.Linear):
        weight = graph.constant("weight", layer.weight.detach().cpu().numpy())
        bias = graph.constant("bias", layer.bias.detach().cpu().numpy())
        return graph.node("Gemm", [x, weight, bias], transB=1)
    if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d)):
        transposed = isinstance(layer, nn.ConvTranspose2d)
        weight = graph.constant("kernel", layer.weight.detach().cpu().numpy())
        bias = graph.constant("bias", layer.bias.detach().cpu().numpy())
        extra = {"output_padding": list(layer.output_padding)} if transposed else {}
        return graph.node(
            "ConvTranspose" if transposed else "Conv",
            [x, weight, bias],
            kernel_shape=list(layer.kernel_size),
            strides=list(layer.stride),
            pads=list(layer.padding) * 2,
            **extra,
        )
    if isinstance(layer, nn.Unflatten):
        shape = graph.constant("shape", [-1, *layer.unflattened_size], dtype=np.int64)
        return graph.node("Reshape", [x, shape])
    if isinstance(layer, nn.Flatten):
        return graph.node("Flatten", [x], axis=1)
    if isinstance(layer, TopK):
        k = graph.constant("k", [layer.k], dtype=np.int64)
        values = graph.name("topk_values")
        graph.container.add_node(
            "TopK",
            [x, k],
            [values, graph.name("topk_indices")],
            name=graph.scope.get_unique_operator_name("TopK"),
            op_version=_OPSET,
            axis=-1,
        )
        starts = graph.constant("start", [layer.k - 1], dtype=np.int64)
        ends = graph.constant("end", [layer.k], dtype=np.int64)
        axes = graph.constant("axis", [1], dtype=np.int64)
        kth = graph.node("Slice", [values, starts, ends, axes])
        keep = graph.node("Cast", [graph.node("GreaterOrEqual", [x, kth])], to=1)  # float
        return graph.node("Mul", [x, keep])
    out = _activation(graph, layer, x)
    if out is None:
        raise NotImplementedError(
            f"The encoder layer {layer!r} has no ONNX conversion in sklearn_ae; "
            "transform in Python, or open an issue naming the layer."
        )
    return out


def _layers(graph, sequence, x):
    layers = list(sequence) if isinstance(sequence, nn.Sequential) else [sequence]
    for layer in layers:
        x = _layer(graph, layer, x)
    return x


def _decoded(graph, module, loss, codes):
    """``decode(codes)`` in data space: the decoder, then the loss's output link."""
    out = _layers(graph, module.decoder_copy(), codes)
    operator = LOSSES[loss].onnx_link
    return out if operator is None else graph.node(operator, [out])


def _reconstruction(graph, module, loss, x):
    """``decode(encode(x))`` in data space."""
    return _decoded(graph, module, loss, _layers(graph, module.encoder_copy(), x))


def _completed(graph, estimator, x):
    """Missing (NaN) entries of ``x`` filled as ``transform`` fills them: first with
    ``fill_values_``, then with the reconstruction of the filled row; observed
    entries pass through, and complete rows are unchanged."""
    module = estimator.module_
    missing = graph.node("IsNaN", [x])
    x_filled = graph.node("Where", [missing, graph.constant("fill", estimator.fill_values_), x])
    for _ in range(COMPLETION_PASSES):
        recon = _reconstruction(graph, module, estimator.spec_.loss, x_filled)
        x_filled = graph.node("Where", [missing, recon, x])
    return x_filled


def converter(scope, operator, container):
    estimator = operator.raw_operator
    encoder = estimator.module_.encoder_copy()
    from skl2onnx.common.data_types import DoubleTensorType

    graph = _Graph(scope, container)
    x = operator.inputs[0].full_name
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    if double:  # the weights are float32: compute in float32, return float64
        x = graph.node("Cast", [x], to=1)
    x = _layers(graph, encoder, _completed(graph, estimator, x))
    if double:
        x = graph.node("Cast", [x], to=11)
    graph.node("Identity", [x], output=operator.outputs[0].full_name)


def imputer_shape_calculator(operator):
    imputer = operator.raw_operator
    check_is_fitted(imputer)
    if hasattr(imputer, "modelled_features_"):
        raise ValueError(
            "AutoencoderImputer was fitted on a table with categorical columns, which ONNX "
            "export does not support; export a Pipeline of a ColumnTransformer (OneHotEncoder, "
            "StandardScaler) and an imputer fitted with categorical_features=None."
        )
    n_rows = operator.inputs[0].get_first_dimension()
    width = int(imputer.kept_features_.sum())
    if imputer.indicator_ is not None:
        width += len(imputer.indicator_.features_)
    operator.outputs[0].type = type(operator.inputs[0].type)([n_rows, width])


def _gaussian_fill(graph, imputer, x, holes):
    """Each hole's conditional mean under the imputer's Gaussian, as
    ``gaussian_fill`` computes it: per row, ``B = M P M + (I - M)`` (``M`` the
    row's holes, ``P`` the standardised precision) is inverted (onnxruntime's
    batched ``Inverse``) and applied to ``-M P r``, ``r`` the row's centred
    observed values; an observed entry's row of ``B`` is the identity's, so it
    gets 0."""
    covariance = imputer.gaussian_covariance_
    spread = np.sqrt(np.diag(covariance))
    precision = np.linalg.inv(covariance / np.outer(spread, spread))
    mean = graph.constant("gaussian_mean", imputer.gaussian_mean_)
    spread_name = graph.constant("gaussian_spread", spread)
    z = graph.node("Div", [graph.node("Sub", [x, mean]), spread_name])
    r = graph.node("Where", [holes, graph.constant("zero_r", [0.0]), z])
    m = graph.node("Cast", [holes], to=1)
    o = graph.node("Sub", [graph.constant("one", [1.0]), m])
    column = graph.node("Unsqueeze", [m, graph.constant("axis2", [2], dtype=np.int64)])
    row = graph.node("Unsqueeze", [m, graph.constant("axis1", [1], dtype=np.int64)])
    p = graph.constant("precision", precision[None])
    b = graph.node("Mul", [graph.node("Mul", [column, p]), row])
    observed = graph.node("Unsqueeze", [o, graph.constant("axis2_o", [2], dtype=np.int64)])
    eye = graph.constant("eye", np.eye(len(spread))[None])
    b = graph.node("Add", [b, graph.node("Mul", [observed, eye])])
    rhs = graph.node("Mul", [m, graph.node("MatMul", [r, graph.constant("p2", precision)])])
    rhs = graph.node("Unsqueeze", [rhs, graph.constant("axis2_r", [2], dtype=np.int64)])
    solved = graph.node("MatMul", [graph.node("Inverse", [b], domain="com.microsoft"), rhs])
    solved = graph.node("Squeeze", [solved, graph.constant("axis2_s", [2], dtype=np.int64)])
    return graph.node("Sub", [mean, graph.node("Mul", [solved, spread_name])])


def imputer_converter(scope, operator, container):
    """``AutoencoderImputer.transform``: standardise, fill the holes with the
    autoencoder's reconstruction (``n_passes`` rounds) shrunk towards each
    feature's mean, return observed entries unchanged, then the indicator
    columns."""
    from skl2onnx.common.data_types import DoubleTensorType

    imputer = operator.raw_operator
    placeholder = imputer.missing_values
    if not isinstance(placeholder, (int, float)) or isinstance(placeholder, bool):
        raise NotImplementedError(
            f"ONNX export of AutoencoderImputer needs a numeric missing_values, got "
            f"{placeholder!r}; use missing_values=np.nan (or a number), or impute in Python."
        )
    graph = _Graph(scope, container)
    x = operator.inputs[0].full_name
    double = isinstance(operator.inputs[0].type, DoubleTensorType)
    if double:
        x = graph.node("Cast", [x], to=1)
    if not np.isnan(placeholder):  # the placeholder becomes NaN, as in transform
        is_placeholder = graph.node("Equal", [x, graph.constant("placeholder", [placeholder])])
        x = graph.node("Where", [is_placeholder, graph.constant("nan", [np.nan]), x])
    kept = graph.constant("kept", np.flatnonzero(imputer.kept_features_), dtype=np.int64)
    x_kept = graph.node("Gather", [x, kept], axis=1)
    holes = graph.node("IsNaN", [x_kept])
    mean, scale = graph.constant("mean", imputer.mean_), graph.constant("scale", imputer.scale_)
    z = graph.node("Div", [graph.node("Sub", [x_kept, mean]), scale])
    zero = graph.constant("zero", [0.0])
    filled = graph.node("Where", [holes, zero, z])
    module = imputer.autoencoder_.module_
    for _ in range(imputer.n_passes):
        recon = _reconstruction(graph, module, imputer.autoencoder_.spec_.loss, filled)
        filled = graph.node("Where", [holes, recon, z])
    varying = graph.constant("varying", ~imputer.constant_features_)
    filled = graph.node("Mul", [filled, varying])  # a constant feature's value, exactly
    values = graph.node("Add", [graph.node("Mul", [filled, scale]), mean])
    centre = graph.constant("centre", imputer.observed_means_)
    shrunk = graph.node(
        "Mul",
        [graph.node("Sub", [values, centre]), graph.constant("shrinkage", imputer.shrinkage_)],
    )
    values = graph.node("Add", [centre, shrunk])
    if np.any(imputer.gaussian_weight_ > 0):
        linear = _gaussian_fill(graph, imputer, x_kept, holes)
        weight = graph.constant("gaussian_weight", imputer.gaussian_weight_)
        blended = graph.node("Mul", [graph.node("Sub", [linear, centre]), weight])
        values = graph.node("Add", [values, blended])
    out = graph.node("Where", [holes, values, x_kept])
    if imputer.indicator_ is not None:
        columns = graph.constant("indicated", imputer.indicator_.features_, dtype=np.int64)
        indicator = graph.node("Gather", [graph.node("IsNaN", [x]), columns], axis=1)
        out = graph.node("Concat", [out, graph.node("Cast", [indicator], to=1)], axis=1)
    if double:
        out = graph.node("Cast", [out], to=11)
    graph.node("Identity", [out], output=operator.outputs[0].full_name)
