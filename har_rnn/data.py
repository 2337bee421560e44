"""The data layer: find, fetch or rebuild UCI HAR, validate it, load it fast.

    python -m har_rnn.data locate                 # which folder would be used
    python -m har_rnn.data fetch [--hapt]         # download the official zip (or HAPT)
    python -m har_rnn.data build-from-hapt SRC [--out DIR]
    python -m har_rnn.data validate [DIR]         # check a folder, print a summary
    python -m har_rnn.data prepare                # resolve (build/fetch if needed) + cache

From Python, ``load_har()`` returns a `HarData` with ``X_train`` of shape
``(N, 128, 9)`` (channels in `uci_format.CHANNELS` order), labels 0-5,
subjects, activity names and where the windows came from.

Where the data comes from when no folder is passed:
``HAR_DATA_DIR`` -> ``./UCI HAR Dataset`` -> build from ``HAR_HAPT_DIR`` ->
an earlier rebuild in ``data/`` -> official download -> a message saying
what to do by hand.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import uci_format as fmt
from .errors import HarDataError
from .files import REPO, atomic_open, display_path, replace_dir, sha256_file

LOCAL_DATA = REPO / "data"  # rebuilt datasets, downloads and the parse cache (git-ignored)

UCI_HAR_URL = ("https://archive.ics.uci.edu/static/public/240/"
               "human+activity+recognition+using+smartphones.zip")
# Published by several independent projects, not by UCI.
UCI_HAR_SHA256 = "c00b803081a5c797cd5e4b83700a9810b38d53d9d84e01917e090e1fdbc81031"
UCI_HAR_SIZE = 61_005_872
UCI_HAR_INNER_SHA256 = "2045e435c955214b38145fb5fa00776c72814f01b203fec405152dac7d5bfeb0"
UCI_HAR_INNER_NAME = "UCI HAR Dataset.zip"
HAPT_URL = ("https://archive.ics.uci.edu/static/public/341/smartphone+based+recognition"
            "+of+human+activities+and+postural+transitions.zip")
HAPT_SHA256 = "4ac4ae064227c07045a99551876b54d204837e995e298b6488559e209b3deb09"

OFFICIAL_SOURCE = "official UCI HAR v1.0 windows"
MANUAL_STEPS = (
    "Download the dataset by hand from https://archive.ics.uci.edu/dataset/240 "
    "(or Kaggle's 'UCI HAR Dataset'), unzip it so that the folder 'UCI HAR Dataset' "
    "(holding train/ and test/) sits in the repository root, or set HAR_DATA_DIR to it. "
    "Without the official zip you can rebuild the windows from the raw HAPT recordings "
    "(https://archive.ics.uci.edu/dataset/341): set HAR_HAPT_DIR to the folder holding "
    "RawData/ (or run `python -m har_rnn.data build-from-hapt SRC`)."
)


# --------------------------------------------------------------------- locate
def find_layout(folder: Path) -> Path | None:
    """The UCI HAR root at `folder` or one level below (Kaggle nests it)."""
    folder = Path(folder)
    candidates = [folder, folder / fmt.DATASET_FOLDER_NAME]
    if folder.is_dir():
        candidates += sorted(p for p in folder.iterdir() if p.is_dir())
    for c in candidates:
        if (c / "train").is_dir() and (c / "test").is_dir():
            return c
    return None


def _require_layout(folder: Path, what: str) -> Path:
    if not Path(folder).exists():
        raise HarDataError(f"{what} {display_path(folder)} does not exist. {MANUAL_STEPS}")
    root = find_layout(folder)
    if root is None:
        raise HarDataError(
            f"{what} {display_path(folder)} is not a UCI HAR folder: expected train/ and test/ "
            f"in it (or in a '{fmt.DATASET_FOLDER_NAME}' folder inside it). {MANUAL_STEPS}")
    return root


def rebuilt_dir() -> Path:
    return LOCAL_DATA / "uci-har-rebuilt-from-hapt"


def locate(root: str | Path | None = None) -> tuple[Path | None, str]:
    """Which folder would be used, without building or downloading anything.

    Returns (folder or None, how it was chosen)."""
    if root is not None:
        return _require_layout(Path(root), "The data folder"), "passed explicitly"
    if os.environ.get("HAR_DATA_DIR"):
        return _require_layout(Path(os.environ["HAR_DATA_DIR"]), "HAR_DATA_DIR"), "HAR_DATA_DIR"
    local = find_layout(REPO / fmt.DATASET_FOLDER_NAME)
    if local is not None:
        return local, f"./{fmt.DATASET_FOLDER_NAME}"
    if os.environ.get("HAR_HAPT_DIR"):
        return None, "HAR_HAPT_DIR (rebuilt when needed)"
    earlier = find_layout(rebuilt_dir())
    if earlier is not None:
        return earlier, "an earlier rebuild from HAPT"
    return None, "official download"


def resolve(root: str | Path | None = None, *, allow_download: bool = True, log=print) -> Path:
    """Find the dataset folder, rebuilding or downloading it when needed."""
    found, how = locate(root)
    if found is not None:
        return found
    hapt_src = os.environ.get("HAR_HAPT_DIR")
    if hapt_src:
        return ensure_rebuilt(Path(hapt_src), log=log)
    if not allow_download:
        raise HarDataError(f"No UCI HAR data found. {MANUAL_STEPS}")
    return fetch(REPO / fmt.DATASET_FOLDER_NAME, log=log)


def ensure_rebuilt(hapt_src: Path, out: Path | None = None, *, log=print) -> Path:
    """Rebuild from HAPT unless `out` already holds a build of the same labels."""
    from .hapt import BUILDER_VERSION, build_from_hapt  # scipy is only needed on this route

    out = Path(out) if out else rebuilt_dir()
    prov_file = out / "provenance.json"
    labels = Path(hapt_src) / "RawData" / "labels.txt"
    if prov_file.exists() and labels.exists():
        prov = read_provenance(out)
        if (prov.get("labels_sha256") == sha256_file(labels)
                and prov.get("builder_version") == BUILDER_VERSION):
            return out
    log(f"Rebuilding UCI HAR windows from the raw HAPT recordings into {display_path(out)} ...")
    build_from_hapt(hapt_src, out, log=log)
    return out


# ---------------------------------------------------------------------- fetch
def download(url: str, dest: Path, sha256: str) -> Path:
    """Download `url` to `dest` (atomically) and check its SHA-256."""
    from tqdm import tqdm

    dest = Path(dest)
    if dest.exists() and sha256_file(dest) == sha256:
        return dest
    try:
        response = urllib.request.urlopen(url, timeout=60)
    except (urllib.error.URLError, OSError) as exc:
        raise HarDataError(f"Could not download {url} ({exc}). {MANUAL_STEPS}") from None
    total = int(response.headers.get("Content-Length") or 0) or None
    h = hashlib.sha256()
    # tqdm (not tqdm.auto): plain text that renders in a terminal and on GitHub.
    try:
        with response, atomic_open(dest) as fh, tqdm(total=total, unit="B", unit_scale=True,
                                                     ascii=True, desc=dest.name, file=sys.stdout) as bar:
            for chunk in iter(lambda: response.read(1 << 20), b""):
                fh.write(chunk)
                h.update(chunk)
                bar.update(len(chunk))
            if h.hexdigest() != sha256:  # raised inside: the partial file is discarded
                raise HarDataError(
                    f"{dest.name} from {url} has SHA-256 {h.hexdigest()}, expected {sha256}: the "
                    f"download is corrupt or the file changed upstream; not using it. {MANUAL_STEPS}")
    except OSError as exc:  # the connection dropped mid-way, or the disk is full
        raise HarDataError(f"Downloading {url} failed part-way ({exc}); nothing was kept. "
                           f"Run the command again. {MANUAL_STEPS}") from None
    return dest


def safe_extract(archive: zipfile.ZipFile, target: Path) -> None:
    """Extract, refusing members that would land outside `target`."""
    target = Path(target).resolve()
    for member in archive.infolist():
        name = member.filename
        if name.startswith("__MACOSX") or "/__MACOSX/" in name:
            continue
        dest = (target / name).resolve()
        if not dest.is_relative_to(target):
            raise HarDataError(f"Refusing to extract {name!r}: it would land outside the target folder.")
        if member.is_dir():
            dest.mkdir(parents=True, exist_ok=True)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        with archive.open(member) as src, open(dest, "wb") as out:
            shutil.copyfileobj(src, out)


def extract_official_zip(zip_path: Path, out: Path, *, inner_sha256: str | None = None) -> Path:
    """Unpack the official zip (a zip holding `UCI HAR Dataset.zip`) into `out`.

    Extracts into a temporary sibling folder and renames it into place, so an
    interruption leaves nothing half-made."""
    inner_sha256 = inner_sha256 or UCI_HAR_INNER_SHA256
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        try:
            with zipfile.ZipFile(zip_path) as outer:
                names = outer.namelist()
                if UCI_HAR_INNER_NAME in names:
                    inner_bytes = outer.read(UCI_HAR_INNER_NAME)
                    digest = hashlib.sha256(inner_bytes).hexdigest()
                    if digest != inner_sha256:
                        raise HarDataError(
                            f"{UCI_HAR_INNER_NAME} inside {Path(zip_path).name} has SHA-256 {digest}, "
                            f"expected {inner_sha256}; not using it. {MANUAL_STEPS}")
                    inner_path = tmp / UCI_HAR_INNER_NAME
                    inner_path.write_bytes(inner_bytes)
                    with zipfile.ZipFile(inner_path) as inner:
                        safe_extract(inner, tmp / "x")
                    inner_path.unlink()
                else:  # a zip of the folder itself (e.g. Kaggle's)
                    safe_extract(outer, tmp / "x")
        except zipfile.BadZipFile as exc:
            raise HarDataError(f"{display_path(zip_path)} is not a valid zip ({exc}). "
                               f"Delete it and download again. {MANUAL_STEPS}") from None
        root = find_layout(tmp / "x")
        if root is None:
            raise HarDataError(f"{display_path(zip_path)} holds no UCI HAR folder "
                               f"(train/ and test/). {MANUAL_STEPS}")
        validate(root)
        replace_dir(root, out)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def fetch(out: Path | None = None, *, hapt: bool = False, log=print) -> Path:
    """Download and unpack the official dataset (or, with `hapt`, rebuild from HAPT)."""
    if hapt:
        zip_path = download(HAPT_URL, LOCAL_DATA / "downloads" / "hapt.zip", HAPT_SHA256)
        return ensure_rebuilt(zip_path, out, log=log)
    out = Path(out) if out else REPO / fmt.DATASET_FOLDER_NAME
    log(f"Downloading the official UCI HAR zip ({UCI_HAR_SIZE / 1e6:.0f} MB) ...")
    zip_path = download(UCI_HAR_URL, LOCAL_DATA / "downloads" / "uci-har.zip", UCI_HAR_SHA256)
    extract_official_zip(zip_path, out)
    log(f"Unpacked into {display_path(out)}")
    return out


# ------------------------------------------------------------------- parsing
_POW10 = 10.0 ** np.arange(0, 23)  # exact in float64: division by them rounds correctly


def _parse_fixed_width(raw: bytes) -> np.ndarray | None:
    """Parse the official fixed-width layout (16 bytes per value) vectorised.

    Returns None when the bytes are not exactly that layout (LF or CRLF line
    ends); the caller then falls back to the general parser, which also reports
    errors by line."""
    ending = b"\r\n" if raw[fmt.WINDOW * 16:fmt.WINDOW * 16 + 2] == b"\r\n" else b"\n"
    width = fmt.WINDOW * 16 + len(ending)
    if not raw or len(raw) % width:
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(-1, width)
    cells = rows[:, :fmt.WINDOW * 16].reshape(len(rows), fmt.WINDOW, 16)
    expected = {0: b" ", 3: b".", 11: b"e", 1: b" -", 12: b"+-"}  # column -> allowed bytes
    for col in range(16):
        column = cells[..., col]
        allowed = expected.get(col)
        if allowed is None:                      # a digit: uint8 wrap-around makes this one test
            ok = (column - np.uint8(ord("0"))) < 10
        elif len(allowed) == 1:
            ok = column == allowed[0]
        else:
            ok = (column == allowed[0]) | (column == allowed[1])
        if not ok.all():
            return None
    if (rows[:, fmt.WINDOW * 16:] != np.frombuffer(ending, np.uint8)).any():
        return None
    mantissa = cells[..., 2].astype(np.int32)          # d.ddddddd as an 8-digit integer
    for col in range(4, 11):
        mantissa *= 10
        mantissa += cells[..., col]
    mantissa -= ord("0") * 11111111
    exp_digits = cells[..., 13:16].astype(np.int16) - ord("0")
    exponent = exp_digits[..., 0] * 100 + exp_digits[..., 1] * 10 + exp_digits[..., 2]
    shift = np.where(cells[..., 12] == ord("-"), exponent + 7, 7 - exponent)  # value = m / 10**shift
    if shift.min() < 0 or shift.max() >= len(_POW10):
        return None
    values = mantissa / _POW10[shift]
    np.negative(values, out=values, where=cells[..., 1] == ord("-"))
    return values


def _parse_general(text: str, path: Path) -> np.ndarray:
    """Any whitespace-separated layout (other spacing, tabs), line by line."""
    rows = []
    for lineno, line in enumerate(text.rstrip().splitlines(), 1):
        tokens = line.split()
        if len(tokens) != fmt.WINDOW:
            raise HarDataError(f"{display_path(path)} line {lineno}: expected {fmt.WINDOW} values, "
                               f"found {len(tokens)} (truncated or damaged file).")
        try:
            rows.append(np.array(tokens, dtype=np.float64))
        except ValueError:
            bad = next(t for t in tokens if not _is_float(t))
            raise HarDataError(f"{display_path(path)} line {lineno}: {bad!r} is not a number.") from None
    return np.array(rows).reshape(len(rows), fmt.WINDOW)


def _is_float(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


def read_signal_file(path: Path) -> tuple[np.ndarray, bytes]:
    """One `Inertial Signals` file -> (rows, 128) float64, checked; plus its raw bytes."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise HarDataError(f"Missing file {display_path(path)}. The dataset folder is incomplete: "
                           f"download or rebuild it again. {MANUAL_STEPS}") from None
    if not raw.strip():
        raise HarDataError(f"{display_path(path)} is empty. Download or rebuild the dataset again.")
    values = _parse_fixed_width(raw)
    if values is None:
        values = _parse_general(raw.decode("ascii", errors="replace"), path)
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        row, col = bad[0]
        raise HarDataError(f"{display_path(path)} line {row + 1}: value {col + 1} is "
                           f"{values[row, col]} (not a finite number).")
    return values, raw


