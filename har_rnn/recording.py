"""Classify your own phone recording: ``python -m har_rnn.recording classify FILE [FILE ...]``.

The steps, one function each, are the rebuild's (`har_rnn.data.hapt`) plus what a
phone's log needs first:

    read_sensor_file -> clean_times -> antialias -> resample (one 50 Hz grid)
    -> hapt.raw_to_channels -> standardize -> windows every 64 samples -> model -> segments

Layouts (``--layout``; ``auto`` tells them apart by the header)
----------------------------------------------------------------
``plain``, this project's own: CSV, comma-separated, a header row, then numbers::

    time,acc_x,acc_y,acc_z,gyro_x,gyro_y,gyro_z

time in seconds (any origin: 0 or Unix time), the accelerometer in m/s² *with
gravity* (what Android's TYPE_ACCELEROMETER gives), the gyroscope in rad/s. All six
in one file, or two files with their own timestamps and rates:
``time,acc_x,acc_y,acc_z`` and ``time,gyro_x,gyro_y,gyro_z``. Columns go by
name, in any order; other columns are ignored.

``sensorlogger``: the free app Sensor Logger (Android and iOS), its
zip export or the CSV files in it. One file per sensor, all on one clock::

    time,seconds_elapsed,z,y,x

``time`` in nanoseconds since 1970 (not used), ``seconds_elapsed`` in seconds
since the recording started (used), x, y, z in m/s² (accelerometers, with
standard gravity 9.80665 m/s²) or rad/s (gyroscope). The file name says the
sensor: ``TotalAcceleration.csv`` (with gravity; Android only) and
``Gyroscope.csv``. On iOS, where Sensor Logger logs no TotalAcceleration,
give ``Accelerometer.csv`` (without gravity) *and* ``Gravity.csv``: their sum
is the acceleration with gravity. ``Accelerometer.csv`` alone is refused: the
model needs gravity, which tells it the posture. Checked in the app's own
documentation (the awesome-sensor-logger repository: UNITS.md for the columns
and units, COORDINATES.md and CROSSPLATFORM.md for the axes, README.md for the
timestamps and the zip export).

Axes and platforms (``--platform``)
-----------------------------------
HAPT's phone (a Samsung Galaxy S II on the waist) reports Android's convention:
a phone lying flat, face up, reads about +9.81 m/s² on z (+1 g after conversion).
iOS reports the opposite sign on all three axes (and CoreMotion's raw
accelerometer is in g). Both layouts are read as Android's axes in m/s²;
``--platform ios`` flips the accelerometer's sign, for a log in iOS's axes
(Sensor Logger on iOS with "Standardise Units & Frames" off, its default; with
it on, the log is in Android's axes already: no flag). A plain file from
CoreMotion's raw accelerometer must be written in m/s² (times 9.80665).
Gyroscopes agree on both platforms (rad/s, counter-clockwise positive): never
flipped. A median |acceleration| far from 1 g is refused (no gravity, or the
wrong unit). The model only knows HAPT's placement: the phone on its side (landscape) on the
waist, gravity along +x (appendix A5 measures what a turned phone does to it); a
recording whose x axis points down on average gets a note (upside down, or
iOS's axes without ``--platform ios``?).

Timestamps
----------
- Repeated timestamps (common in real logs): the row is dropped, the first kept;
  a note line says how many.
- Time going backwards: an error naming the row.
- Each sensor must run at >= 47.5 Hz (50 Hz less 5%: a phone's "50 Hz" is
  often 49 point something), measured as the median interval.
- Gaps longer than one window (2.56 s) split the recording into pieces,
  classified one by one; a note says where. A log pauses for real (the app sent
  to the background): refusing the file would lose the rest, and bridging
  seconds by interpolation would invent windows. Shorter gaps are bridged by the
  interpolation below, with a note when one exceeds 0.1 s.
- Both sensors are resampled onto one 50 Hz grid over the time both cover (on
  whole multiples of 20 ms of the files' clock), by linear interpolation. A
  sensor at 60 Hz or more is low-passed at 25 Hz first (Butterworth, order 6,
  zero phase): a phone at 100 Hz can record up to 50 Hz, and without the filter
  the 25-50 Hz part folds into the band the model reads. Measured on HAPT's 19
  test-volunteer recordings written as a phone at 100 Hz would (band-limited,
  jittered, the phone's clock off the 50 Hz grid by a fraction of a sample;
  tests/test_recording.py does it for four), the share of the 5,053 windows
  whose class matches the original 50 Hz data's, linear interpolation alone /
  low-pass first:

      27-45 Hz vibration added   none          0.05 g        0.2 g
      answer                     99.9 / 99.8   96.5 / 99.6   88.6 / 99.5
      rnn                        99.6 / 99.3   98.0 / 99.2   94.1 / 98.9

  (the vibration's std in g on the accelerometer, the same number in rad/s on
  the gyroscope). The filter costs a few tenths of a percent on clean data and
  saves up to 11 points on shaky data.

Output: the segments (start, end in seconds from the first instant both sensors
cover; activity; confidence = the mean of the windows' top softmax
probabilities). Each window speaks for its middle 1.28 s (the first also for the
start, the last up to its end), so segments tile the recording without overlap.
Every problem with the input is one `RecordingError` line and exit status 2.
"""
from __future__ import annotations

