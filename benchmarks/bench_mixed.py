"""Mixed tables: imputation, synthetic rows and anomaly detection on real tables
with numeric and categorical columns, every contender side by side in one run.

The three protocols of ``../shared/data/README.md`` (mixed tables) on diamonds
(5,000 rows drawn with random_state=0), penguins, Chile and Aids2, complete
rows only:

1. imputation: 20 % of cells hidden (seeds 0-2); NRMSE of the numbers
   (RMSE / the column's standard deviation, averaged over numeric columns)
   and accuracy of the categories. AutoencoderImputer reads the table;
   SimpleImputer, KNNImputer(5) and IterativeImputer(BayesianRidge) see
   standardised numbers and one-hot categories (a hole NaN across its block,
   decoded by the block's argmax); miceforest reads the table.
2. synthetic rows (seed 0): fit on 70 %, draw as many rows as the 30 % holds;
   classifier two-sample accuracy (HistGradientBoosting, stratified 5-fold,
   0.5 = indistinguishable), the share of numbers outside the real column's
   range, the mean total-variation distance of the level frequencies, and
   the share of invalid levels. VariationalAE and AdversarialAE read the
   table; ctgan's TVAE and CTGAN (300 epochs) where installed.
3. anomalies that break the joint structure (seeds 0-4): 5 % of rows get one
   cell replaced by another row's value of that column (another level, or a
   number at least one standard deviation away). ROC-AUC of the scores of
   AutoencoderOutlierDetector (reads the table), IsolationForest,
   LocalOutlierFactor(20), PCA's likelihood and pyod's ECOD (standardised
   numbers and one-hot). Then the share of planted rows among the top 5 %
   whose highest feature score is the planted column, and on clean diamonds
   (three samples of 5,000) how over-represented rows holding a level rarer
   than 5 % are among the 50 lowest scores (1 = as often as in the table).

One thread. ctgan, sdmetrics, miceforest and pyod come with the ``[bench]``
extra; a contender whose package is missing is skipped with a note.

    python benchmarks/bench_mixed.py --data ../shared/data/mixed
"""

import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from _common import Record, base_parser, mixed_tables, pin_threads, prepared_table
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer
from sklearn.linear_model import BayesianRidge
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold, cross_val_score, train_test_split
from sklearn.neighbors import LocalOutlierFactor

from sklearn_ae import AdversarialAE, AutoencoderImputer, AutoencoderOutlierDetector, VariationalAE
from sklearn_ae.datasets import load_penguins


def _kinds(frame):
    categorical = [c for c in frame.columns if isinstance(frame[c].dtype, pd.CategoricalDtype)]
    return [c for c in frame.columns if c not in categorical], categorical


class OneHot:
    """Standardised numbers and one-hot categories, a missing cell NaN across its
    block; ``decode`` takes each block's argmax."""

    def __init__(self, frame):
        self.numeric, self.categorical = _kinds(frame)
        self.mean = frame[self.numeric].mean()
        self.std = frame[self.numeric].std(ddof=0).replace(0, 1)
        self.levels = {c: list(frame[c].cat.categories) for c in self.categorical}

    def encode(self, frame):
        parts = [((frame[self.numeric] - self.mean) / self.std).to_numpy(dtype=float)]
        for column, levels in self.levels.items():
            values = frame[column].astype(object).to_numpy()
            block = (values[:, None] == np.array(levels, dtype=object)[None]).astype(float)
            block[pd.isna(values)] = np.nan
            parts.append(block)
        return np.hstack(parts)

    def decode(self, matrix, like):
        out = like.copy()
        n = len(self.numeric)
        out[self.numeric] = matrix[:, :n] * self.std.to_numpy() + self.mean.to_numpy()
        start = n
        for column, levels in self.levels.items():
            block = matrix[:, start : start + len(levels)]
            out[column] = pd.Categorical(
                np.array(levels, dtype=object)[block.argmax(1)], categories=levels
            )
            start += len(levels)
        return out


