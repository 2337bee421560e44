"""Parse the bytes of UCI HAR text files into checked arrays.

Pure functions of bytes: reading the files (and their I/O errors) is
`_folder`'s job. A problem raises one `HarDataError` naming the file and line.
"""
from __future__ import annotations

import os

import numpy as np

from .errors import HarDataError
from ..files import display_path
from .uci_format import WINDOW

_POW10 = 10.0 ** np.arange(0, 23)  # exact in float64: division by them rounds correctly
EMPTY_HINT = "Download or rebuild the dataset again."


def _parse_fixed_width(raw: bytes) -> np.ndarray | None:
    """Parse the official fixed-width layout (16 bytes per value) vectorised.

    Returns None when the bytes are not exactly that layout (LF or CRLF line
    ends); the caller then falls back to the general parser, which also reports
    errors by line."""
    ending = b"\r\n" if raw[WINDOW * 16:WINDOW * 16 + 2] == b"\r\n" else b"\n"
    width = WINDOW * 16 + len(ending)
    if not raw or len(raw) % width:
        return None
    rows = np.frombuffer(raw, np.uint8).reshape(-1, width)
    cells = rows[:, :WINDOW * 16].reshape(len(rows), WINDOW, 16)
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
    if (rows[:, WINDOW * 16:] != np.frombuffer(ending, np.uint8)).any():
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


def _parse_general(text: str, path: os.PathLike) -> np.ndarray:
    """Any whitespace-separated layout (other spacing, tabs), line by line."""
    rows = []
    for lineno, line in enumerate(text.rstrip().splitlines(), 1):
        tokens = line.split()
        if len(tokens) != WINDOW:
            raise HarDataError(f"{display_path(path)} line {lineno}: expected {WINDOW} values, "
                               f"found {len(tokens)} (truncated or damaged file).")
        try:
            rows.append(np.array(tokens, dtype=np.float64))
        except ValueError:
            bad = next(t for t in tokens if not _is_float(t))
            raise HarDataError(f"{display_path(path)} line {lineno}: {bad!r} is not a number.") from None
    return np.array(rows).reshape(len(rows), WINDOW)


def _is_float(token: str) -> bool:
    try:
        float(token)
        return True
    except ValueError:
        return False


def parse_signals(raw: bytes, path: os.PathLike) -> np.ndarray:
    """An `Inertial Signals` file's bytes -> (rows, 128) float64, every value finite.

    `path` is only used to name the file in messages."""
    if not raw.strip():
        raise HarDataError(f"{display_path(path)} is empty. {EMPTY_HINT}")
    values = _parse_fixed_width(raw)
    if values is None:
        values = _parse_general(raw.decode("ascii", errors="replace"), path)
    bad = np.argwhere(~np.isfinite(values))
    if len(bad):
        row, col = bad[0]
        raise HarDataError(f"{display_path(path)} line {row + 1}: value {col + 1} is "
                           f"{values[row, col]} (not a finite number).")
    return values


def parse_integers(raw: bytes, path: os.PathLike, lo: int, hi: int, what: str) -> np.ndarray:
    """`y_*.txt` / `subject_*.txt` bytes: one integer per line within [lo, hi]."""
    lines = raw.decode("ascii", errors="replace").rstrip().splitlines()
    if not lines:
        raise HarDataError(f"{display_path(path)} is empty. {EMPTY_HINT}")
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
    return np.array(values, dtype=np.int64)