def read_int_file(path: Path, lo: int, hi: int, what: str) -> tuple[np.ndarray, bytes]:
    """`y_*.txt` / `subject_*.txt`: one integer per line within [lo, hi]."""
    try:
        raw = Path(path).read_bytes()
    except FileNotFoundError:
        raise HarDataError(f"Missing file {display_path(path)}. The dataset folder is incomplete: "
                           f"download or rebuild it again. {MANUAL_STEPS}") from None
    lines = raw.decode("ascii", errors="replace").rstrip().splitlines()
    if not lines:
        raise HarDataError(f"{display_path(path)} is empty. Download or rebuild the dataset again.")
    values = []
    for lineno, line in enumerate(lines, 1):
        token = line.strip()
        try:
            v = int(token)
        except ValueError:
            raise HarDataError(f"{display_path(path)} line {lineno}: {token!r} is not a {what}.") from None
        if not lo <= v <= hi:
            raise HarDataError(f"{display_path(path)} line {lineno}: {what} {v} is outside {lo}-{hi}.")
        values.append(v)
    return np.array(values, dtype=np.int64), raw


# -------------------------------------------------------------- load + check
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
        lines = [f"Source: {self.source}", f"Folder: {display_path(self.root)}",
                 f"Fingerprint: {self.fingerprint[:16]}"]
        for split, y, s in (("train", self.y_train, self.subjects_train),
                            ("test", self.y_test, self.subjects_test)):
            counts = np.bincount(y, minlength=len(self.activities))
            per_class = ", ".join(f"{a} {c}" for a, c in zip(self.activities, counts))
            lines.append(f"{split}: {len(y)} windows, {len(np.unique(s))} subjects; {per_class}")
        return "\n".join(lines)


