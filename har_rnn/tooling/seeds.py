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

from ..config import ANSWER, LADDER
from ..data.uci_format import ACTIVITIES

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
        return ("your run is not computed exactly as the committed seed 0 was (this machine or its settings "
                "differ), so it can differ from it within the seed spread")
    return None


# how the tables name a measure; any other is shown with spaces for underscores
MEASURES = {
    "val_acc": "validation accuracy %", "test_acc": "test accuracy %", "test_macro_f1": "test macro-F1 %",
    "best_val_acc": "best validation accuracy %", "sitting_standing_errors": "sitting/standing errors",
    "random_windows_acc": "random split: accuracy on the same windows %",
    "new_volunteers_acc": "volunteer split: accuracy on the same windows %",
    "first_half_zeroed_lost": "points lost, first half zeroed",
    "grad_ratio_log10": "log10 gradient ratio t=1 / t=128",
    "volunteer_rho_all": "Spearman's rho, all windows", "volunteer_rho_correct": "Spearman's rho, correct windows",
    "all_fixed_points": "fixed points", "all_stable_fixed_points": "stable fixed points",
    "tenfold_threshold_fixed_points": "fixed points at 10x the threshold",
    "slowest_decay_factor": "slowest decay factor per step",
    **{f"recall_{k}": f"recall {activity} %" for k, activity in enumerate(ACTIVITIES)},
    # appendix A5: whole recordings
    "whole_windowed_acc": "accuracy, windows inside one activity %",
    "whole_inside_confidence": "confidence inside one activity %",
    "whole_transition_confidence": "confidence during transitions %",
    "whole_transition_still_share": "transitions called a still posture %",
    "whole_delay_s": "median delay after a change, s", "stateful_delay_s": "median delay after a change, s",
    "stateful_acc": "accuracy at the same windows' ends %",
    "stateful_gap_first_half": "minus windowed, first half, points",
    "stateful_gap_second_half": "minus windowed, second half, points",
    "still_fixed_point_distance": "distance to a fixed point, still postures",
    "walking_fixed_point_distance": "distance to a fixed point, walking",
    "transition_fixed_point_distance": "distance to a fixed point, transitions",
    **{f"turned_{d}_acc": f"accuracy, phone turned {d}° %" for d in (30, 60, 90)},
}


def run_label(name: str) -> str:
    """How the tables name a run: notebook 02's model plainly, the others as notebook 04's ladder does."""
    if name == ANSWER:
        return f"{LADDER[name].label} (the answer rung)"
    return "vanilla RNN" if name == "rnn" else LADDER[name].label if name in LADDER else name


def seed_table(names, metrics, results: dict | None = None, config=None) -> pd.DataFrame:
    """One row per run and measure: the mean ± standard deviation over the seeds, then each seed.

    With `config` (the TrainConfig of the notebook's own run), a run that is not the committed
    seed 0 is said so in one printed line, and the seed columns are labelled as committed."""
    results = load_results() if results is None else results
    note = committed_note(config, results) if config is not None else None
    if note:
        print(note)
    prefix = "committed seed" if note else "seed"
    names = [names] if isinstance(names, str) else list(names)
    rows = []
    for name in names:
        per_seed = results["runs"][name]
        for metric in metrics:
            values = np.array([per_seed[s][metric] for s in sorted(per_seed)], dtype=float)
            rows.append({"run": run_label(name), "measure": MEASURES.get(metric, metric.replace("_", " ")),
                         f"mean ± sd, {len(values)} seeds": f"{values.mean():.2f} ± {values.std(ddof=1):.2f}",
                         **{f"{prefix} {s}": f"{per_seed[s][metric]:.2f}" for s in sorted(per_seed)}})
    return pd.DataFrame(rows).set_index(["run", "measure"])


def seed_values(name: str, metric: str, results: dict | None = None) -> np.ndarray:
    results = load_results() if results is None else results
    per_seed = results["runs"][name]
    return np.array([per_seed[s][metric] for s in sorted(per_seed)], dtype=float)
