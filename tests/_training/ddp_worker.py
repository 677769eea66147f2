"""Run by test_accelerate.py under ``torchrun --nproc_per_node=2`` (CPU, gloo)."""

import json
import pickle
import sys
from pathlib import Path

import numpy as np
import torch
import torch.distributed as dist
from accelerate import Accelerator
from sklearn.datasets import load_digits

from sklearn_ae import DenoisingAE


def main(out):
    accelerator = Accelerator(cpu=True)
    X = load_digits().data[:512] / 16
    ae = DenoisingAE(
        n_components=4, max_epochs=4, batch_size=64, random_state=0, accelerator=accelerator
    ).fit(X)

    weights = torch.cat([p.detach().flatten() for p in ae.module_.parameters()])
    gathered = [torch.empty_like(weights) for _ in range(accelerator.num_processes)]
    dist.all_gather(gathered, weights)
    ae.save(out / "model")  # only the main process writes
    loaded = pickle.loads(pickle.dumps(ae))
    if accelerator.is_main_process:
        result = {
            "world_size": accelerator.num_processes,
            "backend": dist.get_backend(),
            "identical": all(torch.equal(gathered[0], g) for g in gathered),
            "batches_per_epoch": ae.history_[-1, "train_batch_count"],
            "loss_curve": ae.loss_curve_,
            "pickle_ok": bool(np.array_equal(loaded.transform(X), ae.transform(X))),
        }
        (out / "result.json").write_text(json.dumps(result))
    accelerator.wait_for_everyone()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
