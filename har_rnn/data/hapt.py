"""Rebuild the UCI HAR folder from the raw HAPT v2.1 recordings.

HAPT ships the same volunteers' raw 50 Hz signals, unwindowed. The UCI HAR
README and features_info.txt say how its windows were made (the median filter's
length and the gravity filter's order are this rebuild's choices); the step functions do that,
one small step each, so notebook 01 can plot them for one recording:

    read_raw_recording -> denoise -> separate_gravity -> window_starts

`raw_to_channels` chains the two filters into the nine channels: the one path
from raw signals to channels, for the rebuild and for a phone's own recording
(`har_rnn.recording`). `build_from_hapt` runs them over every recording and
writes the official folder layout (names and number format from `uci_format`).
Reading RawData (folder or zip) is `_hapt_raw`'s job; `read_segments` and
`read_raw_recording` are importable from here too.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from scipy import signal as sps

from . import uci_format as uf
from ._hapt_raw import REEXTRACT_HINT, RawSource, read_raw_recording, read_segments
from .errors import HarDataError
from ..files import atomic_dir, display_path

BUILDER_VERSION = "1"
SOURCE_DESCRIPTION = "rebuilt from UCI HAPT v2.1 raw recordings"

# What this code rebuilds from HAPT v2.1, on every machine: the data every committed
# number comes from. `fingerprint`: SHA-256 over the 22 files (HarData.fingerprint);
# `windows_sha256`: over the float64 windows before they are written (`windows_digest`),
# which also catches a change too small to show in the files' 8 digits.
# tests/test_hapt.py rebuilds and checks both; `python -m har_rnn.tooling.numerics trace`
# names the stage that moved.
CANONICAL = {"fingerprint": "c9388f4883fb9ca399351d89db9a44c7aa1a62af1739ce28497be5d712ee93da",
             "windows_sha256": "30367662940246b2a4bfe0de4755d1742c1848dcb0d218a83867762e104a4357"}

MEDIAN_KERNEL = 3
BUTTERWORTH_ORDER = 3
NOISE_CUTOFF_HZ = 20.0
GRAVITY_CUTOFF_HZ = 0.3
STEP = uf.WINDOW // 2              # 50% overlap
N_ACTIVITIES = len(uf.ACTIVITIES)  # ids 1-6; 7-12 are postural transitions


# sps.butter(BUTTERWORTH_ORDER, cutoff, fs=50, output="sos"), written out. SciPy designs
# the filter with NumPy's tan, whose last bit differs between CPUs with and without
# AVX-512, and that bit reached the rebuilt files (tests/test_hapt.py checks these
# against SciPy). These are the values an AVX-512 CPU computes.
LOWPASS_SOS = {
    NOISE_CUTOFF_HZ: ((0.5276243825019432, 0.5276243825019432, 0.0, 1.0, 0.5095254494944288, 0.0),
                      (1.0, 2.0, 1.0, 1.0, 1.2505164308487398, 0.5457233155094575)),
    GRAVITY_CUTOFF_HZ: ((6.4518491290909294e-06, 1.2903698258181859e-05, 6.4518491290909294e-06,
                         1.0, -0.9629940509502153, 0.0),
                        (1.0, 1.0, 0.0, 1.0, -1.9616121845004821, 0.9630069546484734)),
}


def _lowpass(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Zero-phase Butterworth low-pass along time (axis 0)."""
    return sps.sosfiltfilt(np.array(LOWPASS_SOS[cutoff_hz]), x, axis=0)


def denoise(signal: np.ndarray) -> np.ndarray:
    """Median filter (kernel 3) then a 20 Hz low-pass, per channel of a (n, c) signal."""
    # Kernel (3, 1): the median runs along time only, never across channels.
    return _lowpass(sps.medfilt(signal, kernel_size=(MEDIAN_KERNEL, 1)), NOISE_CUTOFF_HZ)


