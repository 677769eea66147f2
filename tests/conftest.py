import sys

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


def pytest_terminal_summary(terminalreporter):
    """Report how many cases the property-based bad-input tests tried."""
    for name, module in list(sys.modules.items()):
        if name.endswith("test_bad_input") and getattr(module, "CASES_TRIED", None):
            terminalreporter.write_line(f"bad-input cases tried: {module.CASES_TRIED}")
