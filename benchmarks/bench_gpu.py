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
from _common import base_parser, describe_machine, interleaved, load_data, median_ratio, print_table
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
    if not torch.cuda.is_available():
        print("No CUDA device available: GPU checks skipped.")
        return 0
    if args.smoke:
        args.epochs, args.repeats = 1, 1
    X_train, X_test, _, _, data_name = load_data(args.mnist, args.smoke)
    print(describe_machine(args.threads), "|", torch.cuda.get_device_name())
    print(f"data: {data_name}")

    common = {"n_components": 16, "max_epochs": 3, "random_state": 0}
    rows = []
    for cls in (AutoencoderTransformer, DenoisingAE, SparseAE, ContractiveAE):
        gpu = cls(device="cuda", **common).fit(X_train)
        cpu = cls(device="cpu", **common).fit(X_train)
        gap = np.abs(gpu.transform(X_test) - cpu.transform(X_test)).max()
        scale = np.abs(cpu.transform(X_test)).max()
        rows.append((cls.__name__, gpu.device_, f"{gap:.2e}", f"{gap / scale:.2e}"))
    print_table(["estimator", "device_", "max |GPU - CPU| transform", "relative"], rows)

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
    print(f"GPU memory after 20 fits: {leaked / 2**20:.2f} MiB above baseline (target 0)")

    payload = pickle.dumps(AutoencoderTransformer(device="cuda", **common).fit(X_train[:500]))
    out = subprocess.run(
        [sys.executable, "-c", _LOAD_ON_CPU],
        input=payload,
        capture_output=True,
        env={**__import__("os").environ, "CUDA_VISIBLE_DEVICES": ""},
    )
    print("CUDA pickle loaded without CUDA:", out.stdout.decode().strip() or out.stderr.decode())

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
        rows.append(
            (
                batch_size,
                f"{ratio:.2f}x",
                f"{len(X_train) * args.epochs / statistics.median(times['sklearn_ae']):,.0f}",
            )
        )
    print_table(["batch", "sklearn_ae / hand loop (target <= 1.10x)", "samples/s"], rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
