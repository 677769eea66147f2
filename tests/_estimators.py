"""The estimator classes that cross-cutting tests cover: the package's registry, so
that a new estimator is tested everywhere by registering it."""

import sklearn_ae  # noqa: F401  (importing the package registers every estimator)
from sklearn_ae._registry import ESTIMATORS

ESTIMATOR_CLASSES = [ESTIMATORS[name] for name in sorted(ESTIMATORS)]
