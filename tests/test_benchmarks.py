"""Each benchmark runs once in smoke mode so it cannot rot; timings are never asserted."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = sorted((Path(__file__).parents[1] / "benchmarks").glob("bench_*.py"))


@pytest.mark.parametrize("script", BENCHMARKS, ids=lambda p: p.stem)
def test_benchmark_smoke_run(script):
    result = subprocess.run(
        [sys.executable, script.name, "--smoke"],
        cwd=script.parent,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "SKLEARN_AE_MNIST": ""},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    if "No CUDA device available" in result.stdout:  # bench_gpu on a CPU-only machine
        return
    if "bench_defaults" not in script.name:  # stated on digits, MNIST plays no part
        assert "falling back to digits" in result.stdout
    assert "|" in result.stdout  # printed its table
