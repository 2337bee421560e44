"""Choose the ladder's settings on the validation volunteers (never on the test set).

    python benchmarks/sweep_ladder.py conv-rnn-mean:rot=20 cnn:rot=30,epochs=40 --seeds 0 1

Each argument is a model kind (`har_rnn.ladder.build_model`) with optional
changes: `rot` (degrees of random rotation), `epochs`, `lr`, `channels` (the
conv front end's width). Every run follows notebook 04's protocol (TrainConfig,
validation volunteers, the epoch chosen on validation) and prints its best
validation accuracy. Sweeps run on native kernels, 2 single-threaded workers,
which is faster than reference numerics: the chosen settings are then measured
over 3 seeds under reference numerics by `train_seeds.py`. Results are appended
to benchmarks/results/sweeps.jsonl (not in git); EXPERIMENTS.md logs them.
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import time
from concurrent.futures import ProcessPoolExecutor

from har_rnn.files import REPOSITORY

_data: dict = {}


def _start() -> None:
    import torch

    from seed_harness import prepared_data

    torch.set_num_threads(1)
    _data.update(prepared_data())


def _parse(spec: str) -> tuple[str, dict]:
    kind, _, changes = spec.partition(":")
    values = {}
    for item in filter(None, changes.split(",")):
        key, _, value = item.partition("=")
        values[key] = float(value) if key in ("rot", "lr") else int(value)
    return kind, values


def _run(spec: str, seed: int) -> dict:
    import torch

    from har_rnn.config import TrainConfig
    from har_rnn.ladder import build_model
    from har_rnn.models import ConvRNNClassifier
    from har_rnn.training import RandomRotation, fit, volunteer_split

    kind, changes = _parse(spec)
    config = dataclasses.replace(TrainConfig(), seed=seed,
                                 **{k: changes[k] for k in ("epochs", "lr") if k in changes})
    d = _data
    tr, val = volunteer_split(d["s_train"], config.validation_volunteers)
    model = build_model(kind, config)
    if "channels" in changes:                     # a wider conv front end, seeded the same way
        torch.manual_seed(config.seed)
        model = ConvRNNClassifier(channels=changes["channels"], readout=model.config["readout"],
                                  conv_layers=model.config["conv_layers"], hidden_size=config.hidden_size,
                                  recurrent_init=config.recurrent_init)
    rotation = changes.get("rot", 0.0)
    augment = RandomRotation(d["stats"], rotation, seed) if rotation else None
    start = time.perf_counter()
    history = fit(model, d["X_train"][tr], d["y_train"][tr], d["X_train"][val], d["y_train"][val],
                  config, augment=augment, verbose=False)
    return {"spec": spec, "seed": seed, "val_acc": 100 * float(history.val_acc.max()),
            "best_epoch": history.attrs["best_epoch"],
            "parameters": sum(p.numel() for p in model.parameters()),
            "seconds": time.perf_counter() - start}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("specs", nargs="+")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    out = REPOSITORY / "benchmarks" / "results" / "sweeps.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    jobs = [(spec, seed) for spec in args.specs for seed in args.seeds]
    with ProcessPoolExecutor(args.workers, initializer=_start) as pool, out.open("a") as log:
        for (spec, seed), future in zip(jobs, [pool.submit(_run, *job) for job in jobs]):
            row = future.result()
            log.write(json.dumps(row) + "\n")
            log.flush()
            print(f"{spec:>34} seed {seed}: val {row['val_acc']:.2f} (epoch {row['best_epoch']}, "
                  f"{row['parameters']} parameters, {row['seconds']:.0f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