# ----------------------------------------------------------------- protocol 1
def _mask(frame, seed):
    mask = np.random.default_rng(1000 + seed).random(frame.shape) < 0.2
    mask[mask.all(1), 0] = False  # a row masked everywhere gets its first cell back
    return mask


def _impute_scores(truth, filled, mask):
    numeric, categorical = _kinds(truth)
    errors = []
    for column in numeric:
        hidden = mask[:, truth.columns.get_loc(column)]
        if hidden.any():
            rmse = np.sqrt(np.mean((filled[column][hidden] - truth[column][hidden]) ** 2))
            errors.append(rmse / truth[column].std(ddof=0))
    right = []
    for column in categorical:
        hidden = mask[:, truth.columns.get_loc(column)]
        if hidden.any():
            given = filled[column].astype(object).to_numpy()[hidden]
            right.append(np.mean(given == truth[column].astype(object).to_numpy()[hidden]))
    return float(np.mean(errors)), float(np.mean(right))


def _through_matrix(imputer):
    def impute(frame):
        encoding = OneHot(frame)
        return encoding.decode(imputer.fit_transform(encoding.encode(frame)), frame)

    return impute


def _miceforest(seed):
    try:
        import miceforest as mf
    except ImportError:
        return None

    def impute(frame):
        kernel = mf.ImputationKernel(frame, mean_match_candidates=0, random_state=seed)
        kernel.mice(iterations=5, verbose=False)
        return kernel.complete_data(0)

    return impute


def imputers(seed, smoke):
    epochs = {"max_epochs": 3} if smoke else {}
    autoencoder = AutoencoderImputer(random_state=seed, **epochs)
    contenders = {
        "AutoencoderImputer": lambda frame: autoencoder.fit_transform(frame),
        "mean / most frequent": _through_matrix(SimpleImputer()),
        "KNNImputer(5)": _through_matrix(KNNImputer(n_neighbors=5)),
        "IterativeImputer(BayesianRidge)": _through_matrix(
            IterativeImputer(BayesianRidge(), max_iter=10, random_state=seed)
        ),
        "miceforest": _miceforest(seed),
    }
    return {name: impute for name, impute in contenders.items() if impute is not None}


def protocol_imputation(tables, seeds, smoke, notes):
    rows = []
    for name, frame in tables.items():
        for seed in seeds:
            mask = _mask(frame, seed)
            holes = frame.mask(mask)
            for label, impute in imputers(seed, smoke).items():
                start = time.process_time()
                filled = impute(holes)
                seconds = time.process_time() - start
                nrmse, accuracy = _impute_scores(frame, filled, mask)
                rows.append((name, seed, label, nrmse, accuracy, seconds))
    if "miceforest" not in {row[2] for row in rows}:
        notes.append("miceforest is not installed: skipped")
    return rows


# ----------------------------------------------------------------- protocol 2
def two_sample_accuracy(real, synthetic, seed=0):
    data = pd.concat([real, synthetic[real.columns]], ignore_index=True)
    for column in real.columns:
        if isinstance(real[column].dtype, pd.CategoricalDtype):
            data[column] = pd.Categorical(
                data[column].astype(object), categories=real[column].cat.categories
            )
    labels = np.r_[np.zeros(len(real)), np.ones(len(synthetic))]
    model = HistGradientBoostingClassifier(categorical_features="from_dtype", random_state=seed)
    folds = StratifiedKFold(5, shuffle=True, random_state=seed)
    return float(cross_val_score(model, data, labels, cv=folds).mean())


