"""The data layer's front door: choose the UCI HAR folder, load it (cached), and its command line.

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

The work is done elsewhere, one job per module: `folder` (read and check a
folder), `parse` (the file formats), `cache` (the parse cache), `downloads`,
`hapt` (the rebuild) and `standardizer`; the names notebooks use are
importable from here.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
from pathlib import Path

from . import cache, downloads
from . import uci_format as fmt
from .cache import cache_dir
from .errors import HarDataError
from .files import LOCAL_DATA, REPO, display_path
from .folder import (MANUAL_STEPS, OFFICIAL_SOURCE, HarData, find_layout, read_provenance,
                     require_layout, validate)
from .standardizer import fit_standardizer, standardize

__all__ = ["HarData", "LOCAL_DATA", "OFFICIAL_SOURCE", "cache_dir", "current_fingerprint",
           "display_path", "fetch", "fit_standardizer", "load_har", "locate", "resolve",
           "standardize", "validate"]


def rebuilt_dir() -> Path:
    return LOCAL_DATA / "uci-har-rebuilt-from-hapt"


def locate(root: str | Path | None = None) -> tuple[Path | None, str]:
    """Which folder would be used, without building or downloading anything.

    Returns (folder or None, how it was chosen)."""
    if root is not None:
        return require_layout(Path(root), "The data folder"), "passed explicitly"
    if os.environ.get("HAR_DATA_DIR"):
        return require_layout(Path(os.environ["HAR_DATA_DIR"]), "HAR_DATA_DIR"), "HAR_DATA_DIR"
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
    """Rebuild from HAPT (its folder or zip) unless `out` already holds a build of the same labels."""
    from . import hapt  # scipy is only needed on this route

    out = Path(out) if out else rebuilt_dir()
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


def fetch(out: Path | None = None, *, hapt: bool = False, log=print) -> Path:
    """Download and unpack the official dataset into `out` (default ``./UCI HAR Dataset``).

    With `hapt`, download the HAPT zip instead and rebuild from it (default
    ``data/uci-har-rebuilt-from-hapt``); a later call reuses that rebuild."""
    folder = LOCAL_DATA / "downloads"
    if hapt:
        return ensure_rebuilt(downloads.fetch_hapt_zip(folder), out, log=log)
    return downloads.fetch_official(Path(out) if out else REPO / fmt.DATASET_FOLDER_NAME,
                                    folder, log=log)


def load_har(root: str | Path | None = None, *, use_cache: bool = True,
             allow_download: bool = True, log=print) -> HarData:
    """Load (and on first use validate and cache) the UCI HAR windows."""
    root = resolve(root, allow_download=allow_download, log=log)
    if not use_cache:
        return validate(root)
    data = cache.load(root)
    if data is None:
        data = validate(root)
        if not cache.save(data):
            log(f"Note: could not write the parse cache in {display_path(cache_dir())}; "
                f"the next load parses the files again.")
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
    return cache.fingerprint(found) if found is not None else None


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
