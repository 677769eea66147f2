"""ContractiveAE: each Jacobian method against the exact Jacobian, and contraction."""

import numpy as np
import pytest
import torch
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoencoderTransformer, ContractiveAE
from sklearn_ae._nn.activations import ACTIVATIONS
from sklearn_ae._nn.modules import build_module
from sklearn_ae._nn.spec import NetworkSpec
from sklearn_ae.decomposition._contractive import ContractivePenalty, squared_jacobian_norm


def _module(code_activation="sigmoid", hidden=()):
    spec = NetworkSpec(
        kind="dense",
        n_features=12,
        n_components=5,
        hidden_layer_sizes=hidden,
        activation="tanh",
        code_activation=code_activation,
        tied_weights=False,
        loss="mse",
    )
    return build_module(spec, torch.Generator().manual_seed(0))


def _inputs():
    return torch.randn(64, 12, generator=torch.Generator().manual_seed(1))


@pytest.mark.parametrize("activation", sorted(ACTIVATIONS))
def test_analytic_norm_equals_the_exact_jacobian(activation):
    # Every entry of the activation table, so a new one cannot lack its slope.
    module, X = _module(activation), _inputs()
    code = module.encode(X)
    analytic = squared_jacobian_norm(module, X, code, None, "analytic")
    exact = squared_jacobian_norm(module, X, code, None, "exact")
    np.testing.assert_allclose(analytic.detach(), exact.detach(), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("hidden", [(), (16, 8)])
def test_hutchinson_estimate_is_unbiased(hidden):
    module = _module("tanh", hidden)
    X = _inputs().requires_grad_(True)
    code = module.encode(X)
    generator = torch.Generator().manual_seed(2)
    draws = torch.stack(
        [squared_jacobian_norm(module, X, code, generator, "hutchinson") for _ in range(2000)]
    )
    exact = squared_jacobian_norm(module, X, code, None, "exact")
    assert abs(draws.mean() / exact.mean() - 1) < 0.03


@pytest.mark.parametrize("method", ["analytic", "hutchinson", "exact"])
def test_penalty_gradient_reaches_the_encoder_weights(method):
    module = _module("sigmoid")
    X = _inputs().requires_grad_(method == "hutchinson")
    penalty = ContractivePenalty(1.0, method)
    penalty(module, X, module.encode(X), torch.Generator().manual_seed(0)).backward()
    assert module.encoder[0].weight.grad.abs().sum() > 0
    decoder_grads = [p.grad for p in module.decoder.parameters()]
    assert all(g is None for g in decoder_grads)  # the decoder plays no part


@pytest.mark.parametrize("method", ["analytic", "hutchinson", "exact"])
def test_trained_weights_change_with_alpha_only(small_digits, method):
    X = small_digits[0]
    params = {
        "hidden_layer_sizes": (),
        "code_activation": "sigmoid",
        "jacobian_method": method,
        "max_epochs": 3,
        "random_state": 0,
    }
    weak = ContractiveAE(alpha=0.0, **params).fit(X).module_.encoder[0].weight
    strong = ContractiveAE(alpha=1.0, **params).fit(X).module_.encoder[0].weight
    assert (weak - strong).abs().max() > 1e-3


def test_penalty_is_the_encoders_jacobian_wrt_the_input(small_digits):
    X = small_digits[0][:20]
    cae = ContractiveAE(n_components=4, hidden_layer_sizes=(16,), max_epochs=3, random_state=0)
    cae.fit(X)
    module = cae.module_.eval()
    X_t = torch.as_tensor(X, dtype=torch.float32)
    penalty = ContractivePenalty(1.0, "exact")
    value = penalty(module, X_t, module.encode(X_t), None).item()
    encoder_norm = (cae.encoder_jacobian(X.astype(np.float32)) ** 2).sum((1, 2)).mean()
    assert value == pytest.approx(encoder_norm, rel=1e-5)
    # Scaling the decoder scales the whole network's Jacobian, not the penalty.
    with torch.no_grad():
        for param in module.decoder.parameters():
            param.mul_(10)
    assert penalty(module, X_t, module.encode(X_t), None).item() == pytest.approx(value, rel=1e-6)


@pytest.mark.parametrize("estimator_class", [AutoencoderTransformer, ContractiveAE])
def test_encoder_jacobian_matches_finite_differences(small_digits, estimator_class):
    X = small_digits[0][:5]
    est = estimator_class(
        n_components=3, hidden_layer_sizes=(16,), activation="tanh", max_epochs=3, random_state=0
    ).fit(small_digits[0])
    jacobian = est.encoder_jacobian(X)
    eps = 1e-6
    for j in range(X.shape[1]):
        step = np.zeros_like(X)
        step[:, j] = eps
        numeric = (est.transform(X + step) - est.transform(X - step)) / (2 * eps)
        np.testing.assert_allclose(jacobian[:, :, j], numeric, atol=1e-6)


def test_jacobian_norm_falls_as_alpha_rises(digits):
    X_train, X_test = train_test_split(digits[0], random_state=0)
    norms = []
    for alpha in (0.0, 0.1, 1.0):
        cae = ContractiveAE(
            n_components=8, alpha=alpha, max_epochs=20, batch_size=64, random_state=0
        ).fit(X_train)
        norms.append((cae.encoder_jacobian(X_test) ** 2).sum((1, 2)).mean())
    assert norms[0] > norms[1] > norms[2]


def test_auto_picks_analytic_for_one_layer_else_hutchinson():
    assert ContractiveAE(hidden_layer_sizes=())._make_penalty().method == "analytic"
    assert ContractiveAE(hidden_layer_sizes=(8,))._make_penalty().method == "hutchinson"


def test_analytic_rejects_deeper_encoders(small_digits):
    with pytest.raises(ValueError, match=r"jacobian_method='analytic' needs a one-layer dense"):
        ContractiveAE(jacobian_method="analytic", hidden_layer_sizes=(8,)).fit(small_digits[0])
