"""Every comparison the notebooks state, over 3 seeds, under reference numerics.

    python benchmarks/train_seeds.py                      # all runs -> har_rnn/tooling/seed_results.json
    python benchmarks/train_seeds.py --seeds 1 2 --check  # recompute, compare with the file
    python benchmarks/train_seeds.py --only rnn cnn --seeds 0

The runs and their protocol are in `seed_harness.py` beside this script (the
notebooks' own: same arrays, validation volunteers and `TrainConfig`). The
data comes from `har_rnn.data.load_har()` (e.g. HAR_HAPT_DIR=<hapt folder>).
The script re-executes itself with `har_rnn.tooling.numerics.reference_env()`
so that its numbers come back exactly on the CPU kinds README lists.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

from har_rnn.files import REPOSITORY
from har_rnn.tooling import numerics


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=None)
    parser.add_argument("--only", nargs="+", default=None, help="run names (models or short runs)")
    parser.add_argument("--check", action="store_true",
                        help="compare with har_rnn/tooling/seed_results.json instead of writing it")
    args = parser.parse_args(argv)
    if not numerics.is_reference_run():          # pin the kernels before torch loads
        os.execve(sys.executable, [sys.executable, *sys.argv], numerics.reference_env())

    import seed_harness as harness               # beside this script: imports torch
    from har_rnn.config import TrainConfig
    from har_rnn.tooling import comparison, seeds

    print("numerics:", numerics.apply_in_process(), flush=True)
    names = args.only or [*harness.MODELS, *harness.SHORT_RUNS]
    chosen = args.seeds or list(seeds.SEEDS)
    config = TrainConfig()
    data = harness.prepared_data()
    start = time.perf_counter()
    runs = harness.run_all(names, chosen, config, log=lambda line: print(line, flush=True))
    print(f"{len(names)} runs x {len(chosen)} seeds in {time.perf_counter() - start:.0f} s")
    if args.check:
        exact, why = numerics.bit_identity_possible()
        if not exact:
            print(f"comparing each number within {comparison.K} x its own run's seed std (accuracies at least "
                  f"{comparison.ACCURACY_FLOOR:g} point), not exactly: {why}")
        found = comparison.compare_seed_runs(seeds.load_results(), runs, exact, config=config, data=data["data"])
        for line in found.moved:
            print("DIFFERS:", line)
        if found.unchecked:
            print(f"not checked: {len(found.unchecked)} values")
            for line in found.unchecked:
                print("   ", line)
        if found.moved:
            print(f"{len(found.moved)} differences: rerun `python benchmarks/train_seeds.py` and commit "
                  "har_rnn/tooling/seed_results.json")
        else:
            print("all recomputed numbers equal the committed ones" if exact else
                  "every checked number is within its tolerance of the committed one")
        return 1 if found.moved else 0
    if args.only or args.seeds:                  # a partial run updates the file in place
        merged = seeds.load_results() if seeds.RESULTS_FILE.exists() else {"runs": {}}
        for name, per_seed in runs.items():
            merged["runs"].setdefault(name, {}).update(per_seed)
        runs = merged["runs"]
    harness.write_results(runs, config, data["data"])
    print(f"wrote {seeds.RESULTS_FILE.relative_to(REPOSITORY)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
