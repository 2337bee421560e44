"""Execute the tutorial notebooks top to bottom, each in a fresh kernel.

    python -m har_rnn.notebooks --in-place        # refresh the committed outputs
    python -m har_rnn.notebooks --out DIR         # execute copies, leave the originals alone
    python -m har_rnn.notebooks --only 02 03 ...  # a subset (still in order)

Every kernel starts with reference numerics (`har_rnn.numerics`), so the
committed outputs are the same on any x86-64 CPU. `execute(..., parameters=)`
injects a cell after the notebook's cell tagged ``parameters``, as papermill
does (the tests pass ``{"QUICK": True}``). Folders come from the environment,
read by `har_rnn.setup`: HAR_DATA_DIR, HAR_ARTIFACTS_DIR, HAR_IMAGES_DIR.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .numerics import reference_env

REPO = Path(__file__).resolve().parent.parent


def tutorial_notebooks(repo: Path = REPO) -> list[Path]:
    return sorted(repo.glob("0[1-4]_*.ipynb"))


FAILED_DIR = REPO / "data" / "failed-notebooks"


def _write(nb, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(out)


def inject_parameters(nb, parameters: dict) -> None:
    """Insert `NAME = value` lines in a new cell after the cell tagged "parameters"."""
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(f"expected one cell tagged 'parameters', found {len(tagged)}")
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(tagged[0] + 1, cell)


def execute(path: Path, out: Path, *, cwd: Path = REPO, timeout: int = 1800,
            failed_dir: Path = FAILED_DIR, parameters: dict | None = None) -> float:
    """Run `path` in a fresh kernel with `cwd` as working directory, save to `out`.

    The kernel gets reference numerics. A notebook that fails is saved to
    `failed_dir` instead, so the error can be read and a good `out` (e.g. the
    committed notebook) is never overwritten."""
    nb = nbformat.read(path, as_version=4)
    if parameters:
        inject_parameters(nb, parameters)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    try:
        client.execute(env=reference_env())
    except CellExecutionError:
        _write(nb, failed_dir / path.name)
        raise
    _write(nb, out)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m har_rnn.notebooks", description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--in-place", action="store_true", help="overwrite the notebooks with fresh outputs")
    where.add_argument("--out", type=Path, help="write executed copies into this folder")
    parser.add_argument("--only", nargs="*", default=None, help="notebook number prefixes, e.g. 01 02")
    args = parser.parse_args(argv)
    notebooks = [nb for nb in tutorial_notebooks()
                 if not args.only or any(nb.name.startswith(p) for p in args.only)]
    total = 0.0
    for nb in notebooks:
        out = nb if args.in_place else args.out / nb.name
        print(f"executing {nb.name} ...", flush=True)
        try:
            seconds = execute(nb, out)
        except CellExecutionError as exc:
            print(f"{nb.name} failed; the executed copy with the error is in "
                  f"{(FAILED_DIR / nb.name).relative_to(REPO)}\n{exc}", file=sys.stderr)
            return 1
        total += seconds
        print(f"  done in {seconds:.1f} s", flush=True)
    print(f"all {len(notebooks)} notebooks in {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
