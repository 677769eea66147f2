"""Loading a fitted model: pickle size, ``pickle.loads`` and ``sklearn_ae.load`` time.

For each model (the MNIST autoencoder 784-128-64-32, an AdversarialAE and the default
outlier detector): the pickle's size in bytes, and the median time of ``pickle.loads``,
of ``sklearn_ae.load`` and of the first ``transform`` of one row after each (what
serving pays). One thread, contenders interleaved.

With ``--before PATH`` (a checkout of an earlier version, for example
``git worktree add /tmp/before 956dcaf``) each round measures that version and
this one in fresh processes, one after the other, and the table gives the
median over the rounds of each: the layout change's before and after.

    python benchmarks/bench_load.py --mnist ../shared/data
    python benchmarks/bench_load.py --mnist ../shared/data --before /tmp/before
"""

import argparse
import json
import os
import pickle
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from _common import Record, base_parser, load_data, pin_threads
from sklearn.exceptions import ConvergenceWarning

import sklearn_ae
from sklearn_ae import AdversarialAE, AutoencoderOutlierDetector, AutoencoderTransformer


def _median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(X_fit, row, repeats):
    """One row per model: label, pickle KiB and the four median times in ms."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        models = {
            "AutoencoderTransformer 128-64-32": AutoencoderTransformer(
                32, hidden_layer_sizes=(128, 64), max_epochs=2, random_state=0
            ).fit(X_fit),
            "AdversarialAE (normal prior)": AdversarialAE(
                2, hidden_layer_sizes=(128,), max_epochs=2, random_state=0
            ).fit(X_fit),
            "AutoencoderOutlierDetector()": AutoencoderOutlierDetector(random_state=0).fit(X_fit),
        }
    rows = []
    for label, model in models.items():
        blob = pickle.dumps(model)
        with tempfile.TemporaryDirectory() as folder:
            model.save(folder)
            serve = "score_samples" if hasattr(model, "offset_") else "transform"

            def from_pickle(blob=blob, serve=serve):
                return getattr(pickle.loads(blob), serve)(row)

            def from_directory(folder=folder, serve=serve):
                return getattr(sklearn_ae.load(folder), serve)(row)

            from_pickle(), from_directory()  # warm up
            loads, load_dir = [], []
            for _ in range(repeats):  # interleaved
                loads.append(_median_seconds(lambda b=blob: pickle.loads(b), 1))
                load_dir.append(_median_seconds(lambda f=folder: sklearn_ae.load(f), 1))
            serve_pickle = _median_seconds(from_pickle, repeats)
            serve_dir = _median_seconds(from_directory, repeats)
        rows.append(
            [
                label,
                len(blob) / 1024,
                statistics.median(loads) * 1e3,
                serve_pickle * 1e3,
                statistics.median(load_dir) * 1e3,
                serve_dir * 1e3,
            ]
        )
    return rows


def _in_fresh_process(tree, argv):
    """``measure``'s rows from a fresh process importing sklearn_ae from ``tree``."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [sys.executable, __file__, *argv, "--rows-only"]
    output = subprocess.run(command, env=env, check=True, capture_output=True, text=True)
    return json.loads(output.stdout.strip().splitlines()[-1])


def _medians(runs):
    """Cell-wise medians of several runs' rows (the labels from the first)."""
    return [
        [row[0], *(statistics.median(run[i][j] for run in runs) for j in range(1, len(row)))]
        for i, row in enumerate(runs[0])
    ]


_COLUMNS = [
    ("pickle KiB", "{:.1f}"),
    ("pickle.loads ms", "{:.2f}"),
    ("+ one row ms", "{:.2f}"),
    ("sklearn_ae.load ms", "{:.2f}"),
    ("+ one row ms", "{:.2f}"),
]


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    parser.add_argument("--before", type=Path, help="a checkout of the version to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="rounds with --before")
    parser.add_argument("--rows-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.repeats = 3
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    X_fit, row = X_train[:2000], X_test[:1]
    if args.rows_only:
        with pin_threads(args.threads):
            print(json.dumps(measure(X_fit, row, args.repeats)))
        return
    with pin_threads(args.threads):
        record = Record("load", args, f"{name}; models fitted on {len(X_fit)} rows")
        if args.before is None:
            rows = measure(X_fit, row, args.repeats)
            record.table(
                "load",
                f"Loading a fitted model, median of {args.repeats}",
                [("model", "{}"), *_COLUMNS],
                rows,
            )
            record.save()
            return
        here = Path(sklearn_ae.__file__).parents[1]
        child = ["--threads", str(args.threads), "--repeats", str(args.repeats)]
        child += ["--mnist", str(args.mnist)] if args.mnist else []
        child += ["--smoke"] if args.smoke else []
        runs = {"before": [], "after": []}
        for _ in range(args.rounds):  # alternated, each in a fresh process
            runs["before"].append(_in_fresh_process(args.before.resolve(), child))
            runs["after"].append(_in_fresh_process(here, child))
        before, after = _medians(runs["before"]), _medians(runs["after"])
        rows = []
        for old, new in zip(before, after, strict=True):
            rows.append([old[0], "before", *old[1:]])
            rows.append([new[0], "after", *new[1:]])
        record.value("before_commit", _commit_of(args.before))
        record.table(
            "load",
            f"Loading a fitted model, medians of {args.repeats} calls, then over "
            f"{args.rounds} alternated fresh processes per version; before: commit "
            f"{_commit_of(args.before)}",
            [("model", "{}"), ("version", "{}"), *_COLUMNS],
            rows,
        )
    record.save()


def _commit_of(tree):
    output = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    return output.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
