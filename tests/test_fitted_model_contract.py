"""The model that is trained is the model that is selected, saved and loaded."""

import json
import pickle
import re
import warnings

import numpy as np
import pytest
import torch
from _estimators import ESTIMATOR_CLASSES
from _helpers import InterruptAfter, engine_keeper
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from skorch.callbacks import Checkpoint, EarlyStopping, LRScheduler

import sklearn_ae
from sklearn_ae import AutoencoderTransformer, ContractiveAE, DenoisingAE, SparseAE
from sklearn_ae._training.run import split_validation
from sklearn_ae._utils.validation import seed_sequence
from sklearn_ae.exceptions import BottleneckWarning, DeadCodeUnitsWarning

CLASSES = [AutoencoderTransformer, DenoisingAE, SparseAE, ContractiveAE]


def _small(cls, **params):
    defaults = {"n_components": 4, "hidden_layer_sizes": (16,), "max_epochs": 2, "random_state": 0}
    return cls(**{**defaults, **params})


def _saved_and_loaded(estimator, path):
    estimator.save(path)
    return sklearn_ae.load(path)


def _validation_rows(estimator, X):
    seed = seed_sequence(estimator.random_state).generate_state(4)[3]
    return split_validation(X, estimator.validation_fraction, seed)[1]


# 1. Early stopping scores with the estimator's loss and keeps the best weights.
@pytest.mark.parametrize("loss", ["mse", "bce"])
@pytest.mark.parametrize("cls", CLASSES)
def test_early_stopping_restores_the_weights_of_the_best_validation_score(digits, cls, loss):
    X = digits[0][:600]
    est = _small(cls, loss=loss, max_epochs=40, early_stopping=True, n_iter_no_change=3, lr=1e-2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.fit(X)
    restored = -est.reconstruction_error(_validation_rows(est, X).astype(np.float32)).mean()
    assert max(est.validation_scores_) == pytest.approx(restored, rel=1e-5)


def test_bce_early_stopping_is_as_good_as_training_to_the_end(digits):
    X_train, X_test = train_test_split(digits[0], random_state=0)
    params = {"n_components": 8, "loss": "bce", "max_epochs": 40, "random_state": 0}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        stopped = AutoencoderTransformer(early_stopping=True, **params).fit(X_train)
        full = AutoencoderTransformer(**params).fit(X_train)
    # Was 10.6 against 1.7 when validation scored the logits with squared error.
    stopped_error = stopped.reconstruction_error(X_test).mean()
    assert stopped_error < 1.3 * full.reconstruction_error(X_test).mean()


# 2. A fitted estimator is self-describing, whatever set_params did since.
_ARCHITECTURE_CHANGES = {
    "n_components": 3,
    "hidden_layer_sizes": (8,),
    "activation": "tanh",
    "code_activation": "sigmoid",
    "tied_weights": True,
    "loss": "bce",
    "image_shape": (8, 8),
}


def _architecture_cases():
    for cls in CLASSES:
        for name, value in _ARCHITECTURE_CHANGES.items():
            yield cls, name, value
    yield SparseAE, "k", 2
    for cls in CLASSES:  # from a convolutional network
        yield cls, "conv_channels", (16,)


@pytest.mark.parametrize(("cls", "name", "value"), list(_architecture_cases()))
def test_set_params_after_fit_changes_nothing_fitted(small_digits, tmp_path, cls, name, value):
    X = small_digits[0]
    conv = {"image_shape": (8, 8), "conv_channels": (4,)} if name == "conv_channels" else {}
    est = _small(cls, **conv).fit(X)
    codes, recon = est.transform(X), est.inverse_transform(est.transform(X))
    est.set_params(**{name: value})
    for copy in (pickle.loads(pickle.dumps(est)), _saved_and_loaded(est, tmp_path)):
        np.testing.assert_array_equal(copy.transform(X), codes)
        np.testing.assert_array_equal(copy.inverse_transform(codes), recon)
        assert copy.get_params()[name] == value  # the parameters are the user's
    np.testing.assert_array_equal(est.inverse_transform(codes), recon)
    assert est.n_components_ == 4 and est.spec_.n_components == 4
    message = rf"architecture parameters changed .*{name}=.*set warm_start=False"
    with pytest.raises(ValueError, match=message):
        est.set_params(warm_start=True).fit(X)
    with pytest.raises(ValueError, match=rf"{name}=.*call fit to train a new network"):
        est.partial_fit(X)
    np.testing.assert_array_equal(est.transform(X), codes)  # nothing changed
    assert est.set_params(warm_start=False).fit(X).spec_.changed_parameters(est.spec_) == []
    expected = {"hidden_layer_sizes": (8,), "image_shape": (1, 8, 8)}.get(name, value)
    assert getattr(est.spec_, name) == expected


def test_training_run_parameters_take_effect_on_the_next_warm_fit(small_digits):
    X = small_digits[0]
    est = _small(DenoisingAE, warm_start=True).fit(X)
    keep, engines = engine_keeper()
    est.set_params(lr=0.05, weight_decay=0.01, batch_size=50, max_epochs=3, noise_level=0.5)
    est.set_params(callbacks=[keep]).fit(X)
    group = engines[0].optimizer_.param_groups[0]
    assert group["lr"] == 0.05 and group["weight_decay"] == 0.01
    assert est.training_state_.optimizer_state["state"][0]["step"] == 2 * 2 + 3 * 6  # carried
    assert est.n_iter_ == 5 and est.history_[-1, "train_batch_count"] == 6
    assert engines[0].corruption.level == 0.5


# 3. partial_fit's code density summarises every batch.
def test_streamed_density_matches_one_pass_with_the_same_weights(digits):
    X = digits[0]
    params = {"n_components": 8, "random_state": 0, "lr": 1e-9}
    streamed, single = AutoencoderTransformer(**params), AutoencoderTransformer(**params)
    for start in range(0, len(X), 10):
        streamed.partial_fit(X[start : start + 10])
    single.partial_fit(X)
    for name in ("code_mean_", "code_covariance_", "noise_variance_"):
        np.testing.assert_allclose(getattr(streamed, name), getattr(single, name), rtol=1e-4)
    assert streamed.score(X) == pytest.approx(single.score(X), rel=0.01)
    assert streamed.code_moments_["count"] == len(X)


# 4. early_stopping does nothing in partial_fit, and says so.
def test_partial_fit_warns_that_early_stopping_has_no_effect(small_digits):
    est = _small(AutoencoderTransformer, early_stopping=True)
    with pytest.warns(UserWarning, match="early_stopping=True has no effect in partial_fit"):
        est.partial_fit(small_digits[0])
    assert est.validation_scores_ is None


# 5. skorch's own callbacks work with their defaults.
def test_skorch_callbacks_work_with_their_defaults(small_digits, tmp_path):
    X = small_digits[0]
    callbacks = [
        EarlyStopping(patience=2),
        Checkpoint(dirname=str(tmp_path)),
        LRScheduler(policy=torch.optim.lr_scheduler.ReduceLROnPlateau, monitor="valid_loss"),
    ]
    est = _small(AutoencoderTransformer, max_epochs=200, early_stopping=True, lr=0.05)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        est.set_params(callbacks=callbacks, tol=0.0, n_iter_no_change=200).fit(X)
    assert est.n_iter_ < 200  # skorch's EarlyStopping stopped it, without a KeyboardInterrupt
    assert (tmp_path / "params.pt").exists()
    row = est.history_[-1]
    assert {"train_loss", "valid_loss", "valid_loss_best", "valid_score"} <= set(row)
    # Both curves in one unit: the criterion's mean per element.
    assert len(est.validation_loss_curve_) == len(est.loss_curve_) == est.n_iter_
    ratio = np.array(est.validation_loss_curve_) / np.array(est.loss_curve_)
    assert np.all((ratio > 0.5) & (ratio < 2)), ratio


def test_a_users_keyboard_interrupt_still_propagates_beside_early_stopping(small_digits):
    est = _small(AutoencoderTransformer, callbacks=[EarlyStopping(patience=50), InterruptAfter(2)])
    with pytest.raises(KeyboardInterrupt):
        est.set_params(early_stopping=True).fit(small_digits[0])


# 6. ConvergenceWarning when max_epochs cut training short.
def test_convergence_warning_when_training_still_improves(small_digits):
    X = small_digits[0]
    with pytest.warns(ConvergenceWarning, match=r"stopped at max_epochs=2 .* raise max_epochs"):
        _small(AutoencoderTransformer).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        _small(AutoencoderTransformer, max_epochs=50, tol=10.0, n_iter_no_change=2).fit(X)
        _small(AutoencoderTransformer).partial_fit(X)  # one epoch is what was asked


# 7. verbose output that reads well in logs.
def test_verbose_prints_one_clean_line_per_epoch_at_two_and_batches_at_three(small_digits, capsys):
    # verbose=1 is the progress bar (tests/_training/test_progress.py); 2 and 3
    # are plain lines for logs
    X = small_digits[0]
    _small(AutoencoderTransformer, verbose=2, max_epochs=3, batch_size=100).fit(X)
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert len(lines) == 3 and all(re.match(r"epoch +\d+  train_loss \S+  dur", x) for x in lines)
    assert captured.err == ""
    _small(AutoencoderTransformer, verbose=3, max_epochs=3, batch_size=100).fit(X)
    out = capsys.readouterr().out
    assert "\x1b" not in out and "%|" not in out and "\r" not in out
    assert len(re.findall(r"^  batch \d/3  loss ", out, re.M)) == 9
    assert len(re.findall(r"^epoch ", out, re.M)) == 3


@pytest.mark.slow
# 8. Defaults that serve the user.
@pytest.mark.parametrize("n_components", [2, 8, 16])
def test_defaults_reconstruct_held_out_digits_at_least_as_well_as_pca(digits, n_components):
    from sklearn.decomposition import PCA

    X_train, X_test = train_test_split(digits[0], test_size=0.25, random_state=0)
    pca = PCA(n_components).fit(X_train)
    pca_error = ((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2).sum(1).mean()
    for cls in CLASSES:
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeadCodeUnitsWarning)
            warnings.simplefilter("ignore", ConvergenceWarning)
            est = cls(n_components, random_state=0).fit(X_train)
        # measured (k=2, 8, 16): plain 0.91 0.69 0.84, denoising 0.91 0.71 0.87,
        # sparse 0.95 0.72 0.84, contractive 0.91 0.71 0.87 times PCA's error
        assert est.reconstruction_error(X_test).mean() <= pca_error, cls.__name__


# Dead code units are reported.
def test_dead_code_units_warn_with_their_count_and_a_fix(small_digits):
    with pytest.warns(DeadCodeUnitsWarning, match=r"\d+ of 8 code units .*\(dead\).*Lower"):
        SparseAE(8, alpha=10.0, code_activation="relu", max_epochs=30, random_state=0).fit(
            small_digits[0]
        )


# 9. Small input gaps.
@pytest.mark.parametrize("cls", [AutoencoderTransformer, ContractiveAE])
def test_overcomplete_code_without_a_bottleneck_warns(small_digits, cls):
    with pytest.warns(BottleneckWarning, match=r"n_components=70 > n_features=64.*SparseAE"):
        _small(cls, n_components=70).fit(small_digits[0])


@pytest.mark.parametrize("cls", [SparseAE, DenoisingAE])
def test_overcomplete_code_with_a_bottleneck_is_silent(small_digits, cls):
    with warnings.catch_warnings():
        warnings.simplefilter("error", BottleneckWarning)
        _small(cls, n_components=70).fit(small_digits[0])


@pytest.mark.parametrize("n_directions", [2.5, "2", True, 0])
def test_tangent_space_validates_n_directions(small_digits, n_directions):
    est = _small(AutoencoderTransformer).fit(small_digits[0])
    with pytest.raises(ValueError, match="n_directions=.* must be an int between 1 and 4"):
        est.tangent_space(small_digits[0][:3], n_directions=n_directions)


def test_device_accepts_a_torch_device(small_digits):
    est = _small(AutoencoderTransformer, device=torch.device("cpu")).fit(small_digits[0])
    assert est.device_ == "cpu"
    assert clone(est).get_params()["device"] == torch.device("cpu")


# 10. save/load keeps what pickle keeps.
def test_save_and_load_keep_output_config_history_and_random_state(small_digits, tmp_path):
    pd = pytest.importorskip("pandas")
    X = small_digits[0]
    state = np.random.RandomState(7)
    est = _small(AutoencoderTransformer, random_state=state, warm_start=True)
    est.set_output(transform="pandas").fit(X).fit(X)
    expected_state = state.get_state()
    loaded = _saved_and_loaded(est, tmp_path)
    assert isinstance(loaded.transform(X), pd.DataFrame)
    assert loaded.loss_curve_ == est.loss_curve_ and len(loaded.loss_curve_) == 4
    loaded_state = loaded.random_state.get_state()
    assert np.array_equal(loaded_state[1], expected_state[1])
    assert loaded_state[2:] == expected_state[2:]
    loaded.fit(X)  # a warm start continues the saved history
    assert len(loaded.loss_curve_) == 6 and loaded.loss_curve_[:4] == est.loss_curve_


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_a_cuda_model_loaded_here_says_how_to_train_it_further(small_digits, tmp_path):
    X = small_digits[0]
    _small(AutoencoderTransformer).fit(X).save(tmp_path)
    document = json.loads((tmp_path / "estimator.json").read_text())
    document["fitted"]["device_"] = document["params"]["device"] = "cuda"
    (tmp_path / "estimator.json").write_text(json.dumps(document))
    with pytest.warns(UserWarning, match=r"set_params\(device='cpu'\)"):
        loaded = sklearn_ae.load(tmp_path)
    loaded.set_params(device="cpu").fit(X)
    assert loaded.device_ == "cpu"


# 11. A tampered directory cannot make load allocate what its shapes declare.
@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["spec"].update(hidden_layer_sizes=[10**9]),
        lambda d: (d["spec"].update(n_components=10**9), d["fitted"].update(n_components_=10**9)),
        lambda d: (d["spec"].update(n_features=10**9), d["fitted"].update(n_features_in_=10**9)),
    ],
    ids=["width", "n_components", "n_features"],
)
def test_huge_declared_shapes_are_refused_before_allocation(small_digits, tmp_path, edit):
    _small(AutoencoderTransformer).fit(small_digits[0]).save(tmp_path)
    document = json.loads((tmp_path / "estimator.json").read_text())
    edit(document)
    (tmp_path / "estimator.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="do not fit the architecture"):
        sklearn_ae.load(tmp_path)


# 12. Comments cite only what is in the repository.
def test_package_cites_no_file_outside_the_repository():
    from pathlib import Path

    package = Path(sklearn_ae.__file__).parent
    for path in package.rglob("*.py"):
        assert "CONVENTIONS" not in path.read_text(), path


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_the_fitted_state_is_the_schema_that_save_and_the_docs_read(cls, small_digits, tmp_path):
    # Every fitted attribute is a row of FITTED_STATE (read by save, load and
    # the docstrings) or one the class documents itself; and every row that
    # applies is set, saved and documented.
    from sklearn_ae._io.schema import FITTED_STATE

    X = small_digits[0][:80]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        estimator = cls(n_components=2, max_epochs=1, random_state=0).fit(X)
    fitted = {name for name in vars(estimator) if name.endswith("_") and not name.startswith("_")}
    rows = {row.name: row for row in FITTED_STATE}
    own_section = cls.__doc__.split("Attributes\n")[1].split("See Also")[0]
    for name in fitted - set(rows):
        assert re.search(rf"\n    {name} : ", own_section), f"{name} is in no schema row"
    required = {name for name, row in rows.items() if not row.optional}
    assert required - {"feature_names_in_"} <= fitted
    for row in FITTED_STATE:
        assert f"{row.name} : {row.doc_type}" in cls.__doc__
    estimator.save(tmp_path)
    document = json.loads((tmp_path / "estimator.json").read_text())
    stored = set(document["fitted"]) | set(document["tensors"])
    assert {row.name for row in FITTED_STATE if row.storage in ("json", "array")} & fitted <= stored
