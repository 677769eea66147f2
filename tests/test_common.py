"""scikit-learn's estimator checks over every estimator, with no expected failures."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_ae import AutoencoderTransformer


def _fast(estimator_class, **params):
    # Small network, few epochs; a batch at least as large as the checks'
    # datasets so training sees every row in one step.
    return estimator_class(
        hidden_layer_sizes=(8,), max_epochs=3, batch_size=512, random_state=0, **params
    )


ESTIMATORS = [_fast(AutoencoderTransformer)]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)
