"""Search by Hamming distance over binary codes."""

from ._hashing import HammingIndex, hamming_neighbors, hamming_radius_neighbors

__all__ = ["HammingIndex", "hamming_neighbors", "hamming_radius_neighbors"]
