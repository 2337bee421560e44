import json

import numpy as np
import pandas as pd
import pytest
import torch

from har_rnn import artifacts as art
from har_rnn.errors import ArtifactError
from har_rnn.models import RNNClassifier
from har_rnn.uci_format import ACTIVITIES, CHANNELS

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


def write_set(folder, seed=0, model=None):
    arrays = make_arrays(seed)
    art.save_standardized(folder, **arrays, stats=STATS, data_info=DATA_INFO)
    torch.manual_seed(seed)
    model = model or RNNClassifier(hidden_size=8, cell="gru")
    art.save_checkpoint(folder / art.CHECKPOINT_FILE, model,
                        train_config={"epochs": 3, "lr": 1e-3}, stats=STATS, data_info=DATA_INFO,
                        metrics={"val_accuracy": np.float64(0.5), "history": pd.DataFrame({"epoch": [1, 2]})},
                        seed=seed)
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


def resave_checkpoint(folder, **changes):
    """Edit the checkpoint and reseal the set, as if notebook 02 had written it that way."""
    path = folder / art.CHECKPOINT_FILE
    checkpoint = torch.load(path, weights_only=True)
    checkpoint.update(changes)
    torch.save(checkpoint, path)
    art.write_manifest(folder, DATA_INFO)


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


def test_artifacts_dir(monkeypatch, tmp_path):
    monkeypatch.delenv("HAR_ARTIFACTS_DIR", raising=False)
    assert art.artifacts_dir() == art.REPO / "artifacts"
    monkeypatch.setenv("HAR_ARTIFACTS_DIR", str(tmp_path))
    assert art.artifacts_dir() == tmp_path


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
    art.write_manifest(folder, DATA_INFO)
    assert "rnn_har.pth is unreadable" in error(folder)


def test_format_version_mismatch(saved):
    folder = saved[0]
    manifest = json.loads((folder / art.MANIFEST_FILE).read_text())
    manifest["format_version"] = 0
    (folder / art.MANIFEST_FILE).write_text(json.dumps(manifest))
    assert "another version: re-run notebook 02" in error(folder)
    resave_checkpoint(folder, format_version=99)
    assert "rnn_har.pth has format version 99" in error(folder)


def test_checkpoint_from_other_arrays(saved):
    folder = saved[0]
    art.save_standardized(folder, **make_arrays(seed=1), stats=STATS, data_info=DATA_INFO)
    assert "did not finish" in error(folder)          # rewriting arrays unseals the set
    art.write_manifest(folder, DATA_INFO)             # ... even if someone reseals it by hand
    assert "rnn_har.pth does not match the arrays in" in error(folder)


def test_other_dataset(saved):
    folder = saved[0]
    assert "another dataset/version: re-run notebook 02" in error(folder, expected_data_fingerprint="0" * 64)


def test_model_config_or_weights_do_not_fit(saved):
    folder = saved[0]
    config = json.loads(json.dumps(saved[2].config))
    resave_checkpoint(folder, model_config={**config, "hidden_size": 16})
    assert "the saved weights do not fit the model" in error(folder)
    resave_checkpoint(folder, model_config={**config, "cell": "transformer"})
    assert "model config this code cannot build" in error(folder)


def test_checkpoint_loads_with_weights_only(saved):
    checkpoint = torch.load(saved[0] / art.CHECKPOINT_FILE, weights_only=True)
    assert set(checkpoint) == set(art.CHECKPOINT_KEYS)


def test_interrupted_save_leaves_no_partial_files(tmp_path, monkeypatch):
    folder = tmp_path / "artifacts"
    write_set(folder)

    def broken_save(fh, *args, **kwargs):
        fh.write(b"half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(np, "save", broken_save)
    (folder / "X_train_std.npy").unlink()
    with pytest.raises(KeyboardInterrupt):
        art.save_standardized(folder, **make_arrays(), stats=STATS, data_info=DATA_INFO)
    names = {p.name for p in folder.iterdir()}
    assert "X_train_std.npy" not in names and art.MANIFEST_FILE not in names
    assert not [n for n in names if ".tmp" in n]
    assert "did not finish" in error(folder)

    monkeypatch.undo()
    art.save_standardized(folder, **make_arrays(), stats=STATS, data_info=DATA_INFO)
    monkeypatch.setattr(torch, "save", lambda obj, fh: (fh.write(b"partial"), 1 / 0))
    (folder / art.CHECKPOINT_FILE).unlink()
    with pytest.raises(ZeroDivisionError):
        art.save_checkpoint(folder / art.CHECKPOINT_FILE, RNNClassifier(hidden_size=8),
                            train_config={}, stats=STATS, data_info=DATA_INFO, metrics={}, seed=0)
    names = {p.name for p in folder.iterdir()}
    assert art.CHECKPOINT_FILE not in names and art.MANIFEST_FILE not in names
    assert not [n for n in names if ".tmp" in n]
