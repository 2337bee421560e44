"""Small file helpers every module shares: paths, read errors, hashing, atomic writes.

`REPO` (the repository root) is defined here and only here. Notebook outputs
and messages must not show machine-specific absolute paths, so every path a
reader sees goes through `display_path`. Every file the project writes goes
through `atomic_open`, and every folder it builds (a HAPT rebuild, an unpacked
download, the artifacts set) through `atomic_dir`, so an interruption never
leaves a half-written file or folder behind.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]   # har_rnn/data/files.py -> the repository root
LOCAL_DATA = REPO / "data"  # rebuilt datasets, downloads and the parse cache (git-ignored)
PATH_VARIABLES = ("HAR_DATA_DIR", "HAR_HAPT_DIR", "HAR_ARTIFACTS_DIR", "HAR_IMAGES_DIR", "HAR_CACHE_DIR")


def display_path(path: str | os.PathLike) -> str:
    """Relative to the repo when inside it; `$HAR_..._DIR/...` when under one of
    those folders; otherwise as given."""
    path = Path(path)
    resolved = path.resolve()
    if resolved.is_relative_to(REPO):
        return str(resolved.relative_to(REPO)) or "."
    for var in PATH_VARIABLES:
        base = os.environ.get(var)
        if base and resolved.is_relative_to(Path(base).resolve()):
            rest = resolved.relative_to(Path(base).resolve())
            return f"${var}" + (f"/{rest}" if str(rest) != "." else "")
    return str(path)


def describe_os_error(exc: OSError) -> str:
    """What reading a file ran into, without its (machine-specific) path, for
    "<display_path> <this>." messages: "is missing", "is a folder, not a file", ..."""
    if isinstance(exc, FileNotFoundError):
        return "is missing"
    if isinstance(exc, IsADirectoryError):
        return "is a folder, not a file"
    reason = exc.strerror or str(exc) or type(exc).__name__
    return f"cannot be read ({' '.join(reason.split())})"


def sha256_file(path: str | os.PathLike, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            digest.update(block)
    return digest.hexdigest()


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike):
    """Open a temporary file beside ``path``; rename it over ``path`` only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as fh:
            yield fh
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def swap_sibling(out: Path, kind: str, pid: int | None = None) -> Path:
    """The hidden sibling ``.<name>.<kind>-<pid>`` of `out` that a swap uses while it runs:
    kind "new" (the folder being built), "old" (the previous `out`, moved aside)."""
    return out.parent / f".{out.name}.{kind}-{os.getpid() if pid is None else pid}"


def replace_dir(new: str | os.PathLike, out: str | os.PathLike) -> None:
    """Rename the finished folder `new` onto `out`; an old `out` is moved aside
    and deleted only once the new one is in place (put back if that fails)."""
    new, out = Path(new), Path(out)
    if not out.exists():
        os.replace(new, out)
        return
    old = swap_sibling(out, "old")
    os.replace(out, old)
    try:
        os.replace(new, out)
    except BaseException:
        os.replace(old, out)
        raise
    shutil.rmtree(old)


@contextlib.contextmanager
def atomic_dir(out: str | os.PathLike):
    """Build a folder beside `out`, then swap it in whole: ``with atomic_dir(out) as new: ...``.

    Yields a new, empty hidden sibling ``.<name>.new-<pid>``. When the block
    ends normally, `replace_dir` renames it onto `out` (an old `out` is kept
    until the new one is in place, and put back if that rename fails). When the
    block raises (or is interrupted), or the swap fails, the sibling is deleted
    and `out` is left as it was. A process killed outright leaves the sibling
    behind (and, between the two renames, the old `out` as ``.<name>.old-<pid>``);
    `artifacts` recovers from both."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    new = swap_sibling(out, "new")
    shutil.rmtree(new, ignore_errors=True)      # left by an earlier process with our pid
    try:
        new.mkdir()
        yield new
        replace_dir(new, out)
    finally:
        shutil.rmtree(new, ignore_errors=True)
