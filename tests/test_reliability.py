"""Faults and reproducibility: memory across many fits, processes and joblib backends."""

import hashlib
import subprocess
import sys
from pathlib import Path

import joblib
import numpy as np
import pytest
import torch
from _helpers import callback_keeper
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline
from skorch.callbacks import Callback

from sklearn_ae import AutoencoderTransformer, DenoisingAE

pytestmark = pytest.mark.slow  # see the contributing guide: -m 'not slow'

_FIT_AND_HASH = """
import hashlib, sys, numpy as np
from sklearn.datasets import load_digits
from sklearn_ae import DenoisingAE
X = load_digits().data[:300] / 16
codes = DenoisingAE(n_components=4, max_epochs=3, random_state=7).fit(X).transform(X)
print(hashlib.sha256(codes.tobytes()).hexdigest())
"""

_MEMORY_GROWTH = """
import numpy as np
from sklearn.datasets import load_digits
from sklearn_ae import AutoencoderTransformer

def rss_mib():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmRSS")) / 1024

X = load_digits().data[:300] / 16
def cycle():
    AutoencoderTransformer(n_components=4, max_epochs=2, random_state=0).fit(X).transform(X)
for _ in range(5):
    cycle()  # warm up torch's allocator and kernel caches
start = rss_mib()
for _ in range(100):
    cycle()
print(rss_mib() - start)
"""


def _run(script):
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip()


def test_same_random_state_is_bit_identical_in_fresh_processes(small_digits):
    first, second = _run(_FIT_AND_HASH), _run(_FIT_AND_HASH)
    here = DenoisingAE(n_components=4, max_epochs=3, random_state=7).fit(small_digits[0])
    assert first == second == hashlib.sha256(here.transform(small_digits[0]).tobytes()).hexdigest()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc (Linux)")
def test_hundred_fit_transform_cycles_do_not_leak():
    assert float(_run(_MEMORY_GROWTH)) < 50  # MiB; measured about 1


def _search(n_jobs, backend=None):
    X, y = _search_data()
    grid = GridSearchCV(
        Pipeline([("reduce", PCA()), ("clf", LogisticRegression(max_iter=300))]),
        {
            "reduce": [PCA(), DenoisingAE(max_epochs=5, random_state=0)],
            "reduce__n_components": [2, 6],
        },
        cv=3,
        n_jobs=n_jobs,
    )
    with joblib.parallel_backend(backend) if backend else _nothing():
        grid.fit(X, y)
    return {k: v for k, v in grid.cv_results_.items() if "test_score" in k}


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _search_data():
    from sklearn.datasets import load_digits

    X, y = load_digits(return_X_y=True)
    return X[:300] / 16, y[:300]


@pytest.mark.parametrize("backend", [None, "threading"], ids=["processes", "threads"])
def test_parallel_grid_search_gives_the_same_scores(backend):
    serial, parallel = _search(n_jobs=1), _search(n_jobs=2, backend=backend)
    for key, values in serial.items():
        np.testing.assert_array_equal(parallel[key], values, err_msg=key)


class _RecordThreads(Callback):
    def on_train_begin(self, net, **kwargs):
        self.n_threads = torch.get_num_threads()


def _threads_used_in_a_fit(X):
    factory, made = callback_keeper(_RecordThreads)
    AutoencoderTransformer(max_epochs=1, callbacks=[("threads", factory)]).fit(X)
    return made[0].n_threads


def test_process_workers_train_with_one_torch_thread(small_digits):
    used = joblib.Parallel(n_jobs=2)(
        joblib.delayed(_threads_used_in_a_fit)(small_digits[0]) for _ in range(2)
    )
    assert used == [1, 1]
