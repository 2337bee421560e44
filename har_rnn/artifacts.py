"""The artifacts folder: notebook 02 writes it, notebooks 03, 04 and the appendix read it.

Contents (in `files.artifacts_dir()`: the clone's ``artifacts/``, else ``./artifacts``):

- ``X_train_std.npy``, ``X_test_std.npy``: (N, 128, 9) float32 windows,
  standardized with the training-set mean/std per channel;
  ``y_*.npy`` (int64 class ids 0..5, see ``ACTIVITIES``), ``subjects_*.npy``.
- ``har_train_standardized.csv``, ``har_test_standardized.csv``: the same
  windows for use outside Python, one row per window: ``label`` (the activity
  *name*, e.g. ``WALKING``), ``subject``, then ``<channel>_t000`` ...
  ``<channel>_t127`` for each channel in ``CHANNELS`` order, 6 decimals.
- ``standardization.json``: mean and std per channel, by channel name.
- ``rnn_har.pth``: the trained model and how it was made (``CHECKPOINT_KEYS``).
- ``manifest.json``: size and sha256 of every file above; `load_artifacts` checks it all.

`save_artifacts` writes the set into a hidden sibling folder, manifest last, then swaps it in whole:
a killed run leaves the previous set complete (plus that folder, which the next save removes).
"""
from __future__ import annotations

import contextlib
import dataclasses
import datetime
import errno
import hashlib
import json
import os
import platform
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import sklearn
import torch

from .data.errors import HarError
from .files import artifacts_dir, atomic_dir, atomic_open, display_path, sha256_file
from .data.uci_format import ACTIVITIES, CHANNELS, WINDOW
from .models import RNNClassifier

FORMAT_VERSION = 2
ARRAY_FILES = ("X_train_std.npy", "y_train.npy", "subjects_train.npy",
               "X_test_std.npy", "y_test.npy", "subjects_test.npy")
CSV_FILES = ("har_train_standardized.csv", "har_test_standardized.csv")
STATS_FILE = "standardization.json"
CHECKPOINT_FILE = "rnn_har.pth"
MANIFEST_FILE = "manifest.json"
ALL_FILES = ARRAY_FILES + CSV_FILES + (STATS_FILE, CHECKPOINT_FILE)
CHECKPOINT_KEYS = ("format_version", "state_dict", "model_config", "train_config",
                   "standardization", "data", "artifacts_fingerprint", "metrics", "seed",
                   "provenance", "versions", "created")
RERUN = "Run notebook 02 (make run) to rebuild it."
CSV_BYTES_PER_ARRAY_BYTE = 2.5     # a float32 (4 bytes) is about 10 characters in the CSVs


class ArtifactError(HarError):
    """Notebook 02's artifacts are missing, stale or do not match each other."""


# --- writing ------------------------------------------------------------------

def _write_json(path: Path, obj) -> None:
    with atomic_open(path) as fh:
        fh.write((json.dumps(obj, indent=2) + "\n").encode())


