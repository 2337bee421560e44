"""How long the whole tutorial takes, and how much memory it needs.

    python benchmarks/bench_notebooks.py [--only 01 02] [--sequential] [--native | --drop SETTING]

Executes the notebooks as `make notebooks` does (02 before 03 and 04, two
single-threaded kernels side by side; --sequential for one at a time), each
in a fresh kernel under reference numerics, into a temporary folder
(artifacts and images too: the committed files are not touched), on the data
the data layer resolves (set HAR_HAPT_DIR or HAR_DATA_DIR). Prints the wall
time per notebook and the peak memory (RSS) of the largest kernel. --native
runs them one at a time on the native kernels a learner's own Jupyter starts
(every core, oneDNN on): the other side of README's "Reproducibility".
--drop NPY_DISABLE_CPU_FEATURES (say) runs them one at a time under reference
numerics without that one setting: what the setting costs.
"""
from __future__ import annotations

import argparse
import os
import resource
import tempfile
from pathlib import Path

from har_rnn.tooling.notebooks import execute, execute_in_stages, tutorial_notebooks
from har_rnn.tooling.numerics import REFERENCE, reference_env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", default=None)
    parser.add_argument("--sequential", action="store_true", help="one notebook at a time (as before)")
    parser.add_argument("--native", action="store_true", help="native kernels, one notebook at a time")
    parser.add_argument("--drop", choices=sorted(REFERENCE), help="reference numerics without this setting")
    args = parser.parse_args()
    notebooks = [nb for nb in tutorial_notebooks()
                 if not args.only or any(nb.name.startswith(p) for p in args.only)]
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["HAR_ARTIFACTS_DIR"] = os.environ.get("HAR_ARTIFACTS_DIR") or str(Path(tmp) / "artifacts")
        os.environ["HAR_IMAGES_DIR"] = str(Path(tmp) / "images")
        # after the folders: the kernels must write into the temporary ones, not the repository's
        env = ({k: v for k, v in os.environ.items() if k not in REFERENCE} if args.native else
               {k: v for k, v in reference_env().items() if k != args.drop} if args.drop else None)
        if args.sequential or args.native or args.drop:
            seconds = 0.0
            for nb in notebooks:
                took = execute(nb, Path(tmp) / nb.name, failed_dir=Path(tmp) / "failed", env=env)
                seconds += took
                print(f"  {nb.name}: {took:.1f} s ({seconds:.1f} s so far)", flush=True)
        else:
            seconds = execute_in_stages(notebooks, lambda nb: Path(tmp) / nb.name,
                                        failed_dir=Path(tmp) / "failed", log=lambda l: print(l, flush=True))
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"{'total (wall time)':60s} {seconds:6.1f} s   largest kernel {peak:6.0f} MB, {os.cpu_count()} cores")

if __name__ == "__main__":
    main()
