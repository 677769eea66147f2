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
from _common import base_parser, describe_machine, interleaved, load_data, pin_threads, print_table
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
        print(describe_machine(args.threads))
        print(f"data: {name}; {X_train.shape[1]}-256-{k} autoencoder, {epochs} epochs")
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
        rows = [
            ("one training epoch (AE)", f"{one_epoch:.3f}", "1.00x", "-", "-"),
        ]
        for contender in times:
            seconds = statistics.median(times[contender])
            rows.append(
                (
                    contender,
                    f"{seconds:.3f}",
                    f"{seconds / one_epoch:.2f}x",
                    f"{scores[contender]:.2f}",
                    "-",
                )
            )
        for n in (16, 64, 256):
            _, errors, _ = ae._log_likelihood(X_test, n)
            rows.append((f"  {n} importance samples", "-", "-", "-", f"{np.median(errors):.3f}"))
    print_table(["what", "seconds", "/ one epoch", "score (nats)", "median SE per row"], rows)
    return rows


if __name__ == "__main__":
    main()
