"""Reading and classifying a phone's own recording (`har_rnn.recording`).

Fast tests use small synthetic CSVs (sines, constants, noise) in both layouts: parsing,
units and axes, resampling, gaps, segments, and every bad input through the library and
the command line. The real-data tests write HAPT's own test-volunteer recordings as a
phone would (100 Hz, m/s², jittered timestamps, one file per sensor, in both layouts)
and check that the shipped models classify >= 97% of the windows as they classify the
original 50 Hz data.
"""
from __future__ import annotations

import re

import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy.signal import resample_poly

from har_rnn import recording as rec
from har_rnn.data.hapt import raw_to_channels, read_raw_recording
from har_rnn.data.standardizer import standardize
from har_rnn.data.uci_format import ACTIVITIES, WINDOW
from har_rnn.files import REPOSITORY, display_path
from har_rnn.shipped import load_shipped

G = rec.STANDARD_GRAVITY
FS = 50
ACC, GYRO = ["acc_x", "acc_y", "acc_z"], ["gyro_x", "gyro_y", "gyro_z"]


# --- writing recordings -------------------------------------------------------------------

def jittered_times(duration: float, rate: float = 100.0, start: float = 0.0, jitter: float = 0.002,
                   seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = int(duration * rate)
    return start + np.arange(n) / rate + rng.uniform(-jitter, jitter, n)


def upright(t: np.ndarray) -> np.ndarray:
    """Accelerometer (m/s²) of a phone on its side on the waist, swaying slowly: gravity on x."""
    return np.column_stack([G * (1 + 0.05 * np.sin(2 * np.pi * 0.5 * t)),
                            0.5 * np.sin(2 * np.pi * 0.3 * t), np.full_like(t, 0.4)])


def turning(t: np.ndarray) -> np.ndarray:
    """Gyroscope (rad/s): slow sines, a different one per axis."""
    return np.column_stack([0.2 * np.sin(2 * np.pi * f * t) for f in (0.2, 0.4, 0.7)])


def write_plain(path: Path, t: np.ndarray, columns: dict[str, np.ndarray]) -> Path:
    names = list(columns)
    values = np.column_stack([t] + [columns[n] for n in names])
    np.savetxt(path, values, delimiter=",", header=",".join(["time", *names]), comments="", fmt="%.9g")
    return path


def write_sensor_logger(path: Path, t: np.ndarray, xyz: np.ndarray) -> Path:
    """Sensor Logger's layout: time (ns since 1970), seconds_elapsed, then z, y, x."""
    lines = ["time,seconds_elapsed,z,y,x"]
    lines += [f"{1_700_000_000_000_000_000 + round(s * 1e9)},{s:.9f},{z:.9g},{y:.9g},{x:.9g}"
              for s, (x, y, z) in zip(t, xyz)]
    path.write_text("\n".join(lines) + "\n")
    return path


def columns(xyz: np.ndarray, names: list[str]) -> dict[str, np.ndarray]:
    return dict(zip(names, xyz.T))


@pytest.fixture
def pair(tmp_path: Path) -> list[Path]:
    """30 s: the accelerometer at 100 Hz, the gyroscope at 200 Hz starting 13 ms later."""
    ta, tg = jittered_times(30), jittered_times(30, rate=200, start=0.013, jitter=0.001, seed=1)
    return [write_plain(tmp_path / "acc.csv", ta, columns(upright(ta), ACC)),
            write_plain(tmp_path / "gyro.csv", tg, columns(turning(tg), GYRO))]


# --- reading --------------------------------------------------------------------------------

def test_both_sensors_land_on_one_50hz_grid_in_g_and_rad_s(pair: list[Path]) -> None:
    recording = rec.read_recording(pair)
    [piece] = recording.pieces
    grid = piece.start + np.arange(len(piece.acc)) / FS
    assert piece.start * FS == pytest.approx(round(piece.start * FS)) and piece.start >= 0.013
    assert grid[-1] <= 30 - 0.01 and len(grid) > 30 * FS - 3
    np.testing.assert_allclose(piece.acc, upright(grid) / G, atol=2e-3)
    np.testing.assert_allclose(piece.gyro, turning(grid), atol=2e-3)
    assert recording.notes == []


def test_one_file_may_hold_all_six_columns_in_any_order_with_others(tmp_path: Path) -> None:
    t = jittered_times(10)
    both = {**columns(turning(t), GYRO), "temperature": np.full_like(t, 21.0), **columns(upright(t), ACC)}
    [piece] = rec.read_recording(write_plain(tmp_path / "all.csv", t, both)).pieces
    grid = piece.start + np.arange(len(piece.acc)) / FS
    np.testing.assert_allclose(piece.acc, upright(grid) / G, atol=2e-3)
    np.testing.assert_allclose(piece.gyro, turning(grid), atol=2e-3)


def test_android_axes_are_kept_and_ios_axes_flipped(tmp_path: Path) -> None:
    t = jittered_times(10)
    flat = np.column_stack([np.full_like(t, 1.0), np.full_like(t, 2.0), np.full_like(t, G)])   # face up
    gyro = write_plain(tmp_path / "gyro.csv", t, columns(turning(t), GYRO))
    android = write_plain(tmp_path / "android.csv", t, columns(flat, ACC))
    ios = write_plain(tmp_path / "ios.csv", t, columns(-flat, ACC))
    for files, platform in (([android, gyro], "android"), ([ios, gyro], "ios")):
        acc = rec.read_recording(files, platform=platform).pieces[0].acc
        np.testing.assert_allclose(acc, np.tile([1 / G, 2 / G, 1.0], (len(acc), 1)), atol=1e-9)


def test_a_phone_upside_down_gets_a_note(tmp_path: Path) -> None:
    t = jittered_times(10)
    upside_down = upright(t) * [-1, 1, 1]
    files = [write_plain(tmp_path / "acc.csv", t, columns(upside_down, ACC)),
             write_plain(tmp_path / "gyro.csv", t, columns(turning(t), GYRO))]
    [note] = rec.read_recording(files).notes
    assert note.startswith("the accelerometer's x axis points down on average (mean x, y, z = -1.00, ")
    assert rec.read_recording(files, platform="ios").notes == []       # iOS's axes: all three flipped


def test_a_phone_in_portrait_gets_a_note_and_hapts_placement_none(tmp_path: Path) -> None:
    """Gravity along +y (Android's axes, the phone upright in portrait) is a 90-degree turn from
    HAPT's +x: far beyond the 30 degrees the model saw turned. HAPT's own placement: no note."""
    t = jittered_times(10)
    portrait = upright(t)[:, [2, 0, 1]]                   # gravity on y instead of x (x: a slight tilt)
    gyro = write_plain(tmp_path / "gyro.csv", t, columns(turning(t), GYRO))
    [note] = rec.read_recording([write_plain(tmp_path / "portrait.csv", t, columns(portrait, ACC)), gyro]).notes
    assert re.match(r"gravity lies 8\d degrees from the phone's \+x axis", note) and "portrait" in note
    assert rec.read_recording([write_plain(tmp_path / "waist.csv", t, columns(upright(t), ACC)), gyro]).notes == []


def sensor_logger_pair(folder: Path, t: np.ndarray) -> list[Path]:
    folder.mkdir(exist_ok=True)
    return [write_sensor_logger(folder / "TotalAcceleration.csv", t, upright(t)),
            write_sensor_logger(folder / "Gyroscope.csv", t + 0.004, turning(t + 0.004))]


def test_sensor_logger_files_read_like_plain_ones(tmp_path: Path) -> None:
    t = jittered_times(20)
    plain = rec.read_recording([write_plain(tmp_path / "acc.csv", t, columns(upright(t), ACC)),
                                write_plain(tmp_path / "gyro.csv", t + 0.004, columns(turning(t + 0.004), GYRO))])
    logger = rec.read_recording(sensor_logger_pair(tmp_path / "export", t)[::-1])      # any order
    assert logger.origin == plain.origin
    np.testing.assert_allclose(logger.pieces[0].acc, plain.pieces[0].acc, atol=1e-5)   # z, y, x by name
    np.testing.assert_allclose(logger.pieces[0].gyro, plain.pieces[0].gyro, atol=1e-5)


def test_a_sensor_logger_zip_is_read_whole(tmp_path: Path) -> None:
    t = jittered_times(20)
    files = sensor_logger_pair(tmp_path / "export", t)
    expected = rec.read_recording(files).pieces[0]
    export = tmp_path / "2024-05-01_10-00-00.zip"
    with zipfile.ZipFile(export, "w") as zf:
        for f in files:
            zf.write(f, f.name)
        zf.writestr("Accelerometer.csv", "time,seconds_elapsed,z,y,x\n")     # iOS's parts: not needed here
        zf.writestr("metadata.csv", "version,device name,recording time,platform\n")
    got = rec.read_recording(export).pieces[0]
    np.testing.assert_array_equal(got.acc, expected.acc)
    np.testing.assert_array_equal(got.gyro, expected.gyro)


def test_sensor_logger_on_ios_adds_gravity_to_the_acceleration_without_it(tmp_path: Path) -> None:
    t = jittered_times(20)
    total = upright(t)
    gravity = np.tile([G, 0.0, 0.4], (len(t), 1))
    files = [write_sensor_logger(tmp_path / "Accelerometer.csv", t, total - gravity),
             write_sensor_logger(tmp_path / "Gravity.csv", t + 0.002, gravity),
             write_sensor_logger(tmp_path / "Gyroscope.csv", t, turning(t))]
    [piece] = rec.read_recording(files).pieces
    grid = piece.start + np.arange(len(piece.acc)) / FS
    np.testing.assert_allclose(piece.acc, upright(grid) / G, atol=2e-3)


def test_repeated_timestamps_are_dropped_keeping_the_first(pair: list[Path], tmp_path: Path) -> None:
    lines = pair[0].read_text().splitlines()
    repeated = [line for i, line in enumerate(lines) for line in
                ([line, f"{line.split(',')[0]},99,99,99"] if i in range(100, 105) else [line])]   # same time
    dirty = tmp_path / "dirty.csv"
    dirty.write_text("\n".join(repeated) + "\n")
    clean, got = rec.read_recording(pair), rec.read_recording([dirty, pair[1]])
    np.testing.assert_array_equal(got.pieces[0].acc, clean.pieces[0].acc)
    assert got.notes == [f"{display_path(dirty)}: dropped 5 row(s) with a repeated timestamp (kept the first of each)"]


def with_gap(t: np.ndarray, start: float, length: float) -> np.ndarray:
    return t[(t < start) | (t >= start + length)]


def gapped_pair(folder: Path, gaps: list[tuple[float, float]], duration: float = 40) -> list[Path]:
    ta, tg = jittered_times(duration), jittered_times(duration, seed=1)
    for start, length in gaps:
        ta, tg = with_gap(ta, start, length), with_gap(tg, start, length)
    return [write_plain(folder / "acc.csv", ta, columns(upright(ta), ACC)),
            write_plain(folder / "gyro.csv", tg, columns(turning(tg), GYRO))]


def test_a_gap_longer_than_a_window_splits_the_recording(tmp_path: Path) -> None:
    recording = rec.read_recording(gapped_pair(tmp_path, [(20, 5)]))
    assert len(recording.pieces) == 2
    assert recording.pieces[1].start - recording.origin == pytest.approx(25, abs=0.03)
    assert any("stops for 5.0" in n and "split there" in n for n in recording.notes)
    pieces = [[rec.Segment(0, 19, "STANDING", 0.9, 14)], [rec.Segment(25.02, 40, "WALKING", 0.8, 11)]]
    table = rec.format_segments(recording, pieces)
    assert "     19.00      25.02  (gap: not classified)" in table.splitlines()


def test_a_shorter_gap_is_bridged_with_a_note(tmp_path: Path) -> None:
    recording = rec.read_recording(gapped_pair(tmp_path, [(20, 1.5)]))
    assert len(recording.pieces) == 1
    assert any("bridged 1 gap(s)" in n and "longest 1.5" in n for n in recording.notes)


def test_a_stretch_between_gaps_shorter_than_a_window_is_skipped(tmp_path: Path) -> None:
    recording = rec.read_recording(gapped_pair(tmp_path, [(15, 3), (20, 3)]))     # 2 s left between
    assert len(recording.pieces) == 2
    assert any(n.startswith("skipped 1.9") for n in recording.notes)


# --- segments -------------------------------------------------------------------------------

def test_windows_of_one_class_merge_into_segments_that_tile_time() -> None:
    starts = np.arange(5) * 64
    labels = [0, 0, 3, 3, 3]
    probs = np.full((5, 6), 0.02)
    probs[np.arange(5), labels] = [0.9, 0.7, 0.6, 0.8, 0.9]
    first, second = rec.merge_windows(starts, probs, offset=10.0)
    assert (first.start, first.end, first.activity, first.windows) == (10.0, 13.2, "WALKING", 2)
    assert (second.start, second.end, second.activity, second.windows) == (13.2, 17.68, "SITTING", 3)
    assert first.confidence == pytest.approx(0.8) and second.confidence == pytest.approx(0.7667, abs=1e-4)


def test_one_window_is_one_segment_over_the_whole_window() -> None:
    [only] = rec.merge_windows(np.array([0]), np.eye(6)[[4]])
    assert (only.start, only.end, only.activity, only.confidence) == (0.0, WINDOW / FS, "STANDING", 1.0)


# --- the command line -----------------------------------------------------------------------

def test_classify_prints_the_segments_and_draws_the_timeline(pair: list[Path], tmp_path: Path,
                                                             capsys: pytest.CaptureFixture) -> None:
    image = tmp_path / "timeline.png"
    assert rec.main(["classify", *map(str, pair), "--timeline", str(image)]) == 0
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert err == "" and lines[0].startswith("time 0 = 0.020 s on the files' clock")
    assert lines[1].split() == ["start", "(s)", "end", "(s)", "activity", "confidence"]
    rows = [line.split() for line in lines[2:-1]]
    assert rows and all(row[2] in ACTIVITIES and 0 < float(row[3]) <= 1 for row in rows)
    assert float(rows[0][0]) == 0 and all(a[1] == b[0] for a, b in zip(rows, rows[1:]))
    assert lines[-1] == f"timeline: {display_path(image)}" and image.read_bytes()[:4] == b"\x89PNG"


def test_the_two_shipped_models_both_classify(pair: list[Path], capsys: pytest.CaptureFixture) -> None:
    for model in ("answer", "rnn"):
        assert rec.main(["classify", *map(str, pair), "--model", model]) == 0
    assert capsys.readouterr().err == ""


def bad_inputs(folder: Path) -> dict[str, tuple[list[Path], str]]:
    """name -> (files, what the one error line must say): every bad input the reader refuses."""
    t = jittered_times(10)
    gyro = write_plain(folder / "gyro.csv", t, columns(turning(t), GYRO))
    good = write_plain(folder / "acc.csv", t, columns(upright(t), ACC))
    lines = good.read_text().splitlines()

    def variant(name: str, text: str) -> Path:
        (folder / name).write_text(text)
        return folder / name

    def binary(name: str) -> Path:
        (folder / name).write_bytes(b"\xff\xfe\x00\x81" * 9)
        return folder / name

    def acc_file(name: str, times: np.ndarray, values: np.ndarray | None = None) -> Path:
        return write_plain(folder / name, times, columns(upright(times) if values is None else values, ACC))

    slow = np.arange(0, 10, 1 / 20)
    backwards = lines[:50] + [lines[60]] + lines[50:]
    later = t + 20
    choppy = np.concatenate([np.arange(k, k + 2, 0.01) for k in range(0, 40, 5)])   # 2 s on, 3 s off
    logger_t = jittered_times(10)
    logger = folder / "logger"
    logger.mkdir()
    return {
        "missing column": ([variant("no_z.csv", "\n".join(l.rsplit(",", 1)[0] for l in lines) + "\n"), gyro],
                           "no_z.csv lacks the column 'acc_z'"),
        "text for a number": ([variant("text.csv", "\n".join(lines[:6] + ["0.05,9.8,abc,0.4"] + lines[7:])), gyro],
                              "text.csv line 7, column 'acc_y': 'abc' is not a number"),
        "a short row": ([variant("short.csv", "\n".join(lines[:6] + ["0.05,9.8"] + lines[7:])), gyro],
                        "short.csv line 7 has 2 columns, its header 4"),
        "time going backwards": ([variant("back.csv", "\n".join(backwards)), gyro],
                                 "back.csv, data row 51: time 0.49"),
        "a rate too low": ([acc_file("slow.csv", slow), gyro], "sampled at about 20.0 Hz, too slow"),
        "gaps everywhere": ([acc_file("choppy.csv", choppy),
                             write_plain(folder / "gyro40.csv", choppy, columns(turning(choppy), GYRO))],
                            "run together for no stretch of one window (2.56 s) without a gap"),
        "shorter than a window": ([acc_file("brief.csv", np.arange(200) / 100), gyro],
                                  "the accelerometer covers only 1.99 s, shorter than one window"),
        "an empty file": ([variant("empty.csv", ""), gyro], "empty.csv is empty"),
        "a header only": ([variant("header.csv", lines[0] + "\n"), gyro], "header.csv has a header but no data rows"),
        "no overlap in time": ([acc_file("later.csv", later), gyro], "do not overlap in time"),
        "a missing file": ([folder / "nowhere.csv", gyro], "nowhere.csv is missing"),
        "not text": ([binary("binary.csv"), gyro], "binary.csv is not a CSV text file"),
        "no time column": ([variant("nohead.csv", "t,a,b,c\n1,2,3,4\n"), gyro], "cannot tell its layout"),
        "acceleration in g": ([acc_file("in_g.csv", t, upright(t) / G), gyro],
                              "reads a median of 0.10 g, not about 1 g"),
        "no gyroscope": ([good], "no gyroscope in"),
        "two accelerometers": ([good, acc_file("again.csv", t)], "hold the accelerometer"),
        "four files": ([good, gyro, good, gyro], "got 4 files"),
        "acceleration without gravity": (
            [write_sensor_logger(logger / "Accelerometer.csv", logger_t, upright(logger_t) - [G, 0, 0.4]),
             write_sensor_logger(logger / "Gyroscope.csv", logger_t, turning(logger_t))],
            "is Sensor Logger's acceleration without gravity"),
        "a renamed Sensor Logger file": ([write_sensor_logger(logger / "acc.csv", logger_t, upright(logger_t))],
                                         "cannot tell which sensor it holds from its name"),
    }


BAD = ["missing column", "text for a number", "a short row", "time going backwards", "a rate too low",
       "gaps everywhere", "shorter than a window", "an empty file", "a header only", "no overlap in time",
       "a missing file", "not text", "no time column", "acceleration in g", "no gyroscope",
       "two accelerometers", "four files", "acceleration without gravity", "a renamed Sensor Logger file"]


@pytest.mark.parametrize("case", BAD)
def test_bad_input_is_one_clear_error(case: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    files, message = bad_inputs(tmp_path)[case]
    with pytest.raises(rec.RecordingError) as caught:
        rec.read_recording(files)
    assert message in str(caught.value)
    assert rec.main(["classify", *map(str, files)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_every_bad_input_is_tested(tmp_path: Path) -> None:
    assert sorted(BAD) == sorted(bad_inputs(tmp_path))


def test_a_timeline_that_cannot_be_written_is_one_error(pair: list[Path], tmp_path: Path,
                                                        capsys: pytest.CaptureFixture) -> None:
    assert rec.main(["classify", *map(str, pair), "--timeline", str(tmp_path / "no" / "t.png")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot write the timeline")


def test_the_module_runs_as_a_program_without_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "empty.csv").write_text("")
    done = subprocess.run([sys.executable, "-m", "har_rnn.recording", "classify", str(tmp_path / "empty.csv")],
                          capture_output=True, text=True, cwd=REPOSITORY, check=False)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


# --- HAPT's recordings, written as a phone would ----------------------------------------------

# (experiment, user): four test volunteers (UCI's test split), one recording of user 10
RECORDINGS = [(8, 4), (21, 10), (36, 18), (48, 24)]
PHONE_RATE_HZ = 100


def as_phone(signal: np.ndarray, offset: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """A 50 Hz signal sampled again at 100 Hz, as a phone would: band-limited (resampled to
    1 kHz, then read at the sampling times), its clock `offset` s off the 50 Hz grid, each
    time jittered by up to 2 ms, three rows repeated as real logs do."""
    rng = np.random.default_rng(seed)
    last = (len(signal) - 1) / FS
    fine = resample_poly(signal, 1000 // FS, 1, axis=0)
    n = int(last * PHONE_RATE_HZ) - 1
    t = np.clip(offset + np.arange(n) / PHONE_RATE_HZ + rng.uniform(-0.002, 0.002, n), 0, last)
    values = np.column_stack([np.interp(t, np.arange(len(fine)) / 1000, fine[:, i]) for i in range(3)])
    repeat = np.sort(rng.choice(np.arange(10, n - 10), 3, replace=False))
    keep = np.insert(np.arange(n), repeat, repeat)
    return t[keep], values[keep]


def write_as_phone(folder: Path, acc: np.ndarray, gyro: np.ndarray, layout: str, seed: int) -> list[Path]:
    """acc in g -> m/s²; each sensor its own file, clock offset and jitter."""
    folder.mkdir(parents=True)
    (ta, va), (tg, vg) = as_phone(acc * G, 0.0037, seed), as_phone(gyro, 0.0081, seed + 1)
    if layout == "plain":
        return [write_plain(folder / "acc.csv", ta, columns(va, ACC)),
                write_plain(folder / "gyro.csv", tg, columns(vg, GYRO))]
    return [write_sensor_logger(folder / "TotalAcceleration.csv", ta, va),
            write_sensor_logger(folder / "Gyroscope.csv", tg, vg)]


def labels_at(channels: np.ndarray, starts: np.ndarray, shipped) -> np.ndarray:
    x = standardize(channels, shipped.stats)[starts[:, None] + np.arange(WINDOW)]
    with torch.inference_mode():
        return shipped.model(torch.from_numpy(x)).argmax(1).numpy()


@pytest.fixture(scope="module")
def shipped_models() -> dict:
    return {name: load_shipped(name) for name in ("answer", "rnn")}


@pytest.mark.real_data
@pytest.mark.parametrize("layout", ["plain", "sensorlogger"])
def test_hapt_recordings_written_as_a_phone_would_classify_as_the_originals(
        real_hapt: Path, tmp_path: Path, layout: str, shipped_models: dict) -> None:
    """>= 97% of the windows of the four recordings, per model, as on the original 50 Hz data;
    none of the four below 95% (the vanilla RNN on volunteer 10's experiment 21 is the
    lowest, near 96%: the 25 Hz anti-alias filter trims the 20-25 Hz part that a few of
    its stair windows turn on)."""
    agree = {name: [] for name in shipped_models}
    for i, (experiment, user) in enumerate(RECORDINGS):
        acc, gyro = read_raw_recording(real_hapt, experiment, user)
        files = write_as_phone(tmp_path / f"exp{experiment}", acc, gyro, layout, seed=i)
        recording = rec.read_recording(files)
        assert len(recording.pieces) == 1 and sum("dropped 3 row(s)" in n for n in recording.notes) == 2
        shift = round(recording.origin * FS)          # the grid sits on HAPT's own samples
        assert recording.origin * FS == pytest.approx(shift)
        original = raw_to_channels(acc, gyro)
        for name, shipped in shipped_models.items():
            [(starts, probs)] = rec.piece_predictions(recording, shipped.model, shipped.stats)
            inside = shift + starts + WINDOW <= len(original)
            expected = labels_at(original, shift + starts[inside], shipped)
            agree[name].append(probs[inside].argmax(1) == expected)
    for name, per_recording in agree.items():
        shares = [float(a.mean()) for a in per_recording]
        print(f"{layout} {name}: {np.concatenate(per_recording).mean():.4f} of "
              f"{sum(map(len, per_recording))} windows; per recording {np.round(shares, 3).tolist()}")
        assert np.concatenate(per_recording).mean() >= 0.97 and min(shares) >= 0.95, (name, shares)
