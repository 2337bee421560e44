"""The data layer: locating, parsing, validating, caching, fetching."""
import errno
import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from har_rnn import data
from har_rnn import files
from har_rnn.data import __main__ as cli, _downloads as downloads, uci_format as fmt
from har_rnn.data.errors import HarDataError
from synthetic_har import failing_read_bytes, make_uci_har, make_windows


@pytest.fixture
def dataset(tmp_path):
    return make_uci_har(tmp_path / "har")


@pytest.fixture
def no_env(monkeypatch):
    for var in ("HAR_DATA_DIR", "HAR_HAPT_DIR"):
        monkeypatch.delenv(var, raising=False)


# ------------------------------------------------------------------ format
def test_official_number_format():
    line = fmt.format_official(np.array([[1.8085150e-4, -2.321e-2]])).decode()
    assert line == "  1.8085150e-004 -2.3210000e-002\n"


def test_loader_matches_loadtxt_and_official_order(dataset):
    d = data.validate(dataset)
    assert d.X_train.shape == (48, 128, 9) and d.X_train.dtype == np.float32
    for i, channel in enumerate(fmt.CHANNELS):
        ref = np.loadtxt(fmt.signal_path(dataset, "train", channel)).astype(np.float32)
        np.testing.assert_array_equal(d.X_train[:, :, i], ref)
    assert d.y_train.min() == 0 and d.y_train.max() == 5
    np.testing.assert_array_equal(d.y_train + 1, np.loadtxt(fmt.labels_path(dataset, "train")))
    assert d.source.startswith("synthetic")


def test_crlf_nested_and_other_spacing_parse_the_same(tmp_path, dataset):
    ref = data.validate(dataset)
    nested = data.validate(make_uci_har(tmp_path / "crlf", crlf=True, nested=True))
    np.testing.assert_array_equal(nested.X_train, ref.X_train)
    # Kaggle-style re-saves may use other spacing: the general parser takes over.
    path = fmt.signal_path(dataset, "test", "body_acc_x")
    path.write_text("\n".join("\t".join(f"{v:.9g}" for v in row)
                              for row in np.loadtxt(path)) + "\n")
    np.testing.assert_allclose(data.validate(dataset).X_test, ref.X_test, rtol=1e-6)


def test_fingerprint_depends_on_content(tmp_path):
    a = data.validate(make_uci_har(tmp_path / "a", seed=0))
    b = data.validate(make_uci_har(tmp_path / "b", seed=0))
    c = data.validate(make_uci_har(tmp_path / "c", seed=5))
    assert a.fingerprint == b.fingerprint != c.fingerprint


# -------------------------------------------------------------- bad input
def _rewrite_line(path: Path, lineno: int, fn):
    lines = path.read_text().splitlines(keepends=True)
    lines[lineno - 1] = fn(lines[lineno - 1])
    path.write_text("".join(lines))


def _missing(root):
    fmt.signal_path(root, "train", "body_gyro_y").unlink()


def _truncated_row(root):
    _rewrite_line(fmt.signal_path(root, "train", "total_acc_z"), 5, lambda l: l[:-17] + "\n")


def _non_numeric(root):
    _rewrite_line(fmt.signal_path(root, "test", "body_acc_y"), 3, lambda l: l.replace("e", "x", 1))


def _nan(root):
    _rewrite_line(fmt.signal_path(root, "test", "body_acc_z"), 7, lambda l: "     NaN" + l[16:])


def _row_count_mismatch(root):
    path = fmt.signal_path(root, "train", "body_acc_x")
    path.write_text("".join(path.read_text().splitlines(keepends=True)[:-1]))


def _label_7(root):
    _rewrite_line(fmt.labels_path(root, "train"), 2, lambda l: "7\n")


def _subject_0(root):
    _rewrite_line(fmt.subjects_path(root, "test"), 4, lambda l: "0\n")


def _overlapping_subjects(root):
    path = fmt.subjects_path(root, "test")
    path.write_text(path.read_text().replace("4\n", "1\n"))


def _empty_file(root):
    fmt.labels_path(root, "test").write_text("")


def _truncated_file(root):  # a download cut off mid-line
    path = fmt.signal_path(root, "test", "total_acc_x")
    path.write_bytes(path.read_bytes()[:-100])


