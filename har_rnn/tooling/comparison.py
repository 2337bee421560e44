"""Are freshly recomputed numbers the committed ones? One comparator for the notebooks'
headline blocks (`compare_headlines`) and the seed results (`compare_seed_runs`).

Where bit-identity holds (`numerics.bit_identity_possible()`) every number must match
exactly. Elsewhere a number that depends on floating-point kernels is compared within
K = 2.5 x the seed std of its own run and metric (`tolerance`), and what has no such spread
(strings, lists, numbers the seed results do not hold) is reported as not checked.
Keys that depend only on the data and the code (`depends_on_numerics`) are exact
everywhere; timings (`*_seconds`) are never compared.
"""
from __future__ import annotations

import dataclasses

import numpy as np

from ..config import ANSWER, LADDER, TrainConfig, as_json
from ..data.uci_format import ACTIVITIES

PERCENT = ("_acc", "_accuracy", "_f1")      # accuracies and F1, in percentage points
# A machine of another kind runs like another seed: from the first rounding difference on,
# training takes another path. So a fresh number and the committed one differ by about
# sqrt(2) x the seed std, and K x std is about 1.8 of those: a difference the machine alone
# makes passes about 12 times in 13. Wider would let real regressions through: at 3 x std the
# vanilla RNN could lose 2.4 points unnoticed.
K = 2.5
# Three seeds give a noisy std that can be far below the true spread (two seeds that
# happen to agree give 0), and the smallest step of a test accuracy is 1/2996 ~ 0.03
# points. So no accuracy is held tighter than 1 point.
ACCURACY_FLOOR = 1.0
# Likewise A5's median delays after a change (seconds): the answer rung's three seeds agree
# within 0.02 s (one sample), which says little about a fourth run. None is held tighter
# than 0.25 s, about the vanilla RNN's spread over its seeds (0.21 s).
DELAY_FLOOR_S = 0.25

# headline key in a notebook -> (seed-results run, metric): the notebooks' own run is seed 0
HEADLINE_RUNS = {
    "rnn_test_accuracy": ("rnn", "test_acc"), "rnn_val_accuracy": ("rnn", "val_acc"),
    "rnn_test_macro_f1": ("rnn", "test_macro_f1"), "rnn_best_epoch": ("rnn", "best_epoch"),
    "head_t128_test_accuracy": ("rnn", "test_acc"),      # notebook 03: the head on h_128 is the model
    "short_random_split_random_windows_acc": ("short random split", "random_windows_acc"),
    "short_random_split_new_volunteers_acc": ("short random split", "new_volunteers_acc"),
    "short_raw_inputs_best_val_acc": ("short raw inputs", "best_val_acc"),
    **{f"{m}_test_accuracy": (m, "test_acc") for m in ("gru", "lstm", "cnn")},
    **{f"{m}_test_macro_f1": (m, "test_macro_f1") for m in ("gru", "lstm", "cnn")},
    **{f"{m}_sitting_standing_errors": (m, "sitting_standing_errors") for m in ("rnn", "gru", "lstm", "cnn")},
    **{f"{m}_median_grad_ratio_t1_t128_log10": (m, "grad_ratio_log10") for m in ("rnn", "gru", "lstm")},
    # notebook 04's answer rung, trained live
    "answer_test_accuracy": (ANSWER, "test_acc"), "answer_test_macro_f1": (ANSWER, "test_macro_f1"),
    "answer_sitting_standing_errors": (ANSWER, "sitting_standing_errors"),
    # the appendix's readings of the vanilla RNN: fixed points (A1), volunteers (A2), occlusion (A4)
    **{f"{a.lower()}_fixed_points": ("rnn", f"{a.lower()}_fixed_points") for a in ACTIVITIES},
    **{key: ("rnn", key) for key in (
        "all_fixed_points", "slowest_decay_factor", "occlusion_peak_group", "occlusion_peak_step",
        "confused_occlusion_peak_group", "confused_occlusion_peak_step", "occlusion_last_block_share",
        "gradient_last_block_share", "volunteer_rho_all", "volunteer_rho_correct")},
    # appendix A5: both models on the test volunteers' whole recordings
    "whole_rnn_windowed_acc": ("rnn", "whole_windowed_acc"), "whole_answer_windowed_acc": (ANSWER, "whole_windowed_acc"),
    "whole_rnn_stateful_acc": ("rnn", "stateful_acc"), "whole_rnn_delay_s": ("rnn", "whole_delay_s"),
    "whole_answer_delay_s": (ANSWER, "whole_delay_s"), "whole_rnn_stateful_delay_s": ("rnn", "stateful_delay_s"),
    "whole_still_fixed_point_distance": ("rnn", "still_fixed_point_distance"),
    "whole_walking_fixed_point_distance": ("rnn", "walking_fixed_point_distance"),
    "whole_rnn_turned_90_acc": ("rnn", "turned_90_acc"), "whole_answer_turned_30_acc": (ANSWER, "turned_30_acc"),
    "whole_answer_turned_90_acc": (ANSWER, "turned_90_acc")}

