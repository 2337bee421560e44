"""The README's results table: notebook 04's ladder and controls over the 3 seeds.

    python -m har_rnn.tooling.readme_table                  # print every notebook's headline numbers
    python -m har_rnn.tooling.readme_table --update-readme  # rewrite the README's results table

The test suite checks that the committed README holds exactly the table this
builds from the committed notebooks and seed results.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import numpy as np

from ..config import LADDER
from ..files import atomic_open, require_repository
from .notebooks import tutorial_notebooks
from .publish import from_notebook
from .seeds import load_results

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
    with atomic_open(readme) as fh:
        fh.write(new.encode("utf-8"))
    return new != text


def main() -> int:
    headlines = {nb.name: from_notebook(nbformat.read(nb, as_version=4)) for nb in tutorial_notebooks()}
    if "--update-readme" in sys.argv[1:]:
        changed = update_readme(require_repository("--update-readme") / "README.md", headlines)
        print("README results table " + ("updated" if changed else "already up to date"))
    else:
        print(json.dumps(headlines, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
