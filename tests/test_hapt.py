"""Rebuilding UCI HAR from raw HAPT recordings (`har_rnn.data.hapt`).

Synthetic recordings with known answers: acc = constant gravity + a 2 Hz sine,
gyro x = the sample index (a ramp passes the filters unchanged, so every
window tells where it was cut), gyro y = a distinct constant per segment.
"""
from __future__ import annotations

import errno
import hashlib
import json
import shutil
import zipfile
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pytest

from har_rnn.data import hapt
from har_rnn.data import uci_format as uf
from har_rnn.data.errors import HarDataError
from har_rnn.files import display_path
from synthetic_har import failing_read_bytes

FS = uf.SAMPLE_RATE_HZ
GRAVITY = np.array([0.0, 0.98, 0.1])
SINE_HZ, SINE_AMP = 2.0, 0.2

# experiment -> (user, n_samples); user 2 is a test subject, user 1 a train subject.
RECORDINGS = {1: (1, 1600), 2: (2, 1000), 3: (1, 600)}
# labels.txt rows (experiment, user, activity, start, end), 1-based inclusive.
# Experiment 3 comes first on purpose: windows must still be ordered by experiment.
SEGMENTS = [
    (3, 1, 4, 1, 600),       # a whole recording, edge to edge: 8 windows
    (1, 1, 5, 101, 600),     # 500 samples: 6 windows
    (1, 1, 7, 601, 760),     # transition, long enough for a window: none
    (1, 1, 1, 761, 1460),    # 700 samples: 9 windows
    (2, 2, 6, 51, 400),      # 350 samples: 4 windows
    (2, 2, 12, 401, 480),    # transition: none
    (2, 2, 3, 481, 608),     # exactly 128 samples: 1 window
    (2, 2, 2, 700, 800),     # 101 samples: too short, none
]


def n_windows(length: int) -> int:
    return (length - uf.WINDOW) // (uf.WINDOW // 2) + 1 if length >= uf.WINDOW else 0


def sine(t: np.ndarray) -> np.ndarray:
    return SINE_AMP * np.sin(2 * np.pi * SINE_HZ * t / FS)


def segment_code(experiment: int, start: int) -> float:
    """Gyro y inside a segment: 1, 2, 3... in labels order within its recording."""
    starts = [s[3] for s in SEGMENTS if s[0] == experiment]
    return float(sorted(starts).index(start) + 1)


def make_signals(experiment: int) -> tuple[np.ndarray, np.ndarray]:
    _, n = RECORDINGS[experiment]
    t = np.arange(n, dtype=np.float64)
    acc = GRAVITY + sine(t)[:, None]
    gyro = np.zeros((n, 3))
    gyro[:, 0] = t
    for exp, _, _, start, end in SEGMENTS:
        if exp == experiment:
            gyro[start - 1:end, 1] = segment_code(exp, start)
    return acc, gyro


def write_table(path: Path, rows: np.ndarray | list, fmt: str) -> None:
    np.savetxt(path, np.asarray(rows), fmt=fmt, delimiter=" ")


def write_raw(root: Path, segments: list = SEGMENTS) -> Path:
    """A tiny HAPT folder: root/RawData/{acc,gyro}_expXX_userYY.txt and labels.txt."""
    raw = root / "RawData"
    raw.mkdir(parents=True)
    for experiment, (user, _) in RECORDINGS.items():
        acc, gyro = make_signals(experiment)
        write_table(raw / f"acc_exp{experiment:02d}_user{user:02d}.txt", acc, "%.17g")
        write_table(raw / f"gyro_exp{experiment:02d}_user{user:02d}.txt", gyro, "%.17g")
    write_table(raw / "labels.txt", segments, "%d")
    return root


class Window(NamedTuple):
    experiment: int
    activity: int
    user: int
    start: int      # 0-based sample index in its recording
    code: float     # its segment's gyro y


