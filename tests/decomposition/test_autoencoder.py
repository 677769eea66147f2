"""Behaviour of AutoencoderTransformer and the engine shared by all estimators."""

import io
import pickle
import re

import joblib
import numpy as np
import pytest
import torch
from _helpers import InterruptAfter, callback_keeper
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback

from sklearn_ae import AutoencoderTransformer
from sklearn_ae.exceptions import DeviceFallbackWarning
from sklearn_ae.metrics import neg_reconstruction_error


def _fast(**params):
    defaults = {"hidden_layer_sizes": (32,), "max_epochs": 5, "random_state": 0}
    return AutoencoderTransformer(**{**defaults, **params})


def test_autoencoder_beats_pca_on_held_out_digits(digits):
    X, _ = digits
    X_train, X_test = train_test_split(X, random_state=0)
    ae = AutoencoderTransformer(n_components=8, random_state=0).fit(X_train)
    pca = PCA(n_components=8).fit(X_train)
    pca_error = np.mean(((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2).sum(1))
    ae_error = ae.reconstruction_error(X_test).mean()
    assert ae_error < 0.8 * pca_error  # measured: 1.10 vs 1.59
    assert ae.loss_curve_[-1] < ae.loss_curve_[0] / 3


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_outputs_keep_the_input_dtype_and_shapes(small_digits, dtype):
    X = small_digits[0].astype(dtype)
    ae = _fast(n_components=3).fit(X)
    codes = ae.transform(X)
    assert codes.shape == (300, 3) and codes.dtype == dtype
    recon = ae.inverse_transform(codes)
    assert recon.shape == (300, 64) and recon.dtype == dtype
    assert ae.score_samples(X).shape == (300,) and ae.score_samples(X).dtype == dtype
    assert ae.reconstruction_error(X).dtype == dtype
    assert ae.encoder_jacobian(X[:4]).shape == (4, 3, 64)
    assert ae.n_components_ == 3 and ae.n_features_in_ == 64
    assert ae.n_iter_ == 5 and len(ae.loss_curve_) == 5 and ae.validation_scores_ is None
    assert ae.device_ == "cpu"


def test_integer_input_gives_float64(small_digits):
    X = (small_digits[0] * 16).astype(np.int64)
    assert _fast().fit(X).transform(X).dtype == np.float64


def test_reconstruction_error_is_the_summed_squared_error(small_digits):
    X = small_digits[0]
    ae = _fast().fit(X)
    manual = ((ae.inverse_transform(ae.transform(X)) - X) ** 2).sum(1)
    np.testing.assert_allclose(ae.reconstruction_error(X), manual, rtol=1e-6)
    assert neg_reconstruction_error(ae, X) == pytest.approx(-manual.mean(), rel=1e-6)
    np.testing.assert_allclose(ae.reconstruct(X), ae.inverse_transform(ae.transform(X)))


def test_same_random_state_gives_identical_output(small_digits):
    X = small_digits[0]
    first = _fast(random_state=3).fit(X).transform(X)
    second = _fast(random_state=3).fit(X).transform(X)
    other = _fast(random_state=4).fit(X).transform(X)
    np.testing.assert_array_equal(first, second)
    assert np.abs(first - other).max() > 1e-3


def test_fit_leaves_global_random_states_untouched(small_digits):
    # The global states are the point here, hence the legacy numpy API.
    torch_state, numpy_state = torch.get_rng_state(), np.random.get_state()  # noqa: NPY002
    _fast(random_state=None).fit(small_digits[0])
    _fast(random_state=np.random.RandomState(1)).fit(small_digits[0])
    assert torch.equal(torch.get_rng_state(), torch_state)
    assert np.array_equal(np.random.get_state()[1], numpy_state[1])  # noqa: NPY002


def test_fit_transform_equals_fit_then_transform(small_digits):
    X = small_digits[0]
    np.testing.assert_array_equal(_fast().fit_transform(X), _fast().fit(X).transform(X))


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "elu", "gelu", "identity"])
def test_every_activation_trains(small_digits, activation):
    ae = _fast(activation=activation, code_activation=activation, max_epochs=20).fit(
        small_digits[0]
    )
    assert ae.loss_curve_[-1] < ae.loss_curve_[0]


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "sgd"])
def test_every_optimizer_trains(small_digits, optimizer):
    lr = 0.1 if optimizer == "sgd" else 1e-3
    ae = _fast(optimizer=optimizer, lr=lr, max_epochs=20).fit(small_digits[0])
    assert ae.loss_curve_[-1] < 0.9 * ae.loss_curve_[0]
    assert ae.training_state_.settings["optimizer"] == optimizer


