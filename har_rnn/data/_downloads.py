"""Download the official UCI HAR zip (or the HAPT zip), check its digest, unpack it safely.

Knows the URLs and digests, not where things go: `har_rnn.data.fetch` passes
the folders. Nothing half-downloaded or half-unpacked is ever kept.
"""
from __future__ import annotations

import hashlib
import io
import os
import shutil
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable

from ._folder import MANUAL_STEPS, find_layout, validate
from .errors import HarDataError
from ..files import atomic_dir, atomic_open, describe_os_error, display_path, sha256_file

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


def download(url: str, dest: Path, sha256: str) -> Path:
    """Download `url` to `dest` (atomically) and check its SHA-256; reuse a good earlier one."""
    from tqdm import tqdm

    dest = Path(dest)
    try:
        if dest.is_file() and sha256_file(dest) == sha256:
            return dest
    except OSError as exc:
        raise HarDataError(f"{display_path(dest)} {describe_os_error(exc)}. "
                           f"Delete it and run the command again.") from None
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
        raise HarDataError(f"Downloading {url} failed part-way ({exc.strerror or exc}); nothing was kept. "
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


def _unpack(zip_path: Path, into: Path) -> None:
    """The official zip holds `UCI HAR Dataset.zip` (digest checked); Kaggle's the folder itself."""
    with zipfile.ZipFile(zip_path) as outer:
        if UCI_HAR_INNER_NAME not in outer.namelist():
            safe_extract(outer, into)
            return
        inner_bytes = outer.read(UCI_HAR_INNER_NAME)
    digest = hashlib.sha256(inner_bytes).hexdigest()
    if digest != UCI_HAR_INNER_SHA256:
        raise HarDataError(f"{UCI_HAR_INNER_NAME} inside {Path(zip_path).name} has SHA-256 {digest}, "
                           f"expected {UCI_HAR_INNER_SHA256}; not using it. {MANUAL_STEPS}")
    with zipfile.ZipFile(io.BytesIO(inner_bytes)) as inner:
        safe_extract(inner, into)


def extract_official_zip(zip_path: Path, out: Path) -> Path:
    """Unpack the official zip into `out`, checked.

    Unpacks into the hidden folder `atomic_dir` builds beside `out`, moves the
    dataset's files to its top (the zip nests them in a folder, Kaggle's one
    level deeper) and swaps it into place, so an interruption leaves nothing
    half-made."""
    with atomic_dir(out) as new:
        unpacked = new / ".unpacked"
        try:
            _unpack(zip_path, unpacked)
        except zipfile.BadZipFile as exc:
            raise HarDataError(f"{display_path(zip_path)} is not a valid zip ({exc}). "
                               f"Delete it and download again. {MANUAL_STEPS}") from None
        except OSError as exc:
            raise HarDataError(f"Unpacking {display_path(zip_path)} failed ({exc.strerror or exc}). "
                               f"Delete it and download again. {MANUAL_STEPS}") from None
        root = find_layout(unpacked)
        if root is None:
            raise HarDataError(f"{display_path(zip_path)} holds no UCI HAR folder "
                               f"(train/ and test/). {MANUAL_STEPS}")
        validate(root)
        for item in list(root.iterdir()):
            os.replace(item, new / item.name)
        shutil.rmtree(unpacked)
    return out


def fetch_official(out: Path, downloads: Path, *, log: Callable[[str], None] = print) -> Path:
    """Download the official zip into `downloads` and unpack it into `out`."""
    log(f"Downloading the official UCI HAR zip ({UCI_HAR_SIZE / 1e6:.0f} MB) ...")
    zip_path = download(UCI_HAR_URL, Path(downloads) / "uci-har.zip", UCI_HAR_SHA256)
    extract_official_zip(zip_path, out)
    log(f"Unpacked into {display_path(out)}")
    return out


def hapt_zip_path(downloads: Path) -> Path:
    return Path(downloads) / "hapt.zip"


def fetch_hapt_zip(downloads: Path) -> Path:
    """Download the HAPT zip into `downloads` (or reuse a good earlier download)."""
    return download(HAPT_URL, hapt_zip_path(downloads), HAPT_SHA256)
