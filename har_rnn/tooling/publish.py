"""Each notebook ends by printing its headline numbers in one machine-readable block.

CI re-executes the notebooks under reference numerics and compares these
blocks with the committed ones (`comparison.compare_headlines`: exactly where
bit-identity holds, else each number within its own run's seed spread), and
checks the README's results table against them and against the seed results.

    python -m har_rnn.tooling.publish                  # print every notebook's headline numbers
    python -m har_rnn.tooling.publish --update-readme  # rewrite the README's results table
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from ..config import LADDER
from ..files import require_repository
from .comparison import PERCENT
from .seeds import load_results

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


TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"


def results_table(headlines: dict[str, dict | None], seed_results: dict) -> str:
    """The README's results table: notebook 04's ladder and controls, each over the seeds.

    Seed 0 of every run is the notebooks' own run where a notebook trains it (checked
    by the truth tests); the parameter counts are those notebook 04 publishes."""
    published = {k: v for h in headlines.values() if h for k, v in h.items()}
    n_seeds = len(seed_results["seeds"])
    rows = [f"| model | test accuracy, {n_seeds} seeds | seeds {' / '.join(map(str, seed_results['seeds']))} "
            f"| test macro-F1, {n_seeds} seeds | sitting/standing errors, mean | parameters |",
            "|---|---|---|---|---|---|"]
    for name, rung in LADDER.items():
        runs = seed_results["runs"].get(name)
        if not runs:
            continue
        acc, f1, pair = (np.array([runs[s][m] for s in sorted(runs)], dtype=float)
                         for m in ("test_acc", "test_macro_f1", "sitting_standing_errors"))
        label = rung.label if rung.control else f"**{rung.label}**"
        rows.append(f"| {label} | {acc.mean():.2f} ± {acc.std(ddof=1):.2f}% | {' / '.join(f'{a:.2f}' for a in acc)} "
                    f"| {f1.mean():.2f} ± {f1.std(ddof=1):.2f}% | {pair.mean():.0f} "
                    f"| {published.get(f'{name}_parameters', '')} |")
    source = published.get("data_source", "unknown")
    return "\n".join([TABLE_START, *rows, "", f"Data: {source}.", TABLE_END])


def update_readme(readme: Path, headlines: dict[str, dict | None]) -> bool:
    text = readme.read_text(encoding="utf-8")
    if TABLE_START not in text or TABLE_END not in text:
        raise SystemExit(f"{readme.name} has no {TABLE_START} ... {TABLE_END} block")
    before, rest = text.split(TABLE_START, 1)
    after = rest.split(TABLE_END, 1)[1]
    new = before + results_table(headlines, load_results()) + after
    readme.write_text(new, encoding="utf-8")
    return new != text


def main() -> int:
    import nbformat

    from .notebooks import tutorial_notebooks     # nbclient: not needed in the notebooks' kernels

    headlines = {nb.name: from_notebook(nbformat.read(nb, as_version=4)) for nb in tutorial_notebooks()}
    if "--update-readme" in sys.argv[1:]:
        changed = update_readme(require_repository("--update-readme") / "README.md", headlines)
        print("README results table " + ("updated" if changed else "already up to date"))
    else:
        print(json.dumps(headlines, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