def test_bce_loss_reconstructs_probabilities(small_digits):
    X = small_digits[0]
    ae = _fast(loss="bce", max_epochs=30).fit(X)
    recon = ae.inverse_transform(ae.transform(X))
    assert recon.min() >= 0 and recon.max() <= 1
    assert ae.module_.loss == "bce"
    assert ae.reconstruction_error(X).mean() < 20  # predicting the mean image scores about 27


def test_bce_rejects_data_outside_unit_interval(small_digits):
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\].*MinMaxScaler"):
        _fast(loss="bce").fit(small_digits[0] * 16)


def test_tied_weights_share_the_encoder_matrices(small_digits):
    X = small_digits[0]
    tied = _fast(tied_weights=True, n_components=4).fit(X)
    untied = _fast(tied_weights=False, n_components=4).fit(X)
    n_tied = sum(p.numel() for p in tied.module_.parameters())
    n_untied = sum(p.numel() for p in untied.module_.parameters())
    assert n_untied - n_tied == 64 * 32 + 32 * 4  # the decoder's own weight matrices
    assert tied.loss_curve_[-1] < tied.loss_curve_[0]


def test_empty_hidden_layers_give_a_linear_map_each_way(small_digits):
    ae = _fast(hidden_layer_sizes=(), code_activation="identity").fit(small_digits[0])
    linears = [m for m in ae.module_.modules() if isinstance(m, torch.nn.Linear)]
    assert [tuple(m.weight.shape) for m in linears] == [(2, 64), (64, 2)]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"device": "tpu"}, r"device='tpu' is not understood; use 'cpu', 'cuda'"),
        ({"hidden_layer_sizes": (8, 0)}, r"hidden_layer_sizes must be a tuple of positive"),
        ({"n_components": 0}, r"'n_components' parameter .* must be an int in the range"),
        ({"activation": "swish"}, r"'activation' parameter .* must be a str among"),
        ({"lr": -1.0}, r"'lr' parameter"),
        ({"loss": "l1"}, r"'loss' parameter"),
    ],
)
def test_invalid_parameters_raise_clear_errors(small_digits, params, match):
    with pytest.raises(ValueError, match=match):
        _fast(**params).fit(small_digits[0])


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_request_without_cuda_names_the_alternatives(small_digits):
    message = re.escape("device='cuda' was requested but CUDA is not available; use device='cpu'")
    with pytest.raises(ValueError, match=message):
        _fast(device="cuda").fit(small_digits[0])
    assert _fast(device="auto").fit(small_digits[0]).device_ == "cpu"


def test_transform_checks_widths(small_digits):
    X = small_digits[0]
    ae = _fast(n_components=3).fit(X)
    with pytest.raises(ValueError, match="X has 10 features, but AutoencoderTransformer is"):
        ae.transform(X[:, :10])
    with pytest.raises(ValueError, match=r"X has 4 columns.*n_components_=3.*output of transform"):
        ae.inverse_transform(np.zeros((2, 4)))


def test_divergence_raises_and_leaves_the_estimator_unfitted(small_digits):
    ae = _fast(lr=1e6, max_epochs=50, optimizer="sgd")
    with pytest.raises(FloatingPointError, match=r"diverged at epoch \d+.*last finite loss"):
        ae.fit(small_digits[0] * 1e6)
    assert not hasattr(ae, "module_") and not hasattr(ae, "n_features_in_")


