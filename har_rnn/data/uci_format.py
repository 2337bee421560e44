"""The UCI HAR folder layout and its number format, in one place.

Everything that reads or writes a UCI HAR folder (the loader, the validator,
the HAPT rebuilder, the synthetic test datasets) takes its names from here.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

WINDOW = 128                 # samples per window (2.56 s at 50 Hz)
SAMPLE_RATE_HZ = 50
SPLITS = ("train", "test")

# Channel order of the arrays the loader returns: X[..., i] is CHANNELS[i].
CHANNELS = (
    "body_acc_x", "body_acc_y", "body_acc_z",
    "body_gyro_x", "body_gyro_y", "body_gyro_z",
    "total_acc_x", "total_acc_y", "total_acc_z",
)
CHANNEL_UNITS = {c: ("rad/s" if "gyro" in c else "g") for c in CHANNELS}


def channel_groups(channels=CHANNELS) -> dict[str, tuple[int, ...]]:
    """{sensor: column indices}: channels named '<sensor>_<axis>' grouped, in order of first appearance."""
    groups: dict[str, list[int]] = {}
    for i, name in enumerate(channels):
        groups.setdefault(name.rsplit("_", 1)[0], []).append(i)
    return {sensor: tuple(columns) for sensor, columns in groups.items()}


CHANNEL_GROUPS = channel_groups()   # body_acc: 0-2, body_gyro: 3-5, total_acc: 6-8

ACTIVITIES = ("WALKING", "WALKING_UPSTAIRS", "WALKING_DOWNSTAIRS",
              "SITTING", "STANDING", "LAYING")   # label k+1 <-> ACTIVITIES[k]
N_SUBJECTS = 30
TEST_SUBJECTS = (2, 4, 9, 10, 12, 13, 18, 20, 24)  # the official split
TRAIN_SUBJECTS = tuple(s for s in range(1, N_SUBJECTS + 1) if s not in TEST_SUBJECTS)

DATASET_FOLDER_NAME = "UCI HAR Dataset"


def signal_path(root: Path, split: str, channel: str) -> Path:
    return Path(root) / split / "Inertial Signals" / f"{channel}_{split}.txt"


def labels_path(root: Path, split: str) -> Path:
    return Path(root) / split / f"y_{split}.txt"


def subjects_path(root: Path, split: str) -> Path:
    return Path(root) / split / f"subject_{split}.txt"


def required_files(root: Path) -> list[Path]:
    """Every file a complete UCI HAR folder must hold for the loader."""
    files = []
    for split in SPLITS:
        files += [signal_path(root, split, c) for c in CHANNELS]
        files += [labels_path(root, split), subjects_path(root, split)]
    return files


def _official_value(x: float) -> str:
    """One value as ``%15.7e`` with a three-digit exponent, e.g. ``  1.8085150e-004``."""
    mantissa, exponent = f"{x: .7e}".split("e")
    return f" {mantissa}e{int(exponent):+04d}"


def format_official(values: np.ndarray) -> bytes:
    """Format a 2-D float array the way the official files are written.

    Each value is ``%15.7e`` with a three-digit exponent, preceded by one space
    (so positives start with two), e.g. ``  1.8085150e-004 -2.3210000e-002``.
    The digits come from Python's float formatting, which rounds the exact
    binary value correctly: no SIMD-dispatched ``log10`` or ``pow``, whose last
    bit differs between CPUs with and without AVX-512, so the same array gives
    the same bytes on every machine. Formatted a row at a time, then the
    exponent widened to three digits in bulk.
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2:
        raise ValueError(f"expected a 2-D array, got shape {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError("cannot write non-finite values in the UCI HAR format")
    n_rows, n_cols = v.shape
    v = v + 0.0                                  # -0.0 -> 0.0: the official files have no "-0.0000000"
    row_format = "% .7e" * n_cols                # 14 characters per value while |exponent| < 100
    text = "".join(row_format % tuple(row) for row in v.tolist())
    if len(text) != 14 * v.size:                 # some |exponent| >= 100: the slow, general path
        return "".join("".join(map(_official_value, row)) + "\n" for row in v.tolist()).encode("ascii")
    cells = np.frombuffer(text.encode("ascii"), np.uint8).reshape(n_rows, n_cols, 14)
    out = np.empty((n_rows, n_cols, 16), np.uint8)
    out[..., 0] = ord(" ")
    out[..., 1:13] = cells[..., :12]             # sign, d.ddddddd, "e", exponent sign
    out[..., 13] = ord("0")                      # the exponent's third digit
    out[..., 14:] = cells[..., 12:]
    lines = np.concatenate(
        [out.reshape(n_rows, n_cols * 16), np.full((n_rows, 1), ord("\n"), np.uint8)], axis=1)
    return lines.tobytes()


def format_integers(values: np.ndarray) -> bytes:
    """Labels and subjects: one integer per line, as in ``y_train.txt``."""
    return "".join(f"{int(v)}\n" for v in np.asarray(values).ravel()).encode()