def separate_gravity(total_acc: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split total acceleration into (body, gravity); gravity is what lies below 0.3 Hz."""
    gravity = _lowpass(total_acc, GRAVITY_CUTOFF_HZ)
    return total_acc - gravity, gravity


def window_starts(n_samples: int) -> np.ndarray:
    """Starts of the 128-sample, 50%-overlap windows that fit entirely in n samples."""
    return np.arange(0, n_samples - uf.WINDOW + 1, STEP, dtype=np.int64)


def raw_to_channels(acc: np.ndarray, gyro: np.ndarray) -> np.ndarray:
    """Raw 50 Hz acc (n, 3) in g and gyro (n, 3) in rad/s -> (n, 9) channels in CHANNELS order.

    total_acc = denoise(acc), body_gyro = denoise(gyro), body_acc = total_acc minus its
    part below 0.3 Hz (gravity).
    """
    total_acc, body_gyro = denoise(acc), denoise(gyro)
    body_acc, _ = separate_gravity(total_acc)
    return np.concatenate([body_acc, body_gyro, total_acc], axis=1)


def _recording_windows(acc: np.ndarray, gyro: np.ndarray, segments: pd.DataFrame
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Windows (w, 128, 9) in CHANNELS order and their labels, cut inside each segment.

    The whole recording is filtered first, so filters see real signal, not a
    segment edge; windows never cross a segment boundary.
    """
    channels = raw_to_channels(acc, gyro)
    starts = [seg.start - 1 + window_starts(seg.end - seg.start + 1)
              for seg in segments.itertuples()]
    labels = [np.full(len(s), seg.activity) for s, seg in zip(starts, segments.itertuples())]
    starts = np.concatenate(starts)
    return channels[starts[:, None] + np.arange(uf.WINDOW)], np.concatenate(labels)


def _check_lengths(recording: pd.DataFrame, n_samples: int, where: str, labels_where: str) -> None:
    past = recording[recording.end > n_samples]
    if len(past):
        line, seg = past.index[0], past.iloc[0]
        raise HarDataError(f"{labels_where} line {line}: segment {seg.start}-{seg.end} runs past "
                           f"the end of {where} ({n_samples} samples): labels and recordings do "
                           f"not belong together. {REEXTRACT_HINT}")


def _counts(y: np.ndarray, subjects: np.ndarray) -> dict:
    return {"windows": int(len(y)),
            "per_class": {name: int((y == k).sum()) for k, name in enumerate(uf.ACTIVITIES, 1)},
            "subjects": sorted(int(s) for s in np.unique(subjects))}


def windows_digest(splits: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]) -> str:
    """SHA-256 over every split's float64 windows, labels and subjects, in write order."""
    digest = hashlib.sha256()
    for split in uf.SPLITS:
        for array in splits[split]:
            digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _digest(*parts: np.ndarray | bytes) -> str:
    digest = hashlib.sha256()
    for part in parts:
        if isinstance(part, np.ndarray):
            digest.update(f"{part.dtype}{part.shape}".encode() + np.ascontiguousarray(part).tobytes())
        else:
            digest.update(part)
    return digest.hexdigest()


def stage_digests(src: str | os.PathLike, recording: tuple[int, int] = (1, 1)) -> list[tuple[str, str]]:
    """SHA-256 of each step of the rebuild for one recording (experiment, user), in order, then of
    all rebuilt windows: where two machines' rebuilds part (`python -m har_rnn.tooling.numerics trace`)."""
    with RawSource(src) as raw:
        acc, gyro = read_raw_recording(raw, *recording)
        segments = read_segments(raw)
        splits = _collect_windows(raw)
    median = [sps.medfilt(x, kernel_size=(MEDIAN_KERNEL, 1)) for x in (acc, gyro)]
    denoised = denoise(acc), denoise(gyro)
    body, gravity = separate_gravity(denoised[0])
    mine = segments[(segments.experiment == recording[0]) & (segments.user == recording[1])]
    windows, _ = _recording_windows(acc, gyro, mine[mine.activity <= N_ACTIVITIES])
    text = b"".join(uf.format_official(windows[:, :, i]) for i in range(windows.shape[2]))
    where = f"exp{recording[0]:02d} user{recording[1]:02d}"
    return [("low-pass filter coefficients", _digest(*(np.array(sos) for sos in LOWPASS_SOS.values()))),
            (f"raw recording ({where})", _digest(acc, gyro)),
            (f"median filter ({where})", _digest(*median)),
            (f"noise low-pass ({where})", _digest(*denoised)),
            (f"gravity split ({where})", _digest(body, gravity)),
            (f"windows ({where})", _digest(windows)),
            (f"formatted text ({where})", _digest(text)),
            ("all rebuilt windows, float64", windows_digest(splits))]


def canonical_problems(provenance: dict, fingerprint: str) -> list[str]:
    """How a rebuild differs from the canonical one (empty: the book's data, byte for byte)."""
    problems = []
    if provenance.get("windows_sha256") != CANONICAL["windows_sha256"]:
        problems.append(f"the rebuilt windows differ before formatting (SHA-256 {provenance.get('windows_sha256', '?')[:16]}, "
                        f"canonical {CANONICAL['windows_sha256'][:16]})")
    if fingerprint != CANONICAL["fingerprint"]:
        problems.append(f"the rebuilt files differ (fingerprint {fingerprint[:16]}, canonical {CANONICAL['fingerprint'][:16]})")
    return problems


