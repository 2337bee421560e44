"""The artifacts folder: notebook 02 writes it once, notebooks 03 and 04 only read it.

Contents (default ``<repo>/artifacts``, or ``$HAR_ARTIFACTS_DIR``):

- ``X_train_std.npy``, ``X_test_std.npy``: (N, 128, 9) float32 windows,
  standardized with the training-set mean/std per channel;
  ``y_*.npy`` (int64 class ids 0..5, see ``ACTIVITIES``), ``subjects_*.npy``.
- ``har_train_standardized.csv``, ``har_test_standardized.csv``: the same
  windows for use outside Python, one row per window: ``label`` (the activity
  *name*, e.g. ``WALKING``), ``subject``, then ``<channel>_t000`` ...
  ``<channel>_t127`` for each channel in ``CHANNELS`` order, 6 decimals.
- ``standardization.json``: mean and std per channel, by channel name.
- ``rnn_har.pth``: the trained model and how it was made (`save_checkpoint`).
- ``manifest.json``: size and sha256 of every file above. It is written last,
  so its presence means the set is complete; `load_artifacts` checks it all.

Every file is written to a temporary name and renamed into place, so an
interrupted run never leaves a half-written file behind.
"""
from __future__ import annotations

import contextlib
import datetime
import hashlib
import json
import os
import platform
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import sklearn
import torch

from .errors import ArtifactError
from .files import REPO, atomic_open, display_path, sha256_file
from .models import RNNClassifier
from .uci_format import ACTIVITIES, CHANNELS, WINDOW

FORMAT_VERSION = 1
ARRAY_FILES = ("X_train_std.npy", "y_train.npy", "subjects_train.npy",
               "X_test_std.npy", "y_test.npy", "subjects_test.npy")
CSV_FILES = ("har_train_standardized.csv", "har_test_standardized.csv")
STATS_FILE = "standardization.json"
CHECKPOINT_FILE = "rnn_har.pth"
MANIFEST_FILE = "manifest.json"
ALL_FILES = ARRAY_FILES + CSV_FILES + (STATS_FILE, CHECKPOINT_FILE)
CHECKPOINT_KEYS = ("format_version", "state_dict", "model_config", "train_config",
                   "standardization", "data", "artifacts_fingerprint", "metrics", "seed",
                   "versions", "created")
RERUN = "Run notebook 02 (make run) to rebuild it."


def artifacts_dir() -> Path:
    """``$HAR_ARTIFACTS_DIR`` if set, else ``<repo>/artifacts``."""
    return Path(os.environ.get("HAR_ARTIFACTS_DIR") or REPO / "artifacts")


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


def _write_csv(path: Path, X: np.ndarray, y: np.ndarray, subjects: np.ndarray,
               chunk: int = 1024) -> None:
    columns = ["label", "subject"] + [f"{c}_t{t:03d}" for c in CHANNELS for t in range(WINDOW)]
    # (N, T, C) -> (N, C, T): all 128 steps of one channel, then the next channel
    flat = np.asarray(X).transpose(0, 2, 1).reshape(len(X), -1)
    with atomic_open(path) as fh:
        fh.write((",".join(columns) + "\n").encode())
        for i in range(0, len(X), chunk):
            prefix = [f"{ACTIVITIES[int(k)]},{int(s)}"
                      for k, s in zip(y[i:i + chunk], subjects[i:i + chunk])]
            fh.write(format_csv_rows(prefix, flat[i:i + chunk]))


def _remove_manifest(dir: Path) -> None:
    # Whatever is rewritten, the set is incomplete until the next manifest.
    with contextlib.suppress(FileNotFoundError):
        (Path(dir) / MANIFEST_FILE).unlink()


def save_standardized(dir, X_train_std, y_train, subjects_train, X_test_std, y_test,
                      subjects_test, stats, data_info) -> None:
    """Write the standardized arrays (.npy and .csv) and the standardization stats.

    ``stats``: ``{"mean": (9,), "std": (9,)}`` from the training set;
    ``data_info``: at least ``{"source": ..., "fingerprint": ...}`` of the dataset.
    """
    dir = Path(dir)
    dir.mkdir(parents=True, exist_ok=True)
    _remove_manifest(dir)
    arrays = {"X_train_std": np.asarray(X_train_std, dtype=np.float32),
              "y_train": np.asarray(y_train, dtype=np.int64),
              "subjects_train": np.asarray(subjects_train, dtype=np.int64),
              "X_test_std": np.asarray(X_test_std, dtype=np.float32),
              "y_test": np.asarray(y_test, dtype=np.int64),
              "subjects_test": np.asarray(subjects_test, dtype=np.int64)}
    for name, arr in arrays.items():
        with atomic_open(dir / f"{name}.npy") as fh:
            np.save(fh, arr, allow_pickle=False)
    _write_csv(dir / CSV_FILES[0], arrays["X_train_std"], arrays["y_train"], arrays["subjects_train"])
    _write_csv(dir / CSV_FILES[1], arrays["X_test_std"], arrays["y_test"], arrays["subjects_test"])
    _write_json(dir / STATS_FILE, {
        "channels": list(CHANNELS),
        "mean": dict(zip(CHANNELS, map(float, np.ravel(stats["mean"])))),
        "std": dict(zip(CHANNELS, map(float, np.ravel(stats["std"])))),
        "data": _plain(data_info)})


def _plain(obj):
    """Numpy scalars/arrays and DataFrames -> plain Python (for JSON and weights_only)."""
    if hasattr(obj, "to_dict") and hasattr(obj, "columns"):      # a DataFrame
        return _plain(obj.to_dict(orient="records"))
    if isinstance(obj, dict):
        return {str(k): _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, Path):
        return str(obj)
    return obj


