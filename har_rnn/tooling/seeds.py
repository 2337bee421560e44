"""What the notebooks read of the seed results: every stated comparison, over 3 seeds.

`benchmarks/train_seeds.py` (with the harness in `benchmarks/seed_harness.py`)
runs the notebooks' own protocol for each model and each short-run variant of
the exercises and writes `RESULTS_FILE` (`har_rnn/tooling/seed_results.json`). The notebooks show those means ± std
next to their single run (`seed_table`, `seed_values`); CI recomputes seeds 1
and 2 exactly, and the notebooks' own run is seed 0.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

RESULTS_FILE = Path(__file__).with_name("seed_results.json")   # shipped with the package: notebooks read it
SEEDS = (0, 1, 2)


def load_results(path: Path = RESULTS_FILE) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def committed_note(config, results: dict | None = None) -> str | None:
    """One line when a notebook's own run is not the committed seed 0: another TrainConfig, or
    kernels that need not reproduce it bit for bit. None when it is the committed run."""
    from .numerics import bit_identity_possible, is_reference_run

    results = load_results() if results is None else results
    ours, committed = config.to_dict(), results["config"]
    changed = [key for key in committed if ours.get(key) != committed[key]]
    if changed:
        return ("the seed columns describe the committed runs (" + ", ".join(f"{k}={committed[k]}" for k in changed)
                + "), not your run (" + ", ".join(f"{k}={ours.get(k)}" for k in changed) + ")")
    if not (is_reference_run() and bit_identity_possible()[0]):
        return ("your run used other kernels than the committed seed 0 (native, not reference numerics), "
                "so it can differ from it within the seed spread")
    return None


def seed_table(names, metrics, results: dict | None = None, config=None) -> pd.DataFrame:
    """Mean ± std over the seeds of `metrics` for each run name (a str or a list), and seed 0 alone.

    With `config` (the TrainConfig of the notebook's own run), a run that is not the committed
    seed 0 is said so in one printed line, and the seed-0 columns are labelled as committed."""
    results = load_results() if results is None else results
    note = committed_note(config, results) if config is not None else None
    if note:
        print(note)
    label = "committed seed 0" if note else "seed 0"
    names = [names] if isinstance(names, str) else list(names)
    rows = {}
    for name in names:
        per_seed = results["runs"][name]
        row = {}
        for metric in metrics:
            values = np.array([per_seed[s][metric] for s in sorted(per_seed)], dtype=float)
            row[metric] = f"{values.mean():.2f} ± {values.std(ddof=1):.2f}"
            row[f"{metric}, {label}"] = f"{per_seed['0'][metric]:.2f}"
        row["seeds"] = len(per_seed)
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index")


def seed_values(name: str, metric: str, results: dict | None = None) -> np.ndarray:
    results = load_results() if results is None else results
    per_seed = results["runs"][name]
    return np.array([per_seed[s][metric] for s in sorted(per_seed)], dtype=float)
