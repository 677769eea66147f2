"""The dense step (gradients written out) and the direct fused Adam give autograd's results."""

import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning
from skorch.callbacks import Callback

import sklearn_ae._training.dense_step as dense_step
import sklearn_ae._training.engine as engine
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
    monkeypatch.setattr(engine, "direct_fused_adam", lambda optimizer: None)


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


def test_dense_step_and_direct_adam_run_where_they_apply(digits, monkeypatch):
    calls = {"dense": 0, "adam": 0}
    original_call = DenseStep.__call__
    original_adam = engine.direct_fused_adam

    def counting_call(self, X, y):
        calls["dense"] += 1
        return original_call(self, X, y)

    def counting_adam(optimizer):
        step = original_adam(optimizer)
        if step is None:
            return None

        def counted():
            calls["adam"] += 1
            step()

        return counted

    monkeypatch.setattr(DenseStep, "__call__", counting_call)
    monkeypatch.setattr(engine, "direct_fused_adam", counting_adam)
    X = digits[0][:512]
    AutoencoderTransformer(3, batch_size=128, max_epochs=3, random_state=0).fit(X)
    # 4 batches an epoch; Adam's state exists from the second epoch on.
    assert calls == {"dense": 12, "adam": 8}
    calls.update(dense=0, adam=0)
    DenoisingAE(3, batch_size=128, max_epochs=3, random_state=0).fit(X)  # noise: autograd
    assert calls == {"dense": 0, "adam": 0}


class _Hooked(Callback):
    """Registers a forward hook on the module, which the dense step cannot run."""

    def on_train_begin(self, net, **kwargs):
        self.calls = 0

        def hook(module, inputs, output):
            self.calls += 1

        net.module_.encoder[0].register_forward_hook(hook)


def test_a_hook_on_the_module_is_called_as_with_autograd(digits):
    X = digits[0][:256]
    hooked = _Hooked()
    estimator = AutoencoderTransformer(3, batch_size=128, max_epochs=2, callbacks=[hooked])
    estimator.set_params(random_state=0).fit(X)
    callback = dict(estimator.net_.callbacks_)["_Hooked"]
    assert callback.calls >= 4  # every training batch went through the hooked layer


def test_unsupported_layers_fall_back_to_autograd(digits):
    ae = AutoencoderTransformer(3, activation="gelu", max_epochs=1, random_state=0)
    assert DenseStep.for_net(ae.fit(digits[0][:100]).net_) is None
    ae = AutoencoderTransformer(3, tied_weights=True, max_epochs=1, random_state=0)
    assert DenseStep.for_net(ae.fit(digits[0][:100]).net_) is None
    plain = AutoencoderTransformer(3, max_epochs=1, random_state=0).fit(digits[0][:100])
    assert isinstance(DenseStep.for_net(plain.net_), DenseStep)
    assert dense_step._layers([torch.nn.ELU()]) is None
