"""The imputer's blend on mixed tables: the network's fill and a Gaussian's,
in the network's matrix (numbers standardised, categories as indicator blocks).

As on numeric tables (``_imputer``), a fifth of the observed cells of a third
of the rows are hidden in ``fit``; the network and a Gaussian fitted by EM to
the matrix (indicator blocks included) are trained without them and fill
them. A number's fill is ``s * network + g * gaussian`` (standardised, so 0 is
the column's mean) with the non-negative least-squares weights on the hidden
numbers; a category's level probabilities are ``c * network + (1 - c) *
gaussian`` (the Gaussian's conditional mean of the indicators, clipped to [0,
1]) with the ``c`` of ``_CATEGORY_WEIGHTS`` that picks the hidden levels best.
On the four mixed tables of the benchmark the Gaussian alone filled numbers
with NRMSE 0.630 and levels with accuracy 0.654, the network 0.679 and 0.631.
"""

import numpy as np
from scipy.optimize import nnls

from .._tables.layout import NUMERIC
from ._gaussian import MAX_FEATURES, fit_gaussian, gaussian_fill
from ._held_out import draw_held_out

_CATEGORY_WEIGHTS = (1.0, 0.75, 0.5, 0.25, 0.0)  # the network's share, most first


def blends(layout, n_rows):
    """Whether a table of ``n_rows`` rows with ``layout`` gets the blend (a single
    column has no cell to hide in fit: each row keeps one)."""
    return n_rows >= 20 and len(layout.columns) > 1 and layout.width <= MAX_FEATURES


def held_out_cells(table, layout, rng):
    """Cells hidden in ``fit`` to weigh the fills: a fifth of the observed cells
    of a third of the rows (at least 100). A row keeps a cell, and a column
    and each level keep a row, so that the network's layout is the table's."""
    E = layout.encode(table)
    blocks = layout.blocks()
    observed = np.stack([~np.isnan(E[:, start]) for start, _ in blocks], axis=1)
    hidden = draw_held_out(observed, rng)[1]
    indicators = np.nan_to_num(E)
    for j, (start, stop) in enumerate(blocks):
        kept = observed[:, j] & ~hidden[:, j]
        if not kept.any():
            hidden[:, j] = False
        elif stop - start > 1:  # a level all of whose rows were hidden keeps them
            lost = indicators[kept, start:stop].sum(0) == 0
            hidden[indicators[:, start:stop][:, lost].sum(1) > 0, j] = False
    return hidden


def _blended(layout, network, linear, shrinkage, gaussian_weight):
    """Each column's block of ``shrinkage * network + gaussian_weight * linear``
    (a category's Gaussian part clipped to [0, 1])."""
    out = np.empty_like(network)
    for j, (column, (start, stop)) in enumerate(zip(layout.columns, layout.blocks(), strict=True)):
        part = linear[:, start:stop]
        if column.kind != NUMERIC:
            part = np.clip(part, 0.0, 1.0)
        out[:, start:stop] = shrinkage[j] * network[:, start:stop] + gaussian_weight[j] * part
    return out


def _rows(table, rows):
    return table.iloc[rows] if hasattr(table, "iloc") else table[rows]


def fit_blend(autoencoder, training, truth, hidden):
    """``shrinkage_``, ``gaussian_weight_`` (one per column), ``gaussian_mean_``
    and ``gaussian_covariance_`` for the network ``autoencoder`` trained on
    ``training`` (``truth`` with the ``hidden`` cells missing)."""
    layout = autoencoder.table_layout_
    gaussian = fit_gaussian(layout.encode(training), autoencoder.random_state)
    rows = np.flatnonzero(hidden.any(axis=1))
    known, network = autoencoder._filled_reconstruction(_rows(training, rows))
    linear = gaussian_fill(known, *gaussian)
    target, held = layout.encode(_rows(truth, rows)), hidden[rows]
    numeric = np.array([column.kind == NUMERIC for column in layout.columns])
    starts = [start for start, _ in layout.blocks()]
    shrinkage, gaussian_weight = np.ones(len(numeric)), np.zeros(len(numeric))
    cells = [(r, starts[j]) for j in np.flatnonzero(numeric) for r in np.flatnonzero(held[:, j])]
    if cells:
        r, c = np.array(cells).T
        weights = nnls(np.stack([network[r, c], linear[r, c]], axis=1), target[r, c])[0]
        shrinkage[numeric], gaussian_weight[numeric] = weights
    if not numeric.all():

        def accuracy(share):
            mixed = _blended(
                layout,
                network,
                linear,
                np.where(numeric, shrinkage, share),
                np.where(numeric, gaussian_weight, 1 - share),
            )
            right = total = 0
            for j in np.flatnonzero(~numeric):
                start, stop = layout.blocks()[j]
                r = np.flatnonzero(held[:, j])
                right += np.sum(mixed[r, start:stop].argmax(1) == target[r, start:stop].argmax(1))
                total += len(r)
            return right / max(total, 1)

        share = max(_CATEGORY_WEIGHTS, key=accuracy)  # ties: the network's larger share
        shrinkage[~numeric], gaussian_weight[~numeric] = share, 1 - share
    return {
        "shrinkage_": shrinkage,
        "gaussian_weight_": gaussian_weight,
        "gaussian_mean_": gaussian[0],
        "gaussian_covariance_": gaussian[1],
    }


def blended_fill(imputer, table):
    """The network's matrix of the filled rows of ``table`` (each with an
    observed cell): the network's reconstruction, blended with the Gaussian's
    conditional mean where the imputer fitted one."""
    autoencoder = imputer.autoencoder_
    Z, network = autoencoder._filled_reconstruction(table)
    if getattr(imputer, "gaussian_mean_", None) is None:
        return network
    linear = gaussian_fill(Z, imputer.gaussian_mean_, imputer.gaussian_covariance_)
    return _blended(
        autoencoder.table_layout_, network, linear, imputer.shrinkage_, imputer.gaussian_weight_
    )
