"""Each notebook ends by recording its headline numbers, out of the learner's view.

`publish(...)` stores them in the last cell's output under a MIME type of its own
(`MIME`), beside an empty text: Jupyter and GitHub show nothing, the notebook file
keeps them. The test suite re-executes the notebooks and compares these numbers
with the committed ones (`comparison.compare_headlines`: exactly where
bit-identity holds, else each number within its own run's seed spread);
`readme_table` builds the README's results table from them.
"""
from __future__ import annotations

import numpy as np

from .comparison import PERCENT

MIME = "application/vnd.har-rnn.headlines+json"


def headlines(**numbers) -> dict:
    """The numbers as published: plain values; accuracies and F1 scores (keys ending in _acc,
    _accuracy, _f1), given as fractions, in percent; floats rounded to 2 decimals."""
    clean = {}
    for key, value in numbers.items():
        if isinstance(value, (np.integer, np.floating)):
            value = value.item()
        if isinstance(value, float):
            value = round(100 * value if key.endswith(PERCENT) else value, 2)
        clean[key] = value
    return clean


def publish(**numbers) -> None:
    """Record the notebook's headline numbers (str / int / float) in this cell's output, unseen."""
    from IPython.display import display

    display({"text/plain": "", MIME: headlines(**numbers)}, raw=True)


def from_notebook(nb: dict) -> dict | None:
    """The headline numbers of an (executed) notebook, read from its outputs."""
    for cell in reversed(nb["cells"]):
        for out in cell.get("outputs", []):
            if MIME in out.get("data", {}):
                return dict(out["data"][MIME])
    return None
