"""Shared code for the RNN-HAR tutorial notebooks: what they teach, importable.

Data flows one way: official or rebuilt UCI HAR files -> `har_rnn.data`
(validated, cached arrays) -> notebook 02 (standardize, train, evaluate) ->
one artifacts folder -> notebooks 03 and 04, which only read.

Modules generated from notebook cells (`make export`): `rnn_basics` (01),
`models` and `training` (02, 04), `hidden` (03), `gradients` and `volunteers`
(04). Hand-written analyses: `dynamics` (fixed points), `occlusion`.
"""
from .artifacts import load_artifacts, save_artifacts
from .config import TrainConfig
from .data import current_fingerprint, fit_standardizer, load_har, standardize
from .files import display_path
from .models import CNNClassifier, RNNClassifier
from .notebook_setup import setup
from .summary import publish
from .training import evaluate, fit, make_loader, set_seed, train_one_epoch, volunteer_split
from .uci_format import ACTIVITIES, CHANNEL_UNITS, CHANNELS, SAMPLE_RATE_HZ, WINDOW

__all__ = ["ACTIVITIES", "CHANNELS", "CHANNEL_UNITS", "CNNClassifier", "RNNClassifier", "SAMPLE_RATE_HZ",
           "TrainConfig", "WINDOW", "current_fingerprint", "display_path", "evaluate", "fit",
           "fit_standardizer", "load_artifacts", "load_har", "make_loader", "publish", "save_artifacts",
           "set_seed", "setup", "standardize", "train_one_epoch", "volunteer_split"]
