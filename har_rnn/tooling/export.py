"""Save code taught in the notebooks into the `har_rnn` package (d2l's `#@save`).

A notebook code cell whose first line is ``#| export <module>`` is code the
tutorial teaches *and* later notebooks (or tests) reuse.  This script copies
those cells, in notebook order, into ``har_rnn/<module>.py``, so the notebook
stays the one source of truth and the package is never edited by hand.

    python -m har_rnn.tooling.export          # rewrite the generated modules (make export)
    python -m har_rnn.tooling.export --check  # exit 1 if they are out of date
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from ..data.files import REPO
from .notebooks import tutorial_notebooks

PACKAGE = REPO / "har_rnn"       # the lesson modules stay at the package's top level
DIRECTIVE = re.compile(r"^#\|\s*export\s+([A-Za-z_][A-Za-z0-9_]*)\s*$")


def header(module: str, notebooks: list[str]) -> str:
    return (f'"""Generated from {", ".join(notebooks)} by `python -m har_rnn.tooling.export`.\n\n'
            f"Do not edit: change the notebook cells marked `#| export {module}` and re-run\n"
            f'the export (`make export`)."""\n')


def collect(repo: Path = REPO) -> dict[str, str]:
    """Module name -> generated source, from every `#| export` cell."""
    blocks: dict[str, list[str]] = {}
    sources: dict[str, list[str]] = {}
    for nb_path in tutorial_notebooks(repo):
        cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
        for index, cell in enumerate(cells):
            if cell["cell_type"] != "code":
                continue
            src = "".join(cell["source"])
            first, _, body = src.partition("\n")
            m = DIRECTIVE.match(first.strip())
            if not m:
                continue
            module = m.group(1)
            marker = f"# notebook {nb_path.name[:2]}, cell {index}"
            blocks.setdefault(module, []).append(marker + "\n" + body.strip("\n"))
            name = str(nb_path.relative_to(repo))
            if name not in sources.setdefault(module, []):
                sources[module].append(name)
    return {mod: header(mod, sources[mod]) + "\n" + "\n\n\n".join(b) + "\n"
            for mod, b in blocks.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="do not write; exit 1 if a generated module is out of date")
    args = parser.parse_args(argv)
    stale = []
    for module, text in collect().items():
        path = PACKAGE / f"{module}.py"
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        stale.append(path.relative_to(REPO))
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("Out of date with the notebooks: " + ", ".join(map(str, stale))
              + ". Run `make export` (python -m har_rnn.tooling.export).", file=sys.stderr)
        return 1
    if not args.check:
        print("updated: " + (", ".join(map(str, stale)) if stale else "nothing (all in sync)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
