"""Imputation: AutoencoderImputer against the mean, KNNImputer and IterativeImputer.

MNIST (8,000 train / 2,000 held out) and the bundled diabetes, wine and
breast_cancer tables (standardised, 75/25 split), with entries missing
completely at random (40 % for MNIST, 20 % for the tables) in both parts:
the RMSE on the held-out missing entries and the CPU time of fit plus
transform, one thread. Then small tables as they come (iris, wine, diabetes,
breast_cancer, raw and after MinMaxScaler, and penguins' four numeric columns
with ``--data``): 20 % of the entries missing (seeds 0-2), each imputer's
``fit_transform``, NRMSE (RMSE of a column's missing entries over its
standard deviation, averaged over columns). Then ``loss="auto"`` against
both losses on tables inside [0, 1] (breast_cancer, wine and diabetes after
MinMaxScaler, digits binarised at 8), 20 % missing, the RMSE of the missing
entries in units of each feature's spread. Then the accuracy of a
LogisticRegression on the codes of an AutoencoderTransformer trained on
digits with 30 % missing pixels, against the same pipeline behind a
SimpleImputer.

    python benchmarks/bench_impute.py --mnist ../shared/data --data ../shared/data/mixed
"""

import time
import warnings
from pathlib import Path

import numpy as np
from _common import Record, base_parser, load_data, pin_threads
from sklearn.datasets import (
    load_breast_cancer,
    load_diabetes,
    load_digits,
    load_iris,
    load_wine,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MinMaxScaler, StandardScaler

from sklearn_ae import AutoencoderImputer, AutoencoderTransformer


def _with_holes(X, share, seed=0):
    mask = np.random.default_rng(seed).random(X.shape) < share
    return np.where(mask, np.nan, X), mask


def _contest(name, X_train, X_test, share, imputers):
    holes_train, _ = _with_holes(X_train, share, seed=0)
    holes_test, missing = _with_holes(X_test, share, seed=1)
    rows = []
    for label, imputer in imputers.items():
        start = time.process_time()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            filled = imputer.fit(holes_train).transform(holes_test)
        seconds = time.process_time() - start
        rmse = np.sqrt(np.mean((filled[missing] - X_test[missing]) ** 2))
        rows.append((name, f"{share:.0%}", label, rmse, seconds))
    return rows


def _imputers(smoke, iterative_params):
    epochs = {"max_epochs": 2} if smoke else {}
    return {
        "mean (SimpleImputer)": SimpleImputer(),
        "KNNImputer": KNNImputer(),
        "IterativeImputer": IterativeImputer(random_state=0, **iterative_params),
        "AutoencoderImputer": AutoencoderImputer(random_state=0, **epochs),
    }


def _small_tables(folder, smoke):
    tables = {}
    for load in (load_iris, load_wine, load_diabetes, load_breast_cancer):
        X = load().data.astype(float)
        tables[load.__name__[5:]] = X
        tables[load.__name__[5:] + " (MinMax)"] = MinMaxScaler().fit_transform(X)
    penguins = Path(folder or "") / "penguins.csv"
    if folder and penguins.exists():
        import pandas as pd

        columns = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
        tables["penguins (numeric)"] = pd.read_csv(penguins).dropna()[columns].to_numpy(float)
    return {name: X[:80] for name, X in tables.items()} if smoke else tables


def _nrmse(X, filled, mask):
    spread = X.std(0)
    columns = [j for j in range(X.shape[1]) if mask[:, j].any() and spread[j] > 0]
    return np.mean(
        [
            np.sqrt(np.mean((filled[mask[:, j], j] - X[mask[:, j], j]) ** 2)) / spread[j]
            for j in columns
        ]
    )


def _small_rows(folder, smoke):
    """Each small table's mean NRMSE over seeds 0-2, per imputer, and ours / KNN's."""
    rows = []
    for name, X in _small_tables(folder, smoke).items():
        errors = {}
        for seed in (0, 1, 2):
            mask = np.random.default_rng(1000 + seed).random(X.shape) < 0.2
            mask[mask.all(1), 0] = False  # a row keeps a cell
            holes = np.where(mask, np.nan, X)
            imputers = {
                "mean": SimpleImputer(),
                "KNNImputer": KNNImputer(),
                "IterativeImputer": IterativeImputer(random_state=seed),
                "AutoencoderImputer": AutoencoderImputer(random_state=seed),
            }
            if smoke:
                imputers["AutoencoderImputer"].set_params(max_epochs=2)
            for label, imputer in imputers.items():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    filled = imputer.fit_transform(holes)
                errors.setdefault(label, []).append(_nrmse(X, filled, mask))
        means = {label: float(np.mean(values)) for label, values in errors.items()}
        ratio = means["AutoencoderImputer"] / means["KNNImputer"]
        rows.append((name, X.shape[0], X.shape[1], *means.values(), ratio))
    return rows


def _loss_rows(smoke):
    """loss="auto" against both losses on MinMax-scaled tables and binarised digits."""
    tables = {
        name: MinMaxScaler().fit_transform(load().data)
        for name, load in (
            ("breast_cancer", load_breast_cancer),
            ("wine", load_wine),
            ("diabetes", load_diabetes),
        )
    }
    tables["binarised digits"] = (load_digits().data > 7).astype(float)
    rows = []
    for name, X in tables.items():
        X = X[:120] if smoke else X
        holes, missing = _with_holes(X, 0.2)
        spread = np.where(X.std(0) > 0, X.std(0), 1.0)
        errors, chosen = {}, None
        imputers = {
            loss: AutoencoderImputer(loss=loss, random_state=0) for loss in ("auto", "mse", "bce")
        }
        imputers["mean"] = SimpleImputer()
        for label, imputer in imputers.items():
            if smoke and label != "mean":
                imputer.set_params(max_epochs=2)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                filled = imputer.fit(holes).transform(holes)
            errors[label] = np.sqrt(np.mean(((filled - X) / spread)[missing] ** 2))
            chosen = imputer.loss_ if label == "auto" else chosen
        rows.append((name, errors["auto"], chosen, errors["mse"], errors["bce"], errors["mean"]))
    return rows


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder of the mixed tables (penguins.csv), optional")
    args = parser.parse_args(argv)
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    rows = []
    with pin_threads(args.threads):
        record = Record("impute", args, f"{name}; bundled tables standardised, 75/25")
        fast = {"max_iter": 3, "n_nearest_features": 20}
        rows += _contest(name.split(" (")[0], X_train, X_test, 0.4, _imputers(args.smoke, fast))
        for load in (load_diabetes, load_wine, load_breast_cancer):
            X = StandardScaler().fit_transform(load().data)
            if args.smoke:
                X = X[:120]
            parts = train_test_split(X, test_size=0.25, random_state=0)
            rows += _contest(load.__name__[5:], *parts, 0.2, _imputers(args.smoke, {}))
        record.table(
            "rmse",
            "RMSE on the held-out missing entries; CPU seconds of fit + transform",
            [
                ("data", "{}"),
                ("missing", "{}"),
                ("imputer", "{}"),
                ("RMSE", "{:.3f}"),
                ("CPU s", "{:.1f}"),
            ],
            rows,
        )
        record.value("iterative_on_mnist", fast)
        record.table(
            "small",
            "Small tables as they come, 20 % of the entries missing (seeds 0-2): mean NRMSE "
            "of each imputer's fit_transform (RMSE of a column's missing entries over its "
            "standard deviation, averaged over columns)",
            [
                ("table", "{}"),
                ("rows", "{}"),
                ("columns", "{}"),
                ("mean", "{:.3f}"),
                ("KNNImputer", "{:.3f}"),
                ("IterativeImputer", "{:.3f}"),
                ("AutoencoderImputer", "{:.3f}"),
                ("ours / KNN", "{:.2f}"),
            ],
            _small_rows(args.data, args.smoke),
        )
        record.table(
            "loss",
            "AutoencoderImputer's loss on tables inside [0, 1] (20 % missing): RMSE of the "
            "missing entries in units of each feature's spread",
            [
                ("table", "{}"),
                ('loss="auto"', "{:.3f}"),
                ("chosen", "{}"),
                ('"mse"', "{:.3f}"),
                ('"bce"', "{:.3f}"),
                ("mean", "{:.3f}"),
            ],
            _loss_rows(args.smoke),
        )

        X, y = load_digits(return_X_y=True)
        holes, _ = _with_holes(X / 16.0, 0.3)
        X_train, X_test, y_train, y_test = train_test_split(holes, y, random_state=0)
        epochs = {"max_epochs": 2} if args.smoke else {}
        pipelines = {
            "AutoencoderTransformer on rows with holes": make_pipeline(
                AutoencoderTransformer(16, random_state=0, **epochs),
                LogisticRegression(max_iter=2000),
            ),
            "SimpleImputer, then AutoencoderTransformer": make_pipeline(
                SimpleImputer(),
                AutoencoderTransformer(16, random_state=0, **epochs),
                LogisticRegression(max_iter=2000),
            ),
        }
        accuracy = []
        for label, pipe in pipelines.items():
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                accuracy.append((label, pipe.fit(X_train, y_train).score(X_test, y_test)))
        record.table(
            "codes",
            "Digits with 30 % of the pixels missing: LogisticRegression on the codes",
            [("pipeline", "{}"), ("accuracy", "{:.3f}")],
            accuracy,
        )
    record.save()


if __name__ == "__main__":
    main()
