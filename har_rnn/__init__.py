"""Shared code for the RNN-HAR tutorial notebooks: what they teach, importable.

Three layers, imports running one way (tooling -> lessons -> data):

- `har_rnn.data`: find, check, load and cache the dataset (no torch).
- The lessons, at the top level: `rnn_basics` (01), `models` and `training`
  (02, 04), `hidden` (03), `confusions`, `gradients` and `volunteers` (04),
  generated from notebook cells (`make export`); `dynamics` (fixed points) and
  `occlusion`, hand-written; with `config` (`TrainConfig`, the ladder) and
  `artifacts` (what notebook 02 writes and 03/04 read).
- `har_rnn.tooling`: the notebook runner, the export, reference numerics,
  `setup()`, `publish()` and the seed results the notebooks quote.

The short names the notebooks use (``from har_rnn import load_har, fit, ...``)
are loaded on first use (PEP 562), so ``import har_rnn.data`` stays free of
torch and of everything above the data layer.
"""
from __future__ import annotations

import importlib

# name -> the module (relative to this package) it comes from
_EXPORTS = {
    **dict.fromkeys(["ACTIVITIES", "CHANNELS", "CHANNEL_UNITS", "SAMPLE_RATE_HZ", "WINDOW", "current_fingerprint",
                     "display_path", "fit_standardizer", "load_har", "standardize"], ".data"),
    **dict.fromkeys(["load_artifacts", "save_artifacts"], ".artifacts"),
    "TrainConfig": ".config",
    **dict.fromkeys(["CNNClassifier", "RNNClassifier"], ".models"),
    **dict.fromkeys(["evaluate", "fit", "make_loader", "set_seed", "train_one_epoch", "volunteer_split"],
                    ".training"),
    "setup": ".tooling.notebook_setup",
    "publish": ".tooling.publish",
}
# modules under a short name: the HAPT rebuild's steps, which notebook 01 draws one by one
_MODULES = {"hapt": ".data.hapt"}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(_EXPORTS[name], __name__), name)
    elif name in _MODULES:
        value = importlib.import_module(_MODULES[name], __name__)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value          # the next lookup does not come here
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, *_MODULES})
