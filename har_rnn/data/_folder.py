"""Read one UCI HAR folder and check it: every file, every value, the split.

`validate(root)` returns a `HarData`. Any problem, including a file that
cannot be read, raises one `HarDataError` naming the file (and line).
"""
from __future__ import annotations

import hashlib
import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import uci_format as fmt
from ._parse import parse_integers, parse_signals
from .errors import HarDataError
from ..files import describe_os_error, display_path

OFFICIAL_SOURCE = "official UCI HAR v1.0 windows"
DAMAGED_HINT = "The dataset folder is incomplete or damaged: download or rebuild it again."
MANUAL_STEPS = (
    "Download the raw HAPT recordings by hand from https://archive.ics.uci.edu/dataset/341, "
    "unzip them and set HAR_HAPT_DIR to the folder holding RawData/ (or run "
    "`python -m har_rnn.data build-from-hapt SRC`): the windows rebuilt from them are the "
    "book's data. Or download the official UCI HAR zip from https://archive.ics.uci.edu/dataset/240 "
    "(or Kaggle's 'UCI HAR Dataset') and unzip it so that the folder 'UCI HAR Dataset' "
    "(holding train/ and test/) sits in the data home (`python -m har_rnn.data locate` "
    "shows where), or set HAR_DATA_DIR to it: "
    "its windows differ from the book's, and so will your numbers."
)


def find_layout(folder: Path) -> Path | None:
    """The UCI HAR root at `folder` or one level below (Kaggle nests it)."""
    folder = Path(folder)
    candidates = [folder, folder / fmt.DATASET_FOLDER_NAME]
    try:
        candidates += sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:  # not a folder, or not listable: only the fixed candidates
        pass
    for c in candidates:
        if (c / "train").is_dir() and (c / "test").is_dir():
            return c
    return None


def require_layout(folder: Path, what: str) -> Path:
    """`find_layout`, or a HarDataError saying what `folder` (named `what`) lacks."""
    if not Path(folder).exists():
        raise HarDataError(f"{what} {display_path(folder)} does not exist. {MANUAL_STEPS}")
    root = find_layout(folder)
    if root is None:
        raise HarDataError(
            f"{what} {display_path(folder)} is not a UCI HAR folder: expected train/ and test/ "
            f"in it (or in a '{fmt.DATASET_FOLDER_NAME}' folder inside it). {MANUAL_STEPS}")
    return root


@dataclass
class HarData:
    """The windows of both splits, with where they came from."""
    X_train: np.ndarray          # (N, 128, 9) float32, channels in CHANNELS order
    y_train: np.ndarray          # (N,) int64, 0-5 (official label - 1)
    subjects_train: np.ndarray   # (N,) int64, 1-30
    X_test: np.ndarray
    y_test: np.ndarray
    subjects_test: np.ndarray
    source: str                  # "official UCI HAR v1.0 windows" or how they were rebuilt
    fingerprint: str             # SHA-256 over the 22 data files
    root: Path
    activities: tuple[str, ...] = fmt.ACTIVITIES
    channels: tuple[str, ...] = fmt.CHANNELS
    provenance: dict = field(default_factory=dict)

    def summary(self) -> str:
        from .hapt import CANONICAL

        book = ("the book's data: your numbers can be its numbers" if self.fingerprint == CANONICAL["fingerprint"]
                else "not the book's data (its numbers come from windows rebuilt from HAPT v2.1): yours will differ")
        lines = [f"Source: {self.source}", f"Folder: {display_path(self.root)}",
                 f"Fingerprint: {self.fingerprint[:16]} ({book})"]
        for split, y, s in (("train", self.y_train, self.subjects_train),
                            ("test", self.y_test, self.subjects_test)):
            counts = np.bincount(y, minlength=len(self.activities))
            per_class = ", ".join(f"{a} {c}" for a, c in zip(self.activities, counts))
            lines.append(f"{split}: {len(y)} windows, {len(np.unique(s))} subjects; {per_class}")
        return "\n".join(lines)


def read_file(path: Path, hint: str = DAMAGED_HINT) -> bytes:
    """The bytes of a dataset file; any OSError becomes one line naming the file."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise HarDataError(f"{display_path(path)} {describe_os_error(exc)}. {hint}") from None


def read_signal_file(path: Path) -> tuple[np.ndarray, bytes]:
    """One `Inertial Signals` file -> (rows, 128) float64, checked; plus its raw bytes."""
    raw = read_file(path)
    return parse_signals(raw, path), raw


def read_provenance(root: Path) -> dict:
    """`provenance.json` of a rebuilt folder; the official folder has none."""
    path = Path(root) / "provenance.json"
    if not path.exists():
        return {"source": OFFICIAL_SOURCE}
    raw = read_file(path, hint="Rebuild the dataset.")
    try:
        prov = json.loads(raw)
    except ValueError:  # not JSON, or not text
        prov = None
    if not isinstance(prov, dict):
        raise HarDataError(f"{display_path(path)} is not valid JSON; rebuild the dataset.")
    return prov


def _read_split(root: Path, split: str, hasher) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    paths = [fmt.signal_path(root, split, c) for c in fmt.CHANNELS]
    with ThreadPoolExecutor(max_workers=2) as pool:  # numpy releases the GIL while parsing
        results = list(pool.map(read_signal_file, paths))
    y_path, s_path = fmt.labels_path(root, split), fmt.subjects_path(root, split)
    y_raw = read_file(y_path)
    y = parse_integers(y_raw, y_path, 1, len(fmt.ACTIVITIES), "label")
    s_raw = read_file(s_path)
    s = parse_integers(s_raw, s_path, 1, fmt.N_SUBJECTS, "subject")
    for raw in [raw for _, raw in results] + [y_raw, s_raw]:
        hasher.update(raw)
    counts = {p.name: len(v) for p, (v, _) in zip(paths, results)}
    counts[y_path.name] = len(y)
    counts[s_path.name] = len(s)
    if len(set(counts.values())) != 1:
        detail = ", ".join(f"{k}: {v}" for k, v in counts.items())
        raise HarDataError(f"The {split} files disagree on the number of windows ({detail}); "
                           f"the folder is damaged: download or rebuild it again.")
    X = np.stack([v for v, _ in results], axis=-1).astype(np.float32)
    return X, y - 1, s


def validate(root: str | Path) -> HarData:
    """Read and check every file of a UCI HAR folder (no cache); raise naming the first problem."""
    root = require_layout(Path(root), "The data folder")
    missing = [p for p in fmt.required_files(root) if not p.exists()]
    if missing:
        names = ", ".join(display_path(p) for p in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise HarDataError(f"Missing {names}{more}. {DAMAGED_HINT} {MANUAL_STEPS}")
    hasher = hashlib.sha256()
    X_tr, y_tr, s_tr = _read_split(root, "train", hasher)
    X_te, y_te, s_te = _read_split(root, "test", hasher)
    shared = sorted(set(s_tr.tolist()) & set(s_te.tolist()))
    if shared:
        raise HarDataError(f"Subjects {shared} appear in both train and test "
                           f"({display_path(fmt.subjects_path(root, 'test'))}): the split must be by person.")
    prov = read_provenance(root)
    return HarData(X_tr, y_tr, s_tr, X_te, y_te, s_te, source=prov.get("source", OFFICIAL_SOURCE),
                   fingerprint=hasher.hexdigest(), root=root, provenance=prov)
