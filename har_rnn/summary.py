"""Each notebook ends by printing its headline numbers in one machine-readable block.

CI re-executes the notebooks and compares these blocks with the committed ones
(counts exactly, accuracies and F1 scores within 0.5 percentage points), and
checks the README's results table against them.
"""
from __future__ import annotations

import json

MARKER = "Headline numbers (CI re-runs this notebook and compares them):"


def publish(numbers: dict) -> None:
    """Print `numbers` (str / int / float; accuracies and F1 in percent)."""
    clean = {k: (round(v, 2) if isinstance(v, float) else v) for k, v in numbers.items()}
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
