"""Few labels: AutoencoderClassifier against the semi-supervised and supervised
contenders of scikit-learn, side by side.

MNIST (8,000 pool / 2,000 held out) with 100 and 1,000 labels (balanced: a
tenth of them per digit; label draws 0-4), and scikit-learn's digits and
breast_cancer (75/25 split, 5 % of the pool labelled, at least one per class;
draws 0-4). Rows without a label carry -1. The autoencoder
(``AutoencoderTransformer(32)``, 784-128-32 on MNIST) is pretrained once per
dataset on the pool, without labels, and reused with ``prefit=True``; its CPU
time is reported on its own. Contenders: the same network (MLPClassifier with
the encoder's layers) on the labelled rows only, LogisticRegression and
HistGradientBoostingClassifier on the labelled rows, PCA (50 components, or
fewer on small tables, fitted on the whole pool) + LogisticRegression, LabelSpreading (10-nearest-
neighbour graph) and SelfTrainingClassifier around LogisticRegression and
HistGradientBoostingClassifier (the latter on the tables only: on MNIST one
draw took minutes). Held-out error rate (images) and balanced accuracy
(tables), mean over draws, and CPU seconds per fit, one thread.

    python benchmarks/bench_few_labels.py --mnist ../shared/data
"""

import time
import warnings

import numpy as np
from _common import Record, base_parser, load_data, pin_threads
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.decomposition import PCA
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import balanced_accuracy_score
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from sklearn.semi_supervised import LabelSpreading, SelfTrainingClassifier

from sklearn_ae import AutoencoderClassifier, AutoencoderTransformer

OURS = "AutoencoderClassifier (pretrained, fine-tuned)"


def _on_labelled(make):
    def fit_predict(X, y_few, X_test):
        labelled = y_few != -1
        return make().fit(X[labelled], y_few[labelled]).predict(X_test)

    return fit_predict


def _on_all(make):
    return lambda X, y_few, X_test: make().fit(X, y_few).predict(X_test)


def pca_then_logistic(n_components):
    """PCA fitted on every row of the pool (no labels needed), a logistic
    regression on the labelled rows' components."""

    def fit_predict(X, y_few, X_test):
        labelled = y_few != -1
        pca = PCA(n_components, random_state=0).fit(X)
        model = LogisticRegression(max_iter=2000).fit(pca.transform(X[labelled]), y_few[labelled])
        return model.predict(pca.transform(X_test))

    return fit_predict


def contenders(pretrained, n_components, with_hgb_self_training):
    def ours(X, y_few, X_test):
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
        f"PCA({n_components}) + LogisticRegression": pca_then_logistic(n_components),
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


def run_dataset(name, X, y, X_test, y_test, label_counts, draws, metric, balanced, hgb_st):
    start = time.process_time()
    pretrained = AutoencoderTransformer(32, random_state=0).fit(X)
    pretrain_seconds = time.process_time() - start
    n_components = min(50, X.shape[1] // 2)
    models = contenders(pretrained, n_components, hgb_st)
    rows = []
    for n_labels in label_counts:
        scores = {model: [] for model in models}
        seconds = {model: [] for model in models}
        for draw in draws:
            y_few = draw_labels(y, n_labels, draw, balanced)
            for model, fit_predict in models.items():  # interleaved, draw by draw
                start = time.process_time()
                predicted = fit_predict(X, y_few, X_test)
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


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--draws", type=int, default=5)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore", ConvergenceWarning)
    warnings.filterwarnings("ignore", message="invalid value encountered in divide")
    draws = range(1 if args.smoke else args.draws)
    X, X_test, y, y_test, data = load_data(args.mnist, smoke=args.smoke)
    mnist = "MNIST" in data
    record = Record("few_labels", args, f"{data}; digits and breast_cancer")
    images, tables, pretraining = [], [], []
    with pin_threads(args.threads):
        counts = (100, 1000) if mnist else (20, 100) if args.smoke else (50, 200)
        rows, seconds = run_dataset(
            data.split(" (")[0],
            X,
            y,
            X_test,
            y_test,
            counts,
            draws,
            error_rate,
            True,
            not (mnist or args.smoke),
        )
        images += rows
        pretraining.append((data.split(" (")[0], seconds))
        for table, loader in (("digits", load_digits), ("breast_cancer", load_breast_cancer)):
            features, target = loader(return_X_y=True)
            if table == "breast_cancer":
                features = StandardScaler().fit_transform(features)
            else:
                features = features / 16.0
            X_pool, X_held, y_pool, y_held = train_test_split(
                features.astype(np.float32), target, test_size=0.25, random_state=0, stratify=target
            )
            n_labels = max(len(np.unique(target)), round(0.05 * len(X_pool)))
            rows, seconds = run_dataset(
                table,
                X_pool,
                y_pool,
                X_held,
                y_held,
                (n_labels,),
                draws,
                balanced_accuracy_score,
                False,
                not args.smoke,
            )
            tables += rows
            pretraining.append((table, seconds))
    columns = [
        ("data", "{}"),
        ("labels", "{:,}"),
        ("model", "{}"),
        ("mean", "{:.1f}"),
        ("std", "{:.1f}"),
        ("CPU s per fit", "{:.1f}"),
    ]
    record.table(
        "images",
        f"Held-out error rate (%), {len(draws)} balanced label draws; the autoencoder "
        "pretrained once on the pool (below), not counted in its fit",
        [(h.replace("mean", "error %").replace("std", "std %"), f) for h, f in columns],
        images,
    )
    record.table(
        "tables",
        f"Held-out balanced accuracy (%), 5 % of the pool labelled, {len(draws)} draws",
        [(h.replace("mean", "balanced accuracy %").replace("std", "std %"), f) for h, f in columns],
        tables,
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
