"""Device resolution and the shared-GPU guardrail."""

import multiprocessing
import warnings

import pytest
import torch

from sklearn_ae._utils.device import resolve_device, warn_if_gpu_shared
from sklearn_ae.exceptions import SharedDeviceWarning


def test_auto_picks_cuda_only_when_available():
    assert resolve_device("auto") == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == "cpu"


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_missing_cuda_index_and_bad_names_are_value_errors():
    with pytest.raises(ValueError, match=r"device='cuda:1' was requested but CUDA is not"):
        resolve_device("cuda:1")
    with pytest.raises(ValueError, match=r"device='gpu' is not understood"):
        resolve_device("gpu")


@pytest.fixture
def one_gpu_worker(monkeypatch):
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.setattr(multiprocessing.current_process(), "name", "LokyProcess-3")


def test_workers_sharing_one_gpu_get_a_warning(one_gpu_worker):
    with pytest.warns(SharedDeviceWarning, match="LokyProcess-3.*CUDA_VISIBLE_DEVICES"):
        warn_if_gpu_shared("cuda")


def test_no_warning_on_cpu_in_the_main_process_or_with_gpus_assigned(one_gpu_worker, monkeypatch):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warn_if_gpu_shared("cpu")
        monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
        warn_if_gpu_shared("cuda")
        monkeypatch.delenv("CUDA_VISIBLE_DEVICES")
        monkeypatch.setattr(multiprocessing.current_process(), "name", "MainProcess")
        warn_if_gpu_shared("cuda")