def read_provenance(root: Path) -> dict:
    prov_file = Path(root) / "provenance.json"
    if prov_file.exists():
        try:
            return json.loads(prov_file.read_text())
        except json.JSONDecodeError:
            raise HarDataError(f"{display_path(prov_file)} is not valid JSON; rebuild the dataset.") from None
    return {"source": OFFICIAL_SOURCE}


def _read_split(root: Path, split: str, hasher) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    paths = [fmt.signal_path(root, split, c) for c in fmt.CHANNELS]
    with ThreadPoolExecutor(max_workers=2) as pool:  # numpy releases the GIL while parsing
        results = list(pool.map(read_signal_file, paths))
    y, y_raw = read_int_file(fmt.labels_path(root, split), 1, len(fmt.ACTIVITIES), "label")
    s, s_raw = read_int_file(fmt.subjects_path(root, split), 1, fmt.N_SUBJECTS, "subject")
    for (_, raw) in results:
        hasher.update(raw)
    hasher.update(y_raw)
    hasher.update(s_raw)
    counts = {display_path(p): len(v) for p, (v, _) in zip(paths, results)}
    counts[display_path(fmt.labels_path(root, split))] = len(y)
    counts[display_path(fmt.subjects_path(root, split))] = len(s)
    if len(set(counts.values())) != 1:
        detail = ", ".join(f"{Path(k).name}: {v}" for k, v in counts.items())
        raise HarDataError(f"The {split} files disagree on the number of windows ({detail}); "
                           f"the folder is damaged: download or rebuild it again.")
    X = np.stack([v for v, _ in results], axis=-1).astype(np.float32)
    return X, y - 1, s