def synthesis_scores(train, test, synthetic):
    numeric, categorical = _kinds(train)
    out_of_range = np.mean(
        [
            np.mean((synthetic[c] < train[c].min()) | (synthetic[c] > train[c].max()))
            for c in numeric
        ]
    )
    distances, invalid = [], []
    for column in categorical:
        drawn = synthetic[column].astype(object)
        invalid.append(np.mean(~drawn.isin(list(train[column].cat.categories))))
        real = test[column].astype(object).value_counts(normalize=True)
        fake = drawn.value_counts(normalize=True)
        levels = real.index.union(fake.index)
        distances.append(
            0.5
            * np.abs(real.reindex(levels, fill_value=0) - fake.reindex(levels, fill_value=0)).sum()
        )
    return (
        two_sample_accuracy(test, synthetic),
        float(out_of_range),
        float(np.mean(distances)),
        float(np.mean(invalid)),
    )


def generators(smoke):
    epochs = 2 if smoke else 300
    ours = {"max_epochs": 3} if smoke else {"max_epochs": 300, "batch_size": 64}
    contenders = {
        "VariationalAE": lambda train, n: (
            VariationalAE(random_state=0, **ours).fit(train).sample(n, random_state=0)
        ),
        "AdversarialAE": lambda train, n: (
            AdversarialAE(random_state=0, **ours).fit(train).sample(n, random_state=0)
        ),
    }
    try:
        from ctgan import CTGAN, TVAE

        def with_ctgan(cls):
            def draw(train, n):
                _, categorical = _kinds(train)
                plain = train.astype({c: object for c in categorical})
                model = cls(epochs=epochs, enable_gpu=False)
                model.set_random_state(0)
                model.fit(plain, categorical)
                return model.sample(n)

            return draw

        contenders["TVAE (ctgan)"] = with_ctgan(TVAE)
        contenders["CTGAN (ctgan)"] = with_ctgan(CTGAN)
    except ImportError:
        pass
    return contenders


def protocol_synthesis(tables, smoke, notes):
    rows = []
    for name, frame in tables.items():
        train, test = train_test_split(frame, test_size=0.3, random_state=0)
        rows.append(
            (
                name,
                "held-out real rows",
                *synthesis_scores(train, test, train.sample(len(test), random_state=0)),
                0.0,
            )
        )
        for label, draw in generators(smoke).items():
            start = time.process_time()
            synthetic = draw(train, len(test))
            seconds = time.process_time() - start
            rows.append((name, label, *synthesis_scores(train, test, synthetic), seconds))
    if not any("ctgan" in row[1] for row in rows):
        notes.append("ctgan is not installed: TVAE and CTGAN skipped")
    return rows


# ----------------------------------------------------------------- protocol 3
def planted(frame, seed):
    """``frame`` with 5 % of rows given one cell of another row, the labels and
    each planted row's column (-1 elsewhere)."""
    rng = np.random.default_rng(2000 + seed)
    frame = frame.copy()
    rows = rng.choice(len(frame), int(round(0.05 * len(frame))), replace=False)
    columns = np.full(len(frame), -1)
    for row in rows:
        column = rng.integers(frame.shape[1])
        values = frame.iloc[:, column]
        numeric = pd.api.types.is_numeric_dtype(values)
        spread = values.std(ddof=0) if numeric else 0.0
        for _ in range(1000):
            other = values.iloc[rng.integers(len(frame))]
            if (numeric and abs(other - values.iloc[row]) >= spread) or (
                not numeric and other != values.iloc[row]
            ):
                frame.iloc[row, column] = other
                columns[row] = column
                break
    labels = (columns >= 0).astype(int)
    return frame, labels, columns


def detectors(seed, smoke):
    """Name -> ``frame -> (scores, fitted detector or None)``."""
    ours = {"n_estimators": 1} if smoke else {}

    def autoencoder(frame):
        detector = AutoencoderOutlierDetector(random_state=seed, **ours).fit(frame)
        return detector.score_samples(frame), detector

    contenders = {
        "AutoencoderOutlierDetector": autoencoder,
        "IsolationForest": lambda frame: (
            IsolationForest(random_state=seed).fit(_matrix(frame)).score_samples(_matrix(frame)),
            None,
        ),
        "LocalOutlierFactor(20)": lambda frame: (
            LocalOutlierFactor(20).fit(_matrix(frame)).negative_outlier_factor_,
            None,
        ),
        "PCA likelihood": lambda frame: (_pca_scores(_matrix(frame)), None),
    }
    try:
        from pyod.models.ecod import ECOD

        contenders["ECOD (pyod)"] = lambda frame: (
            -ECOD().fit(_matrix(frame)).decision_scores_,
            None,
        )
    except ImportError:
        pass
    return contenders