def expected_windows(split: str) -> list[Window]:
    """Every window of a split, in the promised order: experiment, labels order, time."""
    out = []
    for experiment, user, activity, start, end in sorted(SEGMENTS, key=lambda s: s[0]):
        if activity <= 6 and (user in uf.TEST_SUBJECTS) == (split == "test"):
            out += [Window(experiment, activity, user, start - 1 + 64 * i,
                           segment_code(experiment, start))
                    for i in range(n_windows(end - start + 1))]
    return out


def read_signal(root: Path, split: str, channel: str) -> np.ndarray:
    return np.loadtxt(uf.signal_path(root, split, channel), ndmin=2)


def quiet(_: str) -> None:
    pass


@pytest.fixture
def hapt_dir(tmp_path: Path) -> Path:
    return write_raw(tmp_path / "hapt")


@pytest.fixture
def built(hapt_dir: Path, tmp_path: Path) -> tuple[Path, dict]:
    out = tmp_path / "UCI HAR Dataset"
    return out, hapt.build_from_hapt(hapt_dir, out, log=quiet)


# --- step functions ---------------------------------------------------------

@pytest.mark.parametrize("n", [0, 1, 127, 128, 129, 191, 192, 500, 1000])
def test_window_starts_fit_entirely_with_half_overlap(n: int) -> None:
    starts = hapt.window_starts(n)
    assert len(starts) == n_windows(n)
    assert np.array_equal(starts, 64 * np.arange(len(starts)))
    assert (starts + uf.WINDOW <= n).all()


def test_read_segments_keeps_the_file_columns_and_line_numbers(hapt_dir: Path) -> None:
    segments = hapt.read_segments(hapt_dir)
    assert list(segments.columns) == ["experiment", "user", "activity", "start", "end"]
    assert segments.to_numpy().tolist() == [list(s) for s in SEGMENTS]
    assert list(segments.index) == list(range(1, len(SEGMENTS) + 1))


def test_read_raw_recording_returns_acc_and_gyro(hapt_dir: Path) -> None:
    acc, gyro = hapt.read_raw_recording(hapt_dir, 2, 2)
    want_acc, want_gyro = make_signals(2)
    assert acc.shape == gyro.shape == (1000, 3)
    np.testing.assert_array_equal(acc, want_acc)
    np.testing.assert_array_equal(gyro, want_gyro)


def test_gravity_and_body_are_recovered_away_from_the_edges() -> None:
    acc, _ = make_signals(1)
    body, gravity = hapt.separate_gravity(hapt.denoise(acc))
    t = np.arange(len(acc))
    inner = slice(100, -100)     # zero-phase filters settle within ~2 s of the ends
    np.testing.assert_allclose(gravity[inner], np.broadcast_to(GRAVITY, acc.shape)[inner], atol=0.005)
    np.testing.assert_allclose(body[inner], np.repeat(sine(t)[:, None], 3, axis=1)[inner], atol=0.01)
    np.testing.assert_allclose(body + gravity, hapt.denoise(acc))


def test_denoise_removes_a_glitch_and_damps_high_frequencies() -> None:
    t = np.arange(1000)
    clean = sine(t)[:, None]
    glitch = clean.copy()
    glitch[506] += 5.0                      # one-sample spike near a crest: the median's job
    np.testing.assert_allclose(hapt.denoise(glitch)[50:-50], clean[50:-50], atol=0.01)
    hiss = 0.05 * np.sin(2 * np.pi * 24 * t / FS)[:, None]
    residual = hapt.denoise(clean + hiss) - clean
    # The median filter folds some near-Nyquist hiss down below 20 Hz, so not all of it goes.
    assert residual[50:-50].std() < hiss.std() / 3


# --- the built folder -------------------------------------------------------

def test_build_writes_the_official_layout(built: tuple[Path, dict]) -> None:
    out, _ = built
    for path in uf.required_files(out):
        assert path.is_file(), path
    assert (out / "activity_labels.txt").read_text() == (
        "1 WALKING\n2 WALKING_UPSTAIRS\n3 WALKING_DOWNSTAIRS\n4 SITTING\n5 STANDING\n6 LAYING\n")
    assert (out / "provenance.json").is_file()
    assert sorted(p.name for p in out.parent.iterdir()) == ["UCI HAR Dataset", "hapt"]  # no temp left