import argparse
import io
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from scipy import signal as sps

from .data.errors import HarError
from .data.hapt import raw_to_channels, window_starts
from .data.standardizer import standardize
from .data.uci_format import ACTIVITIES, SAMPLE_RATE_HZ, WINDOW
from .files import describe_os_error, display_path
from .shipped import SHIPPED, load_shipped

STANDARD_GRAVITY = 9.80665             # m/s² per g, as HAPT's README and Android use
STEP = WINDOW // 2                     # windows every 64 samples, as in the rebuild
MIN_RATE_HZ = 0.95 * SAMPLE_RATE_HZ
MIN_SPAN_S = (WINDOW - 1) / SAMPLE_RATE_HZ   # 128 samples on the 50 Hz grid
MAX_GAP_S = WINDOW / SAMPLE_RATE_HZ          # a longer gap splits the recording
NOTE_GAP_S = 0.1                             # a bridged gap longer than this gets a note
GRAVITY_RANGE_G = (0.5, 1.5)                 # median |acc| of any recording with gravity
ANTIALIAS_HZ, ANTIALIAS_ORDER = 25.0, 6      # zero-phase Butterworth before going down to 50 Hz
ANTIALIAS_ABOVE_HZ = 60.0                    # sensors at least this fast get it
PLATFORMS = ("android", "ios")
DEFAULT_MODEL = "answer"


class RecordingError(HarError):
    """A phone recording that cannot be read or classified, and what to do about it."""


@dataclass(frozen=True)
class Layout:
    name: str
    time: str
    acc: tuple[str, str, str]
    gyro: tuple[str, str, str]


PLAIN = Layout("plain", "time", ("acc_x", "acc_y", "acc_z"), ("gyro_x", "gyro_y", "gyro_z"))
SENSOR_LOGGER = Layout("sensorlogger", "seconds_elapsed", ("x", "y", "z"), ("x", "y", "z"))   # one sensor a file
LAYOUTS = {layout.name: layout for layout in (PLAIN, SENSOR_LOGGER)}
# Sensor Logger's file names (lower case, no .csv) -> the sensor; its files share one header.
SENSOR_LOGGER_FILES = {"totalacceleration": "accelerometer", "gyroscope": "gyroscope",
                       "accelerometer": "acceleration without gravity", "gravity": "gravity"}
KINDS = ("accelerometer", "gyroscope")


@dataclass
class Sensor:
    """One sensor's samples as read: times (s) and x, y, z in m/s² or rad/s."""
    kind: str                # "accelerometer", "gyroscope", or Sensor Logger's two iOS parts
    where: str               # the file, for messages
    t: np.ndarray
    xyz: np.ndarray


@dataclass
class Piece:
    """A stretch with no gap longer than one window, on the 50 Hz grid."""
    start: float             # seconds, on the files' clock
    acc: np.ndarray          # (n, 3) in g, Android's axes
    gyro: np.ndarray         # (n, 3) in rad/s