# Counts of the data and settings of the code: the same on every machine.
DATA_KEYS = {"data_source", "answer_rung", "hidden_size", *(f"train_{a.lower()}" for a in ACTIVITIES)}
DATA_PREFIXES, DATA_SUFFIXES = ("windows_", "subjects_"), ("_parameters",)


@dataclasses.dataclass
class Comparison:
    moved: list[str] = dataclasses.field(default_factory=list)       # what differs: a failure
    unchecked: list[str] = dataclasses.field(default_factory=list)   # what could not be decided, and why


def depends_on_numerics(key: str) -> bool:
    """False for keys that depend only on the data and the code (exact on every machine)."""
    return not (key in DATA_KEYS or key.startswith(DATA_PREFIXES) or key.endswith(DATA_SUFFIXES))


def seed_spread(results: dict, run: str, metric: str) -> float | None:
    """The std (ddof=1) of `metric` over the seeds of `run`; None unless every seed has a number."""
    values = [per_seed.get(metric) for per_seed in results.get("runs", {}).get(run, {}).values()]
    if len(values) < 2 or not all(_number(v) for v in values):
        return None
    return float(np.std(values, ddof=1))


def tolerance(key: str, std: float) -> float:
    """How far a fresh number may be from the committed one where bit-identity cannot hold."""
    if key.endswith(PERCENT):
        return max(K * std, ACCURACY_FLOOR)
    return max(K * std, DELAY_FLOOR_S) if key.endswith("_delay_s") else K * std


def _number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check(out: Comparison, name: str, key: str, old, new, exact: bool, std: float | None) -> None:
    """Compare one value; `name` is what is printed, `key` decides the rule and the tolerance."""
    if exact or not depends_on_numerics(key):
        if old != new:
            out.moved.append(f"{name} changed from {old!r} to {new!r}")
    elif _number(old) and _number(new) and std is not None:
        allowed = tolerance(key, std)
        if abs(new - old) > allowed:
            unit = " points" if key.endswith(PERCENT) else ""
            out.moved.append(f"{name} moved from {old} to {new} (tolerance {allowed:.2f}{unit})")
    else:
        why = "no seed spread to compare it within" if _number(old) else f"a {type(old).__name__} has no tolerance"
        out.unchecked.append(f"{name}: {why} (committed {old!r}, fresh {new!r})")


def _only_in(out: Comparison, name: str, key: str, committed: dict, fresh: dict) -> bool:
    if (key in committed) != (key in fresh):
        out.moved.append(f"{name} is only in the {'fresh' if key in fresh else 'committed'} run")
        return True
    return False


def compare_headlines(committed: dict | None, fresh: dict | None, exact: bool, results: dict) -> Comparison:
    """Two headline blocks of one notebook; `results`: the seed results, for each key's spread."""
    out = Comparison()
    if committed is None or fresh is None:
        out.moved.append("no headline block in the " + ("committed" if committed is None else "fresh") + " notebook")
        return out
    for key in sorted(set(committed) | set(fresh)):
        if key.endswith("_seconds") or _only_in(out, key, key, committed, fresh):
            continue
        std = seed_spread(results, *HEADLINE_RUNS[key]) if key in HEADLINE_RUNS else None
        _check(out, key, key, committed[key], fresh[key], exact, std)
    return out


def ladder_settings() -> dict:
    """`LADDER` as the seed results file stores it."""
    return as_json({name: dataclasses.asdict(rung) for name, rung in LADDER.items()})


def compare_seed_runs(committed_results: dict, runs: dict, exact: bool, *,
                      config: TrainConfig | None = None, data: dict | None = None) -> Comparison:
    """Recomputed `runs` ({run: {seed: {metric: value}}}) against the committed seed results.

    `config` (default `TrainConfig()`) and `data` ({"fingerprint": ...} of the data the runs
    used) must be those the committed results were made with. Where `exact` is False each
    (run, seed, metric) is compared within the spread of that run and metric over the committed seeds."""
    out = Comparison()
    config = TrainConfig() if config is None else config
    if committed_results.get("config") != config.to_dict():
        out.moved.append("the committed results were made with another TrainConfig")
    for name in runs:
        if name in LADDER and committed_results.get("ladder", {}).get(name) != ladder_settings()[name]:
            out.moved.append(f"the committed results for {name} were made with other ladder settings")
    if data is None:
        out.unchecked.append("the data fingerprint: not given")
    elif committed_results.get("data", {}).get("fingerprint") != data["fingerprint"]:
        out.moved.append("the committed results were made from other data")
    for name, per_seed in runs.items():
        for seed, fresh in per_seed.items():
            old = committed_results["runs"].get(name, {}).get(seed)
            if old is None:
                out.moved.append(f"{name} seed {seed} is not in the committed file")
                continue
            for metric in sorted(set(old) | set(fresh)):
                label = f"{name} seed {seed}: {metric}"
                if metric.endswith("_seconds") or _only_in(out, label, metric, old, fresh):
                    continue
                _check(out, label, metric, old[metric], fresh[metric], exact,
                       seed_spread(committed_results, name, metric))
    return out
