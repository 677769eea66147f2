"""Imputation: AutoencoderImputer against the mean, KNNImputer and IterativeImputer.

MNIST (8,000 train / 2,000 held out) and the bundled diabetes, wine and
breast_cancer tables (standardised, 75/25 split), with entries missing
completely at random (30 % for MNIST, 20 % for the tables) in both parts:
the RMSE on the held-out missing entries and the CPU time of fit plus
transform, one thread. Then ``loss="auto"`` against both losses on tables
inside [0, 1] (breast_cancer, wine and diabetes after MinMaxScaler, digits
binarised at 8), 20 % missing, the RMSE of the missing entries in units of
each feature's spread. Then the accuracy of a LogisticRegression on the codes
of an AutoencoderTransformer trained on digits with 30 % missing pixels,
against the same pipeline behind a SimpleImputer.

    python benchmarks/bench_impute.py --mnist ../shared/data
"""

import time
import warnings

import numpy as np
from _common import Record, base_parser, load_data, pin_threads
from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_wine
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
    args = base_parser(__doc__.split("\n\n")[0]).parse_args(argv)
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    rows = []
    with pin_threads(args.threads):
        record = Record("impute", args, f"{name}; bundled tables standardised, 75/25")
        fast = {"max_iter": 3, "n_nearest_features": 20}
        rows += _contest(name.split(" (")[0], X_train, X_test, 0.3, _imputers(args.smoke, fast))
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