def test_keyboard_interrupt_propagates_and_keeps_the_previous_model(small_digits):
    X = small_digits[0]
    ae = _fast(batch_size=32, callbacks=[InterruptAfter(3)])
    with pytest.raises(KeyboardInterrupt):
        ae.fit(X)
    assert not hasattr(ae, "module_")
    fitted = _fast().fit(X)
    before = fitted.transform(X)
    fitted.set_params(warm_start=True, callbacks=[InterruptAfter(3)], batch_size=32)
    with pytest.raises(KeyboardInterrupt):
        fitted.fit(X)
    np.testing.assert_array_equal(fitted.transform(X), before)
    assert fitted.n_iter_ == 5


def test_callbacks_accept_instances_and_factories_and_are_copied(small_digits):
    counter = InterruptAfter(10**9)
    factory, made = callback_keeper(lambda: InterruptAfter(10**9))
    ae = _fast(callbacks=[counter, ("second", factory)])
    ae.fit(small_digits[0])
    assert counter.n_batches == 10**9  # the user's instance was copied, not used
    assert len(made) == 1 and made[0].n_batches == 10**9 - 5 * 2
    with pytest.raises(TypeError, match="callbacks must hold skorch Callback"):
        _fast(callbacks=[lambda: 3]).fit(small_digits[0])


def test_verbose_controls_printing(small_digits, capsys):
    _fast(verbose=0).fit(small_digits[0])
    assert capsys.readouterr().out == ""
    _fast(verbose=1, max_epochs=2).fit(small_digits[0])
    err = capsys.readouterr().err
    assert "2/2" in err and "train_loss" in err  # the bar


class _RecordWeights(Callback):
    def on_train_begin(self, net, **kwargs):
        self.states = []

    def on_epoch_end(self, net, **kwargs):
        self.states.append({k: v.clone() for k, v in net.module_.state_dict().items()})


def test_early_stopping_holds_out_data_and_restores_the_best_model(digits):
    X = digits[0][:600]
    factory, made = callback_keeper(_RecordWeights)
    ae = _fast(
        early_stopping=True,
        max_epochs=300,
        n_iter_no_change=3,
        tol=0.0,
        lr=1e-2,
        callbacks=[("weights", factory)],
    ).fit(X)
    assert ae.n_iter_ < 300
    assert len(ae.validation_scores_) == ae.n_iter_
    assert all(s < 0 for s in ae.validation_scores_)
    best = int(np.argmax(ae.validation_scores_))
    assert ae.n_iter_ - 1 - best == 3  # stopped after n_iter_no_change bad epochs
    best_weights = made[0].states[best]
    for name, value in ae.module_.state_dict().items():
        assert torch.equal(value, best_weights[name]), name  # best epoch restored


def test_training_stops_on_a_loss_plateau(small_digits):
    ae = _fast(max_epochs=500, tol=0.5, n_iter_no_change=2).fit(small_digits[0])
    assert ae.n_iter_ < 50


def test_partial_fit_adds_one_epoch(small_digits):
    X = small_digits[0]
    ae = _fast()
    ae.partial_fit(X)
    assert ae.n_iter_ == 1
    ae.partial_fit(X)
    assert ae.n_iter_ == 2 and len(ae.loss_curve_) == 2


def test_warm_start_equals_one_long_fit(small_digits):
    X = small_digits[0]
    long = _fast(max_epochs=10, shuffle=False).fit(X)
    warm = _fast(max_epochs=5, shuffle=False, warm_start=True).fit(X).fit(X)
    assert warm.n_iter_ == 10
    np.testing.assert_allclose(warm.transform(X), long.transform(X), atol=1e-6)


