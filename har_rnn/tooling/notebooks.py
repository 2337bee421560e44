"""Execute the tutorial notebooks top to bottom, each in a fresh kernel.

    python -m har_rnn.tooling.notebooks --in-place        # refresh the committed outputs
    python -m har_rnn.tooling.notebooks --out DIR         # execute copies, leave the originals alone
    python -m har_rnn.tooling.notebooks --only 02 03 ...  # a subset (still in order)

Every kernel starts with reference numerics (`har_rnn.tooling.numerics`), so the
committed outputs come back exactly on the CPU kinds it lists. `execute(..., parameters=)`
injects a cell after the notebook's cell tagged ``parameters``, as papermill
does (the tests pass ``{"QUICK": True}``). Folders come from `har_rnn.files` (read by
`har_rnn.setup`), which the environment can point elsewhere (HAR_ARTIFACTS_DIR, ...).
"""
from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from ..files import REPOSITORY, display_path, get_data_home, require_repository
from .numerics import reference_env


def tutorial_notebooks(repo: Path | None = None) -> list[Path]:
    """The four chapters, then the appendix notebooks (appendix/A*.ipynb), of the clone."""
    repo = repo or require_repository("Running the notebooks")
    return sorted(repo.glob("0[1-4]_*.ipynb")) + sorted((repo / "appendix").glob("A*.ipynb"))


def failed_notebooks_dir() -> Path:
    """Where a notebook that failed is saved, with its error."""
    return get_data_home() / "failed-notebooks"


def coalesce_streams(nb) -> None:
    """Consecutive prints to one stream as one output, as Jupyter shows them: a line of
    progress printed a character at a time is one output, not one per character."""
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        merged = []
        for out in cell.outputs:
            if (merged and out.output_type == "stream" and merged[-1].output_type == "stream"
                    and merged[-1].name == out.name):
                merged[-1].text += out.text
            else:
                merged.append(out)
        cell.outputs = merged


def _write(nb, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    nbformat.write(nb, tmp)
    tmp.replace(out)


_KERNEL_START = threading.Lock()


class _Client(NotebookClient):
    """Starts one kernel at a time: two kernels starting at once can pick the same free port."""

    async def async_start_new_kernel(self, **kwargs):
        _KERNEL_START.acquire()
        try:
            await super().async_start_new_kernel(**kwargs)
        except BaseException:
            _KERNEL_START.release()
            raise

    async def async_start_new_kernel_client(self):
        try:                              # released once the kernel answers: its ports are bound
            return await super().async_start_new_kernel_client()
        finally:
            _KERNEL_START.release()


def inject_parameters(nb, parameters: dict) -> None:
    """Insert `NAME = value` lines in a new cell after the cell tagged "parameters"."""
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    if len(tagged) != 1:
        raise ValueError(f"expected one cell tagged 'parameters', found {len(tagged)}")
    source = "\n".join(f"{name} = {value!r}" for name, value in parameters.items())
    cell = nbformat.v4.new_code_cell(source, metadata={"tags": ["injected-parameters"]})
    nb.cells.insert(tagged[0] + 1, cell)


def execute(path: Path, out: Path, *, cwd: Path | None = None, timeout: int = 1800,
            failed_dir: Path | None = None, parameters: dict | None = None, env: dict | None = None) -> float:
    """Run `path` in a fresh kernel with `cwd` (default: the clone) as working directory, save to `out`.

    The kernel gets reference numerics (or `env`: the benchmarks time native kernels). A notebook that fails is saved to
    `failed_dir` instead, so the error can be read and a good `out` (e.g. the
    committed notebook) is never overwritten."""
    cwd = cwd or REPOSITORY or Path.cwd()
    failed_dir = failed_dir or failed_notebooks_dir()
    nb = nbformat.read(path, as_version=4)
    if parameters:
        inject_parameters(nb, parameters)
    client = _Client(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                            resources={"metadata": {"path": str(cwd)}})
    start = time.perf_counter()
    try:
        client.execute(env=reference_env() if env is None else env)
    except CellExecutionError:
        coalesce_streams(nb)
        _write(nb, failed_dir / path.name)
        raise
    coalesce_streams(nb)
    _write(nb, out)
    return time.perf_counter() - start


# Notebooks in one stage may run side by side, each kernel on one core: 01 and 02
# read only the data; every other notebook (03, 04, the appendix) reads only what 02 wrote.
FIRST_STAGE = ("01", "02")


def _stage(nb: Path) -> int:
    return 0 if nb.name[:2] in FIRST_STAGE else 1


def execute_in_stages(notebooks: list[Path], out_for, *, workers: int = 2, log=print, **kwargs) -> float:
    """Execute `notebooks` stage by stage, up to `workers` at a time; return the wall time.

    Each kernel is single-threaded (reference numerics), so running two on two
    cores changes no number, only the time. The first failure is raised once
    its stage has finished."""
    start = time.perf_counter()
    for stage in (0, 1):
        batch = [nb for nb in notebooks if _stage(nb) == stage]
        if not batch:
            continue
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = {nb: pool.submit(execute, nb, out_for(nb), **kwargs) for nb in batch}
            for nb, future in futures.items():
                log(f"  {nb.name}: {future.result():.1f} s")
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m har_rnn.tooling.notebooks",
                                     description=__doc__.splitlines()[0])
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--in-place", action="store_true", help="overwrite the notebooks with fresh outputs")
    where.add_argument("--out", type=Path, help="write executed copies into this folder")
    parser.add_argument("--only", nargs="*", default=None, help="notebook number prefixes, e.g. 01 02")
    args = parser.parse_args(argv)
    notebooks = [nb for nb in tutorial_notebooks()
                 if not args.only or any(nb.name.startswith(p) for p in args.only)]
    print(f"executing {len(notebooks)} notebooks (02 before 03, 04 and the appendix) ...", flush=True)
    try:
        seconds = execute_in_stages(notebooks, lambda nb: nb if args.in_place else args.out / nb.name,
                                    log=lambda line: print(line, flush=True))
    except CellExecutionError as exc:
        print(f"a notebook failed; the executed copy with the error is in "
              f"{display_path(failed_notebooks_dir())}/\n{exc}", file=sys.stderr)
        return 1
    print(f"all {len(notebooks)} notebooks in {seconds:.1f} s (wall time)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
