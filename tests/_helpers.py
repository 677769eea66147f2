"""Callbacks and data helpers shared by several test files."""

import numpy as np
from skorch.callbacks import Callback


class InterruptAfter(Callback):
    """Raises KeyboardInterrupt after ``n_batches`` batches, as a user's Ctrl-C would."""

    def __init__(self, n_batches):
        self.n_batches = n_batches

    def on_batch_end(self, net, **kwargs):
        self.n_batches -= 1
        if self.n_batches == 0:
            raise KeyboardInterrupt


def engine_keeper():
    """``(factory, engines)``: a callback factory for ``callbacks=`` and the list
    into which each fit's engine (the skorch net) is put when its training ends,
    for tests of the engine itself; a fitted estimator keeps no engine."""
    engines = []

    class KeepEngine(Callback):
        def on_train_end(self, net, **kwargs):
            engines.append(net)

    return ("keep_engine", KeepEngine), engines


def callback_keeper(factory):
    """``(factory, made)``: a factory of the callbacks ``factory`` makes, keeping each."""
    made = []

    def keep():
        made.append(factory())
        return made[-1]

    return keep, made


def with_holes(X, share=0.3, seed=0):
    """A copy of ``X`` with a random ``share`` of its entries missing (NaN)."""
    X = X.copy()
    X[np.random.default_rng(seed).random(X.shape) < share] = np.nan
    return X
