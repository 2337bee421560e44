"""The seed harness: every comparison the notebooks state, trained over 3 seeds.

`train_seeds.py` runs the notebooks' own protocol (same arrays, validation
volunteers, selection on validation only, the test set once) for each rung of
`har_rnn.config.LADDER` and each short-run variant of the exercises, and
writes `har_rnn/tooling/seed_results.json` (`write_results`). The notebooks read
that file through `har_rnn.tooling.seeds` (means ± std next to their single
run); CI recomputes seeds 1 and 2 and compares them with the file
(`har_rnn.tooling.comparison.compare_seed_runs`: exactly where bit-identity
holds, else each number within its own run's seed spread), and the notebooks'
own run is seed 0. Tests: tests/test_seeds.py.
"""
from __future__ import annotations

import dataclasses
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from har_rnn import streaming
from har_rnn.config import ANSWER, LADDER, TrainConfig
from har_rnn.data import ACTIVITIES, fit_standardizer, hapt_source, load_har, standardize
from har_rnn.files import atomic_open
from har_rnn.confusions import pair_errors
from har_rnn.dynamics import class_mean_inputs, fixed_points_by_class
from har_rnn.gradients import input_gradient_norms
from har_rnn.hidden import hidden_trajectories
from har_rnn.occlusion import input_saliency, last_block_share, occlusion_map, peak
from har_rnn.tooling.comparison import ladder_settings
from har_rnn.tooling.numerics import apply_in_process, cpu_kind
from har_rnn.tooling.seeds import RESULTS_FILE, SEEDS
from har_rnn.ladder import train_rung
from har_rnn.training import evaluate, random_window_split, volunteer_split
from har_rnn.training import short_run
from har_rnn.volunteers import volunteer_effect

MODELS = tuple(LADDER)           # notebook 04's rungs and controls (config.LADDER)
# The exercises' short runs of the vanilla RNN: name -> changes to config.short().
SHORT_RUNS = {
    "short": {},
    "short no clipping": {"clip_norm": None},
    "short clip 0.25": {"clip_norm": 0.25},
    "short clip 4": {"clip_norm": 4.0},
    "short orthogonal init": {"recurrent_init": "orthogonal"},
    "short default init": {"recurrent_init": "default"},
    "short raw inputs": {},
    "short random split": {},
}
SITTING, STANDING = ACTIVITIES.index("SITTING"), ACTIVITIES.index("STANDING")
STATIC_POSTURES = tuple(ACTIVITIES.index(a) for a in ("SITTING", "STANDING", "LAYING"))   # the volunteer effect


def prepared_data(data_dir=None) -> dict:
    """Notebook 02's arrays: standardized with training statistics, split by volunteer; and the
    test volunteers' whole recordings (appendix A5) where the raw HAPT data is at hand."""
    har = load_har(data_dir, log=lambda *_: None)
    stats = fit_standardizer(har.X_train)
    hapt = hapt_source()
    whole = streaming.read_whole_recordings(hapt, np.unique(har.subjects_test)) if hapt is not None else None
    return {"whole": whole, "X_train": standardize(har.X_train, stats), "X_raw": har.X_train, "y_train": har.y_train,
            "stats": stats,
            "s_train": har.subjects_train, "X_test": standardize(har.X_test, stats),
            "y_test": har.y_test, "s_test": har.subjects_test,
            "data": {"source": har.source, "fingerprint": har.fingerprint}}