def parse_folder(root: Path) -> HarData:
    """Read and check every file of a UCI HAR folder (no cache)."""
    root = Path(root)
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


def validate(root: str | Path) -> HarData:
    """Check a UCI HAR folder; raise HarDataError naming the first problem."""
    root = _require_layout(Path(root), "The data folder")
    missing = [p for p in fmt.required_files(root) if not p.exists()]
    if missing:
        names = ", ".join(display_path(p) for p in missing[:3])
        more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
        raise HarDataError(f"Missing {names}{more}. The dataset folder is incomplete: "
                           f"download or rebuild it again. {MANUAL_STEPS}")
    return parse_folder(root)


# --------------------------------------------------------------------- cache
def cache_dir() -> Path:
    return Path(os.environ.get("HAR_CACHE_DIR", LOCAL_DATA / "cache"))


def _stat_key(root: Path) -> str:
    """Changes whenever any source file is replaced or edited."""
    parts = [str(Path(root).resolve())]
    for p in fmt.required_files(root) + [Path(root) / "provenance.json"]:
        st = p.stat() if p.exists() else None
        parts.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}" if st else f"{p.name}:-")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _cache_file(root: Path) -> Path:
    return cache_dir() / f"har-{hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:16]}.npz"


_ARRAYS = ("X_train", "y_train", "subjects_train", "X_test", "y_test", "subjects_test")


