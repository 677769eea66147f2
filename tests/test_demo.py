"""The demo command: python -m sklearn_ae."""

import subprocess
import sys


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
