import numpy as np
import pytest
from sklearn.datasets import load_digits


@pytest.fixture(scope="session")
def digits():
    """Digits scaled to [0, 1], with labels."""
    data = load_digits()
    return data.data / 16.0, data.target


@pytest.fixture(scope="session")
def small_digits(digits):
    X, y = digits
    return X[:300], y[:300]


@pytest.fixture
def rng():
    return np.random.default_rng(0)
