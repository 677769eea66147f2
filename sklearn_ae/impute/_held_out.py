"""The entries the imputer hides from itself in ``fit`` to weigh its fills."""

import numpy as np


def draw_held_out(observed, rng, every_row=False):
    """``(rows, hidden)``: a fifth of the ``observed`` entries (a boolean matrix)
    of a third of the rows (at least 100, all of a smaller table; with
    ``every_row``, all) are ``hidden``; a row keeps at least one observed entry."""
    n_rows = len(observed)
    if every_row:
        rows = np.arange(n_rows)
    else:
        rows = rng.permutation(n_rows)[: min(n_rows, max(2, n_rows // 3, 100))]
    hidden = np.zeros(observed.shape, dtype=bool)
    hidden[rows] = observed[rows] & (rng.random((len(rows), observed.shape[1])) < 0.2)
    hidden[rows[hidden[rows].sum(1) == observed[rows].sum(1)]] = False
    return rows, hidden