def _read_cache(root: Path, *, arrays: bool) -> tuple[dict, dict] | None:
    """(meta, arrays) from the parse cache if it matches the files now; else None."""
    try:
        with np.load(_cache_file(root), allow_pickle=False) as z:
            if str(z["stat_key"]) != _stat_key(root):
                return None
            return json.loads(str(z["meta"])), ({k: z[k] for k in _ARRAYS} if arrays else {})
    except (OSError, ValueError, KeyError, zipfile.BadZipFile):
        return None  # missing or damaged: parsed (and rewritten) again


def load_har(root: str | Path | None = None, *, use_cache: bool = True,
             allow_download: bool = True, log=print) -> HarData:
    """Load (and on first use validate and cache) the UCI HAR windows."""
    root = resolve(root, allow_download=allow_download, log=log)
    if not use_cache:
        return validate(root)
    cached = _read_cache(root, arrays=True)
    if cached is not None:
        meta, arrays = cached
        return HarData(**arrays, source=meta["source"], fingerprint=meta["fingerprint"],
                       root=Path(root), provenance=meta["provenance"])
    data = validate(root)
    meta = json.dumps({"source": data.source, "fingerprint": data.fingerprint,
                       "provenance": data.provenance})
    with atomic_open(_cache_file(root)) as fh:
        np.savez(fh, stat_key=_stat_key(root), meta=meta, **{k: getattr(data, k) for k in _ARRAYS})
    return data


