"""The fast path: the dense step (gradients written out) gives autograd's results."""

import warnings

import numpy as np
import pytest
import torch
from _helpers import callback_keeper, engine_keeper
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

import sklearn_ae._training.dense_step as dense_step
import sklearn_ae._training.fast_path as fast_path
from sklearn_ae import AutoencoderTransformer, DenoisingAE
from sklearn_ae._training.dense_step import DenseStep


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _fit(estimator, X):
    fitted = estimator.fit(X)
    return fitted.transform(X), fitted.loss_curve_, fitted.score_samples(X[:20])


def _autograd_only(monkeypatch):
    monkeypatch.setattr(DenseStep, "for_net", classmethod(lambda cls, net: None))


@pytest.mark.parametrize(
    "params, scale",
    [
        (dict(n_components=3, hidden_layer_sizes=(64,)), "standard"),
        (dict(n_components=4, hidden_layer_sizes=(32, 16), loss="bce", activation="tanh"), None),
        (dict(n_components=4, hidden_layer_sizes=(), batch_size=100), "standard"),
        (dict(n_components=4, code_activation="sigmoid", activation="sigmoid"), None),
        (dict(n_components=4, optimizer="adamw", weight_decay=1e-3, early_stopping=True), None),
    ],
)
def test_dense_step_trains_bit_identically_to_autograd(digits, monkeypatch, params, scale):
    X = digits[0][:500]
    if scale == "standard":
        X = (X - X.mean(0)) / (X.std(0) + 1e-9)
    estimator = AutoencoderTransformer(max_epochs=4, random_state=0, **params)
    fast = _fit(estimator, X)
    _autograd_only(monkeypatch)
    slow = _fit(estimator, X)
    np.testing.assert_array_equal(fast[0], slow[0])
    assert fast[1] == slow[1]
    np.testing.assert_array_equal(fast[2], slow[2])


def _warm_and_streamed(X):
    warm = AutoencoderTransformer(3, max_epochs=2, warm_start=True, random_state=0)
    warm.fit(X).fit(X)
    stream = AutoencoderTransformer(3, random_state=0)
    for start in range(0, len(X), 100):
        stream.partial_fit(X[start : start + 100])
    return warm.transform(X), warm.loss_curve_, stream.transform(X), stream.loss_curve_


