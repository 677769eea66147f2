"""Densities and robust estimates behind the scores (plain numpy)."""
