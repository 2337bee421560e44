"""The data layer: find, check, load and cache the UCI HAR windows (no torch here).

    from har_rnn.data import load_har
    har = load_har()          # a HarData: X_train (N, 128, 9) in CHANNELS order, labels 0-5, ...

From the shell (`__main__.py`):

    python -m har_rnn.data locate                 # which folder would be used
    python -m har_rnn.data fetch [--hapt]         # download the official zip (or HAPT)
    python -m har_rnn.data build-from-hapt SRC [--out DIR]
    python -m har_rnn.data validate [DIR]         # check a folder, print a summary
    python -m har_rnn.data prepare                # resolve (build/fetch if needed) + cache

Where the data comes from when no folder is passed:
``$HAR_DATA_DIR`` -> a ``UCI HAR Dataset`` folder in the clone or the data home ->
build from ``$HAR_HAPT_DIR`` -> an earlier rebuild in the data home -> download
the raw HAPT recordings and rebuild (the book's data, byte for byte) -> a
message saying what to do by hand. The official zip (other windows: 7,352 /
2,947) is used when it is there or asked for (`fetch()`).

The data home holds downloads, rebuilds and the parse cache: every function
that reads or writes there (`load_har`, `fetch`, `build_from_hapt`, `locate`,
`resolve`, `current_fingerprint`, `hapt_source`) takes ``data_home=``, as
scikit-learn's fetchers do; by default it is
``$HAR_DATA_HOME``, else the clone's ``data/``, else ``~/har_rnn_data``
(`har_rnn.files.get_data_home`).

Public, beside this loader: `uci_format` (the dataset's constants and file
layout: ACTIVITIES, CHANNELS, CHANNEL_UNITS, SAMPLE_RATE_HZ, WINDOW),
`standardizer` (fit_standardizer, standardize), `errors` (HarError,
HarDataError) and `hapt` (the rebuild's steps, which notebook 01 draws one by
one). The rest of the work behind `load_har` is private, one job per module,
as in scikit-learn's datasets: `_folder` (read and check a folder), `_parse`
(the file formats), `_cache` (the parse cache), `_downloads` and `_hapt_raw`
(reading the raw HAPT recordings).

This package imports nothing from the rest of `har_rnn` but the ground floor
(`har_rnn.files`: paths and atomic writes), and not torch: the lessons, the
artifacts and the tooling build on it, never the other way round.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from . import _cache, _downloads
from . import uci_format as fmt
from ._folder import (MANUAL_STEPS, OFFICIAL_SOURCE, HarData, find_layout, read_provenance,
                      require_layout, validate)
from .errors import HarDataError, HarError
from ..files import REPOSITORY, cache_dir, dataset_dir, display_path, get_data_home, hapt_dir
from .standardizer import fit_standardizer, standardize
from .uci_format import ACTIVITIES, CHANNEL_GROUPS, CHANNEL_UNITS, CHANNELS, SAMPLE_RATE_HZ, WINDOW, channel_groups

__all__ = ["ACTIVITIES", "CHANNELS", "CHANNEL_GROUPS", "CHANNEL_UNITS", "channel_groups", "HarData", "HarDataError", "HarError",
           "OFFICIAL_SOURCE", "SAMPLE_RATE_HZ", "WINDOW", "build_from_hapt", "cache_dir",
           "canonical_rebuild", "current_fingerprint", "display_path", "fetch", "fit_standardizer", "get_data_home", "hapt_source", "load_har", "locate",
           "resolve", "standardize", "validate"]


def rebuilt_dir(data_home: str | Path | None = None) -> Path:
    return get_data_home(data_home) / "uci-har-rebuilt-from-hapt"


def official_dirs(data_home: str | Path | None = None) -> list[tuple[Path, str]]:
    """Where an unzipped official dataset is looked for, and how to say so: the clone's root,
    then the data home."""
    places = [(REPOSITORY, "the clone"), (get_data_home(data_home), "the data home")]
    return [(base / fmt.DATASET_FOLDER_NAME, f"{fmt.DATASET_FOLDER_NAME}/ in {where}")
            for base, where in places if base is not None]


def locate(root: str | Path | None = None, *, data_home: str | Path | None = None) -> tuple[Path | None, str]:
    """Which folder would be used, without building or downloading anything.

    Returns (folder or None, how it was chosen)."""
    if root is not None:
        return require_layout(Path(root), "The data folder"), "passed explicitly"
    if dataset_dir() is not None:
        return require_layout(dataset_dir(), "HAR_DATA_DIR"), "HAR_DATA_DIR"
    for folder, how in official_dirs(data_home):
        found = find_layout(folder)
        if found is not None:
            return found, how
    if hapt_dir() is not None:
        return None, "HAR_HAPT_DIR (rebuilt when needed)"
    earlier = find_layout(rebuilt_dir(data_home))
    if earlier is not None:
        return earlier, "an earlier rebuild from HAPT"
    return None, "HAPT download and rebuild (the book's data)"


def resolve(root: str | Path | None = None, *, data_home: str | Path | None = None,
            allow_download: bool = True, log=print) -> Path:
    """Find the dataset folder, rebuilding or downloading it when needed."""
    found, how = locate(root, data_home=data_home)
    if found is not None:
        return found
    if hapt_dir() is not None:
        return ensure_rebuilt(hapt_dir(), data_home=data_home, log=log)
    if not allow_download:
        raise HarDataError(f"No UCI HAR data found. {MANUAL_STEPS}")
    return fetch(hapt=True, data_home=data_home, log=log)   # the raw recordings the book's numbers came from


def ensure_rebuilt(hapt_src: Path, out: Path | None = None, *, data_home: str | Path | None = None,
                   log=print) -> Path:
    """Rebuild from HAPT (its folder or zip) unless `out` already holds a build of the same labels."""
    from . import hapt  # scipy and pandas are only needed on this route

    out = Path(out) if out else rebuilt_dir(data_home)
    if (out / "provenance.json").exists():
        prov = read_provenance(out)
        with hapt.RawSource(hapt_src) as raw:
            labels_sha256 = hashlib.sha256(raw.read("labels.txt")).hexdigest()
        if (prov.get("labels_sha256") == labels_sha256
                and prov.get("builder_version") == hapt.BUILDER_VERSION):
            return out
    log(f"Rebuilding UCI HAR windows from the raw HAPT recordings into {display_path(out)} ...")
    hapt.build_from_hapt(hapt_src, out, log=log)
    return out


def build_from_hapt(src: str | Path, out: str | Path | None = None, *, data_home: str | Path | None = None,
                    log=print) -> dict:
    """Rebuild the UCI HAR folder at `out` (default ``uci-har-rebuilt-from-hapt`` in the data
    home) from HAPT's raw recordings (the folder holding RawData/, or the zip); return its
    provenance. An interrupted or failed build leaves `out` as it was."""
    from . import hapt

    return hapt.build_from_hapt(src, out if out is not None else rebuilt_dir(data_home), log=log)


def hapt_source(data_home: str | Path | None = None) -> Path | None:
    """The raw HAPT recordings on this machine, if any: ``$HAR_HAPT_DIR``, else the zip that
    `fetch(hapt=True)` (the default download) left in the data home."""
    if hapt_dir() is not None:
        return hapt_dir()
    downloaded = _downloads.hapt_zip_path(get_data_home(data_home) / "downloads")
    return downloaded if downloaded.is_file() else None


def canonical_rebuild() -> dict:
    """What every rebuild from HAPT v2.1 gives, on every machine (the book's data):
    ``{"fingerprint": ..., "windows_sha256": ...}``."""
    from . import hapt

    return dict(hapt.CANONICAL)


def rebuild_stage_digests(src: str | Path, recording: tuple[int, int] = (1, 1)) -> list[tuple[str, str]]:
    """(stage, SHA-256) for each step of the rebuild of one HAPT recording, then all windows."""
    from . import hapt

    return hapt.stage_digests(src, recording)


def fetch(out: Path | None = None, *, hapt: bool = False, data_home: str | Path | None = None,
          log=print) -> Path:
    """Download and unpack the official dataset into `out` (default ``UCI HAR Dataset`` in the
    data home).

    With `hapt`, download the HAPT zip instead and rebuild from it (default
    ``uci-har-rebuilt-from-hapt`` in the data home); a later call reuses that rebuild."""
    downloads = get_data_home(data_home) / "downloads"
    if hapt:
        return ensure_rebuilt(_downloads.fetch_hapt_zip(downloads), out, data_home=data_home, log=log)
    return _downloads.fetch_official(Path(out) if out else get_data_home(data_home) / fmt.DATASET_FOLDER_NAME,
                                     downloads, log=log)


def load_har(root: str | Path | None = None, *, data_home: str | Path | None = None, use_cache: bool = True,
             allow_download: bool = True, log=print) -> HarData:
    """Load (and on first use validate and cache) the UCI HAR windows.

    `root`: a UCI HAR folder to use as is; `data_home`: where downloads, rebuilds and the
    parse cache go (see the module's docstring)."""
    root = resolve(root, data_home=data_home, allow_download=allow_download, log=log)
    if not use_cache:
        return validate(root)
    data = _cache.load(root, data_home)
    if data is None:
        data = validate(root)
        if not _cache.save(data, data_home):
            log(f"Note: could not write the parse cache in {display_path(cache_dir(data_home))}; "
                f"the next load parses the files again.")
    return data


def current_fingerprint(root: str | Path | None = None, *, data_home: str | Path | None = None) -> str | None:
    """The fingerprint of the data `load_har(root)` would load now, if known cheaply.

    Never builds, downloads or parses: it answers from the parse cache, and
    returns None when the data has not been loaded (and cached) yet. Notebooks
    03 and 04 use it to tell whether notebook 02's artifacts are stale."""
    try:
        found, _ = locate(root, data_home=data_home)
    except HarDataError:
        return None
    if found is None and hapt_dir() is not None:
        found = find_layout(rebuilt_dir(data_home))
    return _cache.fingerprint(found, data_home) if found is not None else None
