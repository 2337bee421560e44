"""Rebuild the UCI HAR folder from the raw HAPT v2.1 recordings.

HAPT ships the same volunteers' raw 50 Hz signals, unwindowed. The UCI HAR
README says how its windows were made; the step functions below do exactly
that, one small step each, so notebook 01 can plot them for one recording:

    read_raw_recording -> denoise -> separate_gravity -> window_starts

`build_from_hapt` runs them over every recording and writes the official
folder layout (names and number format from `uci_format`).
"""
from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
import zipfile
import zlib
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator

import numpy as np
import pandas as pd
from scipy import signal as sps

from . import uci_format as uf
from .errors import HarDataError
from .files import display_path, replace_dir

BUILDER_VERSION = "1"
SOURCE_DESCRIPTION = "rebuilt from UCI HAPT v2.1 raw recordings"

MEDIAN_KERNEL = 3
BUTTERWORTH_ORDER = 3
NOISE_CUTOFF_HZ = 20.0
GRAVITY_CUTOFF_HZ = 0.3
STEP = uf.WINDOW // 2              # 50% overlap
N_ACTIVITIES = len(uf.ACTIVITIES)  # ids 1-6; 7-12 are postural transitions
N_LABEL_IDS = 12

POINT_HINT = "point build-from-hapt at the folder holding RawData/ or at the HAPT zip"
REEXTRACT_HINT = "Re-download or re-extract the HAPT v2.1 zip."


