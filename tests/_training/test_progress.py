"""verbose=1 shows a progress bar of the epochs (or of a meta-estimator's networks)."""

import re

import numpy as np
import pytest
from _estimators import ESTIMATOR_CLASSES

from sklearn_ae import AutoencoderImputer, AutoencoderOutlierDetector, AutoencoderTransformer

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
X = np.random.default_rng(0).random((64, 6))


def _bar_end(text, name, total):
    """The bar's last drawing: "name: 100%|...| total/total [time<left, rate, losses]"."""
    drawings = re.findall(rf"{name}: +\d+%\|[^|]*\| (\d+)/(\d+) \[([^\]]*)\]", text)
    assert drawings, text
    done, of, times = drawings[-1]
    assert (int(done), int(of)) == (total, total), drawings[-1]
    return times


@pytest.mark.parametrize("cls", ESTIMATOR_CLASSES, ids=lambda cls: cls.__name__)
def test_each_autoencoder_shows_epochs_losses_and_time_left(cls, capsys):
    cls(n_components=2, max_epochs=4, verbose=True, early_stopping=True).fit(X)
    times = _bar_end(capsys.readouterr().err, cls.__name__, 4)
    assert "<" in times and "train_loss=" in times and "valid_loss=" in times, times


def test_the_detector_shows_its_networks_and_the_imputer_its_epochs(capsys):
    AutoencoderOutlierDetector(
        AutoencoderTransformer(2, max_epochs=2), n_estimators=3, verbose=True
    ).fit(X)
    _bar_end(capsys.readouterr().err, "AutoencoderOutlierDetector", 3)
    holes = np.where(np.random.default_rng(1).random(X.shape) < 0.2, np.nan, X)
    AutoencoderImputer(max_epochs=3, verbose=True).fit(holes)
    _bar_end(capsys.readouterr().err, "DenoisingAE", 3)
