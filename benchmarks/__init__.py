"""Benchmarks: `python -m benchmarks` prints a table of figures (never asserted in tests)."""
