"""Each notebook ends by printing its headline numbers in one machine-readable block.

CI re-executes the notebooks under reference numerics and compares these
blocks with the committed ones (`comparison.compare_headlines`: exactly where
bit-identity holds, else each number within its own run's seed spread);
`readme_table` builds the README's results table from them.
"""
from __future__ import annotations

import json

import numpy as np

from .comparison import PERCENT

MARKER = "Headline numbers (CI re-runs this notebook and compares them):"


def publish(**numbers) -> None:
    """Print the notebook's headline numbers (str / int / float) in one block.

    Accuracies and F1 scores (keys ending in _acc, _accuracy, _f1) are given as
    fractions and published in percent; floats are rounded to 2 decimals."""
    clean = {}
    for key, value in numbers.items():
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        if isinstance(value, float):
            value = round(100 * value if key.endswith(PERCENT) else value, 2)
        clean[key] = value
    print(MARKER)
    print(json.dumps(clean, indent=1))


def parse(text: str) -> dict | None:
    """The numbers from a cell's printed output, or None if it has no block."""
    if MARKER not in text:
        return None
    return json.loads(text.split(MARKER, 1)[1])


def from_notebook(nb: dict) -> dict | None:
    """The headline block of an (executed) notebook, read from its outputs."""
    for cell in reversed(nb["cells"]):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                found = parse("".join(out.get("text", "")))
                if found is not None:
                    return found
    return None
