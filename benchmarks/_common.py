"""Shared helpers of the benchmark scripts: data, thread pinning, interleaved timing,
and the results record each run prints and (with ``--save``) stores."""

import argparse
import datetime
import gzip
import importlib.metadata
import json
import os
import platform
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import report
from _results import RESULTS_FILE, format_row

MNIST_ENV = "SKLEARN_AE_MNIST"
# Benchmarks whose stored results are on scikit-learn's digits, not MNIST.
DIGITS_BENCHMARKS = ("defaults",)
# Benchmarks on data they write themselves (stored by a full run).
SYNTHETIC_BENCHMARKS = ("out_of_core",)
VERSIONED = ("torch", "skorch", "scikit-learn", "numpy", "sklearn_ae", "keras", "faiss-cpu")


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
    parser.add_argument(
        "--save",
        metavar="JSON",
        help="store the measurements, with how they were produced, in this results file; "
        f"by default a full MNIST run replaces its entry in {RESULTS_FILE.name} and redraws "
        "the docs' tables and figures, and a smoke or digits run stores nothing",
    )
    parser.add_argument("--no-save", action="store_true", help=f"leave {RESULTS_FILE.name} alone")
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


# The shared mixed tables (../shared/data/mixed), in the order they are reported.
MIXED_TABLES = ("diamonds", "penguins", "Chile", "Aids2")


def mixed_tables(folder, smoke, names=MIXED_TABLES):
    """Name -> the mixed table as the protocols read it (``prepared_table``):
    the shared CSV files in ``folder``, or the bundled penguins without
    ``folder`` or in a smoke run."""
    import pandas as pd

    from sklearn_ae.datasets import load_penguins

    if smoke or folder is None:
        print("mixed tables not given (--data): the bundled penguins only.")
        return {"penguins": prepared_table(load_penguins(), "penguins")}
    return {
        name: prepared_table(pd.read_csv(Path(folder) / f"{name}.csv"), name)
        for name in names
        if (Path(folder) / f"{name}.csv").exists()
    }


def prepared_table(frame, name):
    """Complete rows (diamonds: 5,000 of them, as the data README's protocols),
    text columns categorical."""
    import pandas as pd

    frame = frame.dropna().reset_index(drop=True)
    if name == "diamonds":
        frame = frame.sample(5000, random_state=0).reset_index(drop=True)
    for column in frame.columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype(str).astype("category")
    return frame


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
        f"machine: {cpu_name()} ({platform.machine()}), "
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


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(distribution):
    try:
        return importlib.metadata.version(distribution)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git_commit():
    here = Path(__file__).parent
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=here, capture_output=True, text=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "../sklearn_ae", ".", ":!results.json"],
            cwd=here,
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        return None
    return (commit + " (uncommitted changes)" if dirty else commit) or None


