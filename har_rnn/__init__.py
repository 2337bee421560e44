"""Shared code for the RNN-HAR tutorial notebooks: what they teach, importable.

Four floors, imports running one way (tooling -> lessons -> data -> files):

- `har_rnn.files`, the ground floor: where every folder is (the clone, the data
  home, artifacts/, images/; every HAR_* path variable is read there) and how
  files are written (atomically).
- `har_rnn.data`: find, check, load and cache the dataset (no torch).
- The lessons, at the top level, in notebook order: `rnn_basics` (01), `models`
  and `training` (02, 04), `hidden` (03), `confusions` and `gradients` (04),
  `recurrence` (the RNN's step written out, appendix A1) and `volunteers`
  (appendix A2), generated from notebook cells (`make export`); `dynamics`
  (fixed points), `occlusion`, `ladder` (notebook 04's models built and trained by
  name) and `rotations`, hand-written; with `config` (`TrainConfig`,
  the ladder), `artifacts` (what notebook 02 writes and 03/04 read) and
  `notebook_02` (those artifacts loaded, or trained first where they are
  missing, with notebook 02's code); `shipped` (the two trained models that ship with
  the package, and their ONNX export) and `recording` (a phone's recording classified:
  `python -m har_rnn.recording classify FILE ...`), hand-written.
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
                     "display_path", "fit_standardizer", "hapt_source", "load_har", "standardize"], ".data"),
    **dict.fromkeys(["load_artifacts", "save_artifacts"], ".artifacts"),
    "TrainConfig": ".config",
    **dict.fromkeys(["CNNClassifier", "RNNClassifier"], ".models"),
    "load_or_train_artifacts": ".notebook_02",
    **dict.fromkeys(["evaluate", "fit", "make_loader", "set_seed", "train_one_epoch", "volunteer_split"],
                    ".training"),
    "setup": ".tooling.notebook_setup",
    "publish": ".tooling.publish",
}
# public modules under a short name: the HAPT rebuild's steps, which notebook 01 draws one by one
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