def current_fingerprint(root: str | Path | None = None) -> str | None:
    """The fingerprint of the data `load_har(root)` would load now, if known cheaply.

    Never builds, downloads or parses: it answers from the parse cache, and
    returns None when the data has not been loaded (and cached) yet. Notebooks
    03 and 04 use it to tell whether notebook 02's artifacts are stale."""
    try:
        found, _ = locate(root)
    except HarDataError:
        return None
    if found is None and os.environ.get("HAR_HAPT_DIR"):
        found = find_layout(rebuilt_dir())
    if found is None:
        return None
    cached = _read_cache(found, arrays=False)
    return cached[0]["fingerprint"] if cached else None


# --------------------------------------------------------------- standardize
def fit_standardizer(X_train: np.ndarray) -> dict[str, np.ndarray]:
    """Per-channel mean and std over all training windows and time steps."""
    X = np.asarray(X_train, dtype=np.float64)
    return {"mean": X.mean(axis=(0, 1)), "std": X.std(axis=(0, 1))}


def standardize(X: np.ndarray, stats: dict) -> np.ndarray:
    """Apply training statistics (never the test set's own) to any split."""
    mean = np.asarray(stats["mean"], dtype=np.float64)
    std = np.asarray(stats["std"], dtype=np.float64)
    return ((X - mean) / np.where(std > 0, std, 1.0)).astype(np.float32)


# ----------------------------------------------------------------------- CLI
def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m har_rnn.data",
                                     description="Find, fetch, rebuild and check the UCI HAR dataset.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("locate", help="say which folder would be used")
    p_fetch = sub.add_parser("fetch", help="download the official zip (or HAPT with --hapt)")
    p_fetch.add_argument("--hapt", action="store_true", help="download HAPT and rebuild from it")
    p_fetch.add_argument("--out", type=Path, default=None)
    p_build = sub.add_parser("build-from-hapt", help="rebuild UCI HAR windows from raw HAPT data")
    p_build.add_argument("src", type=Path, help="folder holding RawData/, or the HAPT zip")
    p_build.add_argument("--out", type=Path, default=None)
    p_val = sub.add_parser("validate", help="check a UCI HAR folder and print a summary")
    p_val.add_argument("dir", type=Path, nargs="?", default=None)
    sub.add_parser("prepare", help="resolve the data (rebuild/fetch if needed) and fill the cache")
    args = parser.parse_args(argv)
    try:
        if args.command == "locate":
            found, how = locate()
            print(f"{display_path(found) if found else 'nothing yet'} (via {how})")
        elif args.command == "fetch":
            fetch(args.out, hapt=args.hapt)
        elif args.command == "build-from-hapt":
            from .hapt import build_from_hapt
            out = args.out or rebuilt_dir()
            build_from_hapt(args.src, out)
            print(validate(out).summary())
        elif args.command == "validate":
            folder = args.dir if args.dir is not None else resolve(allow_download=False)
            print(validate(folder).summary())
            print("OK")
        elif args.command == "prepare":
            print(load_har().summary())
    except HarDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