@pytest.mark.parametrize("split", uf.SPLITS)
def test_windows_labels_and_subjects_are_where_and_in_the_order_promised(
        built: tuple[Path, dict], split: str) -> None:
    out, _ = built
    want = expected_windows(split)
    y = np.loadtxt(uf.labels_path(out, split), dtype=int, ndmin=1)
    subjects = np.loadtxt(uf.subjects_path(out, split), dtype=int, ndmin=1)
    assert y.tolist() == [w.activity for w in want]    # transitions (7-12) give no windows
    assert subjects.tolist() == [w.user for w in want]
    # Gyro x is the sample index: each window says where it was cut.
    starts = np.array([w.start for w in want])
    position = read_signal(out, split, "body_gyro_x")
    np.testing.assert_allclose(position, starts[:, None] + np.arange(uf.WINDOW), atol=0.05)


@pytest.mark.parametrize("split", uf.SPLITS)
def test_no_window_crosses_a_segment_boundary(built: tuple[Path, dict], split: str) -> None:
    out, _ = built
    codes = np.array([w.code for w in expected_windows(split)])
    code_signal = read_signal(out, split, "body_gyro_y")
    # A crossing window would hold a neighbour's code (>= 1 away) for half its length;
    # filter ringing at a segment edge stays well below 0.5.
    assert np.abs(code_signal - codes[:, None]).max() < 0.5


def test_window_signals_round_trip_the_official_format(built: tuple[Path, dict]) -> None:
    out, _ = built
    want = expected_windows("train")
    X = np.stack([read_signal(out, "train", c) for c in uf.CHANNELS], axis=-1)
    for window, signals in zip(want, X):
        acc, gyro = make_signals(window.experiment)
        total = hapt.denoise(acc)
        body, _ = hapt.separate_gravity(total)
        channels = np.concatenate([body, hapt.denoise(gyro), total], axis=1)
        # the files keep 8 significant digits
        np.testing.assert_allclose(signals, channels[window.start:window.start + uf.WINDOW],
                                   rtol=1e-7, atol=1e-12)
        if window.experiment == 1:    # its windows are >= 2 s from the recording's ends
            t = window.start + np.arange(uf.WINDOW)
            np.testing.assert_allclose(signals[:, :3], np.repeat(sine(t)[:, None], 3, 1), atol=0.01)
            np.testing.assert_allclose(signals[:, 6:], GRAVITY + sine(t)[:, None], atol=0.01)


def test_provenance_says_what_was_built_from_what(built: tuple[Path, dict], hapt_dir: Path) -> None:
    out, provenance = built
    assert json.loads((out / "provenance.json").read_text()) == provenance
    assert provenance["source"] == "rebuilt from UCI HAPT v2.1 raw recordings"
    assert provenance["labels_sha256"] == hashlib.sha256(
        (hapt_dir / "RawData" / "labels.txt").read_bytes()).hexdigest()
    assert (provenance["window"], provenance["step"], provenance["overlap"]) == (128, 64, 0.5)
    assert provenance["preprocessing"]["gravity_lowpass"]["cutoff_hz"] == 0.3
    assert provenance["split"]["test_subjects"] == list(uf.TEST_SUBJECTS)
    assert provenance["builder_version"] == hapt.BUILDER_VERSION
    for split in uf.SPLITS:
        want = expected_windows(split)
        counts = provenance["counts"][split]
        assert counts["windows"] == len(want)
        assert counts["per_class"] == {name: sum(w.activity == k for w in want)
                                       for k, name in enumerate(uf.ACTIVITIES, 1)}
        assert counts["subjects"] == sorted({w.user for w in want})