def test_warm_starts_and_partial_fit_train_bit_identically_to_autograd(digits, monkeypatch):
    X = digits[0][:400]
    fast = _warm_and_streamed(X)
    _autograd_only(monkeypatch)
    slow = _warm_and_streamed(X)
    for a, b in zip(fast, slow, strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


def test_dense_step_runs_where_it_applies(digits, monkeypatch):
    calls = {"dense": 0}
    original_call = DenseStep.__call__

    def counting_call(self, X, y):
        calls["dense"] += 1
        return original_call(self, X, y)

    monkeypatch.setattr(DenseStep, "__call__", counting_call)
    X = digits[0][:512]
    AutoencoderTransformer(3, batch_size=128, max_epochs=3, random_state=0).fit(X)
    assert calls == {"dense": 12}  # 4 batches an epoch
    calls.update(dense=0)
    DenoisingAE(3, batch_size=128, max_epochs=3, random_state=0).fit(X)  # noise: autograd
    assert calls == {"dense": 0}


def _step_and_autograd(X, dtype, **params):
    """The dense step's loss and gradients, and autograd's, on one batch of ``X``."""
    keep, engines = engine_keeper()
    AutoencoderTransformer(max_epochs=1, random_state=0, callbacks=[keep], **params).fit(X)
    net = engines[0]
    module = net.plain_module().to(dtype)
    X = torch.as_tensor(X[:64], dtype=dtype)
    step = DenseStep.for_net(net)
    loss, _ = step(X, X)
    dense = {name: p.grad.clone() for name, p in module.named_parameters()}
    for param in module.parameters():
        param.grad = None
    output, _ = module(X)
    module.reconstruction_loss(output, X).backward()
    return module, X, float(loss), dense, {n: p.grad for n, p in module.named_parameters()}


@pytest.mark.parametrize(
    "params",
    [
        dict(n_components=3, hidden_layer_sizes=(32,)),
        dict(n_components=4, hidden_layer_sizes=(32, 16), loss="bce", activation="tanh"),
        dict(n_components=4, code_activation="sigmoid", activation="sigmoid"),
    ],
)
def test_dense_step_gradients_are_close_to_autograd_and_to_finite_differences(digits, params):
    module, X, loss, dense, autograd = _step_and_autograd(digits[0], torch.float64, **params)
    for name, grad in autograd.items():
        torch.testing.assert_close(dense[name], grad, rtol=1e-10, atol=1e-12, msg=name)
    # float64 central differences of the loss along a random direction of every weight
    rng = torch.Generator().manual_seed(0)
    directions = {
        n: torch.randn(p.shape, generator=rng, dtype=p.dtype) for n, p in module.named_parameters()
    }
    eps, values = 1e-6, []
    with torch.no_grad():
        for sign in (1, -1):
            for name, param in module.named_parameters():
                param.add_(sign * eps * directions[name])
            values.append(float(module.reconstruction_loss(module(X)[0], X)))
            for name, param in module.named_parameters():
                param.sub_(sign * eps * directions[name])
    numeric = (values[0] - values[1]) / (2 * eps)
    analytic = sum(float((dense[n] * directions[n]).sum()) for n in dense)
    assert analytic == pytest.approx(numeric, rel=1e-6)
    with torch.no_grad():
        again = float(module.reconstruction_loss(module(X)[0], X))
    assert loss == pytest.approx(again, rel=1e-12)


class _PatchedStep(Callback):
    """Replaces the optimizer's ``step`` on the instance, as a scheduler does."""

    def on_train_begin(self, net, **kwargs):
        self.calls = 0
        original = net.optimizer_.step

        def counted(*args, **kwargs):
            self.calls += 1
            return original(*args, **kwargs)

        net.optimizer_.step = counted


def test_an_optimizer_step_patched_on_the_instance_is_called(digits):
    factory, made = callback_keeper(_PatchedStep)
    X = digits[0][:512]
    AutoencoderTransformer(
        3, batch_size=128, max_epochs=3, random_state=0, callbacks=[factory]
    ).fit(X)
    assert made[0].calls == 12  # every batch stepped through the patched step


def test_the_plain_step_falls_back_where_a_private_registry_is_missing(monkeypatch):
    optimizer = torch.optim.Adam([torch.nn.Parameter(torch.zeros(2))])
    assert fast_path.plain_step(optimizer) != optimizer.step  # the wrapper is skipped
    monkeypatch.delattr(fast_path._optimizer_module, "_global_optimizer_pre_hooks")
    assert fast_path.plain_step(optimizer) == optimizer.step


class _Hooked(Callback):
    """Registers a forward hook on the module, which the dense step cannot run."""

    def on_train_begin(self, net, **kwargs):
        self.calls = 0

        def hook(module, inputs, output):
            self.calls += 1

        net.module_.encoder[0].register_forward_hook(hook)


def test_a_hook_on_the_module_is_called_as_with_autograd(digits):
    X = digits[0][:256]
    factory, made = callback_keeper(_Hooked)
    estimator = AutoencoderTransformer(3, batch_size=128, max_epochs=2, callbacks=[factory])
    estimator.set_params(random_state=0).fit(X)
    assert made[0].calls >= 4  # every training batch went through the hooked layer


def test_unsupported_layers_fall_back_to_autograd(digits):
    for params, applies in [
        ({"activation": "gelu"}, False),
        ({"tied_weights": True}, False),
        ({}, True),
    ]:
        keep, engines = engine_keeper()
        AutoencoderTransformer(3, max_epochs=1, random_state=0, callbacks=[keep], **params).fit(
            digits[0][:100]
        )
        assert isinstance(DenseStep.for_net(engines[0]), DenseStep) == applies, params
    assert dense_step._layers([torch.nn.ELU()]) is None
