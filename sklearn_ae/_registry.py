"""The public estimator classes by name, filled by the classes themselves.

Persistence reads this table to rebuild a saved estimator, so it never has to
import the package's ``__init__`` (which would make an import cycle).
"""

ESTIMATORS = {}


def register_estimator(cls):
    """Class decorator: make ``cls`` loadable by name with ``sklearn_ae.load``."""
    ESTIMATORS[cls.__name__] = cls
    return cls
