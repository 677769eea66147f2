"""Transform throughput: rows per second of ``transform`` against ``PCA.transform``.

Same code size, interleaved repeats, pinned to ``--threads`` threads.

    python benchmarks/bench_transform.py --mnist ../shared/data
"""

import statistics

import numpy as np
from _common import Record, base_parser, interleaved, load_data, pin_threads
from sklearn.decomposition import PCA

from sklearn_ae import AutoencoderTransformer


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--n-components", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)
    X_train, X_test, _, _, data_name = load_data(args.mnist, args.smoke)
    X = np.vstack([X_train, X_test])
    if args.smoke:
        args.repeats = 1
    with pin_threads(args.threads):
        record = Record(
            "transform",
            args,
            f"{data_name}; transforming all {len(X)} rows; code size {args.n_components}",
        )
        pca = PCA(args.n_components).fit(X_train)
        models = {
            "PCA": pca,
            "AutoencoderTransformer (hidden 128)": AutoencoderTransformer(
                n_components=args.n_components, max_epochs=1, random_state=0
            ).fit(X_train),
            "AutoencoderTransformer (hidden 512, 256)": AutoencoderTransformer(
                n_components=args.n_components,
                hidden_layer_sizes=(512, 256),
                max_epochs=1,
                random_state=0,
            ).fit(X_train),
        }
        rows = []
        for dtype in (np.float32, np.float64):
            data = X.astype(dtype)
            calls = {n: (lambda m=m, d=data: m.transform(d)) for n, m in models.items()}
            times, _ = interleaved(calls, args.repeats)
            pca_rate = len(X) / statistics.median(times["PCA"])
            for name in models:
                rate = len(X) / statistics.median(times[name])
                rows.append((np.dtype(dtype).name, name, rate, rate / pca_rate))
        record.table(
            "throughput",
            f"transform of {len(X):,} rows, median of {args.repeats}",
            [("input", "{}"), ("model", "{}"), ("rows/s", "{:,.0f}"), ("/ PCA", "{:.2f}")],
            rows,
        )
    record.save()


if __name__ == "__main__":
    main()
