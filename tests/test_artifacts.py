import builtins
import dataclasses
import errno
import hashlib
import json
import shutil

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch

from har_rnn import artifacts as art
from har_rnn.artifacts import ArtifactError
from har_rnn.config import as_json
from har_rnn import files
from har_rnn.data.uci_format import ACTIVITIES, CHANNELS
from har_rnn.models import RNNClassifier

DATA_INFO = {"source": "synthetic", "fingerprint": "f" * 64}


@pytest.fixture(autouse=True)
def artifacts_env(tmp_path, monkeypatch):
    """Messages show paths under $HAR_ARTIFACTS_DIR as such, never the machine's tmp path."""
    monkeypatch.setenv("HAR_ARTIFACTS_DIR", str(tmp_path))


def make_arrays(seed=0, n_train=30, n_test=12):
    rng = np.random.default_rng(seed)
    return dict(X_train_std=rng.normal(size=(n_train, 128, 9)).astype(np.float32),
                y_train=rng.integers(0, 6, n_train), subjects_train=rng.integers(1, 31, n_train),
                X_test_std=rng.normal(size=(n_test, 128, 9)).astype(np.float32),
                y_test=rng.integers(0, 6, n_test), subjects_test=rng.integers(1, 31, n_test))


STATS = {"mean": np.linspace(-1, 1, 9), "std": np.linspace(0.5, 2, 9)}


def write_set(folder, seed=0, model=None, **kwargs):
    arrays = make_arrays(seed)
    torch.manual_seed(seed)
    model = model or RNNClassifier(hidden_size=8, cell="gru")
    kwargs = {"train_config": {"epochs": 3, "lr": 1e-3}, "seed": seed,
              "metrics": {"val_accuracy": np.float64(0.5), "history": pd.DataFrame({"epoch": [1, 2]})},
              **kwargs}
    art.save_artifacts(folder, **arrays, stats=STATS, data_info=DATA_INFO, model=model, **kwargs)
    return arrays, model


@pytest.fixture
def saved(tmp_path):
    folder = tmp_path / "artifacts"
    arrays, model = write_set(folder)
    return folder, arrays, model


def error(folder, **kwargs):
    with pytest.raises(ArtifactError) as info:
        art.load_artifacts(folder, **kwargs)
    message = str(info.value)
    assert str(folder.parent) not in message, "no absolute machine paths in messages"
    assert "$HAR_ARTIFACTS_DIR/" in message
    return message


def reseal(folder):
    """Rewrite the manifest for the files as they are now, as if notebook 02 had written them."""
    path = folder / art.MANIFEST_FILE
    manifest = json.loads(path.read_text())
    manifest["files"] = {name: {"bytes": (folder / name).stat().st_size,
                                "sha256": art.sha256_file(folder / name)} for name in art.ALL_FILES}
    text = "".join(f"{name} {manifest['files'][name]['sha256']}\n" for name in art.ARRAY_FILES)
    manifest["artifacts_fingerprint"] = hashlib.sha256(text.encode()).hexdigest()
    manifest["format_version"] = art.FORMAT_VERSION
    path.write_text(json.dumps(manifest))


def resave_checkpoint(folder, **changes):
    """Edit the checkpoint and reseal the set, as if notebook 02 had written it that way."""
    path = folder / art.CHECKPOINT_FILE
    checkpoint = torch.load(path, weights_only=True)
    checkpoint.update(changes)
    torch.save(checkpoint, path)
    reseal(folder)


def test_round_trip(saved):
    folder, arrays, model = saved
    loaded = art.load_artifacts(folder, expected_data_fingerprint=DATA_INFO["fingerprint"])
    for name, array in arrays.items():
        assert np.array_equal(getattr(loaded, name), array)
    assert not loaded.model.training
    x = torch.as_tensor(arrays["X_test_std"])
    with torch.no_grad():
        assert torch.equal(loaded.model(x), model.eval()(x))
    np.testing.assert_allclose(loaded.stats["mean"], STATS["mean"], rtol=1e-6)
    ck = loaded.checkpoint
    assert ck["model_config"] == model.config and ck["seed"] == 0
    assert ck["data"] == {**DATA_INFO, "n_train": 30, "n_test": 12}
    assert ck["metrics"]["history"] == [{"epoch": 1}, {"epoch": 2}]
    assert ck["train_config"] == {"epochs": 3, "lr": 1e-3} and ck["provenance"] == {}
    assert set(ck["versions"]) == {"python", "torch", "numpy", "sklearn"}
    assert ck["created"].endswith("+00:00")