def _provenance(src: str | os.PathLike, labels: bytes, counts: dict, windows_sha256: str) -> dict:
    lowpass = {"filter": "butterworth", "order": BUTTERWORTH_ORDER, "zero_phase": True}
    return {
        "source": SOURCE_DESCRIPTION,
        "source_path": display_path(src),
        "labels_sha256": hashlib.sha256(labels).hexdigest(),
        "preprocessing": {
            "sample_rate_hz": uf.SAMPLE_RATE_HZ,
            "median_filter_kernel": MEDIAN_KERNEL,
            "noise_lowpass": {**lowpass, "cutoff_hz": NOISE_CUTOFF_HZ},
            "gravity_lowpass": {**lowpass, "cutoff_hz": GRAVITY_CUTOFF_HZ},
            "filtered": "whole recordings, then windows cut inside labelled segments",
            "total_acc": "denoised accelerometer (g)",
            "body_acc": "total_acc minus gravity (g)",
            "body_gyro": "denoised gyroscope (rad/s)",
        },
        "window": uf.WINDOW,
        "step": STEP,
        "overlap": 1 - STEP / uf.WINDOW,
        "split": {"test_subjects": list(uf.TEST_SUBJECTS), "train_subjects": list(uf.TRAIN_SUBJECTS)},
        "counts": counts,
        "windows_sha256": windows_sha256,
        "builder_version": BUILDER_VERSION,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }


def _write_split(root: Path, split: str, X: np.ndarray, y: np.ndarray, subjects: np.ndarray) -> None:
    (root / split / "Inertial Signals").mkdir(parents=True)
    for i, channel in enumerate(uf.CHANNELS):
        uf.signal_path(root, split, channel).write_bytes(uf.format_official(X[:, :, i]))
    uf.labels_path(root, split).write_bytes(uf.format_integers(y))
    uf.subjects_path(root, split).write_bytes(uf.format_integers(subjects))


def _looks_replaceable(path: Path) -> bool:
    """Only an empty folder or a UCI HAR folder may be replaced: never a user's other data."""
    return path.is_dir() and (not any(path.iterdir()) or (path / "activity_labels.txt").is_file()
                              or (path / "provenance.json").is_file())


def _collect_windows(raw: RawSource) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """(X, y, subjects) per split, windows ordered by experiment, segment order, then time."""
    segments = read_segments(raw)
    parts: dict[str, list] = {split: [] for split in uf.SPLITS}
    # groupby keeps labels.txt order within each recording.
    for (experiment, user), rec in segments.groupby(["experiment", "user"], sort=True):
        acc, gyro = read_raw_recording(raw, experiment, user)
        _check_lengths(rec, len(acc), raw.where(f"acc_exp{experiment:02d}_user{user:02d}.txt"),
                       raw.where("labels.txt"))
        rec = rec[rec.activity <= N_ACTIVITIES]
        if (rec.end - rec.start + 1 >= uf.WINDOW).any():
            windows, activity = _recording_windows(acc, gyro, rec)
            split = "test" if user in uf.TEST_SUBJECTS else "train"
            parts[split].append((windows, activity, np.full(len(activity), user)))
    for split, found in parts.items():
        if not found:
            raise HarDataError(f"{raw.where('labels.txt')} gives no {split} windows (no segment of "
                               f"activities 1-{N_ACTIVITIES}, >= {uf.WINDOW} samples, for the {split} "
                               f"subjects). {REEXTRACT_HINT}")
    return {split: tuple(np.concatenate(column) for column in zip(*found))
            for split, found in parts.items()}


def build_from_hapt(src: str | os.PathLike, out: str | os.PathLike, *,
                    log: Callable[[str], None] = print) -> dict:
    """Rebuild the UCI HAR folder at `out` from HAPT's raw recordings; return its provenance.

    Builds into a hidden sibling folder and swaps it into place at the end
    (`files.atomic_dir`), so an interrupted or failed build leaves `out` as it was.
    """
    t0 = time.perf_counter()
    out = Path(out)
    if out.exists() and not _looks_replaceable(out):
        raise HarDataError(f"{display_path(out)} exists and is not a UCI HAR folder: refusing to replace it. "
                           "Choose another output folder or remove it yourself.")
    with RawSource(src) as raw:
        log(f"Reading HAPT recordings from {raw.where('')}")
        labels = raw.read("labels.txt")
        splits = _collect_windows(raw)

    with atomic_dir(out) as new:
        for split, (X, y, subjects) in splits.items():
            _write_split(new, split, X, y, subjects)
        (new / "activity_labels.txt").write_text(
            "".join(f"{k} {name}\n" for k, name in enumerate(uf.ACTIVITIES, 1)))
        counts = {split: _counts(y, subjects) for split, (_, y, subjects) in splits.items()}
        provenance = _provenance(src, labels, counts, windows_digest(splits))
        (new / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
    log(f"Wrote {counts['train']['windows']} train / {counts['test']['windows']} test windows "
        f"to {display_path(out)} in {time.perf_counter() - t0:.1f} s")
    return provenance
