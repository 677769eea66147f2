"""Anomaly detection on ADBench's tables: the autoencoder detector against the field.

ADBench's unsupervised protocol (Han et al., NeurIPS 2022), as
``../shared/data/README.md`` writes it: a table of more than 10,000 rows is
subsampled to 10,000 with the seed (stratified, so that the anomalies of the
rarest tables survive it); a stratified 70 / 30 split with the seed;
``MinMaxScaler`` fitted on the training split; every detector fitted on the
training rows without labels (anomalies included) and scoring the test rows;
ROC-AUC and average precision, seeds 0-4. Contenders, side by side in one run,
each with its defaults:

* scikit-learn: ``IsolationForest``, ``LocalOutlierFactor(novelty=True)``,
  ``OneClassSVM``, and PCA's likelihood (``PCA(k).score_samples``, k =
  min(8, n_features // 2));
* pyod (the ``[bench]`` extra; skipped with a note when absent):
  ``AutoEncoder``, ``VAE``, ``KNN`` and ``ECOD``;
* sklearn_ae: ``AutoencoderOutlierDetector()`` with its likelihood and with
  its reconstruction score, and ``AutoencoderTransformer(k)``'s likelihood
  with every other setting the default.

CPU time is that of fit + score in the worker, one thread each; ``--jobs``
workers share the tables.

    python benchmarks/bench_adbench.py --data ../shared/data/adbench --jobs 2

Without ADBench's files it runs on scikit-learn's digits (20 zeros as the
anomalies; stored only with ``--save``).
"""

import os
import time
import warnings
from multiprocessing import get_context
from pathlib import Path

import numpy as np
from _common import Record, base_parser, pin_threads
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import MinMaxScaler
from sklearn.svm import OneClassSVM

ADBENCH_ENV = "SKLEARN_AE_ADBENCH"
OURS = "AutoencoderOutlierDetector (likelihood)"
REFERENCE = "IsolationForest"


