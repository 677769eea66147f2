"""scikit-learn's estimator checks over every estimator; one expected failure, named
with its reason below."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ae import (
    AdversarialAE,
    AutoencoderClassifier,
    AutoencoderRegressor,
    AutoencoderTransformer,
    ContractiveAE,
    DenoisingAE,
    SparseAE,
    VariationalAE,
)
from sklearn_ae._io.schema import FITTED_STATE


def _fast(estimator_class, **params):
    # Small network, few epochs; a batch at least as large as the checks'
    # datasets so training sees every row in one step.
    return estimator_class(
        hidden_layer_sizes=(8,), max_epochs=3, batch_size=512, random_state=0, **params
    )


ESTIMATORS = [
    _fast(AutoencoderTransformer),
    _fast(DenoisingAE),
    _fast(DenoisingAE, noise="salt_and_pepper", noise_level=0.2),
    _fast(SparseAE),
    _fast(SparseAE, k=1),
    _fast(ContractiveAE),
    _fast(ContractiveAE, jacobian_method="exact"),
    _fast(VariationalAE),
    _fast(AdversarialAE),
    _fast(AdversarialAE, encoder="gaussian", prior="circle"),
]
FEW_LABELS = [
    AutoencoderClassifier(
        _fast(AutoencoderTransformer, n_components=2), max_epochs=30, random_state=0
    ),
    AutoencoderRegressor(
        _fast(AutoencoderTransformer, n_components=2), max_epochs=30, random_state=0
    ),
]


def _expected_failures(estimator):
    if isinstance(estimator, AutoencoderClassifier):
        # -1 marks a row without a label (scikit-learn's semi-supervised
        # convention); the check trains on labels -1 and 1, from which
        # scikit-learn exempts LabelSpreading and SelfTrainingClassifier by name.
        return {"check_classifiers_classes": "-1 marks unlabeled rows"}
    return {}


@pytest.mark.slow
@parametrize_with_checks(ESTIMATORS + FEW_LABELS, expected_failed_checks=_expected_failures)
def test_sklearn_compatible(estimator, check):
    check(estimator)


@pytest.mark.parametrize("estimator", ESTIMATORS, ids=repr)
def test_every_documented_attribute_exists_after_fit(estimator, digits):
    doc = type(estimator).__doc__
    attributes = doc.split("Attributes\n    ----------\n")[1].split("\n\n")[0]
    names = [line.split(" : ")[0].strip() for line in attributes.splitlines() if " : " in line]
    assert "loss_curve_" in names and "module_" in names
    fitted = estimator.fit(digits[0][:100])
    # Attributes of some inputs only: DataFrames, tables with categorical columns
    # (tests/decomposition/test_mixed_tables.py checks those).
    optional = {row.name for row in FITTED_STATE if row.optional}
    for name in names:
        if name == "components_":  # only for affine encoder and decoder
            assert hasattr(fitted, name) == fitted.module_.is_affine
        elif name not in optional:
            assert hasattr(fitted, name), name


@pytest.mark.parametrize(
    "cls", [AdversarialAE, ContractiveAE, DenoisingAE, SparseAE, VariationalAE]
)
def test_every_estimator_takes_every_shared_parameter_with_its_default(cls):
    import inspect

    shared = inspect.signature(AutoencoderTransformer).parameters
    own = inspect.signature(cls).parameters
    for name, parameter in shared.items():
        assert name in own, name
        assert own[name].default == parameter.default, name
        assert own[name].kind == parameter.kind, name
