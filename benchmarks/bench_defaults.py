"""Default settings against PCA: held-out reconstruction error on digits.

Each estimator with only ``n_components`` and ``random_state`` set, on
scikit-learn's digits / 16 with a 75/25 split, against PCA with the same
number of components; the table gives the ratio of held-out errors (summed
squared error per sample) and the count of dead (constant) code units. Then
the sparsity of ``SparseAE(32, code_activation="relu")`` across ``alpha``: the
share of exactly zero code entries on held-out digits, dead units (zero on
every training row) and held-out error against PCA with 8 components.

    python benchmarks/bench_defaults.py
"""

import time
import warnings

import numpy as np
from _common import Record, base_parser, pin_threads
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split

from sklearn_ae import AutoencoderTransformer, ContractiveAE, DenoisingAE, SparseAE


def main(argv=None):
    args = base_parser(__doc__.split("\n\n")[0]).parse_args(argv)
    X = load_digits().data / 16.0
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    sizes = [2] if args.smoke else [2, 8, 16]
    rows = []
    with pin_threads(args.threads):
        record = Record("defaults", args, "scikit-learn digits / 16, 1347 train / 450 held out")
        for k in sizes:
            pca = PCA(k).fit(X_train)
            pca_error = ((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2).sum(1)
            rows.append((k, "PCA", pca_error.mean(), 1.0, None, None))
            for cls in (AutoencoderTransformer, DenoisingAE, SparseAE, ContractiveAE):
                params = {"max_epochs": 2} if args.smoke else {}
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    est = cls(k, random_state=0, **params).fit(X_train)
                seconds = time.perf_counter() - start
                error = est.reconstruction_error(X_test).mean()
                moments = est.code_moments_
                count, codes, outer = (moments[key] for key in ("count", "code_sum", "code_outer"))
                variances = np.diag(outer) / count - (codes / count) ** 2  # of the codes
                dead = int(np.sum(variances <= 1e-12 * max(variances.max(), 1e-300)))
                rows.append((k, cls.__name__, error, error / pca_error.mean(), dead, seconds))
        record.table(
            "defaults",
            "Held-out error with default settings, relative to PCA with as many components",
            [
                ("k", "{}"),
                ("estimator", "{}"),
                ("held-out error", "{:.3f}"),
                ("/ PCA", "{:.2f}"),
                ("dead units", "{}"),
                ("fit s", "{:.1f}"),
            ],
            rows,
        )
        pca8 = PCA(8).fit(X_train)
        pca8_error = ((pca8.inverse_transform(pca8.transform(X_test)) - X_test) ** 2).sum(1).mean()
        sparsity = []
        for alpha in [1e-3] if args.smoke else [1e-4, 1e-3, 3e-3, 1e-2, 3e-2]:
            params = {"max_epochs": 2} if args.smoke else {}
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                est = SparseAE(32, alpha=alpha, code_activation="relu", random_state=0, **params)
                est.fit(X_train)
            error = est.reconstruction_error(X_test).mean()
            zeros = float(np.mean(est.transform(X_test) == 0))
            dead = int(np.sum((est.transform(X_train) != 0).sum(0) == 0))
            sparsity.append((alpha, zeros, dead, error, error / pca8_error))
        record.table(
            "sparsity",
            "SparseAE(32, code_activation='relu'): exact zeros of the held-out codes by alpha",
            [
                ("alpha", "{:g}"),
                ("share of zeros", "{:.2f}"),
                ("dead units", "{}"),
                ("held-out error", "{:.3f}"),
                ("/ PCA-8", "{:.2f}"),
            ],
            sparsity,
        )
    record.save()


if __name__ == "__main__":
    main()
