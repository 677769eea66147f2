"""Few labels: AutoencoderClassifier against the semi-supervised and supervised
contenders of scikit-learn, side by side.

MNIST (8,000 pool / 2,000 held out) with 100 and 1,000 labels (balanced: a
tenth of them per digit; label draws 0-4), and six tables: scikit-learn's
digits and breast_cancer and the four mixed tables of ``../shared/data/mixed``
(penguins: species, Chile: vote, Aids2: status, diamonds: cut; complete rows,
diamonds 5,000 of them; the autoencoder reads the DataFrame as it is, the
other contenders its standardised numbers and one-hot categories), each 75/25
(stratified), 5 % of the pool labelled (at least one per class), draws 0-4.
Rows without a label carry -1. The autoencoder (``AutoencoderTransformer``
with a code of ``min(32, n_features // 2)``: 784-128-32 on MNIST; on a
mixed table it reads the DataFrame's columns) is pretrained once per
dataset on the pool, without labels, and reused with ``prefit=True``; its CPU
time is reported on its own. Contenders: the same network (MLPClassifier with
the encoder's layers) on the labelled rows only, LogisticRegression and
HistGradientBoostingClassifier on the labelled rows, PCA (fitted on the whole
pool; 50 components, or half the columns when fewer) + LogisticRegression,
LabelSpreading (10-nearest-neighbour graph) and SelfTrainingClassifier around LogisticRegression and
HistGradientBoostingClassifier (the latter on the tables only: on MNIST one
draw took minutes). Held-out error rate (images) and balanced accuracy
(tables), mean over draws, and CPU seconds per fit, one thread.

    python benchmarks/bench_few_labels.py --mnist ../shared/data --data ../shared/data/mixed
"""

import time
import warnings

import numpy as np
from _common import Record, base_parser, load_data, mixed_tables, pin_threads
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import LabelEncoder, StandardScaler
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from sklearn_ae import AutoencoderClassifier, AutoencoderTransformer

OURS = "AutoencoderClassifier (pretrained, fine-tuned)"


def _on_labelled(make):
    def fit_predict(data, y_few):
        (X, X_test), labelled = data["numeric"], y_few != -1
        return make().fit(X[labelled], y_few[labelled]).predict(X_test)

    return fit_predict


def _on_all(make):
    def fit_predict(data, y_few):
        X, X_test = data["numeric"]
        return make().fit(X, y_few).predict(X_test)

    return fit_predict


def pca_then_logistic(n_components):
    """PCA fitted on every row of the pool (no labels needed), a logistic
    regression on the labelled rows' components."""

    def fit_predict(data, y_few):
        (X, X_test), labelled = data["numeric"], y_few != -1
        pca = PCA(n_components, random_state=0).fit(X)
        model = LogisticRegression(max_iter=2000).fit(pca.transform(X[labelled]), y_few[labelled])
        return model.predict(pca.transform(X_test))

    return fit_predict


def contenders(pretrained, n_components, with_hgb_self_training):
    def ours(data, y_few):
        X, X_test = data["raw"]  # a mixed table as it is
        clf = AutoencoderClassifier(pretrained, prefit=True, random_state=0)
        return clf.fit(X, y_few).predict(X_test)

    models = {
        OURS: ours,
        "same network, labelled rows only": _on_labelled(
            lambda: MLPClassifier((128, pretrained.n_components_), max_iter=500, random_state=0)
        ),
        "LogisticRegression": _on_labelled(lambda: LogisticRegression(max_iter=2000)),
        "HistGradientBoosting": _on_labelled(
            lambda: HistGradientBoostingClassifier(random_state=0)
        ),
        "PCA + LogisticRegression": pca_then_logistic(n_components),
        "LabelSpreading (10 neighbours)": _on_all(
            lambda: LabelSpreading(kernel="knn", n_neighbors=10, max_iter=100)
        ),
        "SelfTraining(LogisticRegression)": _on_all(
            lambda: SelfTrainingClassifier(LogisticRegression(max_iter=2000))
        ),
    }
    if with_hgb_self_training:
        models["SelfTraining(HistGradientBoosting)"] = _on_all(
            lambda: SelfTrainingClassifier(HistGradientBoostingClassifier(random_state=0))
        )
    return models


def draw_labels(y, n_labels, seed, balanced):
    """-1 everywhere but ``n_labels`` rows: a tenth per class (``balanced``), else
    at random with at least one per class."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y)
    if balanced:
        rows = np.concatenate(
            [
                rng.choice(np.flatnonzero(y == c), n_labels // len(classes), replace=False)
                for c in classes
            ]
        )
    else:
        first = [rng.choice(np.flatnonzero(y == c)) for c in classes]
        rest = rng.choice(
            np.setdiff1d(np.arange(len(y)), first), n_labels - len(first), replace=False
        )
        rows = np.concatenate([first, rest])
    y_few = np.full(len(y), -1)
    y_few[rows] = y[rows]
    return y_few


def run_dataset(name, data, y, y_test, label_counts, draws, metric, balanced, hgb_st):
    """``data``: ``raw`` (pool, test) for the autoencoder (arrays, or a mixed table's
    DataFrames) and ``numeric`` (pool, test) matrices for the other contenders."""
    X = data["raw"][0]
    start = time.process_time()
    code = max(2, min(32, X.shape[1] // 2))
    pretrained = AutoencoderTransformer(code, random_state=0).fit(X)
    pretrain_seconds = time.process_time() - start
    n_components = min(50, data["numeric"][0].shape[1] // 2)
    models = contenders(pretrained, n_components, hgb_st)
    rows = []
    for n_labels in label_counts:
        scores = {model: [] for model in models}
        seconds = {model: [] for model in models}
        for draw in draws:
            y_few = draw_labels(y, n_labels, draw, balanced)
            for model, fit_predict in models.items():  # interleaved, draw by draw
                start = time.process_time()
                predicted = fit_predict(data, y_few)
                seconds[model].append(time.process_time() - start)
                scores[model].append(metric(y_test, predicted))
        for model in models:
            rows.append(
                (
                    name,
                    n_labels,
                    model,
                    100 * float(np.mean(scores[model])),
                    100 * float(np.std(scores[model])),
                    float(np.median(seconds[model])),
                )
            )
    return rows, pretrain_seconds


def error_rate(y_true, y_pred):
    return float(np.mean(y_true != y_pred))


# The mixed tables of ../shared/data/mixed and the column each is classified by.
MIXED_TARGETS = {"penguins": "species", "Chile": "vote", "Aids2": "status", "diamonds": "cut"}


def bundled_tables():
    """(name, features, target) of scikit-learn's digits and breast_cancer."""
    digits, cancer = load_digits(return_X_y=True), load_breast_cancer(return_X_y=True)
    yield "digits", digits[0] / 16.0, digits[1]
    yield "breast_cancer", StandardScaler().fit_transform(cancer[0]), cancer[1]