def format_csv_rows(prefix: list[str], values: np.ndarray, decimals: int = 6) -> bytes:
    """CSV lines ``prefix[i],v_i0,v_i1,...`` with ``values`` in fixed-point notation.

    Vectorised: every value is first written into a fixed-width byte field
    padded with NUL bytes, then the padding is dropped in one step. Formatting
    8.5 million numbers one by one (as ``DataFrame.to_csv`` does) takes ~10 s.
    """
    v = np.asarray(values, dtype=np.float64)
    if not np.isfinite(v).all():
        raise ValueError("cannot write non-finite values to the CSV")
    scaled = np.rint(np.abs(v) * 10 ** decimals).astype(np.int64)
    whole, frac = np.divmod(scaled, 10 ** decimals)
    n_int = max(1, len(str(int(whole.max(initial=0)))))
    width = 1 + n_int + 1 + decimals + 1                  # sign, digits, '.', decimals, ','
    out = np.zeros(v.shape + (width,), dtype=np.uint8)    # NUL = padding, removed below
    out[..., 0] = np.where((v < 0) & (scaled > 0), ord("-"), 0)
    for i in range(n_int):                                # no leading zeros, but keep "0."
        place = 10 ** (n_int - 1 - i)
        shown = (whole >= place) | (i == n_int - 1)
        out[..., 1 + i] = np.where(shown, ord("0") + (whole // place) % 10, 0)
    out[..., 1 + n_int] = ord(".")
    for i in range(decimals):
        out[..., 2 + n_int + i] = ord("0") + (frac // 10 ** (decimals - 1 - i)) % 10
    out[..., -1] = ord(",")
    out[:, -1, -1] = ord("\n")
    head_width = max(len(p) for p in prefix) + 1
    head = np.zeros((len(prefix), head_width), dtype=np.uint8)
    for i, p in enumerate(prefix):
        head[i, :len(p) + 1] = np.frombuffer(p.encode() + b",", dtype=np.uint8)
    rows = np.concatenate([head, out.reshape(len(prefix), -1)], axis=1)
    return rows[rows != 0].tobytes()


def _write_csv(path: Path, X: np.ndarray, y: np.ndarray, subjects: np.ndarray, chunk: int = 1024) -> None:
    columns = ["label", "subject"] + [f"{c}_t{t:03d}" for c in CHANNELS for t in range(WINDOW)]
    # (N, T, C) -> (N, C, T): all 128 steps of one channel, then the next channel
    flat = np.asarray(X).transpose(0, 2, 1).reshape(len(X), -1)
    with atomic_open(path) as fh:
        fh.write((",".join(columns) + "\n").encode())
        for i in range(0, len(X), chunk):
            prefix = [f"{ACTIVITIES[int(k)]},{int(s)}"
                      for k, s in zip(y[i:i + chunk], subjects[i:i + chunk])]
            fh.write(format_csv_rows(prefix, flat[i:i + chunk]))


def _plain(obj):
    """Numpy values, tensors, Paths, DataFrames -> plain Python (for JSON and weights_only)."""
    if isinstance(obj, (np.generic, np.ndarray, torch.Tensor)):
        return _plain(obj.tolist())
    if obj is None or type(obj) in (bool, int, float, str):
        return obj
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):      # a DataFrame
        return _plain(obj.to_dict(orient="records"))
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot store {type(obj).__name__} {obj!r:.40} in the artifacts: use plain values")


def _as_arrays(**given) -> dict[str, np.ndarray]:
    arrays = {k: np.asarray(a, dtype=np.float32 if k[0] == "X" else np.int64) for k, a in given.items()}
    for split in ("train", "test"):
        X, y, subjects = arrays[f"X_{split}_std"], arrays[f"y_{split}"], arrays[f"subjects_{split}"]
        if (X.shape[1:] != (WINDOW, len(CHANNELS)) or not y.shape == subjects.shape == (len(X),)
                or ((y < 0) | (y >= len(ACTIVITIES))).any()):
            raise ValueError(f"{split}: expected X (N, {WINDOW}, {len(CHANNELS)}), y (N,) of class ids, "
                             f"subjects (N,); got {X.shape}, {y.shape}, {subjects.shape}")
    return arrays


def _arrays_fingerprint(sha256: dict[str, str]) -> str:
    """One sha256 over the six standardized .npy files (their names and hashes)."""
    return hashlib.sha256("".join(f"{n} {sha256[n]}\n" for n in ARRAY_FILES).encode()).hexdigest()


def _leftovers(dir: Path, kind: str) -> list[Path]:
    """The hidden ``.<name>.<kind>-<pid>`` siblings (kind: new, old) a save uses while it runs
    (`atomic_dir`, named by `files.swap_sibling`)."""
    prefix = f".{dir.name}.{kind}-"
    with contextlib.suppress(OSError):
        return sorted(p for p in dir.parent.iterdir()
                      if p.name.startswith(prefix) and p.name[len(prefix):].isdigit())
    return []


def _interrupted_swap(dir: Path) -> Path | None:
    """The previous set if a save was killed between the two renames of `replace_dir`."""
    dir = dir.resolve()
    if not os.path.lexists(dir):      # then ".<name>.old-<pid>" and ".<name>.new-<pid>" are both there
        pids = {p.name.rsplit("-", 1)[1] for p in _leftovers(dir, "new")}
        return next((p for p in _leftovers(dir, "old") if p.name.rsplit("-", 1)[1] in pids), None)


def save_artifacts(dir, *, X_train_std, y_train, subjects_train, X_test_std, y_test, subjects_test,
                   stats, data_info, model, train_config, metrics, seed, provenance=None) -> None:
    """Write the whole artifacts set into ``dir``, replacing any previous set in one step.

    ``stats``: ``{"mean": (9,), "std": (9,)}`` of the training set; ``data_info``:
    at least ``{"source", "fingerprint"}`` of the dataset; ``model``: the trained
    `RNNClassifier`; ``train_config``: a dict or a dataclass; ``metrics``,
    ``provenance`` (e.g. how the numbers were computed): dicts of plain values.
    """
    arrays = _as_arrays(X_train_std=X_train_std, y_train=y_train, subjects_train=subjects_train,
                        X_test_std=X_test_std, y_test=y_test, subjects_test=subjects_test)
    if dataclasses.is_dataclass(train_config) and not isinstance(train_config, type):
        train_config = dataclasses.asdict(train_config)
    data = {"source": str(data_info["source"]), "fingerprint": str(data_info["fingerprint"])}
    mean, std = [float(m) for m in np.ravel(stats["mean"])], [float(s) for s in np.ravel(stats["std"])]
    checkpoint = {           # only plain values and tensors: loads with torch.load(weights_only=True)
        "format_version": FORMAT_VERSION, "seed": int(seed),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "model_config": _plain(model.config), "train_config": _plain(train_config),
        "standardization": {"channels": list(CHANNELS), "mean": mean, "std": std},
        "data": {**data, "n_train": len(arrays["y_train"]), "n_test": len(arrays["y_test"])},
        "artifacts_fingerprint": None,                       # known once the arrays are written
        "metrics": _plain(metrics), "provenance": _plain(dict(provenance or {})),
        "versions": {"python": platform.python_version(), "torch": str(torch.__version__),
                     "numpy": np.__version__, "sklearn": sklearn.__version__},
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    stats_json = {"channels": list(CHANNELS), "mean": dict(zip(CHANNELS, mean)),
                  "std": dict(zip(CHANNELS, std)), "data": _plain(data_info)}
    dir = Path(dir).resolve()                     # a symlinked folder: replace its target
    dir.parent.mkdir(parents=True, exist_ok=True)
    if (old := _interrupted_swap(dir)) is not None:
        os.replace(old, dir)                      # put back the set a killed save had moved aside
    for leftover in _leftovers(dir, "new") + _leftovers(dir, "old"):
        shutil.rmtree(leftover, ignore_errors=True)
    try:
        with atomic_dir(dir) as new:    # the old set stays whole until the new one is in place
            _write_set(new, arrays, stats_json, checkpoint)
    except OSError as err:
        if err.errno != errno.ENOSPC:
            raise
        raise ArtifactError(no_space_message(dir, arrays)) from None


def no_space_message(dir: Path, arrays: dict) -> str:
    """One line for a full disk: the folder, the space the set needs and the space free."""
    X_bytes = sum(a.nbytes for k, a in arrays.items() if k.startswith("X"))
    need = sum(a.nbytes for a in arrays.values()) + CSV_BYTES_PER_ARRAY_BYTE * X_bytes
    free = shutil.disk_usage(dir.parent).free
    return (f"No space left on the disk of {display_path(dir.parent)}/ to save the artifacts: the set needs "
            f"about {need / 1e6:,.0f} MB, and {free / 1e6:,.0f} MB are free. Nothing was changed (a previous set "
            f"is kept whole). Free some space, or set HAR_ARTIFACTS_DIR to a folder on another disk.")


def _write_set(dir: Path, arrays: dict, stats_json: dict, checkpoint: dict) -> None:
    for name, arr in arrays.items():
        with atomic_open(dir / f"{name}.npy") as fh:
            np.save(fh, arr, allow_pickle=False)
    for csv, split in zip(CSV_FILES, ("train", "test")):
        _write_csv(dir / csv, arrays[f"X_{split}_std"], arrays[f"y_{split}"], arrays[f"subjects_{split}"])
    _write_json(dir / STATS_FILE, stats_json)
    hashes = {name: sha256_file(dir / name) for name in ARRAY_FILES}
    checkpoint["artifacts_fingerprint"] = _arrays_fingerprint(hashes)
    with atomic_open(dir / CHECKPOINT_FILE) as fh:
        torch.save(checkpoint, fh)
    files = {name: {"bytes": (dir / name).stat().st_size, "sha256": hashes.get(name) or sha256_file(dir / name)}
             for name in ALL_FILES}
    _write_json(dir / MANIFEST_FILE, {          # last: it marks the set complete
        "format_version": FORMAT_VERSION, "created": checkpoint["created"],
        "data": {k: checkpoint["data"][k] for k in ("source", "fingerprint")},
        "artifacts_fingerprint": checkpoint["artifacts_fingerprint"], "files": files})


# --- reading ------------------------------------------------------------------

@contextlib.contextmanager
def _reading(path: Path, corrupt=()):
    """Turn an OSError (or a ``corrupt`` error) while reading ``path`` into one `ArtifactError` line."""
    try:
        yield
    except OSError as err:
        what = f"cannot be read ({err.strerror or type(err).__name__})"
        what = "is a folder, not a file" if isinstance(err, IsADirectoryError) else what
        raise ArtifactError(f"{display_path(path)} {what}. {RERUN}") from None
    except corrupt as err:
        raise ArtifactError(f"{display_path(path)} is truncated/corrupt ({type(err).__name__}). "
                            f"{RERUN}") from None


def _read_manifest(dir: Path) -> dict:
    path = dir / MANIFEST_FILE
    with _reading(path):
        if not dir.is_dir():
            raise ArtifactError(f"No artifacts folder {display_path(dir)}/. Run notebook 02 (make run) first.")
        if not path.exists():
            raise ArtifactError(f"{display_path(path)} is missing: notebook 02 did not finish writing the "
                                "artifacts. Run notebook 02 (make run) first.")
        with open(path, "rb") as fh:
            text = fh.read()
    try:
        manifest = json.loads(text)
        manifest["files"], manifest["data"]["fingerprint"], manifest["artifacts_fingerprint"]
    except (ValueError, KeyError, TypeError):
        raise ArtifactError(f"{display_path(path)} is corrupt. {RERUN}") from None
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(f"The artifacts in {display_path(dir)}/ have format version "
                            f"{manifest.get('format_version')}, this code reads version "
                            f"{FORMAT_VERSION}: they are from another version: re-run notebook 02 (make run).")
    return manifest


def _check_files(dir: Path, manifest: dict) -> None:
    for name in ALL_FILES:
        path, entry = dir / name, manifest["files"].get(name)
        if entry is None:
            raise ArtifactError(f"{display_path(dir / MANIFEST_FILE)} does not list {name}. {RERUN}")
        with _reading(path):
            if not path.exists():
                raise ArtifactError(f"{display_path(path)} is missing. {RERUN}")
            if path.is_dir():
                raise IsADirectoryError(name)
            size = path.stat().st_size
            if size != entry["bytes"]:
                raise ArtifactError(f"{display_path(path)} is truncated/corrupt: {size:,} bytes, the manifest "
                                    f"says {entry['bytes']:,}. {RERUN}")
            if sha256_file(path) != entry["sha256"]:
                raise ArtifactError(f"{display_path(path)} is corrupt or was modified after notebook 02 "
                                    f"wrote it (sha256 differs from the manifest). {RERUN}")


def _check_data(dir: Path, fingerprint: str, expected: str | None) -> None:
    if expected is not None and fingerprint != expected:
        raise ArtifactError(f"The artifacts in {display_path(dir)}/ are from another dataset/version: "
                            f"re-run notebook 02 (make run). (They were made from data "
                            f"{fingerprint[:12]}..., the data loaded now is {expected[:12]}...)")


def _load_checkpoint(path: Path, manifest: dict) -> dict:
    with _reading(path, corrupt=Exception):    # any unpickling failure means the same to the reader
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        version = checkpoint.get("format_version")
    missing = [k for k in CHECKPOINT_KEYS if k not in checkpoint]
    if missing:
        raise ArtifactError(f"{display_path(path)} lacks {', '.join(missing)}: it was not written by "
                            f"save_artifacts. {RERUN}")
    if version != FORMAT_VERSION:
        raise ArtifactError(f"{display_path(path)} has format version {version}, this code reads "
                            f"{FORMAT_VERSION}: it is from another version: re-run notebook 02 (make run).")
    if checkpoint.get("artifacts_fingerprint") != _arrays_fingerprint(
            {name: manifest["files"][name]["sha256"] for name in ARRAY_FILES}):
        raise ArtifactError(f"{display_path(path)} does not match the arrays in {display_path(path.parent)}/ "
                            "(it was trained on other standardized data). Re-run notebook 02 "
                            "(make run) so that model and arrays are written together.")
    return checkpoint


def _build_model(checkpoint: dict, path: Path) -> RNNClassifier:
    try:
        model = RNNClassifier(**checkpoint["model_config"])
    except (KeyError, TypeError, ValueError) as err:
        raise ArtifactError(f"{display_path(path)} has a model config this code cannot build "
                            f"({err}). {RERUN}") from None
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except (KeyError, RuntimeError):
        raise ArtifactError(f"{display_path(path)}: the saved weights do not fit the model "
                            f"{checkpoint['model_config']}. {RERUN}") from None
    return model.eval()


def artifacts_exist(dir=None) -> bool:
    """Whether `dir` holds a saved set, complete or not (`load_artifacts` says what is wrong with it)."""
    dir = Path(dir) if dir is not None else artifacts_dir()
    dir = _interrupted_swap(dir) or dir
    return dir.is_dir() and any(dir.iterdir())


def load_artifacts(dir=None, expected_data_fingerprint=None) -> SimpleNamespace:
    """Check and load everything notebook 02 wrote; raise `ArtifactError` if anything is off.

    Returns a namespace with the six arrays (``X_train_std``, ``y_train``,
    ``subjects_train``, ``X_test_std``, ``y_test``, ``subjects_test``),
    ``model`` (rebuilt, in eval mode, on the CPU), ``checkpoint`` (the dict),
    ``stats`` (``{"mean", "std"}`` arrays), ``data_info`` and ``dir``.
    Pass ``expected_data_fingerprint`` (``load_har().fingerprint``) to make
    sure the artifacts were made from the data you have now.
    """
    dir = Path(dir) if dir is not None else artifacts_dir()
    dir = _interrupted_swap(dir) or dir        # a save killed mid-swap: the old set is whole
    manifest = _read_manifest(dir)
    _check_data(dir, manifest["data"]["fingerprint"], expected_data_fingerprint)
    _check_files(dir, manifest)
    checkpoint = _load_checkpoint(dir / CHECKPOINT_FILE, manifest)
    _check_data(dir, checkpoint["data"]["fingerprint"], expected_data_fingerprint)
    model = _build_model(checkpoint, dir / CHECKPOINT_FILE)
    arrays = {}
    for name in ARRAY_FILES:
        with _reading(dir / name, corrupt=(ValueError, EOFError)):
            arrays[name[:-4]] = np.load(dir / name, allow_pickle=False)
    std = checkpoint["standardization"]
    return SimpleNamespace(
        **arrays, model=model, checkpoint=checkpoint,
        stats={"mean": np.array(std["mean"], dtype=np.float32),
               "std": np.array(std["std"], dtype=np.float32)},
        data_info=checkpoint["data"], dir=dir)