def test_manifest_lists_every_file(saved):
    folder = saved[0]
    manifest = json.loads((folder / art.MANIFEST_FILE).read_text())
    assert set(manifest["files"]) == set(art.ALL_FILES)
    entry = manifest["files"]["X_test_std.npy"]
    assert entry["bytes"] == (folder / "X_test_std.npy").stat().st_size
    assert entry["sha256"] == art.sha256_file(folder / "X_test_std.npy")
    assert manifest["data"] == DATA_INFO and manifest["format_version"] == art.FORMAT_VERSION
    assert sorted(p.name for p in folder.iterdir()) == sorted(art.ALL_FILES + (art.MANIFEST_FILE,))


def test_csv_and_stats_files(saved):
    folder, arrays, _ = saved
    df = pd.read_csv(folder / "har_test_standardized.csv")
    assert list(df.columns[:4]) == ["label", "subject", f"{CHANNELS[0]}_t000", f"{CHANNELS[0]}_t001"]
    assert df.columns[-1] == f"{CHANNELS[-1]}_t127" and df.shape == (12, 2 + 9 * 128)
    assert df.label.tolist() == [ACTIVITIES[k] for k in arrays["y_test"]]
    assert df.subject.tolist() == arrays["subjects_test"].tolist()
    values = df.iloc[:, 2:].to_numpy().reshape(12, 9, 128).transpose(0, 2, 1)
    np.testing.assert_allclose(values, arrays["X_test_std"], atol=5.1e-7)
    stats = json.loads((folder / art.STATS_FILE).read_text())
    assert stats["mean"][CHANNELS[0]] == -1.0 and stats["std"][CHANNELS[-1]] == 2.0


def test_csv_number_format():
    values = np.array([[0.0, -0.0000001, 1.9999996, -12.5, 3.25e-7, 123.4567894]])
    assert art.format_csv_rows(["a,1"], values) == b"a,1,0.000000,0.000000,2.000000,-12.500000,0.000000,123.456789\n"
    with pytest.raises(ValueError):
        art.format_csv_rows(["a"], np.array([[np.nan]]))



def test_missing_folder(tmp_path):
    assert "Run notebook 02 (make run) first" in error(tmp_path / "nowhere")


def test_incomplete_run(saved):
    folder = saved[0]
    (folder / art.MANIFEST_FILE).unlink()
    message = error(folder)
    assert "did not finish" in message and "Run notebook 02 (make run) first" in message


def test_missing_file(saved):
    folder = saved[0]
    (folder / "y_test.npy").unlink()
    assert "y_test.npy is missing" in error(folder)


def test_truncated_file(saved):
    folder = saved[0]
    path = folder / "X_test_std.npy"
    path.write_bytes(path.read_bytes()[:1000])
    assert "X_test_std.npy is truncated/corrupt" in error(folder)


def test_modified_file(saved):
    folder = saved[0]
    path = folder / "har_train_standardized.csv"
    data = bytearray(path.read_bytes())
    data[-3] = ord("9") if data[-3] != ord("9") else ord("8")
    path.write_bytes(bytes(data))
    assert "har_train_standardized.csv is corrupt" in error(folder)


def test_unreadable_checkpoint(saved):
    folder = saved[0]
    (folder / art.CHECKPOINT_FILE).write_bytes(b"not a checkpoint")
    reseal(folder)
    assert "rnn_har.pth is truncated/corrupt" in error(folder)