def _k(n_features):
    return max(1, min(8, n_features // 2))


def _negated(model, method="score_samples"):
    """Anomaly scores (higher = more anomalous) from a scikit-learn score."""
    return lambda X_train, X_test, seed: -getattr(model(X_train, seed).fit(X_train), method)(X_test)


def _pyod(name):
    def run(X_train, X_test, seed):
        from pyod.models.auto_encoder import AutoEncoder
        from pyod.models.ecod import ECOD
        from pyod.models.knn import KNN
        from pyod.models.vae import VAE

        make = {
            "AutoEncoder": lambda: AutoEncoder(random_state=seed, verbose=0, device="cpu"),
            "VAE": lambda: VAE(random_state=seed, verbose=0, device="cpu"),
            "KNN": KNN,
            "ECOD": ECOD,
        }[name]
        return make().fit(X_train).decision_function(X_test)

    return run


def contenders(with_pyod):
    from sklearn_ae import AutoencoderOutlierDetector, AutoencoderTransformer

    table = {
        "IsolationForest": _negated(lambda X, seed: IsolationForest(random_state=seed)),
        "LocalOutlierFactor": _negated(lambda X, seed: LocalOutlierFactor(novelty=True)),
        "OneClassSVM": _negated(lambda X, seed: OneClassSVM()),
        "PCA likelihood": _negated(lambda X, seed: PCA(_k(X.shape[1]), random_state=seed)),
        OURS: _negated(lambda X, seed: AutoencoderOutlierDetector(random_state=seed)),
        "AutoencoderOutlierDetector (reconstruction)": _negated(
            lambda X, seed: AutoencoderOutlierDetector(
                anomaly_score="reconstruction", random_state=seed
            )
        ),
        "AutoencoderTransformer likelihood": _negated(
            lambda X, seed: AutoencoderTransformer(_k(X.shape[1]), random_state=seed)
        ),
    }
    if with_pyod:
        for name in ("AutoEncoder", "VAE", "KNN", "ECOD"):
            table[f"pyod {name}"] = _pyod(name)
    return table


def split(X, y, seed):
    """ADBench's protocol: subsample, stratified 70 / 30 split, MinMaxScaler on train."""
    if len(X) > 10_000:
        X, _, y, _ = train_test_split(X, y, train_size=10_000, stratify=y, random_state=seed)
    X_train, X_test, _, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    scaler = MinMaxScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_test


def _job(task):
    """One (table, seed, contender): (AUC, AP, CPU seconds), in a one-thread worker."""
    path, seed, name, with_pyod, threads = task
    with pin_threads(threads), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        data = np.load(path) if isinstance(path, str) else path
        X_train, X_test, y_test = split(data["X"].astype(np.float64), data["y"], seed)
        start = time.process_time()
        scores = np.asarray(contenders(with_pyod)[name](X_train, X_test, seed), np.float64)
        seconds = time.process_time() - start
    scores = np.nan_to_num(scores, nan=np.nanmax(scores), posinf=1e300, neginf=-1e300)
    return roc_auc_score(y_test, scores), average_precision_score(y_test, scores), seconds


def load_tables(args):
    folder = args.data or os.environ.get(ADBENCH_ENV)
    if args.mnist and not folder:
        folder = Path(args.mnist) / "adbench"
    if folder and Path(folder).is_dir() and list(Path(folder).glob("*.npz")):
        paths = sorted(Path(folder).glob("*.npz"), key=lambda p: int(p.stem.split("_")[0]))
        if args.smoke:
            paths = paths[:2]
        names = [p.stem for p in paths]
        return {p.stem: str(p) for p in paths}, f"ADBench, {len(names)} tables"
    from sklearn.datasets import load_digits

    print("ADBench not found (--data or $SKLEARN_AE_ADBENCH): falling back to digits")
    print("(20 zeros as the anomalies among the other digits).")
    X, y = load_digits(return_X_y=True)
    keep = np.r_[np.flatnonzero(y != 0), np.flatnonzero(y == 0)[:20]]
    return {"digits": {"X": X[keep], "y": (y[keep] == 0).astype(int)}}, (
        "scikit-learn digits (1,617 normal rows, 20 zeros as the anomalies)"
    )


def ranks(auc_by_table):
    """Average rank by ROC-AUC over the tables (1 = best; ties share their mean rank)."""
    from scipy.stats import rankdata

    names = list(next(iter(auc_by_table.values())))
    per_table = [rankdata([-aucs[n] for n in names]) for aucs in auc_by_table.values()]
    return dict(zip(names, np.mean(per_table, axis=0), strict=True))


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--data", help=f"ADBench folder (or set ${ADBENCH_ENV})")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--jobs", type=int, default=1, help="worker processes, one thread each")
    args = parser.parse_args(argv)
    tables, data_name = load_tables(args)
    if args.smoke:
        args.seeds = [0]
    try:
        import pyod  # noqa: F401

        note = None
    except ImportError:
        note = "pyod is not installed (pip install pyod, in the [bench] extra)"
        print(f"pyod skipped: {note}")
    names = list(contenders(note is None))
    with pin_threads(args.threads):
        record = Record("adbench", args, data_name)
        tasks = [
            (path, seed, name, note is None, args.threads)
            for seed in args.seeds
            for table, path in tables.items()
            for name in names
        ]
        if args.jobs > 1:
            with get_context("spawn").Pool(args.jobs) as pool:
                results = []
                for i, result in enumerate(pool.imap(_job, tasks, chunksize=1)):
                    results.append(result)
                    if (i + 1) % len(names) == 0:  # one table done: a progress line
                        print(f"{i + 1} / {len(tasks)} fits", flush=True)
        else:
            results = [_job(task) for task in tasks]
    found = {}
    for (path, _, name, _, _), result in zip(tasks, results, strict=True):
        table = next(t for t, p in tables.items() if p is path)
        found.setdefault(table, {}).setdefault(name, []).append(result)
    mean = {t: {n: np.mean(v, axis=0) for n, v in by.items()} for t, by in found.items()}
    auc = {t: {n: m[0] for n, m in by.items()} for t, by in mean.items()}
    average_rank = ranks(auc)
    summary = []
    for name in names:
        aucs = [auc[t][name] for t in tables]
        summary.append(
            (
                name,
                float(np.mean(aucs)),
                float(np.mean([mean[t][name][1] for t in tables])),
                float(average_rank[name]),
                sum(auc[t][name] > auc[t][REFERENCE] for t in tables),
                float(sum(mean[t][name][2] for t in tables) * len(args.seeds)),
            )
        )
    summary.sort(key=lambda row: -row[1])
    record.value("pyod_note", note)
    record.value("seeds", args.seeds)
    record.value("n_tables", len(tables))
    record.table(
        "summary",
        f"{len(tables)} tables x {len(args.seeds)} seeds: mean ROC-AUC and average "
        "precision, average rank by ROC-AUC, tables won against IsolationForest, "
        "total CPU seconds (fit + score)",
        [
            ("detector", "{}"),
            ("mean ROC-AUC", "{:.3f}"),
            ("mean AP", "{:.3f}"),
            ("average rank", "{:.2f}"),
            ("wins vs IForest", "{}"),
            ("CPU s", "{:.0f}"),
        ],
        summary,
    )
    shown = [OURS, REFERENCE, "pyod AutoEncoder", "pyod KNN", "pyod ECOD", "PCA likelihood"]
    shown = [name for name in shown if name in names]
    record.table(
        "per_table",
        "ROC-AUC per table (mean over the seeds)",
        [("table", "{}"), *[(name, "{:.3f}") for name in shown]],
        [(t, *[auc[t][name] for name in shown]) for t in tables],
    )
    record.series("auc", {t: {n: float(a) for n, a in by.items()} for t, by in auc.items()})
    record.save()
    return record


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
