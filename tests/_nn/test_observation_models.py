"""A new observation model is one entry of ``LOSSES``: nothing else changes."""

import math
import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

import sklearn_ae
from sklearn_ae import AutoencoderTransformer, VariationalAE
from sklearn_ae._nn.losses import LOSSES, ObservationModel


def _poisson_nll(output, target):
    # output is the log-rate: -log p(x) = exp(o) - x o + log x!
    return torch.exp(output) - target * output


# Counts (digits' pixels are 0..16) under a Poisson with a log link: written here,
# in the test alone, to prove that adding an observation model touches one table.
POISSON = ObservationModel(
    elementwise=_poisson_nll,
    log_density_elementwise=lambda o, x: -_poisson_nll(o, x) - torch.lgamma(x + 1),
    description="Poisson counts with a log link.",
    link=torch.exp,
    onnx_link="Exp",
    domain=(0.0, math.inf),
    domain_fix="pass counts, or use loss='mse'",
    discrete=True,
)


@pytest.fixture
def poisson(monkeypatch):
    monkeypatch.setitem(LOSSES, "poisson", POISSON)
    return "poisson"


def _fit(cls, X, **params):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return cls(4, max_epochs=50, lr=3e-3, batch_size=64, random_state=0, **params).fit(X)


@pytest.mark.parametrize("cls", [AutoencoderTransformer, VariationalAE])
def test_a_registered_observation_model_trains_scores_saves_and_exports(
    small_digits, poisson, cls, tmp_path
):
    X = np.round(small_digits[0] * 16)  # the pixel counts 0..16
    est = _fit(cls, X, loss=poisson)
    codes, recon = est.transform(X), est.reconstruct(X)
    assert codes.shape == (len(X), 4)
    assert recon.min() > 0  # the exp link: positive rates
    # Trained towards the counts: closer than each pixel's mean rate is to them
    # (AutoencoderTransformer 6.2, VariationalAE 16.7 against 18.7).
    assert np.mean((recon - X) ** 2) < 0.95 * np.mean((X.mean(0) - X) ** 2)
    scores = est.score_samples(X[:20])
    assert np.isfinite(scores).all()

    est.save(tmp_path / "model")
    loaded = sklearn_ae.load(tmp_path / "model")
    np.testing.assert_array_equal(loaded.transform(X), codes)
    np.testing.assert_array_equal(loaded.score_samples(X[:20]), scores)
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(est)).reconstruct(X), recon)

    with pytest.raises(ValueError, match=r"loss='poisson' needs X in \[0, inf\].*pass counts"):
        cls(4, loss=poisson).fit(X - 1)


def test_a_registered_observation_model_exports_its_link_to_onnx(small_digits, poisson):
    skl2onnx = pytest.importorskip("skl2onnx")
    onnxruntime = pytest.importorskip("onnxruntime")
    from sklearn_ae.onnx import register_converters

    register_converters()
    X = small_digits[0].astype(np.float32)
    holes = X.copy()
    holes[::2, 10:20] = np.nan  # completed through the decoder and its link
    est = _fit(AutoencoderTransformer, holes, loss=poisson)
    session = onnxruntime.InferenceSession(
        skl2onnx.to_onnx(est, holes[:1]).SerializeToString(), providers=["CPUExecutionProvider"]
    )
    (codes,) = session.run(None, {session.get_inputs()[0].name: holes})
    np.testing.assert_allclose(codes, est.transform(holes), atol=1e-4, rtol=1e-4)


def test_the_loss_parameter_documents_every_observation_model():
    doc = AutoencoderTransformer.__doc__
    for name, model in LOSSES.items():
        assert f'"{name}": {model.description.split()[0]}' in doc


def test_an_unknown_loss_is_refused_with_the_known_ones(small_digits):
    with pytest.raises(ValueError, match=r"The 'loss' parameter.*'mse'.*'bce'"):
        AutoencoderTransformer(loss="poisson").fit(small_digits[0])