def _matrix(frame):
    return OneHot(frame).encode(frame)


def _pca_scores(X):
    n = min(X.shape[1] - 1, max(1, X.shape[1] // 2))
    return PCA(n, random_state=0).fit(X).score_samples(X)


def protocol_detection(tables, seeds, smoke, notes):
    rows, explained = [], []
    for name, frame in tables.items():
        for seed in seeds:
            data, labels, columns = planted(frame, seed)
            for label, score in detectors(seed, smoke).items():
                start = time.process_time()
                scores, detector = score(data)
                seconds = time.process_time() - start
                rows.append((name, seed, label, roc_auc_score(labels, -scores), seconds))
                if detector is None:
                    continue
                top = np.argsort(scores)[: max(1, int(0.05 * len(data)))]
                hits = top[labels[top] == 1]
                if len(hits):
                    blamed = detector.feature_scores(data.iloc[hits]).to_numpy().argmax(1)
                    share = float(np.mean(blamed == columns[hits]))
                    explained.append((name, seed, len(hits), share))
    if not any("ECOD" in row[2] for row in rows):
        notes.append("pyod is not installed: ECOD skipped")
    return rows, explained


def rare_levels(folder, smoke):
    """On clean diamonds (three samples of 5,000 rows): the share of rows holding a
    level rarer than 5 % among the 50 lowest scores, against their share."""
    if smoke or folder is None or not (Path(folder) / "diamonds.csv").exists():
        source, samples, n = load_penguins().dropna().reset_index(drop=True), [0], None
        name = "penguins"
    else:
        source, samples, n = pd.read_csv(Path(folder) / "diamonds.csv"), [0, 1, 2], 5000
        name = "diamonds"
    rows = []
    for sample in samples:
        frame = (
            prepared_table(source, "")
            if n is None
            else prepared_table(source.sample(n, random_state=100 + sample), "")
        )
        _, categorical = _kinds(frame)
        rare = np.zeros(len(frame), dtype=bool)
        for column in categorical:
            shares = frame[column].value_counts(normalize=True)
            rare |= frame[column].isin(shares.index[shares < 0.05]).to_numpy()
        detector = AutoencoderOutlierDetector(
            random_state=sample, **({"n_estimators": 1} if smoke else {})
        ).fit(frame)
        n_lowest = min(50, len(frame) // 5)
        share = rare.mean()

        def over(scores):  # how over-represented the rare rows are among the lowest
            lowest = np.argsort(scores)[:n_lowest]
            return rare[lowest].mean() / share if share else float("nan")

        # The numbers alone, standardised: what the rows' numbers say without
        # their levels.
        numbers = frame[_kinds(frame)[0]].to_numpy(dtype=float)
        numbers = (numbers - numbers.mean(0)) / numbers.std(0).clip(1e-12)
        forest = IsolationForest(random_state=sample).fit(numbers)
        scores = detector.score_samples(frame)
        lowest = np.argsort(scores)[:n_lowest]
        flagged = int((detector.predict(frame) == -1).sum())
        rows.append(
            (
                name,
                sample,
                share,
                rare[lowest].mean(),
                over(scores),
                over(forest.score_samples(numbers)),
                flagged,
            )
        )
    return rows


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--data", help="folder of the mixed tables (shared/data/mixed)")
    parser.add_argument(
        "--protocols", nargs="+", type=int, default=[1, 2, 3], help="which protocols to run"
    )
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    warnings.filterwarnings("ignore", category=FutureWarning)
    tables = mixed_tables(args.data, args.smoke)
    name = (
        f"mixed tables ({', '.join(tables)})"
        if not args.smoke and args.data
        else "bundled penguins [smoke subset]"
    )
    with pin_threads(args.threads):
        record = Record("mixed", args, name)
        notes = []
        if 1 in args.protocols:
            seeds = [0] if args.smoke else [0, 1, 2]
            rows = protocol_imputation(tables, seeds, args.smoke, notes)
            record.table(
                "impute",
                f"Protocol 1, imputation: 20 % of cells hidden, seeds {seeds}",
                [
                    ("table", "{}"),
                    ("seed", "{}"),
                    ("imputer", "{}"),
                    ("NRMSE", "{:.3f}"),
                    ("accuracy", "{:.3f}"),
                    ("CPU s", "{:.1f}"),
                ],
                rows,
            )
            record.table(
                "impute_means",
                "Protocol 1, means over tables and seeds",
                [("imputer", "{}"), ("NRMSE", "{:.3f}"), ("accuracy", "{:.3f}")],
                _means(rows, 2, (3, 4)),
            )
        if 2 in args.protocols:
            rows = protocol_synthesis(tables, args.smoke, notes)
            columns = [
                ("table", "{}"),
                ("generator", "{}"),
                ("C2ST", "{:.3f}"),
                ("out of range", "{:.3f}"),
                ("level TVD", "{:.3f}"),
                ("invalid levels", "{:.3f}"),
                ("CPU s", "{:.1f}"),
            ]
            record.table("synthesis", "Protocol 2, synthetic rows (seed 0)", columns, rows)
            record.table(
                "synthesis_means",
                "Protocol 2, means over tables",
                [
                    ("generator", "{}"),
                    ("C2ST", "{:.3f}"),
                    ("out of range", "{:.3f}"),
                    ("level TVD", "{:.3f}"),
                    ("invalid levels", "{:.3f}"),
                ],
                _means(rows, 1, (2, 3, 4, 5)),
            )
        if 3 in args.protocols:
            seeds = [0] if args.smoke else [0, 1, 2, 3, 4]
            rows, explained = protocol_detection(tables, seeds, args.smoke, notes)
            record.table(
                "detect",
                f"Protocol 3, ROC-AUC, seeds {seeds}",
                [
                    ("table", "{}"),
                    ("seed", "{}"),
                    ("detector", "{}"),
                    ("ROC-AUC", "{:.3f}"),
                    ("CPU s", "{:.1f}"),
                ],
                rows,
            )
            record.table(
                "detect_means",
                "Protocol 3, mean ROC-AUC over tables and seeds",
                [("detector", "{}"), ("ROC-AUC", "{:.3f}")],
                _means(rows, 2, (3,)),
            )
            record.table(
                "explain",
                "Protocol 3, planted rows in the top 5 % blamed on the planted column",
                [("table", "{}"), ("seed", "{}"), ("rows", "{}"), ("right column", "{:.3f}")],
                explained,
            )
            record.table(
                "rare_levels",
                "Clean table: rows holding a level under 5 % among the 50 lowest scores",
                [
                    ("table", "{}"),
                    ("sample", "{}"),
                    ("share of rows", "{:.3f}"),
                    ("share among lowest", "{:.3f}"),
                    ("ratio", "{:.2f}"),
                    ("IsolationForest on the numbers: ratio", "{:.2f}"),
                    ("flagged by predict", "{}"),
                ],
                rare_levels(args.data, args.smoke),
            )
        for note in notes:
            print("note:", note)
        record.value("notes", notes)
    record.save()


def _means(rows, key, values):
    names = list(dict.fromkeys(row[key] for row in rows))
    return [
        (name, *(float(np.mean([row[v] for row in rows if row[key] == name])) for v in values))
        for name in names
    ]


if __name__ == "__main__":
    main()