@dataclass
class Recording:
    pieces: list[Piece]
    notes: list[str] = field(default_factory=list)

    @property
    def origin(self) -> float:
        """Time 0 of the printed segments: the first grid point both sensors cover."""
        return self.pieces[0].start


@dataclass
class Segment:
    start: float             # seconds from the recording's origin
    end: float
    activity: str
    confidence: float        # mean top probability of its windows
    windows: int


# --- reading ------------------------------------------------------------------

def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RecordingError(f"{display_path(path)} {describe_os_error(exc)}.") from None


def _decode(data: bytes, where: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise RecordingError(f"{where} is not a CSV text file (not UTF-8 text).") from None


def _zip_members(data: bytes, where: str) -> list[tuple[str, str, str]]:
    """(where, name, text) of the sensor files in a Sensor Logger zip export."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            chosen = [n for n in zf.namelist() if Path(n).suffix.lower() == ".csv"
                      and Path(n).stem.lower() in SENSOR_LOGGER_FILES]
            if any(Path(n).stem.lower() == "totalacceleration" for n in chosen):   # iOS's two parts not needed
                chosen = [n for n in chosen if Path(n).stem.lower() in ("totalacceleration", "gyroscope")]
            return [(f"{n} in {where}", n, _decode(zf.read(n), f"{n} in {where}")) for n in sorted(chosen)]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise RecordingError(f"{where} looks like a zip but cannot be read ({exc}).") from None


def _texts(path: Path) -> list[tuple[str, str, str]]:
    """(where, name, text) of each CSV a file holds: itself, or the sensor files of a zip."""
    where = display_path(path)
    data = _read_bytes(path)
    if data[:4] == b"PK\x03\x04":
        members = _zip_members(data, where)
        if not members:
            raise RecordingError(f"{where} is a zip without TotalAcceleration.csv, Accelerometer.csv, "
                                 "Gravity.csv or Gyroscope.csv: not a Sensor Logger export.")
        return members
    return [(where, path.name, _decode(data, where))]


def _header(text: str, where: str) -> tuple[list[str], int]:
    """(column names, the header's line number): the first non-blank line."""
    lines = text.splitlines()
    at = next((i for i, line in enumerate(lines) if line.strip()), None)
    if at is None:
        raise RecordingError(f"{where} is empty.")
    return [c.strip().strip('"').strip() for c in lines[at].split(",")], at + 1


def _pick_layout(columns: list[str], wanted: str, where: str) -> Layout:
    if wanted != "auto":
        return LAYOUTS[wanted]
    if "seconds_elapsed" in columns:
        return SENSOR_LOGGER
    if "time" in columns:
        return PLAIN
    shown = ", ".join(repr(c) for c in columns[:8])
    raise RecordingError(f"{where}: cannot tell its layout from its header ({shown}): expected 'time' "
                         "(plain layout: time,acc_x,...) or 'seconds_elapsed' (Sensor Logger: "
                         "time,seconds_elapsed,z,y,x).")


def _wants(layout: Layout) -> str:
    if layout is SENSOR_LOGGER:
        return "Sensor Logger's files have the columns time, seconds_elapsed, z, y, x"
    return f"the plain layout wants time, then {', '.join(layout.acc)} and/or {', '.join(layout.gyro)}"


def _plain_kinds(columns: list[str], where: str) -> list[str]:
    """Which sensors a plain file holds, by its columns; an error for a partial set."""
    kinds = []
    for kind, names in zip(KINDS, (PLAIN.acc, PLAIN.gyro)):
        missing = [c for c in names if c not in columns]
        if missing and len(missing) < len(names):
            raise RecordingError(f"{where} lacks the column {missing[0]!r}: {_wants(PLAIN)}.")
        if not missing:
            kinds.append(kind)
    if not kinds:
        raise RecordingError(f"{where} has neither accelerometer nor gyroscope columns: {_wants(PLAIN)}.")
    return kinds


def _sensor_logger_kind(name: str, where: str) -> str:
    """Sensor Logger's files share one header: the file name says the sensor."""
    stem = Path(name).stem.lower()
    if stem not in SENSOR_LOGGER_FILES:
        raise RecordingError(f"{where}: cannot tell which sensor it holds from its name: Sensor Logger names "
                             "them TotalAcceleration.csv and Gyroscope.csv (Accelerometer.csv and Gravity.csv "
                             "on iOS); keep those names.")
    return SENSOR_LOGGER_FILES[stem]


def _numbers(text: str, columns: list[str], wanted: list[str], header_line: int, where: str) -> np.ndarray:
    """The wanted columns as float64; the first bad cell named by line when there is one."""
    try:
        frame = pd.read_csv(io.StringIO(text), header=0, names=columns, usecols=wanted,
                            dtype=np.float64, engine="c", skiprows=header_line - 1)
        values = frame[wanted].to_numpy()
        if np.isfinite(values).all():
            if not len(values):
                raise RecordingError(f"{where} has a header but no data rows.")
            return values
    except (ValueError, pd.errors.ParserError):
        pass
    raise RecordingError(_first_bad_cell(text, columns, wanted, header_line, where))


def _first_bad_cell(text: str, columns: list[str], wanted: list[str], header_line: int, where: str) -> str:
    # Only on failure: scan line by line to say where and what (the C parser only says "failed").
    index = {name: columns.index(name) for name in wanted}
    for number, line in enumerate(text.splitlines()[header_line:], header_line + 1):
        if not line.strip():
            continue
        cells = line.split(",")
        if len(cells) != len(columns):
            return f"{where} line {number} has {len(cells)} columns, its header {len(columns)}."
        for name in wanted:
            cell = cells[index[name]].strip().strip('"')
            if not _is_number(cell):
                return f"{where} line {number}, column {name!r}: {cell!r} is not a number."
    return f"{where} cannot be read as CSV (a repeated column name?)."


def _is_number(token: str) -> bool:
    try:
        return bool(np.isfinite(float(token)))
    except ValueError:
        return False


def _parse(where: str, name: str, text: str, layout: str) -> list[Sensor]:
    columns, header_line = _header(text, where)
    chosen = _pick_layout(columns, layout, where)
    needed = (chosen.time, *chosen.acc) if chosen is SENSOR_LOGGER else (chosen.time,)
    missing = [c for c in needed if c not in columns]
    if missing:
        raise RecordingError(f"{where} lacks the column {missing[0]!r}: {_wants(chosen)}.")
    if chosen is SENSOR_LOGGER:
        groups = [(_sensor_logger_kind(name, where), chosen.acc)]
    else:
        groups = [(kind, PLAIN.acc if kind == "accelerometer" else PLAIN.gyro)
                  for kind in _plain_kinds(columns, where)]
    wanted = [chosen.time] + [c for _, names in groups for c in names]
    values = _numbers(text, columns, wanted, header_line, where)
    return [Sensor(kind, where, values[:, 0], values[:, [wanted.index(c) for c in names]])
            for kind, names in groups]


def read_sensor_file(path: str | Path, layout: str = "auto") -> list[Sensor]:
    """The sensors one file holds (a plain CSV: accelerometer, gyroscope or both; a Sensor
    Logger CSV: one; its zip: all it needs), as read: times in s, values in m/s² or rad/s."""
    return [s for where, name, text in _texts(Path(path)) for s in _parse(where, name, text, layout)]


# --- timestamps -----------------------------------------------------------------

def clean_times(sensor: Sensor) -> tuple[Sensor, int]:
    """Drop rows whose time repeats the previous one (keep the first); refuse time going
    backwards, too few samples and a rate below 47.5 Hz. Returns (sensor, rows dropped)."""
    t = sensor.t
    step = np.diff(t)
    back = np.flatnonzero(step < 0)
    if back.size:
        row = back[0] + 1
        raise RecordingError(f"{sensor.where}, data row {row + 1}: time {t[row]:.3f} s comes before the "
                             f"previous row's {t[row - 1]:.3f} s: time must only increase. Sort the rows "
                             f"by time, or check that two recordings were not pasted together.")
    keep = np.concatenate([[True], step > 0])
    cleaned = Sensor(sensor.kind, sensor.where, t[keep], sensor.xyz[keep])
    span = cleaned.t[-1] - cleaned.t[0]
    if span < MIN_SPAN_S:
        raise RecordingError(f"{sensor.where}: the {sensor.kind} covers only {span:.2f} s, shorter than one "
                             f"window ({WINDOW / SAMPLE_RATE_HZ:.2f} s): record for longer.")
    rate = 1.0 / np.median(np.diff(cleaned.t))
    if rate < MIN_RATE_HZ:
        raise RecordingError(f"{sensor.where}: the {sensor.kind} is sampled at about {rate:.1f} Hz, too slow: "
                             f"the model reads {SAMPLE_RATE_HZ} Hz, so record at {SAMPLE_RATE_HZ} Hz or faster.")
    return cleaned, int((~keep).sum())


def _runs(t: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) sample of the stretches with no gap longer than MAX_GAP_S."""
    cut = np.flatnonzero(np.diff(t) > MAX_GAP_S)
    return list(zip(np.r_[0, cut + 1], np.r_[cut, len(t) - 1]))


def _gap_notes(sensor: Sensor) -> list[str]:
    step = np.diff(sensor.t)
    notes = []
    bridged = step[(step > NOTE_GAP_S) & (step <= MAX_GAP_S)]
    if bridged.size:
        notes.append(f"{sensor.where}: bridged {bridged.size} gap(s) in the {sensor.kind} by interpolation "
                     f"(longest {bridged.max():.2f} s)")
    for i in np.flatnonzero(step > MAX_GAP_S):
        notes.append(f"{sensor.where}: the {sensor.kind} stops for {step[i]:.2f} s at {sensor.t[i]:.2f} s "
                     f"(file time), longer than one window: the recording is split there")
    return notes


def _with_gravity(user: Sensor, gravity: Sensor) -> Sensor:
    """Sensor Logger on iOS: acceleration without gravity plus gravity, on the former's times."""
    inside = (user.t >= gravity.t[0]) & (user.t <= gravity.t[-1])
    if inside.sum() < 2:
        raise RecordingError(f"{user.where} and {gravity.where} do not overlap in time: give files of one "
                             "recording.")
    t = user.t[inside]
    total = user.xyz[inside] + np.column_stack([np.interp(t, gravity.t, gravity.xyz[:, i]) for i in range(3)])
    return Sensor("accelerometer", f"{user.where} + {gravity.where}", t, total)


def _common_stretches(acc: Sensor, gyro: Sensor) -> list[tuple[float, float]]:
    """Where both sensors run, without a long gap in either."""
    if max(acc.t[0], gyro.t[0]) >= min(acc.t[-1], gyro.t[-1]):
        raise RecordingError(f"the accelerometer ({acc.where}, {acc.t[0]:.2f}-{acc.t[-1]:.2f} s) and the "
                             f"gyroscope ({gyro.where}, {gyro.t[0]:.2f}-{gyro.t[-1]:.2f} s) do not overlap in "
                             "time: give files recorded together, on one clock.")
    both = [(max(acc.t[a0], gyro.t[g0]), min(acc.t[a1], gyro.t[g1]))
            for a0, a1 in _runs(acc.t) for g0, g1 in _runs(gyro.t)]
    return sorted((s, e) for s, e in both if e > s)


# --- resampling ---------------------------------------------------------------------

def antialias(sensor: Sensor) -> Sensor:
    """A sensor sampled at >= 60 Hz, low-passed at 25 Hz (zero phase), so that going down to
    50 Hz folds nothing from above 25 Hz into the band the model reads; slower ones as they are.

    The filter runs on the samples as they come, as if evenly spaced, stretch by stretch
    between long gaps: a phone's jitter is a few percent of a period, while an even grid
    first would cost a second interpolation, which measurably blurs the 20-25 Hz part."""
    rate = 1.0 / np.median(np.diff(sensor.t))
    if rate < ANTIALIAS_ABOVE_HZ:
        return sensor
    sos = sps.butter(ANTIALIAS_ORDER, ANTIALIAS_HZ, fs=rate, output="sos")
    smooth = sensor.xyz.copy()
    for a, b in _runs(sensor.t):
        if b - a + 1 > 3 * (2 * len(sos) + 1):          # sosfiltfilt's edge padding needs that much
            smooth[a:b + 1] = sps.sosfiltfilt(sos, sensor.xyz[a:b + 1], axis=0)
    return Sensor(sensor.kind, sensor.where, sensor.t, smooth)


def _on_grid(sensor: Sensor, grid: np.ndarray) -> np.ndarray:
    return np.column_stack([np.interp(grid, sensor.t, sensor.xyz[:, i]) for i in range(3)])


PLACEMENT_WARN_DEGREES = 60     # beyond notebook 04's 30-degree rotations, with room for lying down


def _placement_note(acc_g: np.ndarray) -> list[str]:
    """HAPT's phone, on the waist, reads gravity along +x: say so when this recording's does not."""
    mean = acc_g.mean(axis=0)
    if mean[0] < 0:
        return [f"the accelerometer's x axis points down on average (mean x, y, z = {mean[0]:.2f}, {mean[1]:.2f}, "
                f"{mean[2]:.2f} g; HAPT's phone, on its side on the waist, reads about +1 g on x): is the phone "
                "upside down, or the log in iOS's axes (--platform ios)? Expect poor predictions."]
    angle = float(np.degrees(np.arccos(mean[0] / max(float(np.linalg.norm(mean)), 1e-12))))
    if angle <= PLACEMENT_WARN_DEGREES:
        return []
    return [f"gravity lies {angle:.0f} degrees from the phone's +x axis on average (mean x, y, z = {mean[0]:.2f}, "
            f"{mean[1]:.2f}, {mean[2]:.2f} g); HAPT's phone sat on the waist with gravity along +x (on its side, "
            "in Android's axes), and the model has seen turns of up to 30 degrees only: a phone worn upright in "
            "portrait (gravity along +y) is far outside that. Expect poor predictions."]


def _check_gravity(acc_g: np.ndarray, where: str) -> None:
    """A recording with gravity reads about 1 g: anything else is the wrong sensor or unit."""
    median = float(np.median(np.linalg.norm(acc_g, axis=1)))
    low, high = GRAVITY_RANGE_G
    if not low <= median <= high:
        raise RecordingError(f"{where}: the accelerometer reads a median of {median:.2f} g, not about 1 g: it must "
                             "include gravity and be in m/s². Check the sensor (acceleration *with* gravity) "
                             "and the unit.")


def resample(acc: Sensor, gyro: Sensor, platform: str = "android") -> tuple[list[Piece], list[str]]:
    """Both sensors on one 50 Hz grid, piece by piece, acc converted to g on Android's axes;
    and notes on what was skipped."""
    sign = -1.0 if platform == "ios" else 1.0      # iOS: the opposite sign of Android's
    acc, gyro = antialias(acc), antialias(gyro)
    pieces, notes = [], []
    for start, end in _common_stretches(acc, gyro):
        start = np.ceil(start * SAMPLE_RATE_HZ - 1e-6) / SAMPLE_RATE_HZ   # the grid sits on whole 20 ms
        n = int(np.floor((end - start) * SAMPLE_RATE_HZ + 1e-6)) + 1
        if n < WINDOW:
            notes.append(f"skipped {end - start:.2f} s from {start:.2f} s (file time) between gaps: "
                         "shorter than one window")
            continue
        grid = start + np.arange(n) / SAMPLE_RATE_HZ
        pieces.append(Piece(start, sign * _on_grid(acc, grid) / STANDARD_GRAVITY, _on_grid(gyro, grid)))
    if not pieces:
        raise RecordingError(f"the accelerometer ({acc.where}) and the gyroscope ({gyro.where}) run together for "
                             f"no stretch of one window ({WINDOW / SAMPLE_RATE_HZ:.2f} s) without a gap: "
                             "record for longer.")
    acc_g = np.concatenate([p.acc for p in pieces])
    _check_gravity(acc_g, acc.where)
    return pieces, notes + _placement_note(acc_g)


def _by_kind(sensors: list[Sensor]) -> dict[str, Sensor]:
    found: dict[str, Sensor] = {}
    for sensor in sensors:
        if sensor.kind in found:
            raise RecordingError(f"both {found[sensor.kind].where} and {sensor.where} hold the {sensor.kind}: "
                                 "give one of each sensor.")
        found[sensor.kind] = sensor
    return found


def _accelerometer(found: dict[str, Sensor], given: str) -> Sensor:
    if "accelerometer" in found:
        return found["accelerometer"]
    user, gravity = found.get("acceleration without gravity"), found.get("gravity")
    if user is not None and gravity is not None:
        return _with_gravity(user, gravity)
    if user is not None:
        raise RecordingError(f"{user.where} is Sensor Logger's acceleration without gravity: the model needs "
                             "gravity. Give TotalAcceleration.csv (Android), or Accelerometer.csv with "
                             "Gravity.csv (iOS).")
    raise RecordingError(f"no accelerometer in {given}: give one file with all six columns, or two files "
                         "(accelerometer, gyroscope).")


def read_recording(files: list[str | Path] | str | Path, layout: str = "auto",
                   platform: str = "android") -> Recording:
    """Read a recording (one file with all six columns, a Sensor Logger zip, or one file per
    sensor, in any order) into pieces on the 50 Hz grid: acc in g on Android's axes, gyro in rad/s."""
    files = [Path(f) for f in ([files] if isinstance(files, (str, Path)) else files)]
    if not 1 <= len(files) <= 3:
        raise RecordingError(f"got {len(files)} files: give one file with all six columns, or one file "
                             "per sensor (accelerometer, gyroscope).")
    if layout not in ("auto", *LAYOUTS):
        raise RecordingError(f"unknown layout {layout!r}: one of auto, {', '.join(LAYOUTS)}.")
    if platform not in PLATFORMS:
        raise RecordingError(f"unknown platform {platform!r}: one of {', '.join(PLATFORMS)}.")
    notes, cleaned = [], []
    for sensor in (s for f in files for s in read_sensor_file(f, layout)):
        sensor, dropped = clean_times(sensor)
        if dropped:
            notes.append(f"{sensor.where}: dropped {dropped} row(s) with a repeated timestamp "
                         "(kept the first of each)")
        cleaned.append(sensor)
    found = _by_kind(cleaned)
    given = " and ".join(display_path(f) for f in files)
    acc = _accelerometer(found, given)
    if "gyroscope" not in found:
        raise RecordingError(f"no gyroscope in {given}: give one file with all six columns, or one file "
                             "per sensor (accelerometer, gyroscope).")
    gyro = found["gyroscope"]
    notes += _gap_notes(acc) + _gap_notes(gyro)
    pieces, skipped = resample(acc, gyro, platform)
    return Recording(pieces, notes + skipped)


# --- classifying ---------------------------------------------------------------------

def window_probabilities(channels: np.ndarray, model: torch.nn.Module, stats: dict
                         ) -> tuple[np.ndarray, np.ndarray]:
    """Window starts (every 64 samples) and softmax probabilities (w, 6) of (n, 9) channels."""
    x = standardize(channels, stats)
    starts = window_starts(len(x))
    windows = torch.from_numpy(np.ascontiguousarray(x[starts[:, None] + np.arange(WINDOW)]))
    with torch.inference_mode():
        probs = torch.softmax(model(windows), dim=1)
    return starts, probs.numpy()


def merge_windows(starts: np.ndarray, probs: np.ndarray, offset: float = 0.0) -> list[Segment]:
    """Consecutive windows of the same class -> one segment (times in s, plus `offset`)."""
    labels, top = probs.argmax(axis=1), probs.max(axis=1)
    # Each window speaks for its middle half; the first from its start, the last to its end.
    lo = starts + STEP // 2
    hi = lo + STEP
    lo[0], hi[-1] = starts[0], starts[-1] + WINDOW
    cuts = np.flatnonzero(np.diff(labels)) + 1
    return [Segment(offset + lo[a] / SAMPLE_RATE_HZ, offset + hi[b - 1] / SAMPLE_RATE_HZ,
                    ACTIVITIES[labels[a]], float(top[a:b].mean()), int(b - a))
            for a, b in zip(np.r_[0, cuts], np.r_[cuts, len(labels)])]


def piece_predictions(recording: Recording, model: torch.nn.Module, stats: dict
                      ) -> list[tuple[np.ndarray, np.ndarray]]:
    """(window starts, probabilities) for each piece, through the rebuild's preprocessing."""
    return [window_probabilities(raw_to_channels(p.acc, p.gyro), model, stats) for p in recording.pieces]


def classify(recording: Recording, model: torch.nn.Module, stats: dict) -> list[list[Segment]]:
    """The segments of each piece, times in seconds from `recording.origin`."""
    return [merge_windows(starts, probs, piece.start - recording.origin)
            for piece, (starts, probs) in zip(recording.pieces, piece_predictions(recording, model, stats))]


# --- output ------------------------------------------------------------------------

def format_segments(recording: Recording, pieces: list[list[Segment]]) -> str:
    """Note lines, then one row per segment (and per gap between pieces)."""
    lines = [f"note: {note}" for note in recording.notes]
    lines.append(f"time 0 = {recording.origin:.3f} s on the files' clock, where both sensors run")
    lines.append(f"{'start (s)':>10} {'end (s)':>10}  {'activity':<20}{'confidence':>10}")
    for i, segments in enumerate(pieces):
        if i:
            lines.append(f"{pieces[i - 1][-1].end:10.2f} {segments[0].start:10.2f}  {'(gap: not classified)':<20}")
        lines += [f"{s.start:10.2f} {s.end:10.2f}  {s.activity:<20}{s.confidence:10.2f}" for s in segments]
    return "\n".join(lines)


def draw_timeline(pieces: list[list[Segment]], path: str | Path) -> None:
    """The segments as bars, one row per activity, shaded by confidence; saved to `path`."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(10, 2.8))
    colors = plt.get_cmap("tab10")
    for s in (s for segments in pieces for s in segments):
        row = ACTIVITIES.index(s.activity)
        ax.barh(row, s.end - s.start, left=s.start, color=colors(row), alpha=0.3 + 0.7 * s.confidence)
    ax.set_yticks(range(len(ACTIVITIES)), ACTIVITIES)
    ax.invert_yaxis()
    ax.set_xlabel("time (s)")
    fig.tight_layout()
    try:
        fig.savefig(path, dpi=100)
    except OSError as exc:
        raise RecordingError(f"cannot write the timeline {display_path(path)}: "
                             f"{exc.strerror or type(exc).__name__}.") from None
    finally:
        plt.close(fig)


# --- the model, and the command line ---------------------------------------------------------

def load_model(name: str = DEFAULT_MODEL) -> tuple[torch.nn.Module, dict]:
    """A model shipped with the package (`har_rnn.shipped`: "answer", notebook 04's answer
    rung, or "rnn", notebook 02's vanilla RNN) and its standardization statistics."""
    shipped = load_shipped(name)
    return shipped.model, shipped.stats


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m har_rnn.recording",
                                     description="Classify a phone's own recording with a trained model.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("classify", help="print the activity segments of a recording",
                       description="One CSV with all six columns, a Sensor Logger zip, or one CSV per "
                                   "sensor. Layouts, units and axes: see `help(har_rnn.recording)`.")
    p.add_argument("files", nargs="+", type=Path, metavar="FILE")
    p.add_argument("--model", choices=sorted(SHIPPED), default=DEFAULT_MODEL,
                   help=f"which shipped model (default: {DEFAULT_MODEL}, notebook 04's answer; rnn: notebook 02's)")
    p.add_argument("--layout", choices=("auto", *LAYOUTS), default="auto",
                   help="the files' layout (default: auto, from the time column's name)")
    p.add_argument("--platform", choices=PLATFORMS, default="android",
                   help="ios: the accelerometer is in iOS's axes (the opposite sign of Android's): flip it")
    p.add_argument("--timeline", type=Path, metavar="PNG", help="also draw the segments into this image")
    args = parser.parse_args(argv)
    try:
        recording = read_recording(args.files, args.layout, args.platform)
        model, stats = load_model(args.model)
        pieces = classify(recording, model, stats)
        print(format_segments(recording, pieces))
        if args.timeline is not None:
            draw_timeline(pieces, args.timeline)
            print(f"timeline: {display_path(args.timeline)}")
    except HarError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
