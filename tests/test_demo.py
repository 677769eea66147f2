"""The demo command: python -m sklearn_ae."""

import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # see the contributing guide: -m 'not slow'


def test_demo_prints_the_table_and_saves_the_picture(tmp_path):
    picture = tmp_path / "codes.png"
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_ae", "--max-epochs", "2", "--output", str(picture)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    for name in ("PCA", "AutoencoderTransformer", "DenoisingAE", "SparseAE", "ContractiveAE"):
        assert name in out.stdout
    assert "recon. error" in out.stdout and "LogReg acc." in out.stdout
    assert picture.stat().st_size > 10_000


def test_demo_help_lists_the_options():
    out = subprocess.run(
        [sys.executable, "-m", "sklearn_ae", "--help"], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0
    for option in ("--n-components", "--max-epochs", "--device", "--output"):
        assert option in out.stdout


def test_readme_and_demo_settings_run_without_a_convergence_warning(digits):
    import re
    import warnings
    from pathlib import Path

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split

    from sklearn_ae import AutoencoderTransformer
    from sklearn_ae._demo import _reducers

    readme = (Path(__file__).parents[1] / "README.md").read_text()
    line = re.search(r"^ae = (AutoencoderTransformer\(.*\))$", readme, re.M).group(1)
    models = {"README": eval(line, {"AutoencoderTransformer": AutoencoderTransformer})}
    models.update(_reducers(2, 500, "cpu", 0))
    X_train, _ = train_test_split(digits[0], test_size=0.25, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for name, model in models.items():
            try:
                model.fit(X_train)
            except ConvergenceWarning as warning:
                raise AssertionError(f"{name} stopped before converging: {warning}") from None
