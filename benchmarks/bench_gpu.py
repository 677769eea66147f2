"""GPU checks (under 5 minutes): fits, CPU agreement, memory, CPU loading, overhead.

On a machine with CUDA: fits each estimator on the GPU and compares
``transform`` with a CPU fit of the same seed (close, not bitwise); checks
that GPU memory returns to its baseline after ``del`` + ``gc.collect()``
across 20 fits; pickles a CUDA model and loads it in a subprocess with
``CUDA_VISIBLE_DEVICES=""``; and times ``fit`` against a hand-written CUDA loop
with the data placed on the GPU once (target at most 1.10x). Without CUDA it
says so and exits 0.

    python benchmarks/bench_gpu.py --mnist ../shared/data
"""

import gc
import pickle
import statistics
import subprocess
import sys

import numpy as np
import torch
from _common import Record, base_parser, interleaved, load_data, median_ratio
from bench_overhead import hand_written_loop, sklearn_ae_fit

from sklearn_ae import AutoencoderTransformer, ContractiveAE, DenoisingAE, SparseAE

_LOAD_ON_CPU = """
import pickle, sys, warnings
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    model = pickle.loads(sys.stdin.buffer.read())
print(model.device_, [type(w.message).__name__ for w in caught])
"""


def main(argv=None):
    parser = base_parser(__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    if args.smoke:
        args.epochs, args.repeats = 1, 1
    X_train, X_test, _, _, data_name = load_data(args.mnist, args.smoke)
    record = Record("gpu", args, data_name)
    if not torch.cuda.is_available():
        print("No CUDA device available: GPU checks skipped.")
        record.value("skipped", "no CUDA device on the machine that ran it")
        record.save(replaces_measurements=False)
        return 0
    record.value("device", torch.cuda.get_device_name())

    common = {"n_components": 16, "max_epochs": 3, "random_state": 0}
    rows = []
    for cls in (AutoencoderTransformer, DenoisingAE, SparseAE, ContractiveAE):
        gpu = cls(device="cuda", **common).fit(X_train)
        cpu = cls(device="cpu", **common).fit(X_train)
        gap = np.abs(gpu.transform(X_test) - cpu.transform(X_test)).max()
        scale = np.abs(cpu.transform(X_test)).max()
        rows.append((cls.__name__, gpu.device_, gap, gap / scale))
    record.table(
        "agreement",
        "transform of a GPU fit against a CPU fit of the same seed",
        [
            ("estimator", "{}"),
            ("device_", "{}"),
            ("max |GPU - CPU|", "{:.2e}"),
            ("relative", "{:.2e}"),
        ],
        rows,
    )

    gc.collect()
    torch.cuda.synchronize()
    baseline = torch.cuda.memory_allocated()
    for _ in range(20):
        model = AutoencoderTransformer(device="cuda", **common).fit(X_train[:2000])
        model.transform(X_test)
        del model
        gc.collect()
    torch.cuda.synchronize()
    leaked = torch.cuda.memory_allocated() - baseline
    record.value("leaked_mib", leaked / 2**20)
    print(f"GPU memory after 20 fits: {leaked / 2**20:.2f} MiB above baseline (target 0)")

    payload = pickle.dumps(AutoencoderTransformer(device="cuda", **common).fit(X_train[:500]))
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_ON_CPU],
        input=payload,
        capture_output=True,
        env={**__import__("os").environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    loaded = out.stdout.decode().strip() or out.stderr.decode()
    record.value("cuda_pickle_on_cpu", loaded)
    print("CUDA pickle loaded without CUDA:", loaded)

    rows = []
    for batch_size in (64, 256, 1024):
        run = (X_train, X_test, batch_size, args.epochs)
        contenders = {
            "hand-written CUDA loop": lambda run=run: (
                hand_written_loop(*run, device="cuda"),
                torch.cuda.synchronize(),
            ),
            "sklearn_ae": lambda run=run: (
                sklearn_ae_fit(*run, device="cuda"),
                torch.cuda.synchronize(),
            ),
        }
        times, _ = interleaved(contenders, args.repeats)
        ratio = median_ratio(times, "sklearn_ae", "hand-written CUDA loop")
        samples = len(X_train) * args.epochs / statistics.median(times["sklearn_ae"])
        rows.append((batch_size, ratio, samples))
    record.table(
        "overhead",
        f"{args.epochs}-epoch fit on the GPU against a hand-written CUDA loop",
        [("batch", "{}"), ("sklearn_ae / hand loop", "{:.2f}x"), ("samples/s", "{:,.0f}")],
        rows,
    )
    record.save()
    return 0


if __name__ == "__main__":
    sys.exit(main())
