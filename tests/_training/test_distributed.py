"""Grid search across a Dask cluster (and Ray, when installed) through joblib."""

import joblib
import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline

from sklearn_ae import AutoencoderTransformer, ContractiveAE, DenoisingAE, SparseAE

pytestmark = pytest.mark.slow  # see the contributing guide: -m 'not slow'


def _search():
    reducers = [PCA()] + [
        cls(max_epochs=3, hidden_layer_sizes=(32,), random_state=0)
        for cls in (AutoencoderTransformer, DenoisingAE, SparseAE, ContractiveAE)
    ]
    return GridSearchCV(
        Pipeline([("reduce", PCA()), ("clf", LogisticRegression(max_iter=300))]),
        {"reduce": reducers, "reduce__n_components": [2, 6]},
        cv=3,
        n_jobs=-1,
    )


def _scores(search):
    return {k: v for k, v in search.cv_results_.items() if "test_score" in k}


def _assert_same_scores(serial, parallel):
    assert serial.keys() == parallel.keys()
    for key, values in serial.items():
        np.testing.assert_array_equal(parallel[key], values, err_msg=key)


@pytest.fixture(scope="module")
def data_and_serial_scores(digits):
    X, y = digits[0][:300], digits[1][:300]
    return X, y, _scores(_search().set_params(n_jobs=1).fit(X, y))


def _torch_threads():
    import torch

    return torch.get_num_threads()


def test_dask_cluster_grid_search_matches_serial(data_and_serial_scores):
    distributed = pytest.importorskip("distributed")
    X, y, serial = data_and_serial_scores
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        assert set(client.run(_torch_threads).values()) == {1}  # one torch thread per worker
        # Scatter the data once instead of shipping it with each of the 30 fits.
        with joblib.parallel_backend("dask", scatter=[X, y]):
            search = _search().fit(X, y)
    _assert_same_scores(serial, _scores(search))


def test_ray_grid_search_matches_serial(data_and_serial_scores):
    pytest.importorskip("ray")
    from ray.util.joblib import register_ray

    register_ray()
    X, y, serial = data_and_serial_scores
    with joblib.parallel_backend("ray"):
        search = _search().fit(X, y)
    _assert_same_scores(serial, _scores(search))