class RawSource:
    """HAPT's RawData folder, on disk or inside the zip, read file by file as bytes.

    `src` is a folder holding ``RawData/`` (directly or one level deeper, as an
    unpacked zip often is) or the HAPT zip itself, read in memory.
    """

    def __init__(self, src: str | os.PathLike) -> None:
        self.src = Path(src)
        self._zip: zipfile.ZipFile | None = None
        if self.src.is_dir():
            self._dir = self._find_raw_dir(self.src)
        elif self.src.is_file():
            self._open_zip()
        else:
            raise HarDataError(f"{self.src} does not exist: {POINT_HINT}.")
        if not self._exists("labels.txt"):
            raise HarDataError(f"{self.where('labels.txt')} is missing. {REEXTRACT_HINT}")

    @staticmethod
    def _find_raw_dir(src: Path) -> Path:
        if (src / "RawData").is_dir():
            return src / "RawData"
        deeper = sorted(p for p in src.glob("*/RawData") if p.is_dir())
        if len(deeper) == 1:
            return deeper[0]
        if deeper:
            raise HarDataError(f"{src} holds several RawData folders "
                               f"({', '.join(str(p) for p in deeper)}): {POINT_HINT}.")
        hint = " (it looks like RawData itself: use its parent)" if (src / "labels.txt").exists() else ""
        raise HarDataError(f"{src} holds no RawData/ folder{hint}: {POINT_HINT}.")

    def _open_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.src)
            names = [n for n in self._zip.namelist() if not n.startswith("__MACOSX/")]
        except (zipfile.BadZipFile, OSError) as exc:
            raise HarDataError(f"{self.src} is not a readable zip ({exc}): {POINT_HINT}.") from None
        labels = sorted((n for n in names if n == "RawData/labels.txt"
                         or n.endswith("/RawData/labels.txt")), key=lambda n: n.count("/"))
        if not labels:
            inner = [n for n in names if n.lower().endswith(".zip")]
            hint = f" (it holds {', '.join(inner)}: extract that and use it)" if inner else ""
            raise HarDataError(f"the zip {self.src} holds no RawData/labels.txt{hint}: {POINT_HINT}.")
        self._prefix = labels[0][: -len("labels.txt")]
        self._members = set(names)

    def _exists(self, name: str) -> bool:
        if self._zip is None:
            return (self._dir / name).is_file()
        return self._prefix + name in self._members

    def where(self, name: str) -> str:
        """How to name a RawData file in messages."""
        if self._zip is None:
            return display_path(self._dir / name)
        return f"{self._prefix + name} in the zip {display_path(self.src)}"

    def read(self, name: str) -> bytes:
        if not self._exists(name):
            raise HarDataError(f"{self.where(name)} is missing. {REEXTRACT_HINT}")
        if self._zip is None:
            return (self._dir / name).read_bytes()
        try:
            return self._zip.read(self._prefix + name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise HarDataError(f"{self.where(name)} cannot be read, the zip is corrupt "
                               f"({exc}). {REEXTRACT_HINT}") from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> RawSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Source = str | os.PathLike | RawSource   # a path, or a RawSource already open


@contextmanager
def _opened(src: Source) -> Iterator[RawSource]:
    """Use an open RawSource as is; open (and then close) a path."""
    if isinstance(src, RawSource):
        yield src
    else:
        with RawSource(src) as raw:
            yield raw


def _parse_table(data: bytes, n_cols: int, dtype: type, where: str) -> np.ndarray:
    """Whitespace-separated numbers -> (rows, n_cols) array, naming the first bad line.

    The C parser is fast but its errors are vague; only when it fails do we
    scan line by line to say where and what.
    """
    try:
        table = pd.read_csv(io.BytesIO(data), sep=r"\s+", header=None, dtype=dtype,
                            engine="c").to_numpy()
        if table.shape[1] == n_cols and np.isfinite(table).all():
            return table
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        pass
    for i, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        tokens = line.split()
        if tokens and len(tokens) != n_cols:
            problem = f"line {i} has {len(tokens)} columns, expected {n_cols}"
            break
        bad = [t for t in tokens if not _is_number(t, dtype)]
        if bad:
            problem = f"line {i}: {bad[0]!r} is not {'an integer' if dtype is np.int64 else 'a number'}"
            break
    else:
        problem = "it is empty" if not data.strip() else "it cannot be parsed"
    raise HarDataError(f"{where} is malformed: {problem}. {REEXTRACT_HINT}")


def _is_number(token: str, dtype: type) -> bool:
    try:
        return np.isfinite(dtype(token))
    except (ValueError, OverflowError):
        return False


def read_segments(src: Source) -> pd.DataFrame:
    """The labelled segments of ``RawData/labels.txt``, one row per line.

    Columns experiment, user, activity (1-12), start, end: sample numbers
    1-based and inclusive, as in the file. The index is the line number in
    labels.txt, for error messages.
    """
    with _opened(src) as raw:
        where = raw.where("labels.txt")
        data = raw.read("labels.txt")
    table = _parse_table(data, 5, np.int64, where)
    lines = [i for i, line in enumerate(data.splitlines(), 1) if line.strip()]
    segments = pd.DataFrame(table, columns=["experiment", "user", "activity", "start", "end"],
                            index=pd.Index(lines, name="line"))
    bad = segments[~segments.activity.between(1, N_LABEL_IDS) | (segments.start < 1)
                   | (segments.end < segments.start)]
    if len(bad):
        line, row = bad.index[0], bad.iloc[0]
        raise HarDataError(f"{where} line {line}: activity {row.activity}, samples "
                           f"{row.start}-{row.end} is not a valid segment (activity 1-{N_LABEL_IDS}, "
                           f"1 <= start <= end). {REEXTRACT_HINT}")
    return segments


def read_raw_recording(src: Source, experiment: int, user: int) -> tuple[np.ndarray, np.ndarray]:
    """One experiment's raw signals: acc (n, 3) in g and gyro (n, 3) in rad/s, 50 Hz."""
    names = [f"{kind}_exp{experiment:02d}_user{user:02d}.txt" for kind in ("acc", "gyro")]
    with _opened(src) as raw:
        acc, gyro = (_parse_table(raw.read(n), 3, np.float64, raw.where(n)) for n in names)
        if len(acc) != len(gyro):
            raise HarDataError(f"{raw.where(names[0])} has {len(acc)} samples but {names[1]} has "
                               f"{len(gyro)}: they must match. {REEXTRACT_HINT}")
    return acc, gyro


def _lowpass(x: np.ndarray, cutoff_hz: float) -> np.ndarray:
    """Zero-phase Butterworth low-pass along time (axis 0)."""
    sos = sps.butter(BUTTERWORTH_ORDER, cutoff_hz, fs=uf.SAMPLE_RATE_HZ, output="sos")
    return sps.sosfiltfilt(sos, x, axis=0)


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


def _recording_windows(acc: np.ndarray, gyro: np.ndarray, segments: pd.DataFrame
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Windows (w, 128, 9) in CHANNELS order and their labels, cut inside each segment.

    The whole recording is filtered first, so filters see real signal, not a
    segment edge; windows never cross a segment boundary.
    """
    total_acc, body_gyro = denoise(acc), denoise(gyro)
    body_acc, _ = separate_gravity(total_acc)
    channels = np.concatenate([body_acc, body_gyro, total_acc], axis=1)
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


def _provenance(src: str | os.PathLike, labels: bytes, counts: dict) -> dict:
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

    Builds into a hidden sibling folder and renames it into place at the end,
    so an interrupted or failed build leaves `out` as it was.
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

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for split, (X, y, subjects) in splits.items():
            _write_split(tmp, split, X, y, subjects)
        (tmp / "activity_labels.txt").write_text(
            "".join(f"{k} {name}\n" for k, name in enumerate(uf.ACTIVITIES, 1)))
        counts = {split: _counts(y, subjects) for split, (_, y, subjects) in splits.items()}
        provenance = _provenance(src, labels, counts)
        (tmp / "provenance.json").write_text(json.dumps(provenance, indent=2) + "\n")
        replace_dir(tmp, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    log(f"Wrote {counts['train']['windows']} train / {counts['test']['windows']} test windows "
        f"to {display_path(out)} in {time.perf_counter() - t0:.1f} s")
    return provenance