def test_format_version_mismatch(saved):
    folder = saved[0]
    manifest = json.loads((folder / art.MANIFEST_FILE).read_text())
    manifest["format_version"] = 0
    (folder / art.MANIFEST_FILE).write_text(json.dumps(manifest))
    assert "another version: re-run notebook 02" in error(folder)
    resave_checkpoint(folder, format_version=99)
    assert "rnn_har.pth has format version 99" in error(folder)


def test_checkpoint_from_other_arrays(saved, tmp_path):
    folder = saved[0]
    write_set(tmp_path / "other", seed=1)
    for name in art.ARRAY_FILES:
        shutil.copy(tmp_path / "other" / name, folder / name)
    assert "is corrupt or was modified" in error(folder)   # other arrays do not match the manifest
    reseal(folder)                                          # ... even if someone reseals it by hand
    assert "rnn_har.pth does not match the arrays in" in error(folder)
    manifest = json.loads((folder / art.MANIFEST_FILE).read_text())   # the manifest's own fingerprint
    checkpoint = torch.load(folder / art.CHECKPOINT_FILE, weights_only=True)  # does not count, the
    manifest["artifacts_fingerprint"] = checkpoint["artifacts_fingerprint"]   # arrays' hashes do
    (folder / art.MANIFEST_FILE).write_text(json.dumps(manifest))
    assert "rnn_har.pth does not match the arrays in" in error(folder)


def test_other_dataset(saved):
    folder = saved[0]
    assert "another dataset/version: re-run notebook 02" in error(folder, expected_data_fingerprint="0" * 64)


def test_model_config_or_weights_do_not_fit(saved):
    folder = saved[0]
    config = as_json(saved[2].config)
    resave_checkpoint(folder, model_config={**config, "hidden_size": 16})
    assert "the saved weights do not fit the model" in error(folder)
    resave_checkpoint(folder, model_config={**config, "cell": "transformer"})
    assert "model config this code cannot build" in error(folder)


def test_checkpoint_loads_with_weights_only(saved):
    """Anyone can rebuild the model from the checkpoint alone, without unpickling code."""
    folder, arrays, model = saved
    checkpoint = torch.load(folder / art.CHECKPOINT_FILE, weights_only=True)
    assert set(checkpoint) == set(art.CHECKPOINT_KEYS)
    rebuilt = RNNClassifier(**checkpoint["model_config"])
    rebuilt.load_state_dict(checkpoint["state_dict"])
    x = torch.as_tensor(arrays["X_test_std"])
    with torch.no_grad():
        assert torch.equal(rebuilt.eval()(x), model.eval()(x))