@pytest.mark.parametrize("dump", ["pickle", "joblib"])
def test_round_trip_gives_identical_transform(small_digits, dump):
    X = small_digits[0]
    ae = _fast().fit(X)
    if dump == "pickle":
        loaded = pickle.loads(pickle.dumps(ae))
    else:
        buffer = io.BytesIO()
        joblib.dump(ae, buffer)
        buffer.seek(0)
        loaded = joblib.load(buffer)
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))
    assert loaded.loss_curve_ == ae.loss_curve_
    # The loaded model keeps training exactly where the original would.
    loaded.set_params(warm_start=True).fit(X)
    ae.set_params(warm_start=True).fit(X)
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))


def test_pickle_holds_no_torch_objects(small_digits):
    state = _fast().fit(small_digits[0]).__getstate__()

    def leaves(obj):
        if isinstance(obj, dict):
            for value in obj.values():
                yield from leaves(value)
        elif isinstance(obj, (list, tuple)):
            for value in obj:
                yield from leaves(value)
        else:
            yield obj

    assert not any(isinstance(leaf, torch.Tensor | torch.nn.Module) for leaf in leaves(state))


def test_cuda_model_loads_on_cpu_with_one_warning(small_digits):
    X = small_digits[0]
    ae = _fast(device="cpu").fit(X)
    state = ae.__getstate__()
    # Simulate a model trained on a GPU: only the recorded devices differ.
    state.update(device="cuda", device_="cuda")
    loaded = AutoencoderTransformer.__new__(AutoencoderTransformer)
    if torch.cuda.is_available():
        pytest.skip("needs a machine without CUDA")
    with pytest.warns(
        DeviceFallbackWarning, match="fitted on device='cuda'.*loaded on the CPU"
    ) as record:
        loaded.__setstate__(state)
    assert len(record) == 1
    assert loaded.get_params()["device"] == "cuda" and loaded.device_ == "cpu"
    np.testing.assert_array_equal(loaded.transform(X), ae.transform(X))


def test_clone_gives_an_unfitted_copy_with_the_same_parameters(small_digits):
    ae = _fast(n_components=5).fit(small_digits[0])
    copy = clone(ae)
    assert copy.get_params() == ae.get_params() and not hasattr(copy, "module_")


def test_set_output_pandas_names_the_code_columns(small_digits):
    pd = pytest.importorskip("pandas")
    X = pd.DataFrame(small_digits[0], columns=[f"px{i}" for i in range(64)])
    ae = _fast(n_components=3).set_output(transform="pandas").fit(X)
    codes = ae.transform(X)
    assert list(codes.columns) == [f"autoencodertransformer{i}" for i in range(3)]
    assert list(ae.feature_names_in_) == list(X.columns)


def test_pipeline_grid_search_over_pca_and_autoencoder(digits):
    X, y = digits[0][:500], digits[1][:500]
    pipe = Pipeline([("reduce", PCA()), ("clf", LogisticRegression(max_iter=500))])
    grid = GridSearchCV(
        pipe,
        {"reduce": [PCA(), _fast(max_epochs=20, batch_size=32)], "reduce__n_components": [2, 8]},
        cv=3,
    )
    grid.fit(X, y)
    scores = grid.cv_results_["mean_test_score"]
    assert len(scores) == 4 and np.all(scores > 0.2)  # chance is 0.1
    assert grid.best_params_["reduce__n_components"] == 8
    assert cross_val_score(_fast(max_epochs=3), X, cv=3).shape == (3,)


def test_float64_inference_follows_every_warm_start(small_digits):
    # Fused Adam updates the weights without bumping their version counters.
    X = small_digits[0]
    ae = _fast(warm_start=True, max_epochs=2).fit(X)
    before = ae.transform(X)
    ae.fit(X)
    np.testing.assert_allclose(ae.transform(X), ae.transform(X.astype(np.float32)), atol=1e-5)
    assert np.abs(ae.transform(X) - before).max() > 1e-4
    ae.partial_fit(X)
    np.testing.assert_allclose(ae.score_samples(X[:20]), ae.score_samples(X)[:20], rtol=1e-9)
    np.testing.assert_allclose(ae.transform(X), ae.transform(X.astype(np.float32)), atol=1e-5)