class Record:
    """What one benchmark run measured, and how: printed as it goes, stored by ``save``.

    Tables keep raw numbers beside a format per column, so the printed table,
    the docs' tables and the figures are drawn from the same values.
    """

    def __init__(self, name, args, data):
        self.name, self.args = name, args
        self._start = time.perf_counter()
        self.content = {
            "produced": {
                "command": "python benchmarks/"
                + " ".join([Path(sys.argv[0]).name, *map(shlex.quote, _public_argv(sys.argv[1:]))]),
                "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                "machine": f"{cpu_name()}, {os.cpu_count()} cores, {platform.machine()}",
                "threads": args.threads,
                "python": platform.python_version(),
                "versions": {d: v for d in VERSIONED if (v := _version(d))},
                "commit": _git_commit(),
                "data": data,
                "smoke": bool(args.smoke),
            },
            "tables": {},
            "series": {},
            "values": {},
        }
        print(describe_machine(args.threads))
        print(f"data: {data}")

    def table(self, key, title, columns, rows):
        """Store and print a table; ``columns`` are (header, format) pairs, ``rows`` raw values."""
        headers = [header for header, _ in columns]
        formats = [fmt for _, fmt in columns]
        rows = [[_plain(value) for value in row] for row in rows]
        self.content["tables"][key] = {
            "title": title,
            "columns": headers,
            "formats": formats,
            "rows": rows,
        }
        print(title)
        print_table(headers, [format_row(row, formats) for row in rows])
        return rows

    def timing_table(self, key, title, times, reference, first_column, seconds_format="{:.2f}"):
        """Medians of interleaved ``times`` and their median ratios to ``reference``'s."""
        rows = [
            (name, statistics.median(seconds), median_ratio(times, name, reference))
            for name, seconds in times.items()
        ]
        self.table(
            key,
            title,
            [(first_column, "{}"), ("median s", seconds_format), (f"/ {reference}", "{:.2f}x")],
            rows,
        )
        return rows[-1][2]

    def series(self, key, value):
        """Store data a figure is drawn from (JSON-able)."""
        self.content["series"][key] = _plain(value)

    def value(self, key, value):
        """Store a headline number the docs quote."""
        self.content["values"][key] = _plain(value)
        return value

    def stores_by_default(self):
        """A full run on the data the stored results hold (MNIST or ADBench; digits
        for the benchmarks stated on digits) replaces its entry; smaller runs never do."""
        produced = self.content["produced"]
        on_their_data = (
            "MNIST" in produced["data"]
            or "ADBench" in produced["data"]
            or produced["data"].startswith("mixed tables")
            or self.name in DIGITS_BENCHMARKS
            or self.name in SYNTHETIC_BENCHMARKS
        )
        return not (self.args.no_save or produced["smoke"] or not on_their_data)

    def save(self, replaces_measurements=True):
        """Store this run's entry; ``replaces_measurements=False`` (a run that
        measured nothing here) keeps an entry that holds measurements."""
        self.content["produced"]["wall_seconds"] = round(time.perf_counter() - self._start, 1)
        path = self.args.save or (RESULTS_FILE if self.stores_by_default() else None)
        if path is None:
            print(f"not stored (a smoke or digits run, or --no-save): {RESULTS_FILE.name} is kept")
            return
        path = Path(path)
        stored = json.loads(path.read_text()) if path.exists() else {}
        previous = stored.get("benchmarks", {}).get(self.name)
        if not replaces_measurements and previous and previous["tables"]:
            print(f"nothing measured here: the measurements stored in {path.name} are kept")
            return
        stored.setdefault("benchmarks", {})[self.name] = self.content
        stored["benchmarks"] = dict(sorted(stored["benchmarks"].items()))
        path.write_text(json.dumps(stored, indent=1) + "\n")
        print(f"stored in {path}")
        if not self.args.save:  # a benchmark rerun alone: redraw what the docs show
            report.main([])


def _public_argv(argv):
    """The command line without the results file's path (it is where, not how), and
    with the data folder relative to the repository."""
    out, skip = [], False
    for item in argv:
        if skip:
            skip = False
        elif item == "--save":
            skip = True
        elif not item.startswith("--save="):
            if out and out[-1] in ("--mnist", "--data") and Path(item).is_absolute():
                item = os.path.relpath(item, Path(__file__).parents[1])
            out.append(item)
    return out


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, (np.integer, np.bool_)):
        return value.item()
    return value


def keras_available():
    """None when Keras 3 runs on the torch backend here, else why it is skipped."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    try:
        import keras
    except ImportError:
        return "keras is not installed (pip install keras)"
    if keras.backend.backend() != "torch":
        return f"keras runs on the {keras.backend.backend()} backend, not torch"
    return None


class CpuClock:
    """Process CPU time that can be paused while a contender is being evaluated."""

    def __init__(self):
        self.elapsed, self._since = 0.0, None

    def start(self):
        self._since = time.process_time()

    def stop(self):
        self.elapsed += time.process_time() - self._since
        self._since = None
        return self.elapsed


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
