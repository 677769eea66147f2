"""A small real table with mixed column types, shipped with the package.

>>> from sklearn_ae.datasets import load_penguins
>>> penguins = load_penguins()
>>> penguins.shape
(344, 8)
"""

from ._penguins import load_penguins

__all__ = ["load_penguins"]
