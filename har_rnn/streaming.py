"""Appendix A5: the RNN on whole recordings, windowed and stateful.

The notebooks classify 2.56 s windows cut from labelled segments. Here the test
volunteers' whole HAPT experiments are read instead, the postural transitions
(stand-to-sit and so on, which no window of the data set contains) and the
unlabelled stretches included, through the rebuild's own preprocessing
(`hapt.raw_to_channels`) and the training set's standardization:

- **windowed**: a window every 64 samples, as the models were trained; a window's
  prediction is known when it ends, so it speaks for the time after its end;
- **stateful**: the vanilla RNN run through the whole recording once, its state
  carried from the first sample to the last (no windows, no resets); the head reads
  every state.

`readings` gives the numbers A5 states and the seed harness repeats over 3 seeds.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import torch

from .data import ACTIVITIES, SAMPLE_RATE_HZ, WINDOW, HarDataError, hapt_source, standardize
from .data.hapt import STEP, raw_to_channels, read_raw_recording, read_segments
from .recording import window_probabilities
TRANSITIONS = ("STAND_TO_SIT", "SIT_TO_STAND", "SIT_TO_LIE", "LIE_TO_SIT", "STAND_TO_LIE", "LIE_TO_STAND")
HOLD = STEP          # a prediction "follows" a change once it holds the new activity this many samples (1.28 s)
TURNS = (0, 30, 60, 90)   # degrees the phone is turned about its screen's axis (z)
STILL = tuple(ACTIVITIES.index(a) for a in ("SITTING", "STANDING", "LAYING"))


@dataclasses.dataclass
class WholeRecording:
    """One HAPT experiment: raw acc (n, 3) in g, gyro (n, 3) in rad/s, 50 Hz, and a label per
    sample: 0 unlabelled, 1-6 the activities (ACTIVITIES[label - 1]), 7-12 the transitions."""
    experiment: int
    user: int
    acc: np.ndarray
    gyro: np.ndarray
    labels: np.ndarray

    def channels(self, turn_degrees: float = 0.0) -> np.ndarray:
        """The nine channels (n, 9), the phone turned `turn_degrees` about its z axis first."""
        R = turn_about_z(turn_degrees)
        return raw_to_channels(self.acc @ R.T, self.gyro @ R.T)


def turn_about_z(degrees: float) -> np.ndarray:
    """The 3 x 3 rotation by `degrees` about z: in the screen's plane, gravity (+x as HAPT's phone sat)
    turns towards +y."""
    a = np.deg2rad(degrees)
    return np.array([[np.cos(a), -np.sin(a), 0.0], [np.sin(a), np.cos(a), 0.0], [0.0, 0.0, 1.0]])


def read_whole_recordings(src, users) -> list[WholeRecording]:
    """Every HAPT experiment of `users` (e.g. the test volunteers), with per-sample labels."""
    segments = read_segments(src)
    recordings = []
    for (experiment, user), rows in segments[segments.user.isin(list(users))].groupby(["experiment", "user"]):
        acc, gyro = read_raw_recording(src, int(experiment), int(user))
        labels = np.zeros(len(acc), dtype=np.int64)
        for row in rows.itertuples():
            labels[row.start - 1:row.end] = row.activity        # 1-based, inclusive
        recordings.append(WholeRecording(int(experiment), int(user), acc, gyro, labels))
    return recordings


def test_recordings(users, data_home=None) -> list[WholeRecording]:
    """`read_whole_recordings` from this machine's raw HAPT data; one clear error where there is none."""
    src = hapt_source(data_home)
    if src is None:
        raise HarDataError("Appendix A5 reads the raw HAPT recordings, and there are none here: "
                           "`python -m har_rnn.data fetch --hapt` downloads them (or set HAR_HAPT_DIR "
                           "to an unzipped copy).")
    return read_whole_recordings(src, users)


def windows_as_recordings(X_raw: np.ndarray, y: np.ndarray, subjects: np.ndarray) -> list[WholeRecording]:
    """Stand-in recordings for the quick runs, which have windows but no raw HAPT data: per subject,
    each window's first half after the other (total_acc as acc, body_gyro as gyro), no transitions."""
    out = []
    for user in np.unique(subjects):
        halves = X_raw[subjects == user][:, :STEP]
        acc, gyro = (np.concatenate(halves[:, :, c]).astype(np.float64) for c in (slice(6, 9), slice(3, 6)))
        out.append(WholeRecording(0, int(user), acc, gyro, np.repeat(y[subjects == user] + 1, STEP)))
    return out


