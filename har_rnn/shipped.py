"""The two trained models that ship with the package: no training needed to use them.

- ``"rnn"``: notebook 02's vanilla RNN (`RNNClassifier`, 5,190 parameters);
- ``"answer"``: notebook 04's answer rung, `config.ANSWER` (`ConvRNNClassifier`, 13,286 parameters).

Each is one file in the package folder ``shipped/`` (``rnn.pt``, ``answer.pt``), written by
``python -m har_rnn.tooling.ship`` (the very `train_rung` call of notebooks 02 and 04,
`TrainConfig()`, seed 0, under reference numerics). A file holds plain values and tensors
only, so ``torch.load(..., weights_only=True)`` reads it: the weights, the constructor
config, the rung, the `TrainConfig`, the standardization statistics of the training set,
the data fingerprint and the test accuracy measured when it was made.

    from har_rnn.data import standardize
    from har_rnn.shipped import load_shipped
    answer = load_shipped("answer")
    X = standardize(X_raw, answer.stats)          # raw windows (N, 128, 9) in CHANNELS order
    with torch.no_grad():
        probabilities = answer.model(torch.as_tensor(X)).softmax(1)     # (N, 6), ACTIVITIES order

`export_onnx` writes a model for ONNX Runtime (a batch of standardized windows in,
logits and class probabilities out); `export_onnx_step` writes the vanilla RNN's single
step, the state in and out, as an app streaming the sensors would run it.
"""
from __future__ import annotations

import contextlib
import io
import warnings
from importlib import resources
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import torch
from torch import nn

from .config import ANSWER, LADDER, TrainConfig
from .data.errors import HarError
from .data.uci_format import ACTIVITIES, CHANNELS, WINDOW
from .files import atomic_open, display_path
from .models import CNNClassifier, ConvRNNClassifier, RNNClassifier

__all__ = ["SHIPPED", "ShippedModelError", "export_onnx", "export_onnx_step", "load_shipped", "make_record",
           "shipped_path"]

FORMAT_VERSION = 1
FOLDER = "shipped"                         # inside the package: har_rnn/shipped/
# name -> the rung of `config.LADDER` it is, as notebooks 02 and 04 train it
SHIPPED = {"rnn": "rnn", "answer": ANSWER}
DESCRIPTIONS = {"rnn": "notebook 02's vanilla RNN", "answer": f"notebook 04's answer rung, {ANSWER}"}
RECORD_KEYS = ("format_version", "name", "rung", "model_class", "model_config", "state_dict", "train_config",
               "standardization", "data", "metrics", "provenance")
MODEL_CLASSES = {cls.__name__: cls for cls in (RNNClassifier, ConvRNNClassifier, CNNClassifier)}
OPSET = 17
REBUILD = ("Reinstall the package; in a clone, restore the file with `git checkout har_rnn/shipped` "
           "or rebuild it with `python -m har_rnn.tooling.ship`.")


class ShippedModelError(HarError):
    """A shipped model that is not there, unknown, or unreadable."""


def _check_name(name: str) -> str:
    if name not in SHIPPED:
        raise ShippedModelError(f"No shipped model {name!r}: the package ships "
                                + " and ".join(f"{n!r} ({DESCRIPTIONS[n]})" for n in SHIPPED) + ".")
    return name


def shipped_path(name: str) -> Path:
    """Where model `name`'s file is in this copy of the package (a clone or an install)."""
    return Path(str(resources.files(__package__).joinpath(FOLDER, f"{_check_name(name)}.pt")))


# --- writing (python -m har_rnn.tooling.ship) ---------------------------------------------------

def make_record(name: str, model: nn.Module, config: TrainConfig, stats: dict, data_info: dict,
                metrics: dict, provenance: dict | None = None) -> dict:
    """What a shipped file holds: plain values and tensors only (``weights_only=True`` loads it).

    ``config``: the `TrainConfig` given to `train_rung` (the rung's own changes, such as its
    epochs, follow from ``LADDER[rung]``); ``stats``: ``{"mean", "std"}`` of the training set;
    ``data_info``: ``{"source", "fingerprint", "n_train", "n_test"}``; ``metrics``: plain
    numbers, at least ``test_accuracy`` (a fraction)."""
    _check_name(name)
    if type(model).__name__ not in MODEL_CLASSES:
        raise TypeError(f"cannot ship a {type(model).__name__}")
    return {
        "format_version": FORMAT_VERSION, "name": name, "rung": SHIPPED[name],
        "model_class": type(model).__name__, "model_config": dict(model.config),
        "state_dict": {k: v.detach().cpu().clone() for k, v in model.state_dict().items()},
        "train_config": config.to_dict(),
        "standardization": {"channels": list(CHANNELS), "mean": [float(m) for m in np.ravel(stats["mean"])],
                            "std": [float(s) for s in np.ravel(stats["std"])]},
        "data": {k: _plain(data_info[k]) for k in ("source", "fingerprint", "n_train", "n_test")},
        "metrics": {k: _plain(v) for k, v in metrics.items()},
        "provenance": {k: _plain(v) for k, v in (provenance or {}).items()},
    }


