"""Pieces of the benchmark harness (run.py)."""