def label_name(label: int) -> str:
    return "unlabelled" if label == 0 else ACTIVITIES[label - 1] if label <= 6 else TRANSITIONS[label - 7]


# --- the two ways to run a model through a recording ---------------------------------------------

@torch.no_grad()
def stateful(model: torch.nn.Module, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The vanilla RNN through all of standardized x (n, 9) in one call, from h_0 = 0:
    every hidden state (n, H) and the head's probabilities (n, 6) at every sample."""
    h, _ = model.rnn(torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))[None])
    return h[0].numpy(), torch.softmax(model.head(h[0]), dim=1).numpy()


@torch.no_grad()
def stateful_step_by_step(model: torch.nn.Module, x: np.ndarray) -> np.ndarray:
    """The same states as `stateful`, one sample at a time, as a phone would stream them."""
    h, states = None, []
    for x_t in torch.from_numpy(np.ascontiguousarray(x))[None].to(next(model.parameters()).dtype).unbind(1):
        out, h = model.rnn(x_t[:, None], h)
        states.append(out[0, 0])
    return torch.stack(states).numpy()


def causal(starts: np.ndarray, window_values: np.ndarray, n: int) -> np.ndarray:
    """Per sample, the value of the last window that has ended by then (-1 before the first ends)."""
    at = np.searchsorted(starts + WINDOW - 1, np.arange(n), side="right") - 1
    return np.where(at >= 0, window_values[np.maximum(at, 0)], -1)


# --- what to compare with -----------------------------------------------------------------------

def runs_of(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) of every run of True in `mask`, end exclusive."""
    edges = np.diff(np.r_[0, mask.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def window_truth(labels: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per window: its activity (0-5) if all 128 samples are labelled with one activity, else -1;
    and whether any of its samples lies in a transition."""
    inside = labels[starts[:, None] + np.arange(WINDOW)]
    one = (inside == inside[:, :1]).all(1) & (inside[:, 0] >= 1) & (inside[:, 0] <= 6)
    return np.where(one, inside[:, 0] - 1, -1), (inside >= 7).any(1)


def changes(labels: np.ndarray) -> pd.DataFrame:
    """Every change of activity: consecutive labelled activity segments of different activities.
    `start` is the first sample of the new one; `transition`: a labelled transition lies between."""
    bounds = np.flatnonzero(np.diff(labels)) + 1
    runs = [(labels[a], a, b) for a, b in zip(np.r_[0, bounds], np.r_[bounds, len(labels)])]
    rows, previous, between = [], None, False
    for label, a, b in runs:
        if 1 <= label <= 6:
            if previous is not None and previous[0] != label:
                rows.append({"from": ACTIVITIES[previous[0] - 1], "to": ACTIVITIES[label - 1], "start": a,
                             "end": b, "transition": between})
            previous, between = (label, a, b), False
        elif label >= 7:
            between = True
    return pd.DataFrame(rows, columns=["from", "to", "start", "end", "transition"])


def follow_delay(predicted: np.ndarray, activity: int, start: int, end: int) -> float:
    """Seconds from `start` until the per-sample prediction turns to `activity` (0-5) and holds it
    for HOLD samples, within the new segment; NaN if it never does."""
    hit = (predicted[start:end] == activity).astype(np.int64)
    held = np.convolve(hit, np.ones(HOLD, dtype=np.int64), mode="valid") == HOLD
    first = np.flatnonzero(held)
    return first[0] / SAMPLE_RATE_HZ if len(first) else float("nan")


# --- the readings ---------------------------------------------------------------------------------

def run_recordings(model, stats, recordings, *, stateful_too: bool, turn_degrees: float = 0.0) -> list[dict]:
    """Each recording's windowed (and stateful) outputs, with the truth to compare them with."""
    runs = []
    for rec in recordings:
        channels = rec.channels(turn_degrees)
        starts, probs = window_probabilities(channels, model, stats)     # as `recording classify` does
        truth, in_transition = window_truth(rec.labels, starts)
        run = {"recording": rec, "starts": starts, "probs": probs, "truth": truth, "in_transition": in_transition,
               "per_sample": causal(starts, probs.argmax(1), len(channels))}
        if stateful_too:
            run["hidden"], run["state_probs"] = stateful(model, standardize(channels, stats))
        runs.append(run)
    return runs


