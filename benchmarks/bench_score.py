"""Cost and Monte Carlo error of score_samples, beside one training epoch and PCA.

A 784-256-30 autoencoder (mirrored) on MNIST: the time of ``score_samples``
on the 2,000 held-out rows against one training epoch over the 8,000 training
rows of the same network, and PCA(30)'s ``score_samples``; the median
per-row standard error of the estimate for several numbers of importance
samples. Then the same for a convolutional autoencoder (two 3x3 stride-2
convolutions of 32 and 64 channels, 30-d code, BCE, batch 128), and the cost
of float64 input against float32 input for its ``transform`` and
``score_samples`` (results in the input's dtype). One thread, medians of
interleaved repeats.

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
        one_epoch = statistics.median(epoch["dur"] for epoch in ae.history_)
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
        conv_rows, conv_values = _convolutional(X_train, X_test, epochs, args)
        for name, value in conv_values.items():
            record.value(name, value)
        record.table(
            "score_conv",
            f"Convolutional autoencoder: score_samples on {len(X_test):,} held-out rows, "
            "float64 input against float32",
            [
                ("what", "{}"),
                ("float32 s", "{:.3f}"),
                ("float64 s", "{:.3f}"),
                ("float64 / float32", "{:.2f}x"),
                ("float32 / one epoch", "{:.2f}x"),
            ],
            conv_rows,
        )
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


def _convolutional(X_train, X_test, epochs, args):
    """Rows of the conv table and its summary values."""
    side = int(np.sqrt(X_train.shape[1]))
    conv = AutoencoderTransformer(
        30 if X_train.shape[1] > 64 else 8,
        image_shape=(side, side),
        hidden_layer_sizes=(),
        loss="bce",
        batch_size=128,
        max_epochs=epochs,
        random_state=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        conv.fit(X_train.astype(np.float32))
    one_epoch = statistics.median(epoch["dur"] for epoch in conv.history_)
    single, double = X_test.astype(np.float32), X_test.astype(np.float64)
    times, _ = interleaved(
        {
            "transform float32": lambda: conv.transform(single),
            "transform float64": lambda: conv.transform(double),
            "score_samples float32": lambda: conv.score_samples(single),
            "score_samples float64": lambda: conv.score_samples(double),
        },
        1 if args.smoke else args.repeats,
    )
    rows = [("one training epoch", one_epoch, None, None, 1.0)]
    for method in ("transform", "score_samples"):
        low = statistics.median(times[f"{method} float32"])
        high = statistics.median(times[f"{method} float64"])
        rows.append((method, low, high, high / low, low / one_epoch))
    values = {
        "conv_score_epochs": rows[2][4],
        "conv_float64_transform_ratio": rows[1][3],
        "conv_float64_score_ratio": rows[2][3],
    }
    return rows, values


if __name__ == "__main__":
    main()
