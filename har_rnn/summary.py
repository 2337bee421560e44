"""Each notebook ends by printing its headline numbers in one machine-readable block.

CI re-executes the notebooks and compares these blocks with the committed ones
(counts exactly, accuracies and F1 scores within 0.5 percentage points), and
checks the README's results table against them.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

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


def compare(committed: dict | None, fresh: dict | None) -> list[str]:
    """What moved between two headline blocks (empty list: they agree).

    Counts and strings must match exactly, accuracies/F1 (percent) within 0.5
    points, `*_log10` values within 0.5, other floats within 5%; timings
    (`*_seconds`) and selected epochs (`*_epoch`, which can shift by one on
    other hardware while the accuracy stays put) are not compared."""
    if committed is None or fresh is None:
        return ["no headline block in the " + ("committed" if committed is None else "fresh") + " notebook"]
    moved = []
    for key in sorted(set(committed) | set(fresh)):
        if key.endswith(("_seconds", "_epoch")):  # timings vary; the epoch may shift by one
            continue
        if key not in committed or key not in fresh:
            moved.append(f"{key} is only in the {'fresh' if key in fresh else 'committed'} run")
            continue
        old, new = committed[key], fresh[key]
        if isinstance(old, float) or isinstance(new, float):
            # percent: 0.5 points; log10 ratios: half a decade; anything else: 5%
            tol = 0.5 if key.endswith(("_accuracy", "_f1", "_pct", "_log10")) else 0.05 * max(abs(old), 1e-9)
            if abs(new - old) > tol:
                moved.append(f"{key} moved from {old} to {new} (tolerance {tol:.3g})")
        elif old != new:
            moved.append(f"{key} changed from {old!r} to {new!r}")
    return moved


MODELS = (("rnn", "vanilla RNN", "02"), ("gru", "GRU", "04"), ("lstm", "LSTM", "04"))
TABLE_START, TABLE_END = "<!-- results:start -->", "<!-- results:end -->"


def results_table(headlines: dict[str, dict | None]) -> str:
    """The README's results table, built from the notebooks' headline blocks."""
    by_prefix = {name[:2]: h or {} for name, h in headlines.items()}
    rows = ["| model | test accuracy | test macro-F1 | training time | notebook |",
            "|---|---|---|---|---|"]
    for key, label, nb in MODELS:
        h = by_prefix.get(nb, {})
        if f"{key}_test_accuracy" not in h:
            continue
        rows.append(f"| {label} | {h[f'{key}_test_accuracy']:.2f}% | {h[f'{key}_test_macro_f1']:.2f}% "
                    f"| {h.get(f'{key}_train_seconds', float('nan')):.0f} s | {nb} |")
    source = by_prefix.get("02", {}).get("data_source", "unknown")
    return "\n".join([TABLE_START, *rows, "", f"Data: {source}.", TABLE_END])


def update_readme(readme: Path, headlines: dict[str, dict | None]) -> bool:
    text = readme.read_text(encoding="utf-8")
    if TABLE_START not in text or TABLE_END not in text:
        raise SystemExit(f"{readme.name} has no {TABLE_START} ... {TABLE_END} block")
    before, rest = text.split(TABLE_START, 1)
    after = rest.split(TABLE_END, 1)[1]
    new = before + results_table(headlines) + after
    readme.write_text(new, encoding="utf-8")
    return new != text


def main() -> int:
    import nbformat

    from .notebooks import REPO, tutorial_notebooks
    headlines = {nb.name: from_notebook(nbformat.read(nb, as_version=4)) for nb in tutorial_notebooks()}
    if "--update-readme" in sys.argv[1:]:
        changed = update_readme(REPO / "README.md", headlines)
        print("README results table " + ("updated" if changed else "already up to date"))
    else:
        print(json.dumps(headlines, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