def full_run(name: str, config: TrainConfig, d: dict) -> dict:
    """Train one rung of `LADDER` as notebooks 02/04 do; the numbers the notebooks' claims rest on (percent)."""
    start = time.perf_counter()
    model, history = train_rung(name, config, d["X_train"], d["y_train"], d["s_train"], d["stats"], verbose=False)
    seconds = time.perf_counter() - start
    X, y, s = d["X_test"], d["y_test"], d["s_test"]
    test = evaluate(model, X, y)
    pred = test["predictions"]
    zero_fill = X.copy()
    zero_fill[:, :X.shape[1] // 2] = 0.0            # the first half hidden (appendix A4, section 1)
    result = {"val_acc": 100 * float(history.val_acc.max()), "best_epoch": history.attrs["best_epoch"],
              "test_acc": 100 * test["accuracy"], "test_macro_f1": 100 * test["macro_f1"],
              "sitting_standing_errors": pair_errors(y, pred, SITTING, STANDING),
              "first_half_zeroed_lost": 100 * (test["accuracy"] - evaluate(model, zero_fill, y)["accuracy"]),
              **{f"recall_{k}": 100 * float((pred[y == k] == k).mean()) for k in np.unique(y)},
              **{f"volunteer_{v}_acc": 100 * float((pred[s == v] == y[s == v]).mean()) for v in np.unique(s)},
              "train_seconds": seconds}
    if LADDER[name].kind in ("rnn", "gru", "lstm"):
        norms = input_gradient_norms(model, X, y, per_window=True)
        with np.errstate(divide="ignore"):
            result["grad_ratio_log10"] = float(np.median(np.log10(norms[:, 0]) - np.log10(norms[:, -1])))
    if name == "rnn":
        result.update(rnn_readings(model, d, pred))
    if name in ("rnn", ANSWER) and d["whole"] is not None:     # appendix A5
        fixed = fixed_point_array(model, d) if name == "rnn" else None
        result.update(streaming.readings(model, d["stats"], d["whole"], stateful_too=name == "rnn",
                                         fixed_points=fixed))
    return result


def _fixed_points(model, d: dict, hidden):
    """Notebook 03's and A1's search: the fixed points under each activity's mean input."""
    return fixed_points_by_class(model, class_mean_inputs(d["X_train"], d["y_train"]), hidden, d["y_test"])


def fixed_point_array(model, d: dict) -> np.ndarray:
    """Every activity's fixed points in one (k, H) array (A5's distances)."""
    found, _ = _fixed_points(model, d, hidden_trajectories(model, d["X_test"]))
    return np.concatenate([fp.points for fp in found]).astype(np.float64)


def rnn_readings(model, d: dict, pred) -> dict:
    """What notebooks 03 and 04 read off the vanilla RNN, with the notebooks' defaults:
    fixed points per activity, where occlusion hurts most, and the volunteer effect."""
    X, y = d["X_test"], d["y_test"]
    hidden = hidden_trajectories(model, X)
    found, fixed = _fixed_points(model, d, hidden)
    occlusion = occlusion_map(model, X, y, d["X_train"], d["y_train"])
    confused = np.isin(y, (SITTING, STANDING)) & np.isin(pred, (SITTING, STANDING)) & (pred != y)
    group, first, _, drop = peak(occlusion.mean(0))
    confused_group, confused_first, _, confused_drop = peak(occlusion[confused].mean(0), lowest=True)
    gradient = np.median(input_saliency(model, X, y), axis=0)        # the typical window
    table, rho = volunteer_effect(hidden[:, -1], y, pred, d["s_test"], STATIC_POSTURES)
    return {**{f"{name.lower()}_fixed_points": int(n) for name, n in zip(ACTIVITIES, fixed["fixed points"])},
            "all_fixed_points": int(fixed["fixed points"].sum()),
            "all_stable_fixed_points": int(fixed["stable"].sum()),
            "tenfold_threshold_fixed_points": sum(len(fp.at_threshold(10 * fp.q_threshold).points)
                                                  for fp in found),
            "slowest_decay_factor": float(fixed["slowest decay factor"].max()),
            "occlusion_peak_group": group, "occlusion_peak_step": first, "occlusion_peak_drop": drop,
            "confused_occlusion_peak_group": confused_group, "confused_occlusion_peak_step": confused_first,
            "confused_occlusion_peak_drop": confused_drop,
            "volunteer_rho_all": rho["distance, all windows"],
            "volunteer_rho_correct": rho["distance, correct windows"],
            "occlusion_last_block_share": last_block_share(occlusion.mean(0)),
            "gradient_last_block_share": last_block_share(gradient),
            "farthest_volunteers": [int(v) for v in table["distance, all windows"].nlargest(3).index],
            "farthest_correct_volunteers": [int(v) for v in table["distance, correct windows"].nlargest(3).index],
            "lowest_recall_volunteers": [int(v) for v in table["recall %"].nsmallest(3).index]}


def exercise_variant(name: str, config: TrainConfig, d: dict) -> dict:
    """One of notebook 02's exercise runs (`training.short_run`: 6 epochs at a constant learning rate)."""
    tr, val = volunteer_split(d["s_train"], config.validation_volunteers)
    X = d["X_raw"] if name == "short raw inputs" else d["X_train"]
    y = d["y_train"]
    if name == "short random split":       # exercise 1: two short runs scored on the same windows
        kept, held = random_window_split(len(y), config.seed)
        same = held[np.isin(d["s_train"][held], config.validation_volunteers)]
        seen, _ = short_run(X[kept], y[kept], X[held], y[held], config, verbose=False)
        unseen, _ = short_run(X[tr], y[tr], X[val], y[val], config, verbose=False)
        return {"random_windows_acc": 100 * evaluate(seen, X[same], y[same])["accuracy"],
                "new_volunteers_acc": 100 * evaluate(unseen, X[same], y[same])["accuracy"]}
    _, history = short_run(X[tr], y[tr], X[val], y[val], config, verbose=False, **SHORT_RUNS[name])
    return {"best_val_acc": 100 * float(history.val_acc.max()),
            "last_train_loss": float(history.train_loss.iloc[-1])}


_worker_data: dict = {}


def _start_worker(data_dir) -> None:
    apply_in_process()                       # oneDNN off and one thread, as in the parent
    _worker_data.update(prepared_data(data_dir))


def _run_one(name: str, config: TrainConfig) -> dict:
    start = time.perf_counter()
    result = full_run(name, config, _worker_data) if name in MODELS else exercise_variant(name, config, _worker_data)
    return {"result": result, "seconds": time.perf_counter() - start}


def run_all(names, seeds, config: TrainConfig, data_dir=None, workers: int = 2, log=print) -> dict:
    """{name: {seed: metrics}} for models (MODELS) and short runs (SHORT_RUNS).

    Runs go to `workers` processes, each single-threaded with the parent's
    environment (reference numerics), so each result is the same as a run
    on its own; the second core only makes the whole faster."""
    jobs = [(name, seed) for name in names for seed in seeds]
    runs = {}
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                             initargs=(data_dir,)) as pool:
        futures = [pool.submit(_run_one, name, dataclasses.replace(config, seed=seed)) for name, seed in jobs]
        for (name, seed), future in zip(jobs, futures):
            done = future.result()
            runs.setdefault(name, {})[str(seed)] = result = done["result"]
            log(f"{name:>22} seed {seed}: " + ", ".join(f"{k} {v:.2f}" for k, v in result.items()
                                                       if k in ("test_acc", "val_acc", "best_val_acc",
                                                                "new_volunteers_acc"))
                + f"  ({done['seconds']:.0f} s)")
    return runs


def write_results(runs: dict, config: TrainConfig, data: dict, path: Path = RESULTS_FILE) -> None:
    with atomic_open(path) as fh:
        fh.write((json.dumps({"config": config.to_dict(), "ladder": ladder_settings(), "data": data,
                              "cpu_kind": cpu_kind(), "seeds": list(SEEDS), "runs": runs},
                             indent=1, sort_keys=True) + "\n").encode())
