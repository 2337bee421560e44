"""Notebook 02 in one call, for the notebooks that read its artifacts.

Notebooks 03, 04 and the appendix start with `load_or_train_artifacts`. Where
notebook 02 has run, it loads its folder (checked by `load_artifacts`). Where
there is none (a notebook opened on its own, as on Colab, where each notebook
gets its own machine), it first runs notebook 02's sections 1-5 with notebook
02's exported code and settings, and says so in one line with how long that
takes here. A test checks that this trains the very model notebook 02 saves.
"""
from __future__ import annotations

import time

import torch

from .artifacts import artifacts_exist, load_artifacts
from .config import TrainConfig
from .data import current_fingerprint, fit_standardizer, load_har, standardize
from .files import display_path
from .models import RNNClassifier
from .ladder import train_rung
from .training import evaluate, make_loader, save_run, train_one_epoch, volunteer_split

__all__ = ["load_or_train_artifacts", "train_and_save", "training_minutes"]


def train_and_save(folder, config, data, *, verbose=True) -> dict:
    """Notebook 02's sections 1-5: standardize, train on the training volunteers (`train_rung`,
    the protocol every model of the series shares), test once, save. Returns the test metrics."""
    stats = fit_standardizer(data.X_train)
    X_train, X_test = standardize(data.X_train, stats), standardize(data.X_test, stats)
    start = time.perf_counter()
    model, history = train_rung("rnn", config, X_train, data.y_train, data.subjects_train, stats,
                                verbose=verbose)
    train_seconds = time.perf_counter() - start
    test = evaluate(model, X_test, data.y_test)
    save_run(folder, data, stats, model, config, history, test, train_seconds)
    return test


def training_minutes(config, data, batches=4) -> float:
    """About how long `fit` with `config` takes here on `data`'s training volunteers: a few timed
    batches of a throwaway model, after one untimed batch that pays for the first call's set-up."""
    X, y = standardize(data.X_train, fit_standardizer(data.X_train)), data.y_train
    fit_idx, val_idx = volunteer_split(data.subjects_train, config.validation_volunteers)
    probe = RNNClassifier(hidden_size=config.hidden_size, recurrent_init=config.recurrent_init)
    optimizer = torch.optim.Adam(probe.parameters())
    size = config.batch_size
    n = min(len(X), (batches + 1) * size)
    train_one_epoch(probe, make_loader(X[:size], y[:size], size, shuffle=False), optimizer, config.clip_norm)
    start = time.perf_counter()
    train_one_epoch(probe, make_loader(X[size:n], y[size:n], size, shuffle=False), optimizer, config.clip_norm)
    per_window = (time.perf_counter() - start) / max(n - size, 1)
    # each epoch: a training pass over the fitting windows, a forward pass (about a third) over the validation ones
    return per_window * (len(fit_idx) + len(val_idx) / 3) * config.epochs / 60


def load_or_train_artifacts(folder, data_dir=None, *, quick=False):
    """Notebook 02's artifacts, checked against the data you have now (`load_artifacts`);
    trained first (`train_and_save`, `TrainConfig()`, or its `quick()` form) when there are none."""
    if not artifacts_exist(folder):
        data = load_har(data_dir)
        config = TrainConfig().quick() if quick else TrainConfig()
        minutes = training_minutes(config, data)
        print(f"No artifacts from notebook 02 in {display_path(folder)}/: training its RNN as notebook 02 does "
              f"({config.epochs} epochs, about {max(minutes, 0.1):.1f} min here) ...", flush=True)
        test = train_and_save(folder, config, data, verbose=False)
        print(f"done: test accuracy {test['accuracy']:.2%}, saved in {display_path(folder)}/")
    return load_artifacts(folder, expected_data_fingerprint=current_fingerprint(data_dir))
