"""Where the project's files live, and how they are written: the package's ground floor.

Every ``HAR_*`` path variable is read here and nowhere else:

- `REPOSITORY`: the clone this package runs from, or None after a plain
  ``pip install`` (the package then sits in site-packages, which is never written to).
- `get_data_home`: downloads, HAPT rebuilds and the parse cache. The ``data_home=``
  argument, else ``$HAR_DATA_HOME``, else the clone's ``data/`` folder, else
  ``~/har_rnn_data`` (as scikit-learn keeps ``~/scikit_learn_data``).
- `dataset_dir` (``$HAR_DATA_DIR``: a UCI HAR folder to use as is), `hapt_dir`
  (``$HAR_HAPT_DIR``: the raw HAPT recordings) and `cache_dir` (``$HAR_CACHE_DIR``).
- `artifacts_dir` and `images_dir`: ``$HAR_ARTIFACTS_DIR`` / ``$HAR_IMAGES_DIR``,
  else the clone's ``artifacts/`` and ``images/``, else ``artifacts/`` and
  ``images/`` in the folder you run from.

Outputs must not show machine-specific absolute paths, so every path a reader
sees goes through `display_path`. Every file the project writes goes through
`atomic_open`, and every folder it builds (a HAPT rebuild, an unpacked
download, the artifacts set) through `atomic_dir`, so an interruption never
leaves a half-written file or folder behind.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
PATH_VARIABLES = ("HAR_DATA_HOME", "HAR_DATA_DIR", "HAR_HAPT_DIR", "HAR_ARTIFACTS_DIR", "HAR_IMAGES_DIR",
                  "HAR_CACHE_DIR")
USER_DATA_HOME = Path("~") / "har_rnn_data"


def _repository() -> Path | None:
    """The clone's root, when this package is the one inside it (not an installed copy)."""
    root = PACKAGE.parent
    is_clone = (root / "pyproject.toml").is_file() and any(root.glob("0[1-4]_*.ipynb"))
    return root if is_clone else None


REPOSITORY = _repository()


def require_repository(what: str) -> Path:
    """The clone, for tooling that only makes sense in one (`what`: e.g. "make export")."""
    if REPOSITORY is None:
        raise SystemExit(f"{what} works on a clone of the repository; this har_rnn is an installed copy "
                         f"({display_path(PACKAGE)}).")
    return REPOSITORY


def _variable(name: str) -> Path | None:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else None


def get_data_home(data_home: str | os.PathLike | None = None) -> Path:
    """The folder for downloads, rebuilds and the parse cache (see the module's docstring)."""
    if data_home is not None:
        return Path(data_home).expanduser()
    return (_variable("HAR_DATA_HOME")
            or (REPOSITORY / "data" if REPOSITORY else USER_DATA_HOME.expanduser()))


def dataset_dir() -> Path | None:
    """``$HAR_DATA_DIR``: a UCI HAR folder chosen by hand, used as is."""
    return _variable("HAR_DATA_DIR")


def hapt_dir() -> Path | None:
    """``$HAR_HAPT_DIR``: the raw HAPT recordings (the folder holding RawData/, or the zip)."""
    return _variable("HAR_HAPT_DIR")


def cache_dir(data_home: str | os.PathLike | None = None) -> Path:
    """The parse cache: ``$HAR_CACHE_DIR``, else ``cache/`` in the data home."""
    return _variable("HAR_CACHE_DIR") or get_data_home(data_home) / "cache"


def _beside_the_lessons(variable: str, name: str) -> Path:
    return _variable(variable) or (REPOSITORY or Path.cwd()) / name


def artifacts_dir() -> Path:
    """What notebook 02 writes and 03, 04 and the appendix read (see the module's docstring)."""
    return _beside_the_lessons("HAR_ARTIFACTS_DIR", "artifacts")


def images_dir() -> Path:
    """The figures the notebooks save (the README shows some of them)."""
    return _beside_the_lessons("HAR_IMAGES_DIR", "images")


def display_path(path: str | os.PathLike) -> str:
    """A path as a reader may see it: relative to the clone (or the folder you run from) when
    inside it; ``$HAR_..._DIR/...`` under one of those folders; ``~/...`` under your home."""
    path = Path(path)
    resolved = path.resolve()
    if REPOSITORY is not None and resolved.is_relative_to(REPOSITORY):
        return str(resolved.relative_to(REPOSITORY)) or "."
    for var in PATH_VARIABLES:
        base = _variable(var)
        if base and resolved.is_relative_to(base.resolve()):
            rest = resolved.relative_to(base.resolve())
            return f"${var}" + (f"/{rest}" if str(rest) != "." else "")
    cwd = Path.cwd().resolve()
    if cwd != Path(cwd.anchor) and resolved.is_relative_to(cwd):
        return str(resolved.relative_to(cwd)) or "."
    home = Path.home().resolve()
    if resolved.is_relative_to(home):
        return str(Path("~") / resolved.relative_to(home))
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
