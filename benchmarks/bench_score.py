"""Cost and Monte Carlo error of score_samples, beside one training epoch and PCA.

A 784-256-30 autoencoder (mirrored) on MNIST: the time of ``score_samples``
on the 2,000 held-out rows against one training epoch over the 8,000 training
rows of the same network, and PCA(30)'s ``score_samples``; the median
per-row standard error of the estimate for several numbers of importance
samples. One thread, medians of interleaved repeats.

    python benchmarks/bench_score.py --mnist ../shared/data
"""

import statistics
import warnings

import numpy as np
from _common import Record, base_parser, interleaved, load_data, pin_threads
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    k = 30 if X_train.shape[1] > 64 else 8
    epochs = 1 if args.smoke else 10
    with pin_threads(args.threads):
        record = Record(
            "score", args, f"{name}; {X_train.shape[1]}-256-{k} autoencoder, {epochs} epochs"
        )
        ae = AutoencoderTransformer(k, hidden_layer_sizes=(256,), max_epochs=epochs, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ae.fit(X_train)
        one_epoch = statistics.median(epoch["dur"] for epoch in ae.net_.history)
        pca = PCA(k).fit(X_train)
        times, scores = interleaved(
            {
                "AE score_samples": lambda: ae.score(X_test),
                "PCA score_samples": lambda: pca.score(X_test),
            },
            1 if args.smoke else args.repeats,
        )
        rows = [("one training epoch (AE)", one_epoch, 1.0, None, None)]
        for contender in times:
            seconds = statistics.median(times[contender])
            rows.append((contender, seconds, seconds / one_epoch, scores[contender], None))
        for n in (16, 64, 256):
            _, errors, _ = ae._log_likelihood(X_test, n)
            rows.append((f"AE, {n} importance samples", None, None, None, np.median(errors)))
        record.value("score_epochs", rows[1][2])
        record.table(
            "score",
            f"score_samples on {len(X_test):,} held-out rows, k = {k}",
            [
                ("what", "{}"),
                ("seconds", "{:.3f}"),
                ("/ one epoch", "{:.2f}x"),
                ("score (nats)", "{:.2f}"),
                ("median SE per row", "{:.3f}"),
            ],
            rows,
        )
    record.save()


if __name__ == "__main__":
    main()
