"""Training: the skorch engine, the data it reads, where a run starts and the fast path."""
