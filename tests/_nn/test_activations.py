"""Each row of the activation table and of the optimizer table is complete and right."""

import dataclasses

import numpy as np
import pytest
import torch

from sklearn_ae import AutoencoderTransformer
from sklearn_ae._nn.activations import ACTIVATIONS
from sklearn_ae._nn.modules import MODULE_KINDS
from sklearn_ae._nn.spec import NetworkSpec
from sklearn_ae._training.optimizers import OPTIMIZERS

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _points():
    # Both signs and zero's neighbourhood, away from the kink of the ReLU.
    return torch.linspace(-3.0, 3.0, 61, dtype=torch.float64) + 1e-3


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_function_computes_what_the_module_computes(name):
    row, z = ACTIVATIONS[name], _points()
    expected = row.module()(z)
    actual = z if row.function is None else row.function(z)
    assert torch.equal(actual, expected)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_slope_and_backward_are_the_derivative(name):
    row = ACTIVATIONS[name]
    z = _points().requires_grad_(True)
    h = row.module()(z)
    (autograd_slope,) = torch.autograd.grad(h.sum(), z)
    h, z = h.detach(), z.detach()
    np.testing.assert_allclose(row.slope(h, z), autograd_slope, rtol=1e-12, atol=1e-12)
    if row.backward is not None:
        upstream = torch.linspace(0.5, 2.0, len(z), dtype=torch.float64)
        np.testing.assert_allclose(
            row.backward(upstream, h), upstream * autograd_slope, rtol=1e-12, atol=1e-12
        )


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_every_activation_is_a_valid_parameter_and_documented(name):
    X = np.random.default_rng(0).normal(size=(40, 5)).astype(np.float32)
    model = AutoencoderTransformer(2, activation=name, code_activation=name, max_epochs=1)
    assert model.fit(X).transform(X).shape == (40, 2)
    assert f'"{name}"' in AutoencoderTransformer.__doc__


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_onnx_form_matches_torch(name):
    pytest.importorskip("onnxruntime")
    from onnxruntime import InferenceSession
    from skl2onnx import to_onnx

    from sklearn_ae.onnx import register_converters

    register_converters()
    X = np.random.default_rng(1).normal(size=(30, 6)).astype(np.float32)
    model = AutoencoderTransformer(3, hidden_layer_sizes=(8,), activation=name, max_epochs=2)
    model.set_params(code_activation=name, random_state=0).fit(X)
    graph = to_onnx(model, X[:1])
    session = InferenceSession(graph.SerializeToString(), providers=["CPUExecutionProvider"])
    (onnx_codes,) = session.run(None, {session.get_inputs()[0].name: X})
    np.testing.assert_allclose(onnx_codes, model.transform(X), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_trains_and_is_documented(name):
    X = np.random.default_rng(2).normal(size=(64, 4)).astype(np.float32)
    model = AutoencoderTransformer(2, optimizer=name, lr=1e-2, max_epochs=5, random_state=0)
    losses = model.fit(X).history_[:, "train_loss"]
    assert losses[-1] < losses[0]
    assert f'"{name}"' in AutoencoderTransformer.__doc__


def _dense_spec(**fields):
    return NetworkSpec(
        **{
            "kind": "dense",
            "n_features": 12,
            "n_components": 2,
            "hidden_layer_sizes": (4,),
            "activation": "relu",
            "code_activation": "identity",
            "tied_weights": False,
            "loss": "mse",
            **fields,
        }
    )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"prior_std": 1.0}, "prior_std=1.0"),
        ({"encoder": "gaussian"}, "encoder='gaussian'"),
        ({"kind": "variational", "k": 1}, "k=1"),
        ({"kind": "conv"}, "kind='conv' needs an image_shape"),
        ({"kind": "adversarial", "prior_means": ((0.0,),), "prior_std": 1.0}, "prior_means="),
    ],
)
def test_a_kind_reads_only_the_spec_fields_it_declares(fields, message):
    with pytest.raises(ValueError, match=f"invalid network specification: .*{message}"):
        _dense_spec(**fields).validate()


def test_every_kind_declares_only_spec_fields_that_exist():
    names = {field.name for field in dataclasses.fields(NetworkSpec)}
    for kind in MODULE_KINDS.values():
        assert set(kind.spec_fields) <= names - set(NetworkSpec.COMMON), kind
