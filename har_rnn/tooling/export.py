"""Save code taught in the notebooks into the `har_rnn` package (d2l's `#@save`).

A notebook code cell whose first line is ``#| export <module>`` is code the
tutorial teaches *and* later notebooks (or tests) reuse.  This script copies
those cells into ``har_rnn/<module>.py``, so the notebook stays the one source
of truth and the package is never edited by hand. A generated module reads like
a written one:

- every import at the top (stdlib, third party, har_rnn), each once;
- ``__all__``: the public names its cells define;
- each definition after the definitions it uses (a cell's order otherwise), with a
  ``# notebook 04, cell <id>`` line saying where it came from: the cell's id, which
  inserting or moving other cells does not change.

    python -m har_rnn.tooling.export          # rewrite the generated modules (make export)
    python -m har_rnn.tooling.export --check  # exit 1 if they are out of date
"""
from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..files import PACKAGE, display_path, require_repository
from .notebooks import tutorial_notebooks

DIRECTIVE = re.compile(r"^#\|\s*export\s+([A-Za-z_][A-Za-z0-9_]*)\s*$")
LINE = 110


@dataclass
class Chunk:
    """One top-level definition (with the comments above it) of an export cell."""
    origin: str                                  # "notebook 04, cell 2f33957f"
    source: str
    defines: set[str] = field(default_factory=set)
    uses: set[str] = field(default_factory=set)


def header(module: str, notebooks: list[str]) -> str:
    return (f'"""Generated from {", ".join(notebooks)} by `python -m har_rnn.tooling.export`.\n\n'
            f"Do not edit: change the notebook cells marked `#| export {module}` and re-run\n"
            f'the export (`make export`)."""\n')


def _defined(node: ast.stmt) -> set[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
    return {n.id for t in targets if t is not None for n in ast.walk(t) if isinstance(n, ast.Name)}


def split_cell(body: str, origin: str) -> tuple[list[ast.stmt], list[Chunk]]:
    """A cell's import statements, and its other top-level statements as chunks."""
    lines = body.splitlines()
    imports, chunks, start = [], [], 0
    for node in ast.parse(body).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(node)
            start = node.end_lineno
            continue
        text = "\n".join(lines[start:node.end_lineno]).strip("\n")
        start = node.end_lineno
        uses = {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
        chunks.append(Chunk(origin, text, _defined(node), uses))
    return imports, chunks


def _group(module: str) -> int:
    top = module.split(".")[0]
    return 2 if top == "har_rnn" else 0 if top in sys.stdlib_module_names else 1


def import_block(nodes: list[ast.stmt]) -> str:
    """The imports of every cell, merged: `import x` and `from x import a, b`, grouped and sorted."""
    plain, named = set(), {}
    for node in nodes:
        if isinstance(node, ast.Import):
            plain |= {(a.name, a.asname) for a in node.names}
        else:
            named.setdefault(node.module, set()).update((a.name, a.asname) for a in node.names)
    groups = [[], [], []]
    for name, alias in plain:
        groups[_group(name)].append(((name, 0), f"import {name}" + (f" as {alias}" if alias else "")))
    for module, names in named.items():
        items = ", ".join(n + (f" as {a}" if a else "") for n, a in sorted(names))
        line = f"from {module} import {items}"
        if len(line) > LINE:
            line = f"from {module} import (\n    " + ",\n    ".join(items.split(", ")) + ",\n)"
        groups[_group(module)].append(((module, 1), line))   # `from x import` after `import x`
    return "\n\n".join("\n".join(line for _, line in sorted(g)) for g in groups if g)


def ordered(chunks: list[Chunk]) -> list[Chunk]:
    """`chunks` in notebook order, except that each comes after the chunks defining what it uses."""
    where = {name: i for i, c in enumerate(chunks) for name in c.defines}
    needs = [{where[n] for n in c.uses if n in where} - {i} for i, c in enumerate(chunks)]
    done, out = set(), []
    while len(out) < len(chunks):
        ready = next((i for i in range(len(chunks)) if i not in done and needs[i] <= done), None)
        if ready is None:
            raise ValueError("export cells use each other in a cycle: "
                             + ", ".join(chunks[i].origin for i in range(len(chunks)) if i not in done))
        done.add(ready)
        out.append(chunks[ready])
    return out


def render(module: str, notebooks: list[str], imports: list[ast.stmt], chunks: list[Chunk]) -> str:
    public = sorted(n for c in chunks for n in c.defines if not n.startswith("_"))
    parts, origin = [], None
    for chunk in ordered(chunks):
        parts.append((f"# {chunk.origin}\n" if chunk.origin != origin else "") + chunk.source)
        origin = chunk.origin
    names = ",\n    ".join(f'"{n}"' for n in public)
    return (header(module, notebooks) + "\n" + import_block(imports) + "\n\n"
            + f"__all__ = [\n    {names},\n]\n\n\n" + "\n\n\n".join(parts) + "\n")


def collect(repo: Path | None = None) -> dict[str, str]:
    """Module name -> generated source, from every `#| export` cell."""
    repo = repo or require_repository("The export")
    imports: dict[str, list[ast.stmt]] = {}
    chunks: dict[str, list[Chunk]] = {}
    sources: dict[str, list[str]] = {}
    for nb_path in tutorial_notebooks(repo):
        for cell in json.loads(nb_path.read_text(encoding="utf-8"))["cells"]:
            if cell["cell_type"] != "code":
                continue
            first, _, body = "".join(cell["source"]).partition("\n")
            m = DIRECTIVE.match(first.strip())
            if not m:
                continue
            module = m.group(1)
            cell_imports, cell_chunks = split_cell(body, f"notebook {nb_path.name[:2]}, cell {cell['id']}")
            own = f"har_rnn.{module}"        # the notebook imports these from the package; the module defines them
            imports.setdefault(module, []).extend(n for n in cell_imports if getattr(n, "module", None) != own)
            chunks.setdefault(module, []).extend(cell_chunks)
            name = str(nb_path.relative_to(repo))
            if name not in sources.setdefault(module, []):
                sources[module].append(name)
    return {module: render(module, sources[module], imports[module], chunks[module]) for module in sources}


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
        stale.append(display_path(path))
        if not args.check:
            path.write_text(text, encoding="utf-8")
    if args.check and stale:
        print("Out of date with the notebooks: " + ", ".join(stale)
              + ". Run `make export` (python -m har_rnn.tooling.export).", file=sys.stderr)
        return 1
    if not args.check:
        print("updated: " + (", ".join(stale) if stale else "nothing (all in sync)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