def target_tables(folder, smoke):
    """(name, DataFrame of features, target) of the shared mixed tables, or the
    bundled penguins without ``--data`` or in a smoke run."""
    for name, frame in mixed_tables(folder, smoke, tuple(MIXED_TARGETS)).items():
        target = frame.pop(MIXED_TARGETS[name]).astype(str).to_numpy()
        yield name, frame, target


def numeric_encoding(X_pool):
    """Standardised numbers and one-hot categories, fitted on the pool (no labels):
    what the contenders that read numbers see of a mixed table."""
    from sklearn.compose import make_column_selector, make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    return make_column_transformer(
        (StandardScaler(), make_column_selector(dtype_include="number")),
        (
            OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            make_column_selector(dtype_exclude="number"),
        ),
    ).fit(X_pool)


def table_split(features, target):
    """``data`` (raw and numeric pool/test pairs), pool and test targets: 75/25,
    stratified; the targets as integers (-1 then marks the rows without a label)."""
    target = LabelEncoder().fit_transform(target)
    X_pool, X_test, y_pool, y_test = train_test_split(
        features, target, test_size=0.25, random_state=0, stratify=target
    )
    if hasattr(X_pool, "columns"):
        encoding = numeric_encoding(X_pool)
        numeric = tuple(encoding.transform(X).astype(np.float32) for X in (X_pool, X_test))
        raw = (X_pool.reset_index(drop=True), X_test.reset_index(drop=True))
    else:
        raw = numeric = (X_pool.astype(np.float32), X_test.astype(np.float32))
    return {"raw": raw, "numeric": numeric}, y_pool, y_test


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=5)
    parser.add_argument("--data", help="folder of the mixed tables (../shared/data/mixed)")
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.filterwarnings("ignore", message="invalid value encountered in divide")
    draws = range(1 if args.smoke else args.draws)
    X, X_test, y, y_test, data = load_data(args.mnist, smoke=args.smoke)
    mnist = "MNIST" in data
    image_name = data.split(" (")[0]
    record = Record("few_labels", args, f"{data}; six tables (5 % labels)")
    images, tables, pretraining = [], [], []
    with pin_threads(args.threads):
        counts = (100, 1000) if mnist else (20, 100) if args.smoke else (50, 200)
        split = {"raw": (X, X_test), "numeric": (X, X_test)}
        rows, seconds = run_dataset(
            image_name, split, y, y_test, counts, draws, error_rate, True, not (mnist or args.smoke)
        )
        images += rows
        pretraining.append((image_name, seconds))
        every_table = [*bundled_tables(), *target_tables(args.data, args.smoke)]
        for table, features, target in every_table:
            split, y_pool, y_held = table_split(features, target)
            n_labels = max(len(np.unique(target)), round(0.05 * len(y_pool)))
            rows, seconds = run_dataset(
                table,
                split,
                y_pool,
                y_held,
                (n_labels,),
                draws,
                balanced_accuracy_score,
                False,
                not args.smoke,
            )
            tables += rows
            pretraining.append((table, seconds))
    means = {}
    for row in tables:
        means.setdefault(row[2], []).append(row[3])
    mean_rows = [(model, float(np.mean(values)), len(values)) for model, values in means.items()]
    columns = [("data", "{}"), ("labels", "{:,}"), ("model", "{}")]
    timing = [("std %", "{:.1f}"), ("CPU s per fit", "{:.1f}")]
    record.table(
        "images",
        f"Held-out error rate (%), {len(draws)} balanced label draws; the autoencoder "
        "pretrained once on the pool (below), not counted in its fit",
        [*columns, ("error %", "{:.1f}"), *timing],
        images,
    )
    record.table(
        "tables",
        f"Held-out balanced accuracy (%), 5 % of the pool labelled, {len(draws)} draws",
        [*columns, ("balanced accuracy %", "{:.1f}"), *timing],
        tables,
    )
    record.table(
        "table_means",
        "Mean balanced accuracy (%) across the tables",
        [("model", "{}"), ("mean balanced accuracy %", "{:.1f}"), ("tables", "{}")],
        mean_rows,
    )
    record.table(
        "pretraining",
        "Pretraining the autoencoder on the pool (no labels), once per dataset",
        [("data", "{}"), ("CPU s", "{:.1f}")],
        pretraining,
    )
    record.save()


if __name__ == "__main__":
    main()
