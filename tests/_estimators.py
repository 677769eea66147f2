"""The estimator classes that cross-cutting tests cover: the package's registry, so
that a new estimator is tested everywhere by listing it there."""

from sklearn_ae._registry import AUTOENCODERS

ESTIMATOR_CLASSES = sorted(AUTOENCODERS, key=lambda cls: cls.__name__)