def test_source_path_and_messages_show_no_machine_path(
        hapt_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HAR_HAPT_DIR", str(hapt_dir))
    messages: list[str] = []
    provenance = hapt.build_from_hapt(hapt_dir.resolve(), tmp_path / "out", log=messages.append)
    assert provenance["source_path"] == "$HAR_HAPT_DIR"
    assert "Reading HAPT recordings from $HAR_HAPT_DIR/RawData" in messages[0]


def read_build(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and p.name != "provenance.json"}


def zip_folder(folder: Path, zip_path: Path, prefix: str = "") -> Path:
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(folder.rglob("*")):
            zf.write(path, prefix + str(path.relative_to(folder)))
        zf.writestr(f"__MACOSX/{prefix}RawData/._labels.txt", b"\x00\x05junk")
    return zip_path


@pytest.mark.parametrize("prefix", ["", "HAPT Data Set/"])
def test_zip_builds_the_same_as_the_folder(built: tuple[Path, dict], hapt_dir: Path,
                                           tmp_path: Path, prefix: str) -> None:
    out, _ = built
    archive = zip_folder(hapt_dir, tmp_path / "hapt.zip", prefix)
    provenance = hapt.build_from_hapt(archive, tmp_path / "from_zip", log=quiet)
    assert read_build(tmp_path / "from_zip") == read_build(out)
    assert provenance["labels_sha256"] == built[1]["labels_sha256"]


def test_folder_one_level_deeper_is_found(built: tuple[Path, dict], hapt_dir: Path,
                                          tmp_path: Path) -> None:
    outer = tmp_path / "download"
    shutil.copytree(hapt_dir, outer / "HAPT Data Set")
    hapt.build_from_hapt(outer, tmp_path / "deeper", log=quiet)
    assert read_build(tmp_path / "deeper") == read_build(built[0])


def test_rebuild_replaces_an_existing_build(built: tuple[Path, dict], hapt_dir: Path) -> None:
    out, _ = built
    (out / "stale.txt").write_text("from an older build")
    hapt.build_from_hapt(hapt_dir, out, log=quiet)
    assert not (out / "stale.txt").exists()
    assert sorted(p.name for p in out.parent.iterdir()) == ["UCI HAR Dataset", "hapt"]


# --- errors -----------------------------------------------------------------

def rewrite_line(path: Path, line_no: int, text: str) -> None:
    lines = path.read_text().splitlines()
    lines[line_no - 1] = text
    path.write_text("\n".join(lines) + "\n")


def assert_build_fails(src: Path, out: Path, *words: str) -> HarDataError:
    with pytest.raises(HarDataError) as info:
        hapt.build_from_hapt(src, out, log=quiet)
    for word in words:
        assert word in str(info.value), (word, str(info.value))
    return info.value


def test_wrong_folder_says_where_to_point(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    assert_build_fails(tmp_path / "elsewhere", tmp_path / "out", "elsewhere", "RawData/",
                       "HAPT zip")


def test_missing_source_is_named(tmp_path: Path) -> None:
    assert_build_fails(tmp_path / "nope", tmp_path / "out", "nope", "does not exist")


def test_the_rawdata_folder_itself_gets_a_hint(hapt_dir: Path, tmp_path: Path) -> None:
    assert_build_fails(hapt_dir / "RawData", tmp_path / "out", "use its parent")


def test_missing_labels_is_named(hapt_dir: Path, tmp_path: Path) -> None:
    (hapt_dir / "RawData" / "labels.txt").unlink()
    assert_build_fails(hapt_dir, tmp_path / "out", "labels.txt", "missing")


@pytest.mark.parametrize("line, words", [
    ("1 1 5 101", ["line 2", "4 columns, expected 5"]),
    ("1 1 5 10x1 600", ["line 2", "'10x1' is not an integer"]),
    ("1 1 5 101.5 600", ["line 2", "'101.5' is not an integer"]),
    ("1 1 13 101 600", ["line 2", "activity 13"]),
    ("1 1 5 601 600", ["line 2", "601-600"]),
    ("1 1 5 0 600", ["line 2", "0-600"]),
])
def test_malformed_labels_name_the_line(hapt_dir: Path, tmp_path: Path, line: str,
                                        words: list[str]) -> None:
    rewrite_line(hapt_dir / "RawData" / "labels.txt", 2, line)
    assert_build_fails(hapt_dir, tmp_path / "out", "labels.txt", *words)


def test_empty_labels(hapt_dir: Path, tmp_path: Path) -> None:
    (hapt_dir / "RawData" / "labels.txt").write_text("\n")
    assert_build_fails(hapt_dir, tmp_path / "out", "labels.txt", "empty")


def test_missing_recording_is_named(hapt_dir: Path, tmp_path: Path) -> None:
    (hapt_dir / "RawData" / "gyro_exp02_user02.txt").unlink()
    assert_build_fails(hapt_dir, tmp_path / "out", "gyro_exp02_user02.txt", "missing")


@pytest.mark.parametrize("name, line, words", [
    ("acc_exp01_user01.txt", "0.1 abc 0.3", ["line 5", "'abc' is not a number"]),
    ("acc_exp01_user01.txt", "0.1 nan 0.3", ["line 5", "'nan' is not a number"]),
    ("gyro_exp03_user01.txt", "0.1 0.2", ["line 5", "2 columns, expected 3"]),
    ("gyro_exp03_user01.txt", "0.1 0.2 0.3 0.4", ["line 5", "4 columns, expected 3"]),
])
def test_malformed_recording_names_file_and_line(hapt_dir: Path, tmp_path: Path, name: str,
                                                 line: str, words: list[str]) -> None:
    rewrite_line(hapt_dir / "RawData" / name, 5, line)
    assert_build_fails(hapt_dir, tmp_path / "out", name, *words)


def test_acc_and_gyro_lengths_must_match(hapt_dir: Path, tmp_path: Path) -> None:
    path = hapt_dir / "RawData" / "gyro_exp02_user02.txt"
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))
    assert_build_fails(hapt_dir, tmp_path / "out", "acc_exp02_user02.txt", "1000 samples",
                       "gyro_exp02_user02.txt", "999")


