"""Benchmarks: `python -m benchmarks` prints a table of figures (never asserted in tests)."""


def first_paragraph(doc: str | None) -> str:
    """A module docstring's first paragraph on one line, for argparse's description."""
    return " ".join((doc or "").split("\n\n")[0].split())
