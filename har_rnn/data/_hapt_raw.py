"""Read HAPT's RawData (labels.txt and the acc/gyro recordings) from its folder or its zip.

Every problem (a missing, unreadable or malformed file, a corrupt zip)
raises one `HarDataError` naming the file, and the line when there is one.
"""
from __future__ import annotations

import io
import os
import zipfile
import zlib
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import numpy as np
import pandas as pd

from .errors import HarDataError
from ..files import describe_os_error, display_path

N_LABEL_IDS = 12   # 1-6 the UCI HAR activities, 7-12 postural transitions

POINT_HINT = "point build-from-hapt at the folder holding RawData/ or at the HAPT zip"
REEXTRACT_HINT = "Re-download or re-extract the HAPT v2.1 zip."


class RawSource:
    """HAPT's RawData folder, on disk or inside the zip, read file by file as bytes.

    `src` is a folder holding ``RawData/`` (directly or one level deeper, as an
    unpacked zip often is) or the HAPT zip itself, read in memory.
    """

    def __init__(self, src: str | os.PathLike) -> None:
        self.src = Path(src)
        self._zip: zipfile.ZipFile | None = None
        if self.src.is_dir():
            self._dir = self._find_raw_dir(self.src)
        elif self.src.is_file():
            self._open_zip()
        else:
            raise HarDataError(f"{display_path(self.src)} does not exist: {POINT_HINT}.")
        if not self._exists("labels.txt"):
            raise HarDataError(f"{self.where('labels.txt')} is missing. {REEXTRACT_HINT}")

    @staticmethod
    def _find_raw_dir(src: Path) -> Path:
        if (src / "RawData").is_dir():
            return src / "RawData"
        deeper = sorted(p for p in src.glob("*/RawData") if p.is_dir())
        if len(deeper) == 1:
            return deeper[0]
        if deeper:
            raise HarDataError(f"{display_path(src)} holds several RawData folders "
                               f"({', '.join(display_path(p) for p in deeper)}): {POINT_HINT}.")
        hint = " (it looks like RawData itself: use its parent)" if (src / "labels.txt").exists() else ""
        raise HarDataError(f"{display_path(src)} holds no RawData/ folder{hint}: {POINT_HINT}.")

    def _open_zip(self) -> None:
        try:
            self._zip = zipfile.ZipFile(self.src)
            names = [n for n in self._zip.namelist() if not n.startswith("__MACOSX/")]
        except (zipfile.BadZipFile, OSError) as exc:
            reason = getattr(exc, "strerror", None) or exc
            raise HarDataError(f"{display_path(self.src)} is not a readable zip ({reason}): "
                               f"{POINT_HINT}.") from None
        labels = sorted((n for n in names if n == "RawData/labels.txt"
                         or n.endswith("/RawData/labels.txt")), key=lambda n: n.count("/"))
        if not labels:
            inner = [n for n in names if n.lower().endswith(".zip")]
            hint = f" (it holds {', '.join(inner)}: extract that and use it)" if inner else ""
            raise HarDataError(f"the zip {display_path(self.src)} holds no RawData/labels.txt{hint}: "
                               f"{POINT_HINT}.")
        self._prefix = labels[0][: -len("labels.txt")]
        self._members = set(names)

    def _exists(self, name: str) -> bool:
        if self._zip is None:
            return (self._dir / name).exists()
        return self._prefix + name in self._members

    def where(self, name: str) -> str:
        """How to name a RawData file in messages."""
        if self._zip is None:
            return display_path(self._dir / name)
        return f"{self._prefix + name} in the zip {display_path(self.src)}"

    def read(self, name: str) -> bytes:
        if self._zip is None:
            try:
                return (self._dir / name).read_bytes()
            except OSError as exc:
                raise HarDataError(f"{self.where(name)} {describe_os_error(exc)}. {REEXTRACT_HINT}") from None
        if not self._exists(name):
            raise HarDataError(f"{self.where(name)} is missing. {REEXTRACT_HINT}")
        try:
            return self._zip.read(self._prefix + name)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise HarDataError(f"{self.where(name)} cannot be read, the zip is corrupt "
                               f"({exc}). {REEXTRACT_HINT}") from None

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()

    def __enter__(self) -> RawSource:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


