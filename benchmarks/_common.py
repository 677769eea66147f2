"""Shared helpers of the benchmark scripts: data, thread pinning, interleaved timing."""

import argparse
import gzip
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

MNIST_ENV = "SKLEARN_AE_MNIST"


def base_parser(description):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--mnist",
        default=os.environ.get(MNIST_ENV),
        help=f"folder holding t10k-images-idx3-ubyte.gz (or set ${MNIST_ENV}); "
        "without it the benchmark falls back to scikit-learn's digits",
    )
    parser.add_argument("--threads", type=int, default=1, help="torch and BLAS threads")
    parser.add_argument("--smoke", action="store_true", help="tiny run to check it works")
    return parser


def load_data(mnist_dir, smoke=False):
    """(X_train, X_test, y_train, y_test, name): pixels in [0, 1], float32.

    MNIST test split: first 8000 rows train, last 2000 held out (see
    shared/data/README.md). Fallback: digits, 75/25.
    """
    if mnist_dir and (Path(mnist_dir) / "t10k-images-idx3-ubyte.gz").exists():
        folder = Path(mnist_dir)
        with gzip.open(folder / "t10k-images-idx3-ubyte.gz") as f:
            X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 784)
        with gzip.open(folder / "t10k-labels-idx1-ubyte.gz") as f:
            y = np.frombuffer(f.read(), np.uint8, offset=8)
        X = (X / 255.0).astype(np.float32)
        split, name = 8000, "MNIST test split (8000 train / 2000 held out)"
    else:
        from sklearn.datasets import load_digits

        print("MNIST not given (--mnist or $SKLEARN_AE_MNIST): falling back to digits.")
        digits = load_digits()
        X, y = (digits.data / 16.0).astype(np.float32), digits.target
        split, name = 1347, "scikit-learn digits (1347 train / 450 held out)"
    if smoke:
        return X[:256], X[-64:], y[:256], y[-64:], name + " [smoke subset]"
    return X[:split], X[split:], y[:split], y[split:], name


def pin_threads(n_threads):
    """Pin torch and BLAS to ``n_threads``; returns the threadpoolctl limiter."""
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(n_threads)
    return threadpool_limits(n_threads)


def describe_machine(n_threads):
    import sklearn
    import skorch
    import torch

    import sklearn_ae

    return (
        f"machine: {platform.machine()} {platform.processor() or ''}, "
        f"{os.cpu_count()} cores, {n_threads} thread(s); python {platform.python_version()}, "
        f"torch {torch.__version__}, skorch {skorch.__version__}, "
        f"scikit-learn {sklearn.__version__}, sklearn_ae {sklearn_ae.__version__}"
    )


def interleaved(contenders, repeats, warmup=1):
    """Time each contender ``repeats`` times, interleaved A B C A B C.

    ``contenders`` maps a name to a zero-argument callable returning a result.
    Returns ({name: [seconds, ...]}, {name: last result}).
    """
    for _ in range(warmup):
        for run in contenders.values():
            run()
    times = {name: [] for name in contenders}
    results = {}
    for _ in range(repeats):
        for name, run in contenders.items():
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
    return times, results


def median_ratio(times, name, reference):
    """Median over repeats of the per-repeat time ratio ``name / reference``."""
    return statistics.median(a / b for a, b in zip(times[name], times[reference], strict=True))


def print_table(header, rows):
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))
    print(line)
    print("-|-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


def reconstruction_error(X_true, X_rec):
    """Per-image squared error summed over pixels, averaged over images."""
    return float(np.mean(((np.asarray(X_rec, dtype=np.float64) - X_true) ** 2).sum(1)))
