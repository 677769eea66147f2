"""Callbacks shared by several test files."""

from skorch.callbacks import Callback


class InterruptAfter(Callback):
    """Raises KeyboardInterrupt after ``n_batches`` batches, as a user's Ctrl-C would."""

    def __init__(self, n_batches):
        self.n_batches = n_batches

    def on_batch_end(self, net, **kwargs):
        self.n_batches -= 1
        if self.n_batches == 0:
            raise KeyboardInterrupt