def _arrays_fingerprint(file_hashes: dict[str, str]) -> str:
    """One sha256 over the six standardized .npy files (their names and hashes)."""
    text = "".join(f"{name} {file_hashes[name]}\n" for name in ARRAY_FILES)
    return hashlib.sha256(text.encode()).hexdigest()


def _utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def save_checkpoint(path, model, *, train_config, stats, data_info, metrics, seed) -> None:
    """Save the trained model as ``rnn_har.pth``, then write ``manifest.json``.

    Call it after `save_standardized` into the same folder: the checkpoint
    records a fingerprint of those arrays, and the manifest then seals the set.
    Only plain Python values and tensors go in, so it loads with
    ``torch.load(path, weights_only=True)``.
    """
    path = Path(path)
    dir = path.parent
    _remove_manifest(dir)
    missing = [n for n in ARRAY_FILES if not (dir / n).exists()]
    if missing:
        raise ArtifactError(f"{display_path(dir)} has no {', '.join(missing)}: "
                            "call save_standardized before save_checkpoint.")
    n_train = len(np.load(dir / "y_train.npy"))
    n_test = len(np.load(dir / "y_test.npy"))
    checkpoint = {
        "format_version": FORMAT_VERSION,
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "model_config": _plain(model.config),
        "train_config": _plain(train_config),
        "standardization": {"channels": list(CHANNELS),
                            "mean": [float(m) for m in np.ravel(stats["mean"])],
                            "std": [float(s) for s in np.ravel(stats["std"])]},
        "data": {"source": str(data_info["source"]), "fingerprint": str(data_info["fingerprint"]),
                 "n_train": n_train, "n_test": n_test},
        "artifacts_fingerprint": _arrays_fingerprint({n: sha256_file(dir / n) for n in ARRAY_FILES}),
        "metrics": _plain(metrics),
        "seed": int(seed),
        "versions": {"python": platform.python_version(), "torch": str(torch.__version__),
                     "numpy": np.__version__, "sklearn": sklearn.__version__},
        "created": _utc_now(),
    }
    with atomic_open(path) as fh:
        torch.save(checkpoint, fh)
    write_manifest(dir, checkpoint["data"])


def write_manifest(dir, data_info) -> None:
    """List every artifact with its size and sha256; written last, it marks the set complete."""
    dir = Path(dir)
    files = {}
    for name in ALL_FILES:
        if not (dir / name).exists():
            raise ArtifactError(f"{display_path(dir / name)} is missing: cannot complete the artifacts. {RERUN}")
        files[name] = {"bytes": (dir / name).stat().st_size, "sha256": sha256_file(dir / name)}
    _write_json(dir / MANIFEST_FILE, {
        "format_version": FORMAT_VERSION,
        "created": _utc_now(),
        "data": {"source": str(data_info["source"]), "fingerprint": str(data_info["fingerprint"])},
        "artifacts_fingerprint": _arrays_fingerprint({n: files[n]["sha256"] for n in ARRAY_FILES}),
        "files": files})


# --- reading ------------------------------------------------------------------

def _read_manifest(dir: Path) -> dict:
    if not dir.is_dir():
        raise ArtifactError(f"No artifacts folder {display_path(dir)}/. Run notebook 02 (make run) first.")
    path = dir / MANIFEST_FILE
    if not path.exists():
        raise ArtifactError(f"{display_path(path)} is missing: notebook 02 did not finish writing the "
                            "artifacts. Run notebook 02 (make run) first.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
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
        if not path.exists():
            raise ArtifactError(f"{display_path(path)} is missing. {RERUN}")
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
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
        version = checkpoint["format_version"]
    except Exception as err:    # any unpickling failure means the same thing to the reader
        raise ArtifactError(f"{display_path(path)} is unreadable ({type(err).__name__}). {RERUN}") from None
    missing = [k for k in CHECKPOINT_KEYS if k not in checkpoint]
    if missing:
        raise ArtifactError(f"{display_path(path)} lacks {', '.join(missing)}: it was not written by "
                            f"save_checkpoint. {RERUN}")
    if version != FORMAT_VERSION:
        raise ArtifactError(f"{display_path(path)} has format version {version}, this code reads "
                            f"{FORMAT_VERSION}: it is from another version: re-run notebook 02 (make run).")
    if checkpoint.get("artifacts_fingerprint") != manifest["artifacts_fingerprint"]:
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
    manifest = _read_manifest(dir)
    _check_data(dir, manifest["data"]["fingerprint"], expected_data_fingerprint)
    _check_files(dir, manifest)
    checkpoint = _load_checkpoint(dir / CHECKPOINT_FILE, manifest)
    _check_data(dir, checkpoint["data"]["fingerprint"], expected_data_fingerprint)
    model = _build_model(checkpoint, dir / CHECKPOINT_FILE)
    arrays = {}
    for name in ARRAY_FILES:
        try:
            arrays[name[:-4]] = np.load(dir / name, allow_pickle=False)
        except ValueError:
            raise ArtifactError(f"{display_path(dir / name)} is truncated/corrupt. {RERUN}") from None
    std = checkpoint["standardization"]
    return SimpleNamespace(
        **arrays, model=model, checkpoint=checkpoint,
        stats={"mean": np.array(std["mean"], dtype=np.float32),
               "std": np.array(std["std"], dtype=np.float32)},
        data_info=checkpoint["data"], dir=dir)