Source = str | os.PathLike | RawSource   # a path, or a RawSource already open


@contextmanager
def _opened(src: Source) -> Iterator[RawSource]:
    """Use an open RawSource as is; open (and then close) a path."""
    if isinstance(src, RawSource):
        yield src
    else:
        with RawSource(src) as raw:
            yield raw


def _parse_table(data: bytes, n_cols: int, dtype: type, where: str) -> np.ndarray:
    """Whitespace-separated numbers -> (rows, n_cols) array, naming the first bad line.

    The C parser is fast but its errors are vague; only when it fails do we
    scan line by line to say where and what.
    """
    try:
        table = pd.read_csv(io.BytesIO(data), sep=r"\s+", header=None, dtype=dtype,
                            engine="c").to_numpy()
        if table.shape[1] == n_cols and np.isfinite(table).all():
            return table
    except (ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
        pass
    for i, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), 1):
        tokens = line.split()
        if tokens and len(tokens) != n_cols:
            problem = f"line {i} has {len(tokens)} columns, expected {n_cols}"
            break
        bad = [t for t in tokens if not _is_number(t, dtype)]
        if bad:
            problem = f"line {i}: {bad[0]!r} is not {'an integer' if dtype is np.int64 else 'a number'}"
            break
    else:
        problem = "it is empty" if not data.strip() else "it cannot be parsed"
    raise HarDataError(f"{where} is malformed: {problem}. {REEXTRACT_HINT}")


def _is_number(token: str, dtype: type) -> bool:
    try:
        return np.isfinite(dtype(token))
    except (ValueError, OverflowError):
        return False


def read_segments(src: Source) -> pd.DataFrame:
    """The labelled segments of ``RawData/labels.txt``, one row per line.

    Columns experiment, user, activity (1-12), start, end: sample numbers
    1-based and inclusive, as in the file. The index is the line number in
    labels.txt, for error messages.
    """
    with _opened(src) as raw:
        where = raw.where("labels.txt")
        data = raw.read("labels.txt")
    table = _parse_table(data, 5, np.int64, where)
    lines = [i for i, line in enumerate(data.splitlines(), 1) if line.strip()]
    segments = pd.DataFrame(table, columns=["experiment", "user", "activity", "start", "end"],
                            index=pd.Index(lines, name="line"))
    bad = segments[~segments.activity.between(1, N_LABEL_IDS) | (segments.start < 1)
                   | (segments.end < segments.start)]
    if len(bad):
        line, row = bad.index[0], bad.iloc[0]
        raise HarDataError(f"{where} line {line}: activity {row.activity}, samples "
                           f"{row.start}-{row.end} is not a valid segment (activity 1-{N_LABEL_IDS}, "
                           f"1 <= start <= end). {REEXTRACT_HINT}")
    return segments


def read_raw_recording(src: Source, experiment: int, user: int) -> tuple[np.ndarray, np.ndarray]:
    """One experiment's raw signals: acc (n, 3) in g and gyro (n, 3) in rad/s, 50 Hz."""
    names = [f"{kind}_exp{experiment:02d}_user{user:02d}.txt" for kind in ("acc", "gyro")]
    with _opened(src) as raw:
        acc, gyro = (_parse_table(raw.read(n), 3, np.float64, raw.where(n)) for n in names)
        if len(acc) != len(gyro):
            raise HarDataError(f"{raw.where(names[0])} has {len(acc)} samples but {names[1]} has "
                               f"{len(gyro)}: they must match. {REEXTRACT_HINT}")
    return acc, gyro
