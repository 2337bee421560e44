"""The parse cache: a checked folder's arrays in one .npz, reused while its files are unchanged.

One file per folder (keyed by its resolved path), valid while every source
file keeps its size and modification time. A missing, damaged or unreadable
cache is ignored, so the folder is parsed again; a cache that cannot be
written is reported by `save` returning False, never raised.
"""
from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np

from . import uci_format as fmt
from ._folder import HarData
from ..files import atomic_open, cache_dir

ARRAYS = ("X_train", "y_train", "subjects_train", "X_test", "y_test", "subjects_test")
_DAMAGED = (OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile)


def _stat_key(root: Path) -> str:
    """Changes whenever any source file is replaced or edited."""
    parts = [str(Path(root).resolve())]
    for p in fmt.required_files(root) + [Path(root) / "provenance.json"]:
        st = p.stat() if p.exists() else None
        parts.append(f"{p.name}:{st.st_size}:{st.st_mtime_ns}" if st else f"{p.name}:-")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def _cache_file(root: Path, data_home: Path | None) -> Path:
    return cache_dir(data_home) / f"har-{hashlib.sha256(str(Path(root).resolve()).encode()).hexdigest()[:16]}.npz"


def _read(root: Path, arrays: tuple[str, ...], data_home: Path | None) -> tuple[dict, dict] | None:
    """(meta, the named arrays) if the cache matches the files now; else None."""
    try:
        with np.load(_cache_file(root, data_home), allow_pickle=False) as z:
            if str(z["stat_key"]) != _stat_key(root):
                return None
            meta = json.loads(str(z["meta"]))
            meta = {k: meta[k] for k in ("source", "fingerprint", "provenance")}
            return meta, {k: z[k] for k in arrays}
    except _DAMAGED:
        return None


def load(root: Path, data_home: Path | None = None) -> HarData | None:
    """The cached `HarData` of `root`, or None."""
    cached = _read(root, ARRAYS, data_home)
    if cached is None:
        return None
    meta, arrays = cached
    return HarData(**arrays, **meta, root=Path(root))


def fingerprint(root: Path, data_home: Path | None = None) -> str | None:
    """The cached fingerprint of `root` (without loading the arrays), or None."""
    cached = _read(root, (), data_home)
    return cached[0]["fingerprint"] if cached else None


def save(data: HarData, data_home: Path | None = None) -> bool:
    """Cache `data` for its folder; False if the cache could not be written."""
    meta = json.dumps({"source": data.source, "fingerprint": data.fingerprint,
                       "provenance": data.provenance})
    try:
        with atomic_open(_cache_file(data.root, data_home)) as fh:
            np.savez(fh, stat_key=_stat_key(data.root), meta=meta,
                     **{k: getattr(data, k) for k in ARRAYS})
    except OSError:
        return False
    return True
