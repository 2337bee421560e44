"""Notebook 04's models built and trained by name (hand-written: plumbing the chapter calls, not a lesson).

`build_model(kind, config)` makes any model this series compares; `train_rung(name, ...)` trains one
entry of `config.LADDER` as every model in the series is trained. Notebook 02's fallback
(`notebook_02.py`), notebook 04, appendix A3, the 3-seed benchmark (`benchmarks/train_seeds.py`) and
`tooling/ship.py` call them, so a model trained anywhere is the model trained everywhere.
"""
import torch

from .config import LADDER
from .models import CNNClassifier, ConvRNNClassifier, RNNClassifier
from .training import RandomRotation, fit, volunteer_split


def build_model(kind, config):
    """Every model this series compares, sized and seeded by `config` (a TrainConfig).

    "rnn": notebook 02's model; "cnn": notebook 04's baseline; "gru", "lstm": the gated cells
    (appendix A3), with `config.gated_hidden_size` units (a GRU/LSTM unit has 3/4 times a
    tanh unit's weights) and orthogonal W_hh blocks, where the identity start suits the tanh
    RNN; "rnn-mean", "conv-rnn", "conv-rnn-mean": the ladder's `ConvRNNClassifier`.
    """
    torch.manual_seed(config.seed)                 # the initial weights depend on the seed only
    if kind == "cnn":
        return CNNClassifier(channels=config.cnn_channels)
    if kind == "rnn":
        return RNNClassifier(hidden_size=config.hidden_size, recurrent_init=config.recurrent_init)
    if kind in ("gru", "lstm"):
        return RNNClassifier(hidden_size=config.gated_hidden_size, cell=kind, recurrent_init="orthogonal")
    readout = "mean" if kind.endswith("-mean") else "last"
    return ConvRNNClassifier(conv_layers=2 if kind.startswith("conv") else 0, readout=readout,
                             hidden_size=config.hidden_size, recurrent_init=config.recurrent_init)


def train_rung(name, config, X, y, subjects, stats, *, verbose=True):
    """Train model `name` of notebook 04's ladder (`LADDER`) as every model in this series is
    trained: `fit` on the training volunteers, the best epoch chosen on the validation
    volunteers, with the rung's own epochs and (notebook 04, section 6) rotated windows.
    Returns the model (CPU, eval mode) and its history."""
    rung = LADDER[name]
    run_config = rung.train_config(config)
    fit_idx, val_idx = volunteer_split(subjects, run_config.validation_volunteers)
    model = build_model(rung.kind, run_config)
    augment = RandomRotation(stats, rung.rotation_degrees, run_config.seed) if rung.rotation_degrees else None
    history = fit(model, X[fit_idx], y[fit_idx], X[val_idx], y[val_idx], run_config,
                  augment=augment, verbose=verbose)
    return model.cpu().eval(), history