BROKEN = {
    "missing file": (_missing, r"Missing .*body_gyro_y_train\.txt"),
    "truncated row": (_truncated_row, r"total_acc_z_train\.txt line 5: expected 128 values, found 127"),
    "non-numeric token": (_non_numeric, r"body_acc_y_test\.txt line 3: .* is not a number"),
    "NaN": (_nan, r"body_acc_z_test\.txt line 7: value 1 is nan"),
    "row counts differ": (_row_count_mismatch, r"train files disagree on the number of windows.*body_acc_x_train\.txt: 47"),
    "label 7": (_label_7, r"y_train\.txt line 2: label 7 is outside 1-6"),
    "subject 0": (_subject_0, r"subject_test\.txt line 4: subject 0 is outside 1-30"),
    "overlapping subjects": (_overlapping_subjects, r"Subjects \[1\] appear in both train and test"),
    "empty file": (_empty_file, r"y_test\.txt is empty"),
    "truncated file": (_truncated_file, r"total_acc_x_test\.txt line 24: expected 128 values"),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_broken_dataset_gives_one_clear_error(dataset, case, capsys):
    corrupt, message = BROKEN[case]
    corrupt(dataset)
    with pytest.raises(HarDataError, match=message):
        data.validate(dataset)
    # The command line prints the same message on one line and exits 1, no traceback.
    assert cli.main(["validate", str(dataset)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err and err.count("\n") == 1


# Every kind of file validate() reads, and one example of each.
FILE_KINDS = {
    "signal file": lambda root: fmt.signal_path(root, "train", "body_gyro_y"),
    "labels": lambda root: fmt.labels_path(root, "test"),
    "subjects": lambda root: fmt.subjects_path(root, "train"),
    "provenance.json": lambda root: root / "provenance.json",
}


def _one_line_naming(exc_info, path, capsys, dataset, words):
    """The error names the file as display_path shows it, on one line, also on the command line."""
    message = str(exc_info.value)
    assert data.display_path(path) + " " + words in message and "\n" not in message
    assert cli.main(["validate", str(dataset)]) == 1
    err = capsys.readouterr().err
    assert err == f"error: {message}\n"


@pytest.mark.parametrize("kind", FILE_KINDS)
def test_a_folder_in_place_of_a_dataset_file(dataset, kind, capsys):
    path = FILE_KINDS[kind](dataset)
    path.unlink()
    path.mkdir()
    with pytest.raises(HarDataError) as info:
        data.validate(dataset)
    _one_line_naming(info, path, capsys, dataset, "is a folder, not a file.")


UNREADABLE = {
    "permission denied": PermissionError(errno.EACCES, "Permission denied"),
    "I/O error": OSError(errno.EIO, "Input/output error"),
}


@pytest.mark.parametrize("error", UNREADABLE)
@pytest.mark.parametrize("kind", FILE_KINDS)
def test_an_unreadable_dataset_file(dataset, kind, error, capsys, monkeypatch):
    path = FILE_KINDS[kind](dataset)
    monkeypatch.setattr(Path, "read_bytes", failing_read_bytes(path, UNREADABLE[error]))
    with pytest.raises(HarDataError) as info:
        data.validate(dataset)
    _one_line_naming(info, path, capsys, dataset,
                     f"cannot be read ({UNREADABLE[error].strerror}).")


def test_wrong_folder(tmp_path):
    (tmp_path / "photos").mkdir()
    with pytest.raises(HarDataError, match="is not a UCI HAR folder: expected train/ and test/"):
        data.validate(tmp_path / "photos")
    with pytest.raises(HarDataError, match="does not exist"):
        data.validate(tmp_path / "nowhere")


def test_har_data_dir_pointing_at_wrong_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("HAR_DATA_DIR", str(tmp_path))
    with pytest.raises(HarDataError, match="HAR_DATA_DIR .* is not a UCI HAR folder"):
        data.load_har()


# ------------------------------------------------------------ locate, cache
def test_resolution_order(tmp_path, monkeypatch, no_env):
    explicit = make_uci_har(tmp_path / "explicit")
    env_dir = make_uci_har(tmp_path / "env", nested=True)
    assert data.locate(explicit)[0] == explicit
    monkeypatch.setenv("HAR_DATA_DIR", str(tmp_path / "env"))
    assert data.locate() == (env_dir, "HAR_DATA_DIR")
    monkeypatch.delenv("HAR_DATA_DIR")
    monkeypatch.setattr(data, "REPOSITORY", tmp_path / "repo")
    local = make_uci_har(tmp_path / "repo", nested=True)
    assert data.locate() == (local, "UCI HAR Dataset/ in the clone")


def test_data_home_argument_holds_the_dataset_and_the_cache(tmp_path, monkeypatch, no_env):
    """As scikit-learn's fetchers: `data_home=` beats HAR_DATA_HOME and the default."""
    monkeypatch.delenv("HAR_CACHE_DIR")
    monkeypatch.setattr(data, "REPOSITORY", None)                  # an installed copy: no clone to look in
    monkeypatch.setenv("HAR_DATA_HOME", str(tmp_path / "elsewhere"))
    home = tmp_path / "home"
    local = make_uci_har(home / "UCI HAR Dataset")
    assert data.locate(data_home=home) == (local, "UCI HAR Dataset/ in the data home")
    loaded = data.load_har(data_home=home, log=lambda *a: None)
    assert [p.parent for p in home.rglob("*.npz")] == [home / "cache"], "the parse cache goes to the data home"
    assert data.current_fingerprint(data_home=home) == loaded.fingerprint
    assert not (tmp_path / "elsewhere").exists()


def test_hapt_source_is_the_variable_or_the_download(tmp_path, monkeypatch, no_env):
    home = tmp_path / "home"
    assert data.hapt_source(data_home=home) is None
    (home / "downloads").mkdir(parents=True)
    (home / "downloads" / "hapt.zip").write_bytes(b"zip")
    assert data.hapt_source(data_home=home) == home / "downloads" / "hapt.zip"
    monkeypatch.setenv("HAR_HAPT_DIR", str(tmp_path / "raw"))
    assert data.hapt_source(data_home=home) == tmp_path / "raw"


def test_no_data_and_no_network_says_what_to_do(tmp_path, monkeypatch, no_env):
    monkeypatch.setattr(data, "REPOSITORY", tmp_path)
    monkeypatch.setenv("HAR_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(downloads, "HAPT_URL", "http://127.0.0.1:9/hapt.zip")  # refused at once
    # The default download is the raw HAPT recordings: the book's data.
    with pytest.raises(HarDataError, match="Could not download .*hapt.zip.*Download the raw HAPT recordings by hand"):
        data.load_har()
    assert not (tmp_path / "UCI HAR Dataset").exists() and not (tmp_path / "data" / "uci-har-rebuilt-from-hapt").exists()
    assert not list((tmp_path / "data" / "downloads").glob("*")), "no partial download is kept"


def test_cache_is_used_and_invalidated(dataset, monkeypatch):
    first = data.load_har(dataset)
    calls = []
    real_validate = data.validate
    monkeypatch.setattr(data, "validate", lambda root: calls.append(root) or real_validate(root))
    again = data.load_har(dataset)
    assert calls == [] and again.fingerprint == first.fingerprint
    np.testing.assert_array_equal(again.X_test, first.X_test)
    # Editing a source file invalidates the cache.
    path = fmt.signal_path(dataset, "test", "body_acc_x")
    X, _, _ = make_windows(2, (2, 4), seed=99)
    path.write_bytes(fmt.format_official(X[:, :, 0]))
    changed = data.load_har(dataset)
    assert len(calls) == 1 and changed.fingerprint != first.fingerprint
    assert not np.array_equal(changed.X_test, first.X_test)


def _garbage(path, monkeypatch):
    path.write_bytes(b"garbage")


def _a_folder(path, monkeypatch):
    path.unlink()
    path.mkdir()


def _unreadable(path, monkeypatch):
    real_load = np.load

    def load(file, *args, **kwargs):
        if Path(file).resolve() == path.resolve():
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_load(file, *args, **kwargs)
    monkeypatch.setattr(np, "load", load)


@pytest.mark.parametrize("damage", [_garbage, _a_folder, _unreadable], ids=["garbage", "a folder", "unreadable"])
def test_a_broken_cache_is_ignored(dataset, damage, monkeypatch):
    first = data.load_har(dataset)
    (cache_file,) = data.cache_dir().glob("*.npz")
    damage(cache_file, monkeypatch)
    assert data.current_fingerprint(dataset) is None            # unknown, not a crash
    notes = []
    again = data.load_har(dataset, log=notes.append)             # parsed again
    assert again.fingerprint == first.fingerprint
    np.testing.assert_array_equal(again.X_train, first.X_train)
    # Rewritten, unless a folder is in the way: then a note says so (and loading still works).
    assert bool(notes) == cache_file.is_dir()
    assert not notes or "could not write the parse cache" in notes[0]


def test_cache_that_cannot_be_written_is_not_an_error(dataset, tmp_path, monkeypatch):
    (tmp_path / "a file").write_text("")
    monkeypatch.setenv("HAR_CACHE_DIR", str(tmp_path / "a file"))   # cannot hold the cache
    notes = []
    assert data.load_har(dataset, log=notes.append).X_train.shape == (48, 128, 9)
    assert len(notes) == 1 and "could not write the parse cache" in notes[0]


# ------------------------------------------------------------- standardize
def test_standardize_uses_training_statistics_only(dataset):
    d = data.load_har(dataset)
    stats = data.fit_standardizer(d.X_train)
    Xs = data.standardize(d.X_train, stats)
    np.testing.assert_allclose(Xs.mean(axis=(0, 1)), 0, atol=1e-5)
    np.testing.assert_allclose(Xs.std(axis=(0, 1)), 1, atol=1e-4)
    Xt = data.standardize(d.X_test, stats)
    np.testing.assert_allclose(Xt, (d.X_test - stats["mean"]) / stats["std"], rtol=1e-5, atol=1e-5)
    assert Xt.dtype == np.float32 and stats["mean"].shape == (9,)


# -------------------------------------------------------------- atomic_dir
def test_atomic_dir_swaps_a_folder_in_whole_or_not_at_all(tmp_path, monkeypatch):
    """The one temp-folder-then-swap behind the HAPT rebuild, the download and the artifacts."""
    out = tmp_path / "out"

    def build(text, fail=None):
        with files.atomic_dir(out) as new:
            assert new.parent == tmp_path and new.name.startswith(".out.new-") and not any(new.iterdir())
            (new / "a.txt").write_text(text)
            if fail:
                raise fail

    def listing():
        return sorted(p.name for p in tmp_path.iterdir()), (out / "a.txt").read_text()

    build("first")                                      # no `out` yet
    assert listing() == (["out"], "first")
    build("second")                                     # replaces the old one
    assert listing() == (["out"], "second")
    for fail in (OSError("disk full"), KeyboardInterrupt()):
        with pytest.raises(type(fail)):
            build("half", fail)
        assert listing() == (["out"], "second"), "a failed build leaves `out` and no hidden folder"
    real_replace = files.os.replace

    def replace(src, dst):                              # the new folder cannot be renamed in
        if Path(src).name.startswith(".out.new-"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        build("third")
    monkeypatch.undo()
    assert listing() == (["out"], "second"), "the old folder is put back"


# ------------------------------------------------------------------- fetch
def _official_zip(tmp_path, dataset, *, member_prefix="UCI HAR Dataset/") -> tuple[Path, str, str]:
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        for p in sorted(dataset.rglob("*")):
            if p.is_file():
                z.write(p, member_prefix + p.relative_to(dataset).as_posix())
        z.writestr("__MACOSX/._junk", b"junk")
    inner_bytes = inner.getvalue()
    outer = tmp_path / "official.zip"
    with zipfile.ZipFile(outer, "w") as z:
        z.writestr(downloads.UCI_HAR_INNER_NAME, inner_bytes)
    return outer, hashlib.sha256(outer.read_bytes()).hexdigest(), hashlib.sha256(inner_bytes).hexdigest()


def test_fetch_verifies_and_unpacks(tmp_path, dataset, monkeypatch):
    outer, outer_sha, inner_sha = _official_zip(tmp_path, dataset)
    monkeypatch.setenv("HAR_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(downloads, "UCI_HAR_URL", outer.as_uri())
    monkeypatch.setattr(downloads, "UCI_HAR_SHA256", outer_sha)
    monkeypatch.setattr(downloads, "UCI_HAR_INNER_SHA256", inner_sha)
    out = data.fetch(tmp_path / "UCI HAR Dataset", log=lambda *a: None)
    assert data.validate(out).fingerprint == data.validate(dataset).fingerprint
    assert not (out / "__MACOSX").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_fetch_rejects_a_wrong_digest(tmp_path, dataset, monkeypatch):
    outer, outer_sha, _ = _official_zip(tmp_path, dataset)
    monkeypatch.setenv("HAR_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(downloads, "UCI_HAR_URL", outer.as_uri())
    with pytest.raises(HarDataError, match=f"SHA-256 {outer_sha}, expected {downloads.UCI_HAR_SHA256}"):
        data.fetch(tmp_path / "out", log=lambda *a: None)
    assert not (tmp_path / "out").exists()
    monkeypatch.setattr(downloads, "UCI_HAR_SHA256", outer_sha)  # outer fine, inner digest wrong
    with pytest.raises(HarDataError, match=f"expected {downloads.UCI_HAR_INNER_SHA256}"):
        data.fetch(tmp_path / "out", log=lambda *a: None)
    assert not (tmp_path / "out").exists()


def test_extraction_refuses_paths_outside_the_target(tmp_path):
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("../../escaped.txt", b"x")
    with pytest.raises(HarDataError, match="outside the target"):
        downloads.extract_official_zip(evil, tmp_path / "out" / "UCI HAR Dataset")
    assert not (tmp_path / "escaped.txt").exists() and not (tmp_path / "out" / "UCI HAR Dataset").exists()


def test_corrupt_zip(tmp_path):
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(HarDataError, match="is not a valid zip"):
        downloads.extract_official_zip(bad, tmp_path / "out")


def test_current_fingerprint_answers_from_the_cache_only(dataset):
    assert data.current_fingerprint(dataset) is None          # never loaded: unknown
    loaded = data.load_har(dataset)
    assert data.current_fingerprint(dataset) == loaded.fingerprint
    _label_7(dataset)                                          # the data changed on disk
    assert data.current_fingerprint(dataset) is None