def _plain(value):
    """A number or string as a plain Python value (numpy scalars do not load with weights_only)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot ship {type(value).__name__} {value!r:.40}: use plain values")


def save_record(record: dict, path: Path) -> None:
    """Write one shipped file atomically (a killed write leaves the previous file whole)."""
    buffer = io.BytesIO()
    torch.save(record, buffer)
    with atomic_open(path) as fh:
        fh.write(buffer.getvalue())


# --- reading ------------------------------------------------------------------------------------

def read_record(name: str, path: Path | None = None) -> dict:
    """The checked contents of model `name`'s file (``path``: another file of the same format)."""
    path = shipped_path(name) if path is None else Path(path)
    where = display_path(path)
    try:
        with open(path, "rb") as fh:
            record = torch.load(fh, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ShippedModelError(f"{where} is missing: this copy of har_rnn has no shipped {name!r} model. "
                                f"{REBUILD}") from None
    except IsADirectoryError:
        raise ShippedModelError(f"{where} is a folder, not a file. {REBUILD}") from None
    except OSError as err:
        raise ShippedModelError(f"{where} cannot be read ({err.strerror or type(err).__name__}). {REBUILD}") from None
    except Exception as err:            # any unpickling failure means the same to the reader
        raise ShippedModelError(f"{where} is truncated/corrupt ({type(err).__name__}). {REBUILD}") from None
    if not isinstance(record, dict) or record.get("format_version") != FORMAT_VERSION:
        version = record.get("format_version") if isinstance(record, dict) else None
        raise ShippedModelError(f"{where} has format version {version}, this code reads {FORMAT_VERSION}: "
                                f"it is from another version of har_rnn. {REBUILD}")
    missing = [k for k in RECORD_KEYS if k not in record]
    if missing:
        raise ShippedModelError(f"{where} lacks {', '.join(missing)}: it was not written by "
                                f"har_rnn.tooling.ship. {REBUILD}")
    if record["name"] != name or record["rung"] != SHIPPED[name]:
        raise ShippedModelError(f"{where} holds {record['name']!r} ({record['rung']}), not {name!r} "
                                f"({SHIPPED[name]}). {REBUILD}")
    return record


def _build(record: dict, where: str) -> nn.Module:
    cls = MODEL_CLASSES.get(record["model_class"])
    try:
        if cls is None:
            raise ValueError(f"unknown model class {record['model_class']!r}")
        model = cls(**record["model_config"])
    except (KeyError, TypeError, ValueError) as err:
        raise ShippedModelError(f"{where} has a model this code cannot build ({err}). {REBUILD}") from None
    try:
        model.load_state_dict(record["state_dict"])
    except (KeyError, RuntimeError):
        raise ShippedModelError(f"{where}: the saved weights do not fit the model {record['model_class']}"
                                f"({record['model_config']}). {REBUILD}") from None
    return model.eval()


def load_shipped(name: str, path: Path | None = None) -> SimpleNamespace:
    """Shipped model `name` ("rnn" or "answer"), ready to use; `ShippedModelError` if it cannot be.

    Returns a namespace with ``model`` (rebuilt from the stored config, on the CPU, in eval
    mode: it takes standardized windows (B, 128, 9) and returns logits (B, 6)), ``stats``
    (``{"mean", "std"}``: float64 arrays (9,), the training set's, for `data.standardize`),
    ``train_config`` (a `TrainConfig`), ``test_accuracy`` (a fraction, measured on the test
    volunteers when the file was made), ``rung`` (its key in `config.LADDER`), ``label`` (how
    notebook 04 names it), ``metrics``, ``data_info`` and ``record`` (the file's contents)."""
    _check_name(name)
    record = read_record(name, path)
    where = display_path(shipped_path(name) if path is None else path)
    try:
        std = record["standardization"]
        stats = {"mean": np.array(std["mean"], dtype=np.float64), "std": np.array(std["std"], dtype=np.float64)}
        if list(std["channels"]) != list(CHANNELS) or {a.shape for a in stats.values()} != {(len(CHANNELS),)}:
            raise ValueError(f"statistics for {list(std['channels'])}, not for {list(CHANNELS)}")
        train_config = TrainConfig.from_dict(record["train_config"])
        test_accuracy = float(record["metrics"]["test_accuracy"])
    except (KeyError, TypeError, ValueError) as err:
        raise ShippedModelError(f"{where} has unreadable settings ({type(err).__name__}: {err}). {REBUILD}") from None
    return SimpleNamespace(name=name, rung=record["rung"], label=LADDER[record["rung"]].label,
                           model=_build(record, where), stats=stats, train_config=train_config,
                           test_accuracy=test_accuracy, metrics=dict(record["metrics"]),
                           data_info=dict(record["data"]), record=record)


# --- outside PyTorch: ONNX ------------------------------------------------------------------------

class _WithProbabilities(nn.Module):
    """model(window) -> (logits, softmax probabilities)."""

    def __init__(self, model: nn.Module):
        super().__init__()
        self.model = model

    def forward(self, window):
        logits = self.model(window)
        return logits, logits.softmax(dim=1)


class _Step(nn.Module):
    """One step of a one-layer vanilla RNN: (x_t, h_{t-1}) -> (logits, probabilities, h_t), where
    h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) and the logits are the head's reading of h_t."""

    def __init__(self, model: RNNClassifier):
        super().__init__()
        self.rnn, self.head = model.rnn, model.head

    def forward(self, x_t, h):
        _, h_n = self.rnn(x_t[:, None, :], h[None])      # a sequence of one step, the state given
        h_t = h_n[0]
        logits = self.head(h_t)
        return logits, logits.softmax(dim=1), h_t


def _metadata(shipped: SimpleNamespace, **extra: str) -> dict[str, str]:
    """What an app needs beside the graph, as the ONNX file's metadata (strings)."""
    fmt = lambda values: ",".join(repr(float(v)) for v in values)      # noqa: E731  (round-trips exactly)
    return {"har_rnn.name": shipped.name, "har_rnn.rung": shipped.rung,
            "har_rnn.activities": ",".join(ACTIVITIES), "har_rnn.channels": ",".join(CHANNELS),
            "har_rnn.standardize": "x_std = (x - mean) / std, per channel, before the model",
            "har_rnn.mean": fmt(shipped.stats["mean"]), "har_rnn.std": fmt(shipped.stats["std"]),
            "har_rnn.test_accuracy": repr(shipped.test_accuracy), **extra}


def _export(module: nn.Module, args: tuple, path, input_names, output_names, dynamic_axes, metadata) -> Path:
    """TorchScript-based ONNX export (`dynamo=False`): offline, no onnxscript, a native ONNX RNN
    operator (the torch.export path unrolls the 128 steps into a file 50 times larger)."""
    try:
        import onnx
    except ImportError:
        raise ImportError("exporting to ONNX needs the `onnx` package: pip install -r requirements.txt, "
                          "or the package's `onnx` extra (pip install 'har-rnn[onnx]')") from None

    buffer = io.BytesIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")             # the legacy exporter's deprecation and tracer notes
        torch.onnx.export(module.eval(), args, buffer, dynamo=False, opset_version=OPSET,
                          input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes)
    proto = onnx.load_from_string(buffer.getvalue())
    for key, value in metadata.items():
        proto.metadata_props.add(key=key, value=value)
    proto.doc_string = metadata.get("har_rnn.doc", "")
    onnx.checker.check_model(proto, full_check=True)
    path = Path(path)
    with atomic_open(path) as fh:
        fh.write(proto.SerializeToString())
    return path


def export_onnx(name: str, path) -> Path:
    """Write shipped model `name` as ONNX: input ``window`` (batch, 128, 9), standardized with
    the model's ``stats`` (in the file's metadata too); outputs ``logits`` and ``probabilities``
    (batch, 6), in `ACTIVITIES` order. The batch size is free."""
    shipped = load_shipped(name)
    batch = {0: "batch"}
    return _export(_WithProbabilities(shipped.model), (torch.zeros(1, WINDOW, len(CHANNELS)),), path,
                   ["window"], ["logits", "probabilities"],
                   {"window": batch, "logits": batch, "probabilities": batch},
                   _metadata(shipped, **{"har_rnn.doc": f"{shipped.label}: standardized windows (batch, "
                                         f"{WINDOW}, {len(CHANNELS)}) -> logits, probabilities (batch, "
                                         f"{len(ACTIVITIES)})"}))


def export_onnx_step(path, name: str = "rnn") -> Path:
    """Write the vanilla RNN's single step as ONNX, the state as input and output, as an app reading
    the sensors 50 times a second would run it: inputs ``x_t`` (batch, 9), one standardized
    sample, and ``h`` (batch, H), the state (zeros at the start of a window); outputs ``logits``,
    ``probabilities`` (batch, 6) and ``h_next`` (batch, H), fed back as ``h`` with the next
    sample. After the 128 samples of a window the logits are the whole model's."""
    shipped = load_shipped(name)
    model = shipped.model
    config = getattr(model, "config", {})
    if not (isinstance(model, RNNClassifier) and config.get("cell") == "rnn" and config.get("num_layers") == 1):
        raise ShippedModelError(f"{name!r} is not a one-layer vanilla RNN read from its last state: "
                                "only 'rnn' has a single step to export.")
    hidden, batch = config["hidden_size"], {0: "batch"}
    return _export(_Step(model), (torch.zeros(1, len(CHANNELS)), torch.zeros(1, hidden)), path,
                   ["x_t", "h"], ["logits", "probabilities", "h_next"],
                   {"x_t": batch, "h": batch, "logits": batch, "probabilities": batch, "h_next": batch},
                   _metadata(shipped, **{"har_rnn.doc": f"{shipped.label}, one step: x_t (batch, {len(CHANNELS)}),"
                                         f" h (batch, {hidden}) -> logits, probabilities (batch, "
                                         f"{len(ACTIVITIES)}), h_next (batch, {hidden})"}))
