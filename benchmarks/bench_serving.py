"""Serving: one-row transform latency, and Hamming search at scale.

One-row ``transform`` of a 784-512-256-30 autoencoder in float32 and float64
against PCA(30), medians over many calls; then 1,000 queries against 100,000
random 32-bit codes: the previous implementation (XOR and popcount of bytes,
then a full stable argsort per query), ``hamming_neighbors`` on numpy,
``HammingIndex`` on faiss and faiss's raw ``IndexBinaryFlat``, and the radius
search. One thread, contenders interleaved.

    python benchmarks/bench_serving.py --mnist ../shared/data
"""

import statistics
import time
import warnings

import numpy as np
from _common import base_parser, describe_machine, interleaved, load_data, pin_threads, print_table
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
    parser.add_argument("--n-codes", type=int, default=100_000)
    parser.add_argument("--n-queries", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    if args.smoke:
        args.calls, args.n_codes, args.n_queries, args.repeats = 20, 2000, 50, 1
    X_train, X_test, _, _, name = load_data(args.mnist, args.smoke)
    k = min(30, X_train.shape[1] - 1)
    with pin_threads(args.threads):
        print(describe_machine(args.threads))
        print(f"data: {name}; autoencoder {X_train.shape[1]}-512-256-{k}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            ae = AutoencoderTransformer(k, hidden_layer_sizes=(512, 256), max_epochs=1).fit(X_train)
        pca = PCA(k).fit(X_train)
        rows = []
        for dtype in (np.float32, np.float64):
            row = X_test[:1].astype(dtype)
            ours = _latency(lambda row=row: ae.transform(row), args.calls)
            theirs = _latency(lambda row=row: pca.transform(row), args.calls)
            rows.append(
                (np.dtype(dtype).name, f"{ours:.3f}", f"{theirs:.3f}", f"{ours / theirs:.2f}x")
            )
        print_table(["one-row transform", "AE ms", "PCA ms", "AE / PCA"], rows)

        rng = np.random.default_rng(0)
        codes = np.packbits(rng.random((args.n_codes, 32)) > 0.5, axis=1)
        queries = np.packbits(rng.random((args.n_queries, 32)) > 0.5, axis=1)
        numpy_index = HammingIndex(backend="numpy").fit(codes)
        contenders = {
            "previous (bytes, full argsort)": lambda: _previous_hamming(codes, queries, 10),
            "hamming_neighbors, numpy": lambda: numpy_index.kneighbors(queries, 10),
        }
        try:
            import faiss

            faiss.omp_set_num_threads(args.threads)
            faiss_index = HammingIndex(backend="faiss").fit(codes)
            raw = faiss.IndexBinaryFlat(32)
            raw.add(codes)
            contenders["HammingIndex, faiss"] = lambda: faiss_index.kneighbors(queries, 10)
            contenders["faiss IndexBinaryFlat (raw)"] = lambda: raw.search(queries, 10)
        except ImportError:
            print("faiss not installed: its rows are skipped (pip install faiss-cpu).")
        contenders["radius 3, numpy"] = lambda: numpy_index.radius_neighbors(queries, 3)
        if "HammingIndex, faiss" in contenders:
            contenders["radius 3, faiss"] = lambda: faiss_index.radius_neighbors(queries, 3)
        times, results = interleaved(contenders, args.repeats)
        np.testing.assert_array_equal(
            results["hamming_neighbors, numpy"], results["previous (bytes, full argsort)"]
        )
        base = statistics.median(times["previous (bytes, full argsort)"])
        print_table(
            [f"{args.n_queries} x {args.n_codes:,} x 32 bits, k=10", "median s", "speed-up"],
            [
                (name_, f"{statistics.median(t):.3f}", f"{base / statistics.median(t):.1f}x")
                for name_, t in times.items()
            ],
        )


if __name__ == "__main__":
    main()
