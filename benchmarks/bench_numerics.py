"""What reference numerics cost: seconds per training epoch, native vs pinned kernels.

    python benchmarks/bench_numerics.py [--epochs 2]

Trains each of the four models (sizes from `TrainConfig`) for a few epochs on
the real training split, once with the native CPU kernels (oneDNN on, MKL's
fastest branch) and once under `har_rnn.tooling.numerics.reference_env()`, each in a
fresh single-threaded subprocess, and prints the mean seconds per epoch
(validation included) after the first epoch.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from har_rnn.tooling import numerics

HERE = Path(__file__).resolve().parent   # the child imports seed_harness from here

CHILD = """
import dataclasses, json, sys
from har_rnn.tooling import numerics
numerics.apply_in_process()
import torch
torch.set_num_threads(1)
import seed_harness as seeds
from har_rnn.config import TrainConfig
from har_rnn.ladder import build_model
from har_rnn.training import fit, volunteer_split
d = seeds.prepared_data()
config = dataclasses.replace(TrainConfig(), epochs=int(sys.argv[2]))
tr, val = volunteer_split(d["s_train"], config.validation_volunteers)
model = build_model(sys.argv[1], config)
history = fit(model, d["X_train"][tr], d["y_train"][tr], d["X_train"][val], d["y_train"][val], config,
              verbose=False)
print(json.dumps(float(history.seconds.iloc[1:].mean())))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    args = parser.parse_args()
    native = {k: v for k, v in os.environ.items() if k not in numerics.REFERENCE}
    native.update(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    print(f"{'model':6s} {'native s/epoch':>15s} {'reference s/epoch':>18s} {'ratio':>6s}")
    for kind in ("rnn", "gru", "lstm", "cnn"):
        seconds = []
        for env in (native, numerics.reference_env()):
            out = subprocess.run([sys.executable, "-c", CHILD, kind, str(args.epochs)], env=env, cwd=HERE,
                                 capture_output=True, text=True, check=True)
            seconds.append(json.loads(out.stdout.strip().splitlines()[-1]))
        print(f"{kind:6s} {seconds[0]:15.2f} {seconds[1]:18.2f} {seconds[1] / seconds[0]:6.2f}", flush=True)


if __name__ == "__main__":
    main()
