"""Scaling: fit time against the number of rows, and peak memory against X.

Rows are resampled from the data to 1k, 10k and 60k. The time per sample and
epoch should stay flat (linear cost) and the epoch durations should not drift
within a fit. Each size runs in a fresh process so that its peak resident
memory can be compared with the size of X: at most X plus a small constant
(model, one batch), no float64 copy and no duplicate target array.

    python benchmarks/bench_scaling.py --mnist ../shared/data
"""

import json
import subprocess
import sys

from _common import Record, base_parser, load_data

_ONE_SIZE = """
import json, resource, sys, numpy as np, torch
sys.path.insert(0, ".")
from _common import load_data, pin_threads
from sklearn_ae import AutoencoderTransformer
mnist = sys.argv[1] or None
n_rows, epochs, threads = (int(a) for a in sys.argv[2:5])
X, _, _, _, _ = load_data(mnist)
X = X[np.random.default_rng(0).integers(0, len(X), n_rows)].astype(np.float32)
with pin_threads(threads):
    AutoencoderTransformer(max_epochs=1).fit(X[:256])  # torch's one-time start-up memory
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    ae = AutoencoderTransformer(n_components=32, max_epochs=epochs, n_iter_no_change=epochs,
                                random_state=0).fit(X)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
durations = [epoch["dur"] for epoch in ae.history_]
print(json.dumps({"durations": durations, "growth_mib": peak - before,
                  "x_mib": X.nbytes / 2**20}))
"""


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 60000])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.epochs = [500, 1000], 1
    _, _, _, _, data_name = load_data(args.mnist, smoke=True)
    record = Record("scaling", args, f"{data_name.replace(' [smoke subset]', '')}, rows resampled")
    rows = []
    for n_rows in args.sizes:
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                _ONE_SIZE,
                args.mnist or "",
                str(n_rows),
                str(args.epochs),
                str(args.threads),
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        result = json.loads(out.stdout.strip().splitlines()[-1])
        durations = result["durations"]
        per_sample_us = 1e6 * sum(durations) / (n_rows * len(durations))
        drift = durations[-1] / durations[0] if len(durations) > 1 else 1.0
        rows.append((n_rows, per_sample_us, drift, result["x_mib"], result["growth_mib"]))
    record.table(
        "scaling",
        f"AutoencoderTransformer(n_components=32), {args.epochs} epochs, "
        "each size in a fresh process",
        [
            ("rows", "{:,}"),
            ("us per sample-epoch", "{:.1f}"),
            ("last / first epoch", "{:.2f}"),
            ("X (MiB)", "{:.1f}"),
            ("peak growth in fit (MiB)", "{:.1f}"),
        ],
        rows,
    )
    record.save()


if __name__ == "__main__":
    main()
