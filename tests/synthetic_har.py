"""Small synthetic datasets in the exact official UCI HAR layout and number format.

Each activity has its own frequency and amplitude, so a small model can learn
it; used by the unit tests and to run the notebooks quickly without real data.
`failing_read_bytes` simulates a file the OS refuses to read.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from har_rnn.data import uci_format as fmt


def make_windows(n_per_class_subject: int, subjects, seed: int):
    rng = np.random.default_rng(seed)
    t = np.arange(fmt.WINDOW) / fmt.SAMPLE_RATE_HZ
    X, y, s = [], [], []
    for subject in subjects:
        for label in range(len(fmt.ACTIVITIES)):
            for _ in range(n_per_class_subject):
                freq = 0.5 + 0.6 * label                        # Hz, distinct per class
                phase = rng.uniform(0, 2 * np.pi, len(fmt.CHANNELS))
                amp = 0.05 + 0.02 * np.arange(len(fmt.CHANNELS))
                w = amp * np.sin(2 * np.pi * freq * t[:, None] + phase)
                w += rng.normal(0, 0.01, w.shape)
                w[:, 6:] += np.array([1.0, 0.0, 0.0]) if label < 5 else np.array([0.0, 0.0, 1.0])
                X.append(w)
                y.append(label + 1)
                s.append(subject)
    return np.array(X), np.array(y), np.array(s)


def make_uci_har(root: Path, *, n_per_class_subject: int = 2, train_subjects=(1, 3, 5, 6),
                 test_subjects=(2, 4), crlf: bool = False, nested: bool = False,
                 seed: int = 0) -> Path:
    """Write a UCI HAR folder at `root` (or `root/UCI HAR Dataset` when nested).

    Returns the folder that holds train/ and test/."""
    base = Path(root) / fmt.DATASET_FOLDER_NAME if nested else Path(root)
    for split, subjects, split_seed in (("train", train_subjects, seed),
                                        ("test", test_subjects, seed + 1)):
        X, y, s = make_windows(n_per_class_subject, subjects, split_seed)
        files = {fmt.signal_path(base, split, c): fmt.format_official(X[:, :, i])
                 for i, c in enumerate(fmt.CHANNELS)}
        files[fmt.labels_path(base, split)] = fmt.format_integers(y)
        files[fmt.subjects_path(base, split)] = fmt.format_integers(s)
        for path, data in files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data.replace(b"\n", b"\r\n") if crlf else data)
    (base / "activity_labels.txt").write_text(
        "".join(f"{i} {a}\n" for i, a in enumerate(fmt.ACTIVITIES, 1)))
    (base / "provenance.json").write_text(json.dumps({"source": "synthetic test data (tests/synthetic_har.py)"}))
    return base


def make_quick_dataset(root: Path) -> Path:
    """The dataset of the quick notebook runs and the harness tests: 6 training and 2 test volunteers,
    so that notebook 02's validation volunteers (7, 8 in `TrainConfig().quick()`) exist."""
    return make_uci_har(root, n_per_class_subject=6, train_subjects=(1, 3, 5, 6, 7, 8), test_subjects=(2, 4))


def failing_read_bytes(path: Path, error: OSError):
    """A `Path.read_bytes` that raises `error` for `path` (with the file name, as the OS
    does) and reads every other file. Tests run as root, where chmod does not stop reads."""
    real = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self.resolve() == Path(path).resolve():
            raise type(error)(error.errno, error.strerror, str(self))
        return real(self)
    return read_bytes
