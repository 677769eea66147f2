"""Mixed-type tables: column kinds, the matrix the network sees, and back."""
