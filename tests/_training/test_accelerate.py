"""Data-parallel training through Hugging Face Accelerate (skorch's AccelerateMixin)."""

import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from _helpers import engine_keeper

from sklearn_ae import AutoencoderTransformer, DenoisingAE

accelerate = pytest.importorskip("accelerate")


pytestmark = pytest.mark.slow  # see the contributing guide: -m 'not slow'


@pytest.mark.parametrize("estimator_class", [AutoencoderTransformer, DenoisingAE])
def test_single_process_accelerator_trains_exactly_like_none(small_digits, estimator_class):
    X = small_digits[0]
    params = {"max_epochs": 3, "random_state": 0, "hidden_layer_sizes": (16,)}
    keep, engines = engine_keeper()
    accelerator = accelerate.Accelerator(cpu=True)
    accelerated = estimator_class(accelerator=accelerator, callbacks=[keep], **params).fit(X)
    plain = estimator_class(**params).fit(X)
    np.testing.assert_array_equal(accelerated.transform(X), plain.transform(X))
    assert type(engines[0]).__name__ == "AcceleratedAutoencoderNet"
    assert not callable(getattr(engines[0].criterion_, "parameters", None))  # not wrapped
    accelerated.set_params(callbacks=None)
    loaded = pickle.loads(pickle.dumps(accelerated))
    assert loaded.accelerator is None
    np.testing.assert_array_equal(loaded.transform(X), accelerated.transform(X))


def test_two_process_torchrun_ends_with_identical_weights(tmp_path):
    worker = Path(__file__).with_name("ddp_worker.py")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            str(worker),
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads((tmp_path / "result.json").read_text())
    assert result["world_size"] == 2 and result["backend"] == "gloo"
    assert result["identical"]  # both ranks hold the same weights
    assert result["batches_per_epoch"] == 4  # 8 batches shared by 2 processes
    assert result["pickle_ok"]
    assert sorted(p.name for p in (tmp_path / "model").iterdir()) == [
        "estimator.json",
        "weights.safetensors",
    ]
