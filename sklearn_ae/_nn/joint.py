"""The observation model of a mixed table: one term per column, trained jointly.

A network fitted on a table with categorical columns sees a matrix in which
each numeric column is one standardised entry and each categorical column a
block of level indicators (``_tables.layout``). Its ``NetworkSpec`` lists the
blocks (``column_blocks``: one ``(model, width)`` per table column), and
``JointObservation`` gives each its own term of ``-log p(x | output)``:

- ``"gaussian"`` (width 1): a Gaussian with unit variance on the
  standardised value, ``0.5 (x - output)^2 + 0.5 log 2 pi``; the score fits
  each column's own variance afterwards;
- ``"categorical"`` (one entry per level): a softmax over the block's
  outputs, the term ``-log softmax(output)[level]`` (cross-entropy).

The criterion is the sum of the observed terms per observed matrix entry
(a block's term over its width), so that, as for the uniform models, it times
the matrix width is the negative log-likelihood of a row.
"""

import math

import torch
from torch.nn import functional as F

GAUSSIAN, CATEGORICAL = "gaussian", "categorical"
BLOCK_MODELS = (GAUSSIAN, CATEGORICAL)


class JointObservation:
    """Per-column observation models over the blocks ``column_blocks``."""

    # What the uniform models (``LOSSES`` entries) declare, for the code that
    # reads them: no fused kernel, no scale fitted per batch, any real data.
    onnx_link = None
    domain = None
    has_scale = False
    discrete = False
    fused_mean = None
    fused_mean_gradient = None

    def __init__(self, column_blocks):
        self.column_blocks = tuple(column_blocks)
        start, self.numeric, self.categorical = 0, [], []
        for model, width in self.column_blocks:
            if model == GAUSSIAN:
                self.numeric.append(start)
            else:
                self.categorical.append((start, start + width))
            start += width
        self.width = start

    @property
    def link(self):
        return self.to_data

    def to_data(self, output):
        """Numbers as they are, each categorical block as its level probabilities."""
        if not self.categorical:
            return output
        parts, start = [], 0
        for model, width in self.column_blocks:
            block = output[..., start : start + width]
            parts.append(torch.softmax(block, -1) if model == CATEGORICAL else block)
            start += width
        return torch.cat(parts, -1)

    def column_terms(self, output, target):
        """``-log p`` of each table column, (..., n_columns), at unit variance for
        numbers; ``target`` must have no NaN (missing cells hold anything)."""
        terms, start = [], 0
        for model, width in self.column_blocks:
            out = output[..., start : start + width]
            if model == GAUSSIAN:
                terms.append(0.5 * ((out - target[..., start : start + width]) ** 2 + _LOG_2PI))
            else:
                level = target[..., start : start + width]
                terms.append((torch.logsumexp(out, -1) - (level * out).sum(-1)).unsqueeze(-1))
            start += width
        return torch.cat(terms, -1)

    def column_observed(self, observed):
        """Which table columns are observed, (..., n_columns), from the entry mask."""
        starts = [start for start, _ in self._spans()]
        return observed[..., starts]

    def _spans(self):
        start = 0
        for _, width in self.column_blocks:
            yield start, start + width
            start += width

    def _widths(self, like):
        return torch.tensor(
            [w for _, w in self.column_blocks], dtype=like.dtype, device=like.device
        )

    def criterion(self, output, target, observed=None):
        """Observed columns' terms summed, per observed matrix entry (a mean)."""
        if observed is None:
            return self.column_terms(output, target).sum() / target.numel()
        target = torch.where(observed, target, torch.zeros_like(target))
        columns = self.column_observed(observed).to(output.dtype)
        terms = self.column_terms(output, target) * columns
        return terms.sum() / (columns * self._widths(output)).sum().clamp_min(1)

    def log_density(self, output, target, observed):
        """``log p(x | output)`` summed over the observed columns (``observed``: 1.0
        or 0.0 per matrix entry), at unit variance for numbers."""
        target = torch.where(observed > 0, target, torch.zeros_like(target))
        return -(self.column_terms(output, target) * self.column_observed(observed)).sum(-1)

    def _log_likelihood_parts(self, output, target, observed, variances):
        """The numbers' ``(x - mu)^2 / s^2 + log(2 pi s^2)`` (..., n_numbers) and the
        categories' level log-probabilities (..., n_categories), 0 where missing."""
        target = torch.where(observed > 0, target, torch.zeros_like(target))
        numeric = self.numeric
        variance = variances[..., numeric]
        residual = target[..., numeric] - output[..., numeric]
        numbers = (residual**2 / variance + torch.log(2 * math.pi * variance)) * observed[
            ..., numeric
        ]
        levels = [
            (target[..., start:stop] * F.log_softmax(output[..., start:stop], -1)).sum(-1)
            * observed[..., start]
            for start, stop in self.categorical
        ]
        return numbers, levels

    def column_log_likelihoods(self, output, target, observed, variances):
        """``log p`` of each table column, (..., n_columns), 0 where it is missing:
        each number a Gaussian of variance ``variances`` (one per matrix column,
        or per row and matrix column, on the standardised scale), each category
        its level's log-probability."""
        numbers, levels = self._log_likelihood_parts(output, target, observed, variances)
        numbers, levels = iter((-0.5 * numbers).unbind(-1)), iter(levels)
        columns = [
            next(numbers if model == GAUSSIAN else levels) for model, _ in self.column_blocks
        ]
        return torch.stack(columns, -1)

    def log_likelihood(self, output, target, observed, variances):
        """``log p(x | output)`` per row, (...,), over the ``observed`` (1.0/0.0)
        entries (``column_log_likelihoods`` summed)."""
        numbers, levels = self._log_likelihood_parts(output, target, observed, variances)
        values = -0.5 * numbers.sum(-1)
        for log_p in levels:
            values = values + log_p
        return values

    def score_gradient(self, output, target, observed, variances):
        """``d log p(x | output) / d output``: the residual over the variance for a
        number, indicators minus probabilities for a category; 0 where missing."""
        target = torch.where(observed > 0, target, torch.zeros_like(target))
        gradient = (target - output) / variances
        for start, stop in self.categorical:
            gradient[..., start:stop] = target[..., start:stop] - torch.softmax(
                output[..., start:stop], -1
            )
        return gradient * observed

    def fisher_weights(self, variances):
        """Per matrix column, the weight of a Gauss-Newton step: 1 / variance for a
        number, 1/4 (a level indicator's largest Bernoulli variance) for a category."""
        weights = 1.0 / variances
        for start, stop in self.categorical:
            weights[start:stop] = 0.25
        return weights

    def check_data(self, name, X):
        return None

    def accepts(self, low, high):
        return True


_LOG_2PI = math.log(2 * math.pi)