def delays(runs: list[dict], key: str = "per_sample") -> pd.DataFrame:
    """`changes` of every recording, with how long each model's prediction takes to follow."""
    tables = []
    for run in runs:
        table = changes(run["recording"].labels)
        predicted = run[key] if key == "per_sample" else run["state_probs"].argmax(1)
        table["delay s"] = [follow_delay(predicted, ACTIVITIES.index(row.to), row.start, row.end)
                            for row in table.itertuples()]
        tables.append(table.assign(experiment=run["recording"].experiment, user=run["recording"].user))
    return pd.concat(tables, ignore_index=True)


def readings(model, stats, recordings, *, stateful_too: bool = False, fixed_points: np.ndarray | None = None,
             turns=TURNS) -> dict:
    """The numbers A5 states (percent, seconds, distances), pooled over `recordings`."""
    runs = run_recordings(model, stats, recordings, stateful_too=stateful_too)
    truth = np.concatenate([r["truth"] for r in runs])
    probs = np.concatenate([r["probs"] for r in runs])
    inside, transition = truth >= 0, np.concatenate([r["in_transition"] for r in runs])
    out = {"whole_windowed_acc": 100 * float((probs.argmax(1)[inside] == truth[inside]).mean()),
           "whole_inside_confidence": 100 * float(probs.max(1)[inside].mean()),
           "whole_transition_confidence": 100 * float(probs.max(1)[transition].mean()),
           "whole_transition_still_share": 100 * float(np.isin(probs.argmax(1)[transition], STILL).mean()),
           "whole_delay_s": float(delays(runs)["delay s"].median())}
    for degrees in turns[1:]:
        turned = run_recordings(model, stats, recordings, stateful_too=False, turn_degrees=degrees)
        t_truth = np.concatenate([r["truth"] for r in turned])
        t_pred = np.concatenate([r["probs"] for r in turned]).argmax(1)
        out[f"turned_{degrees}_acc"] = 100 * float((t_pred[t_truth >= 0] == t_truth[t_truth >= 0]).mean())
    if stateful_too:
        ends = [r["starts"][r["truth"] >= 0] + WINDOW - 1 for r in runs]
        state_pred = np.concatenate([r["state_probs"].argmax(1)[e] for r, e in zip(runs, ends)])
        out["stateful_acc"] = 100 * float((state_pred == truth[inside]).mean())
        # Drift: stateful minus windowed on the same windows, in each recording's first and second half.
        late = np.concatenate([e >= len(r["recording"].labels) / 2 for r, e in zip(runs, ends)])
        hits = state_pred == truth[inside], probs.argmax(1)[inside] == truth[inside]
        for half, where in (("first", ~late), ("second", late)):
            out[f"stateful_gap_{half}_half"] = 100 * float(hits[0][where].mean() - hits[1][where].mean())
        out["stateful_delay_s"] = float(delays(runs, key="state")["delay s"].median())
        if fixed_points is not None:
            distance = distance_table(runs, fixed_points)
            out["still_fixed_point_distance"] = float(distance.loc["still postures", "median distance"])
            out["walking_fixed_point_distance"] = float(distance.loc["walking", "median distance"])
            out["transition_fixed_point_distance"] = float(distance.loc["transitions", "median distance"])
    return out


def nearest_distance(hidden: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Each state's (n, H) Euclidean distance to the nearest of `points` (k, H)."""
    squared = (hidden ** 2).sum(1)[:, None] - 2 * hidden @ points.T + (points ** 2).sum(1)[None]
    return np.sqrt(np.maximum(squared.min(1), 0.0))


def distance_table(runs: list[dict], fixed_points: np.ndarray) -> pd.DataFrame:
    """The stateful RNN's distance to the nearest fixed point, by what the samples are."""
    labels = np.concatenate([r["recording"].labels for r in runs])
    distance = np.concatenate([nearest_distance(r["hidden"].astype(np.float64), fixed_points) for r in runs])
    groups = {"walking": (labels >= 1) & (labels <= 3), "still postures": (labels >= 4) & (labels <= 6),
              "transitions": labels >= 7, "unlabelled": labels == 0}
    return pd.DataFrame({"samples": [int(m.sum()) for m in groups.values()],
                         "median distance": [float(np.median(distance[m])) for m in groups.values()]},
                        index=pd.Index(list(groups), name="samples in"))