def test_segment_past_its_recording_is_named(hapt_dir: Path, tmp_path: Path) -> None:
    rewrite_line(hapt_dir / "RawData" / "labels.txt", 5, "2 2 6 51 1001")
    assert_build_fails(hapt_dir, tmp_path / "out", "labels.txt line 5", "51-1001",
                       "acc_exp02_user02.txt", "1000 samples")


def test_no_test_windows_is_an_error(tmp_path: Path) -> None:
    src = write_raw(tmp_path / "hapt", [s for s in SEGMENTS if s[1] != 2])
    assert_build_fails(src, tmp_path / "out", "labels.txt", "no test windows")


def test_not_a_zip(tmp_path: Path) -> None:
    (tmp_path / "hapt.zip").write_bytes(b"this is not a zip file at all" * 10)
    assert_build_fails(tmp_path / "hapt.zip", tmp_path / "out", "hapt.zip", "not a readable zip")


def test_truncated_zip(hapt_dir: Path, tmp_path: Path) -> None:
    archive = zip_folder(hapt_dir, tmp_path / "hapt.zip")
    archive.write_bytes(archive.read_bytes()[: archive.stat().st_size // 2])
    assert_build_fails(archive, tmp_path / "out", "hapt.zip")


def test_zip_with_a_corrupt_member_names_it(hapt_dir: Path, tmp_path: Path) -> None:
    archive = tmp_path / "hapt.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(hapt_dir.rglob("*")):
            zf.write(path, str(path.relative_to(hapt_dir)))
    data = bytearray(archive.read_bytes())
    member = b"RawData/acc_exp02_user02.txt"
    at = data.index(member) + len(member) + 100             # inside the stored member data
    data[at] = ord("7") if data[at] != ord("7") else ord("3")
    archive.write_bytes(bytes(data))
    assert_build_fails(archive, tmp_path / "out", "acc_exp02_user02.txt", "hapt.zip", "corrupt")


def test_zip_without_rawdata_mentions_an_inner_zip(tmp_path: Path) -> None:
    archive = tmp_path / "outer.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("HAPT Data Set.zip", b"inner")
    assert_build_fails(archive, tmp_path / "out", "outer.zip", "HAPT Data Set.zip")


RAW_FILES = ["labels.txt", "acc_exp02_user02.txt", "gyro_exp03_user01.txt"]  # each kind
UNREADABLE = {"permission denied": PermissionError(errno.EACCES, "Permission denied"),
              "I/O error": OSError(errno.EIO, "Input/output error")}


def assert_one_line_naming(hapt_dir: Path, out: Path, path: Path, words: str,
                           capsys: pytest.CaptureFixture) -> None:
    """build-from-hapt fails with one line naming `path` (as display_path shows it)."""
    from har_rnn.data import __main__ as cli

    message = str(assert_build_fails(hapt_dir, out, f"{display_path(path)} {words}"))
    assert "\n" not in message
    assert cli.main(["build-from-hapt", str(hapt_dir), "--out", str(out)]) == 1
    assert capsys.readouterr().err == f"error: {message}\n"


@pytest.mark.parametrize("name", RAW_FILES)
def test_a_folder_in_place_of_a_raw_file(hapt_dir: Path, tmp_path: Path, name: str,
                                         capsys: pytest.CaptureFixture) -> None:
    path = hapt_dir / "RawData" / name
    path.unlink()
    path.mkdir()
    assert_one_line_naming(hapt_dir, tmp_path / "out", path, "is a folder, not a file.", capsys)


@pytest.mark.parametrize("error", UNREADABLE)
@pytest.mark.parametrize("name", RAW_FILES)
def test_an_unreadable_raw_file(hapt_dir: Path, tmp_path: Path, name: str, error: str,
                                capsys: pytest.CaptureFixture,
                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = hapt_dir / "RawData" / name
    monkeypatch.setattr(Path, "read_bytes", failing_read_bytes(path, UNREADABLE[error]))
    assert_one_line_naming(hapt_dir, tmp_path / "out", path,
                           f"cannot be read ({UNREADABLE[error].strerror}).", capsys)


def test_refuses_to_replace_a_folder_that_is_not_a_dataset(hapt_dir: Path, tmp_path: Path) -> None:
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    assert_build_fails(hapt_dir, precious, "refusing")
    assert (precious / "notes.txt").read_text() == "keep me"


# --- atomicity --------------------------------------------------------------

def test_failed_build_leaves_nothing(hapt_dir: Path, tmp_path: Path) -> None:
    rewrite_line(hapt_dir / "RawData" / "acc_exp03_user01.txt", 7, "corrupt")
    assert_build_fails(hapt_dir, tmp_path / "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hapt"]


def test_failed_build_keeps_the_previous_one(built: tuple[Path, dict], hapt_dir: Path) -> None:
    out, _ = built
    before = read_build(out)
    rewrite_line(hapt_dir / "RawData" / "acc_exp03_user01.txt", 7, "corrupt")
    assert_build_fails(hapt_dir, out)
    assert read_build(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["UCI HAR Dataset", "hapt"]


def test_failure_while_writing_leaves_no_temp_folder(hapt_dir: Path, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    real = uf.format_official

    def fail_on_third(values: np.ndarray) -> bytes:
        calls.append(1)
        if len(calls) == 3:
            raise OSError("disk full")
        return real(values)

    monkeypatch.setattr(uf, "format_official", fail_on_third)
    with pytest.raises(OSError, match="disk full"):
        hapt.build_from_hapt(hapt_dir, tmp_path / "out", log=quiet)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hapt"]


# --- real data --------------------------------------------------------------

# v2.1 relabelled segment boundaries around postural transitions, which only
# border the static postures: walking classes match v1.0 (almost) exactly, the
# static ones come out a few percent higher.
SPLIT_TOLERANCE = 0.02
CLASS_TOLERANCE = {1: 0.02, 2: 0.02, 3: 0.02, 4: 0.05, 5: 0.05, 6: 0.05}


@pytest.fixture(scope="module")
def real_build(real_hapt: Path, tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("real") / "rebuilt"
    return out, hapt.build_from_hapt(real_hapt, out, log=quiet)


@pytest.mark.real_data
@pytest.mark.first
def test_a_fresh_rebuild_is_the_books_data(real_build: tuple[Path, dict]) -> None:
    """Every committed number comes from these bytes; on a machine that rebuilds others, say so first."""
    from har_rnn.data import validate

    out, provenance = real_build
    problems = hapt.canonical_problems(provenance, validate(out).fingerprint)
    assert not problems, ("the data rebuilt on this machine are not the book's, so no committed number can "
                          "be expected to come back: " + "; ".join(problems)
                          + " (run `python -m har_rnn.tooling.numerics trace --check` to see which stage moved)")


@pytest.mark.real_data
def test_a_one_ulp_change_in_one_window_fails_the_canonical_check(real_hapt: Path, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    collect = hapt._collect_windows

    def nudged(raw):
        splits = collect(raw)
        X = splits["test"][0]
        X[100, 64, 4] = np.nextafter(X[100, 64, 4], np.inf)     # one window, one value, one ulp
        return splits

    monkeypatch.setattr(hapt, "_collect_windows", nudged)
    provenance = hapt.build_from_hapt(real_hapt, tmp_path / "rebuilt", log=quiet)
    from har_rnn.data import validate

    problems = hapt.canonical_problems(provenance, validate(tmp_path / "rebuilt").fingerprint)
    assert problems and problems[0].startswith("the rebuilt windows differ before formatting"), problems


@pytest.mark.real_data
def test_real_hapt_matches_the_official_counts(real_hapt: Path, real_build: tuple[Path, dict]) -> None:
    official = real_hapt.parent / "uci-har-v1-labels"
    if not official.is_dir():
        pytest.fail(f"{official} is missing: it must sit beside HAR_HAPT_DIR ({real_hapt}) and hold "
                    "the official train/y_train.txt, test/y_test.txt and subject files")
    rebuilt, provenance = real_build
    for split in uf.SPLITS:
        y_official = np.loadtxt(uf.labels_path(official, split), dtype=int)
        y = np.loadtxt(uf.labels_path(rebuilt, split), dtype=int)
        subjects = np.loadtxt(uf.subjects_path(rebuilt, split), dtype=int)
        assert abs(len(y) - len(y_official)) <= SPLIT_TOLERANCE * len(y_official), split
        for k, tolerance in CLASS_TOLERANCE.items():
            n, n_official = (y == k).sum(), (y_official == k).sum()
            assert abs(n - n_official) <= tolerance * n_official, (split, uf.ACTIVITIES[k - 1],
                                                                   n, n_official)
        want = uf.TEST_SUBJECTS if split == "test" else uf.TRAIN_SUBJECTS
        assert sorted(set(subjects.tolist())) == list(want), split
        assert provenance["counts"][split]["windows"] == len(y)


def test_the_written_out_filters_are_scipys_butterworth_filters() -> None:
    """The coefficients are constants so that no CPU's tan moves them; SciPy agrees to the last bits."""
    from scipy import signal as sps

    for cutoff, sos in hapt.LOWPASS_SOS.items():
        expected = sps.butter(hapt.BUTTERWORTH_ORDER, cutoff, fs=uf.SAMPLE_RATE_HZ, output="sos")
        np.testing.assert_allclose(np.array(sos), expected, rtol=1e-14, atol=1e-20)


def test_the_official_format_rounds_every_value_exactly() -> None:
    """Against Python's correctly rounded formatting, value by value, ties and extremes included."""
    def official(v: float) -> str:
        mantissa, exponent = ("%.7e" % abs(v)).split("e")
        return f" {'-' if v < 0 else ' '}{mantissa}e{'-' if int(exponent) < 0 else '+'}{abs(int(exponent)):03d}"

    rng = np.random.default_rng(0)
    values = rng.standard_normal((40, 128)) * 10.0 ** rng.integers(-12, 4, (40, 128))
    values[0, :6] = [0.0, -0.0, 1.23456785, 9.999999995, -9.9999999996e-5, 5e-324]
    values[1, :2] = [1e-120, -3.5e150]                          # three-digit exponents
    for block in (values[2:], values):                          # the fast path, and the general one
        lines = uf.format_official(block).decode().splitlines()
        assert lines == ["".join(official(v) for v in row) for row in block]
    assert official(-0.0) == official(0.0) == "  0.0000000e+000"


# --- the data layer's HAPT route (har_rnn.data) ------------------------------

def use_only_hapt(hapt_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The data layer with only HAR_HAPT_DIR set and its data/ folder under tmp_path."""
    from har_rnn import data

    monkeypatch.delenv("HAR_DATA_DIR", raising=False)
    monkeypatch.setenv("HAR_HAPT_DIR", str(hapt_dir))
    monkeypatch.setattr(data, "REPOSITORY", tmp_path / "repo")
    monkeypatch.setenv("HAR_DATA_HOME", str(tmp_path / "repo" / "data"))
    return data


def test_data_layer_rebuilds_from_har_hapt_dir_once(hapt_dir: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """With only HAR_HAPT_DIR set, load_har() rebuilds into data/ and reuses the build."""
    data = use_only_hapt(hapt_dir, tmp_path, monkeypatch)
    first = data.load_har(log=quiet)
    assert first.source == "rebuilt from UCI HAPT v2.1 raw recordings"
    assert first.root == tmp_path / "repo" / "data" / "uci-har-rebuilt-from-hapt"
    stamp = (first.root / "provenance.json").stat().st_mtime_ns
    again = data.load_har(log=quiet)
    assert (again.root / "provenance.json").stat().st_mtime_ns == stamp, "rebuilt although nothing changed"
    assert again.fingerprint == first.fingerprint
    # Later, without HAR_HAPT_DIR, the earlier rebuild is used (no download attempted).
    monkeypatch.delenv("HAR_HAPT_DIR")
    assert data.load_har(log=quiet).fingerprint == first.fingerprint


@pytest.mark.parametrize("damage", ["a folder", *UNREADABLE])
def test_an_unreadable_rebuild_provenance_is_named(hapt_dir: Path, tmp_path: Path, damage: str,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    data = use_only_hapt(hapt_dir, tmp_path, monkeypatch)
    provenance = data.load_har(log=quiet).root / "provenance.json"
    if damage == "a folder":
        provenance.unlink()
        provenance.mkdir()
        words = "is a folder, not a file."
    else:
        monkeypatch.setattr(Path, "read_bytes", failing_read_bytes(provenance, UNREADABLE[damage]))
        words = f"cannot be read ({UNREADABLE[damage].strerror})."
    with pytest.raises(HarDataError) as info:
        data.load_har(log=quiet)
    assert f"{display_path(provenance)} {words}" in str(info.value)
    assert "\n" not in str(info.value)


def test_fetch_hapt_reuses_its_earlier_rebuild(hapt_dir: Path, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """`fetch --hapt` hands the downloaded zip to the rebuild: a second fetch must reuse it."""
    from har_rnn import data
    from har_rnn.data import _downloads as downloads

    archive = zip_folder(hapt_dir, tmp_path / "served.zip", "HAPT Data Set/")
    monkeypatch.setattr(downloads, "HAPT_URL", archive.as_uri())   # a local file: no network
    monkeypatch.setattr(downloads, "HAPT_SHA256", hashlib.sha256(archive.read_bytes()).hexdigest())
    monkeypatch.setenv("HAR_DATA_HOME", str(tmp_path / "data"))
    builds = []
    real_build = hapt.build_from_hapt
    monkeypatch.setattr(hapt, "build_from_hapt", lambda *a, **k: builds.append(a) or real_build(*a, **k))
    first = data.fetch(hapt=True, log=quiet)
    assert first == tmp_path / "data" / "uci-har-rebuilt-from-hapt"
    assert data.validate(first).source == hapt.SOURCE_DESCRIPTION
    assert data.fetch(hapt=True, log=quiet) == first
    assert len(builds) == 1, "rebuilt although the HAPT zip had not changed"
