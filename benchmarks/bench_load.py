"""Loading a fitted model: pickle size, ``pickle.loads`` and ``sklearn_ae.load`` time.

For each model (the MNIST autoencoder 784-128-64-32, an AdversarialAE and the default
outlier detector): the pickle's size in bytes, and the median time of ``pickle.loads``,
of ``sklearn_ae.load`` and of the first ``transform`` of one row after each (what
serving pays). One thread, contenders interleaved.

    python benchmarks/bench_load.py --mnist ../shared/data
"""

import pickle
import statistics
import tempfile
import time
import warnings

from _common import Record, base_parser, load_data, pin_threads
from sklearn.exceptions import ConvergenceWarning

import sklearn_ae
from sklearn_ae import AdversarialAE, AutoencoderOutlierDetector, AutoencoderTransformer


def _median_seconds(fn, repeats):
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=50)
    args = parser.parse_args(argv)
    if args.smoke:
        args.repeats = 3
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    X_fit, row = X_train[:2000], X_test[:1]
    with pin_threads(args.threads):
        record = Record("load", args, f"{name}; models fitted on {len(X_fit)} rows")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            models = {
                "AutoencoderTransformer 128-64-32": AutoencoderTransformer(
                    32, hidden_layer_sizes=(128, 64), max_epochs=2, random_state=0
                ).fit(X_fit),
                "AdversarialAE (normal prior)": AdversarialAE(
                    2, hidden_layer_sizes=(128,), max_epochs=2, random_state=0
                ).fit(X_fit),
                "AutoencoderOutlierDetector()": AutoencoderOutlierDetector(random_state=0).fit(
                    X_fit
                ),
            }
        rows = []
        for label, model in models.items():
            blob = pickle.dumps(model)
            with tempfile.TemporaryDirectory() as folder:
                model.save(folder)
                serve = "score_samples" if hasattr(model, "offset_") else "transform"

                def from_pickle(blob=blob, serve=serve):
                    return getattr(pickle.loads(blob), serve)(row)

                def from_directory(folder=folder, serve=serve):
                    return getattr(sklearn_ae.load(folder), serve)(row)

                from_pickle(), from_directory()  # warm up
                loads, load_dir = [], []
                for _ in range(args.repeats):  # interleaved
                    loads.append(_median_seconds(lambda b=blob: pickle.loads(b), 1))
                    load_dir.append(_median_seconds(lambda f=folder: sklearn_ae.load(f), 1))
                serve_pickle = _median_seconds(from_pickle, args.repeats)
                serve_dir = _median_seconds(from_directory, args.repeats)
            rows.append(
                (
                    label,
                    len(blob) / 1024,
                    statistics.median(loads) * 1e3,
                    serve_pickle * 1e3,
                    statistics.median(load_dir) * 1e3,
                    serve_dir * 1e3,
                )
            )
        record.table(
            "load",
            f"Loading a fitted model, median of {args.repeats}",
            [
                ("model", "{}"),
                ("pickle KiB", "{:.1f}"),
                ("pickle.loads ms", "{:.2f}"),
                ("+ one row ms", "{:.2f}"),
                ("sklearn_ae.load ms", "{:.2f}"),
                ("+ one row ms", "{:.2f}"),
            ],
            rows,
        )
    record.save()


if __name__ == "__main__":
    main()