class Payload:
    """Unpickling this would run code: it creates the file `path`."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (str(self.path), "w"))


def test_checkpoint_with_a_pickled_object_is_refused(saved, tmp_path):
    folder = saved[0]
    ran = tmp_path / "payload-ran"
    resave_checkpoint(folder, provenance={"note": Payload(ran)})     # resealed: only the pickle is wrong
    message = error(folder)
    assert message.startswith("$HAR_ARTIFACTS_DIR/artifacts/rnn_har.pth is truncated/corrupt (UnpicklingError)")
    assert message.count("\n") == 0 and "Run notebook 02" in message
    assert not ran.exists(), "loading the artifacts ran code from the checkpoint"


def test_interrupted_save_keeps_the_previous_set(tmp_path, monkeypatch):
    folder = tmp_path / "artifacts"
    arrays, model = write_set(folder)
    manifest = (folder / art.MANIFEST_FILE).read_bytes()

    def broken_save(fh, *args, **kwargs):
        fh.write(b"half a file")
        raise KeyboardInterrupt

    for module, name, replacement, exception in [
            (np, "save", broken_save, KeyboardInterrupt),
            (torch, "save", lambda obj, fh: (fh.write(b"partial"), 1 / 0), ZeroDivisionError),
            (files, "replace_dir", lambda new, out: 1 / 0, ZeroDivisionError)]:
        with monkeypatch.context() as patch:
            patch.setattr(module, name, replacement)
            with pytest.raises(exception):
                write_set(folder, seed=1)
        assert sorted(p.name for p in tmp_path.iterdir()) == ["artifacts"], "no temporary folders left"
        assert (folder / art.MANIFEST_FILE).read_bytes() == manifest
        loaded = art.load_artifacts(folder)
        assert np.array_equal(loaded.X_test_std, arrays["X_test_std"])


def test_failed_swap_puts_the_old_set_back(saved, monkeypatch):
    folder, arrays, _ = saved
    real_replace = art.os.replace

    def replace(src, dst):          # the second rename of replace_dir (new -> out) fails
        if Path(src).name.startswith(".artifacts.new-"):
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(art.os, "replace", replace)
    with pytest.raises(OSError, match="disk full"):
        write_set(folder, seed=1)
    monkeypatch.undo()
    assert sorted(p.name for p in folder.parent.iterdir()) == ["artifacts"]
    assert np.array_equal(art.load_artifacts(folder).y_train, arrays["y_train"])


def test_a_full_disk_is_one_line_naming_the_folder_and_the_space(saved, monkeypatch):
    """ENOSPC in the middle of the CSVs: the old set survives, nothing is left behind, and the
    learner reads one line (folder, MB needed, MB free), not an OSError traceback."""
    folder, arrays, _ = saved

    def full_disk(path, *args, **kwargs):
        Path(path).write_bytes(b"the first rows")
        raise OSError(errno.ENOSPC, "No space left on device")

    with monkeypatch.context() as patch, pytest.raises(art.ArtifactError) as info:
        patch.setattr(art, "_write_csv", full_disk)
        write_set(folder, seed=1)
    message = str(info.value)
    assert message.startswith("No space left on the disk of $HAR_ARTIFACTS_DIR/ to save the artifacts: "
                              "the set needs about 1 MB, and ")
    assert "MB are free" in message and "\n" not in message and "Errno" not in message
    assert sorted(p.name for p in folder.parent.iterdir()) == ["artifacts"], "no temporary folders left"
    assert np.array_equal(art.load_artifacts(folder).y_train, arrays["y_train"])
    real = {k: np.zeros((7352 if "train" in k else 2947,) + ((128, 9) if k[0] == "X" else ()),
                        np.float32 if k[0] == "X" else np.int64) for k in art.ARRAY_FILES for k in [k[:-4]]}
    assert "needs about 166 MB" in art.no_space_message(folder, real), "the book's set: 162 MB on disk"


def test_stale_temporary_folders(saved):
    """Hidden folders of killed saves never confuse the reader, and the next save removes them."""
    folder, arrays, _ = saved
    for name in (".artifacts.new-99999999", ".artifacts.old-99999998"):
        shutil.copytree(folder, folder.parent / name)
        (folder.parent / name / "y_test.npy").unlink()
    (folder.parent / ".artifacts.new-99999997").mkdir()
    (folder.parent / ".artifacts.new-x").mkdir()            # not ours: left alone
    (folder.parent / ".artifactsX.new-1").mkdir()
    assert np.array_equal(art.load_artifacts(folder).y_test, arrays["y_test"])
    new_arrays, _ = write_set(folder, seed=1)
    assert sorted(p.name for p in folder.parent.iterdir()) == [".artifacts.new-x", ".artifactsX.new-1",
                                                               "artifacts"]
    assert np.array_equal(art.load_artifacts(folder).y_test, new_arrays["y_test"])


def test_save_killed_between_the_two_renames(saved):
    """replace_dir moved the old set aside, then the process died: the old set still loads,
    and the next save puts it back before writing."""
    folder, arrays, _ = saved
    old, new = folder.parent / ".artifacts.old-4242", folder.parent / ".artifacts.new-4242"
    shutil.copytree(folder, new)
    folder.rename(old)
    loaded = art.load_artifacts(folder)
    assert loaded.dir == old and np.array_equal(loaded.X_train_std, arrays["X_train_std"])
    assert "No artifacts folder" in error(folder.parent / "elsewhere")
    write_set(folder, seed=2)
    assert sorted(p.name for p in folder.parent.iterdir()) == ["artifacts"]
    assert art.load_artifacts(folder).checkpoint["seed"] == 2


def test_train_config_dataclass_and_provenance(tmp_path):
    @dataclasses.dataclass
    class TrainConfig:
        epochs: int = 3
        betas: tuple = (0.9, 0.999)
        schedule: str | None = None

    provenance = {"test_accuracy": "argmax over the test set, model from epoch 3", "n": np.int64(5)}
    write_set(tmp_path / "artifacts", train_config=TrainConfig(), provenance=provenance)
    ck = torch.load(tmp_path / "artifacts" / art.CHECKPOINT_FILE, weights_only=True)
    assert ck["train_config"] == {"epochs": 3, "betas": [0.9, 0.999], "schedule": None}
    assert ck["provenance"] == {"test_accuracy": "argmax over the test set, model from epoch 3", "n": 5}
    assert type(ck["provenance"]["n"]) is int


def test_bad_input_is_refused_before_anything_is_written(tmp_path):
    folder = tmp_path / "artifacts"
    with pytest.raises(TypeError, match="cannot store object"):
        write_set(folder, metrics={"when": object()})
    arrays = make_arrays()
    with pytest.raises(ValueError, match="class ids"):
        art.save_artifacts(folder, **{**arrays, "y_test": arrays["y_test"] - 1}, stats=STATS,
                           data_info=DATA_INFO, model=RNNClassifier(hidden_size=4), train_config={},
                           metrics={}, seed=0)
    assert list(tmp_path.iterdir()) == []


# --- reading errors: one line naming the file, never a traceback ------------------

def one_line(folder, name, **kwargs):
    with pytest.raises(ArtifactError) as info:
        art.load_artifacts(folder, **kwargs)
    err = info.value
    message = str(err)
    assert "\n" not in message and err.__cause__ is None and err.__suppress_context__
    assert err._render_traceback_() == [f"ArtifactError: {message}"]
    assert f"$HAR_ARTIFACTS_DIR/artifacts/{name} " in message, message
    assert str(folder.parent) not in message
    return message


@pytest.mark.parametrize("name", art.ALL_FILES + (art.MANIFEST_FILE,))
def test_folder_in_place_of_a_file(saved, name):
    folder = saved[0]
    (folder / name).unlink()
    (folder / name).mkdir()
    (folder / name / "something").write_text("x")
    message = one_line(folder, name)
    assert message == f"$HAR_ARTIFACTS_DIR/artifacts/{name} is a folder, not a file. {art.RERUN}"


@pytest.mark.parametrize("name", art.ALL_FILES + (art.MANIFEST_FILE,))
def test_permission_denied(saved, name, monkeypatch):
    """Tests run as root, so chmod would not stop the reads: make `open` refuse instead."""
    real_open = builtins.open

    def refusing_open(file, *args, **kwargs):
        if str(file).endswith(name):
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refusing_open)
    message = one_line(saved[0], name)
    assert message == f"$HAR_ARTIFACTS_DIR/artifacts/{name} cannot be read (Permission denied). {art.RERUN}"


@pytest.mark.parametrize("name, function", [("X_test_std.npy", (np, "load")),
                                            (art.CHECKPOINT_FILE, (torch, "load"))])
@pytest.mark.parametrize("exception", [OSError(errno.EIO, "Input/output error"), PermissionError(), OSError()])
def test_io_error_while_loading(saved, name, function, exception, monkeypatch):
    """The files hash fine, then loading one fails (a disk error, a file replaced meanwhile)."""
    module, attr = function
    real = getattr(module, attr)

    def failing(file, *args, **kwargs):
        if str(file).endswith(name):
            raise exception
        return real(file, *args, **kwargs)

    monkeypatch.setattr(module, attr, failing)
    message = one_line(saved[0], name)
    reason = exception.strerror or type(exception).__name__
    assert message == f"$HAR_ARTIFACTS_DIR/artifacts/{name} cannot be read ({reason}). {art.RERUN}"
