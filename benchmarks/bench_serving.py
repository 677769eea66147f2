"""Serving: one-row transform latency, and Hamming search at scale.

One-row ``transform`` of a 784-512-256-30 autoencoder in float32 and float64
against PCA(30), medians over many calls; then 1,000 queries against 100,000
random 32-bit codes (and the search time against the number of codes, from
10,000 to 1,000,000): the previous implementation (XOR and popcount of bytes,
then a full stable argsort per query; brute force), ``hamming_neighbors`` on
numpy, ``HammingIndex`` on faiss and faiss's raw ``IndexBinaryFlat``, and the
radius search. One thread, contenders interleaved.

    python benchmarks/bench_serving.py --mnist ../shared/data
"""

import statistics
import time
import warnings

import numpy as np
from _common import Record, base_parser, interleaved, load_data, pin_threads
from sklearn.decomposition import PCA
from sklearn.exceptions import ConvergenceWarning

from sklearn_ae import AutoencoderTransformer, HammingIndex


def _previous_hamming(codes, queries, k):
    """The implementation this release replaced, kept as the baseline."""
    table = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
    chunk = max(1, 2**26 // max(codes.size, 1))
    result = np.empty((len(queries), k), dtype=np.intp)
    for start in range(0, len(queries), chunk):
        block = queries[start : start + chunk]
        distances = table[block[:, None, :] ^ codes[None, :, :]].sum(-1, dtype=np.int32)
        result[start : start + chunk] = np.argsort(distances, axis=1, kind="stable")[:, :k]
    return result


def _latency(fn, calls):
    fn()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--n-codes", type=int, default=100_000, help="size of the table's run")
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[10_000, 30_000, 100_000, 300_000, 1_000_000]
    )
    parser.add_argument(
        "--previous-up-to", type=int, default=100_000, help="largest size the slow baseline runs"
    )
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.smoke:
        args.calls, args.n_codes, args.n_queries, args.repeats = 20, 2000, 50, 1
        args.sizes = [500, 2000]
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    k = min(30, X_train.shape[1] - 1)
    with pin_threads(args.threads):
        record = Record("serving", args, f"{name}; autoencoder {X_train.shape[1]}-512-256-{k}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ae = AutoencoderTransformer(k, hidden_layer_sizes=(512, 256), max_epochs=1).fit(X_train)
        pca = PCA(k).fit(X_train)
        rows = []
        for dtype in (np.float32, np.float64):
            row = X_test[:1].astype(dtype)
            ours = _latency(lambda row=row: ae.transform(row), args.calls)
            theirs = _latency(lambda row=row: pca.transform(row), args.calls)
            rows.append((np.dtype(dtype).name, ours, theirs, ours / theirs))
        record.table(
            "latency",
            f"One-row transform, median of {args.calls} calls",
            [
                ("input", "{}"),
                ("AE ms", "{:.3f}"),
                (f"PCA-{k} ms", "{:.3f}"),
                ("AE / PCA", "{:.2f}x"),
            ],
            rows,
        )

        try:
            import faiss

            faiss.omp_set_num_threads(args.threads)
        except ImportError:
            faiss = None
            print("faiss not installed: its rows are skipped (pip install faiss-cpu).")
        record.value("faiss", faiss is not None)
        rng = np.random.default_rng(0)
        queries = np.packbits(rng.random((args.n_queries, 32)) > 0.5, axis=1)
        all_codes = np.packbits(rng.random((max(args.sizes + [args.n_codes]), 32)) > 0.5, axis=1)
        by_size, table = {}, None
        for n_codes in sorted(set(args.sizes + [args.n_codes])):
            times = _hamming_contest(
                all_codes[:n_codes], queries, args, faiss, radius=n_codes == args.n_codes
            )
            for contender, seconds in times.items():
                if not contender.startswith("radius"):
                    by_size.setdefault(contender, []).append([n_codes, statistics.median(seconds)])
            if n_codes == args.n_codes:
                table = times
        record.series("hamming_by_size", by_size)
        record.value("n_queries", args.n_queries)
        base = statistics.median(table[PREVIOUS])
        record.table(
            "hamming",
            f"Hamming search, {args.n_queries:,} queries x {args.n_codes:,} codes x 32 bits, "
            f"k = 10, median of {args.repeats}",
            [("contender", "{}"), ("seconds", "{:.3f}"), ("speed-up", "{:.1f}x")],
            [(c, statistics.median(t), base / statistics.median(t)) for c, t in table.items()],
        )
    record.save()


PREVIOUS = "previous (bytes, full argsort)"


def _hamming_contest(codes, queries, args, faiss, radius):
    """{contender: [seconds, ...]} of k = 10 searches (and radius 3 ones) over ``codes``."""
    numpy_index = HammingIndex(backend="numpy").fit(codes)
    contenders = {"hamming_neighbors, numpy": lambda: numpy_index.kneighbors(queries, 10)}
    if len(codes) <= args.previous_up_to:
        contenders[PREVIOUS] = lambda: _previous_hamming(codes, queries, 10)
    if faiss is not None:
        faiss_index = HammingIndex(backend="faiss").fit(codes)
        raw = faiss.IndexBinaryFlat(32)
        raw.add(codes)
        contenders["HammingIndex, faiss"] = lambda: faiss_index.kneighbors(queries, 10)
        contenders["faiss IndexBinaryFlat (raw)"] = lambda: raw.search(queries, 10)
    if radius:
        contenders["radius 3, numpy"] = lambda: numpy_index.radius_neighbors(queries, 3)
        if faiss is not None:
            contenders["radius 3, faiss"] = lambda: faiss_index.radius_neighbors(queries, 3)
    times, results = interleaved(contenders, args.repeats)
    for other in (PREVIOUS, "HammingIndex, faiss"):
        if other in results:  # identical answers, ties broken by index
            np.testing.assert_array_equal(results["hamming_neighbors, numpy"], results[other])
    return times


if __name__ == "__main__":
    main()
