"""Generated from 02_Training_a_Vanilla_RNN_for_Activity_Recognition.ipynb, 04_What_the_RNN_Learns_vs_Where_it_Fails.ipynb by `python -m har_rnn.tooling.export`.

Do not edit: change the notebook cells marked `#| export training` and re-run
the export (`make export`)."""

import contextlib
import dataclasses
import math
import random
import time

import numpy as np
import pandas as pd
from sklearn.metrics import f1_score
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from har_rnn.artifacts import save_artifacts
from har_rnn.data import standardize
from har_rnn.models import RNNClassifier
from har_rnn.rotations import random_rotations

__all__ = [
    "RandomRotation",
    "evaluate",
    "fit",
    "make_loader",
    "model_mode",
    "random_window_split",
    "save_run",
    "set_seed",
    "short_run",
    "train_one_epoch",
    "volunteer_split",
]


# notebook 02, cell 8e61dc9f
def volunteer_split(subjects, validation_volunteers):
    """Indices of the training windows to fit on, and of those of the named validation volunteers."""
    subjects = np.asarray(subjects)
    missing = sorted(set(validation_volunteers) - set(subjects.tolist()))
    if missing or len(set(validation_volunteers)) >= len(np.unique(subjects)):
        raise ValueError(f"validation volunteers {list(validation_volunteers)} must be some, not all, of the "
                         f"training volunteers {np.unique(subjects).tolist()} (missing: {missing})")
    is_val = np.isin(subjects, validation_volunteers)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


# notebook 02, cell f7ce62ca
def set_seed(seed):
    """Seed Python, NumPy and PyTorch."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def make_loader(X, y, batch_size, shuffle, seed=0):
    """Mini-batches of (windows, labels); the shuffling order depends only on `seed`."""
    dataset = TensorDataset(torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long))
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle,
                      generator=torch.Generator().manual_seed(seed))


@contextlib.contextmanager
def model_mode(model, training):
    """Run a block in training (True) or evaluation (False) mode; restore the mode after."""
    was_training = model.training
    model.train(training)
    try:
        yield model
    finally:
        model.train(was_training)


@torch.no_grad()
def evaluate(model, X, y, batch_size=512):
    """Loss, accuracy, macro-F1 and the predicted classes of `model` on (X, y)."""
    device = next(model.parameters()).device
    X, y = torch.as_tensor(X, dtype=torch.float32), torch.as_tensor(y, dtype=torch.long)
    with model_mode(model, False):
        logits = torch.cat([model(X[i:i + batch_size].to(device)).cpu() for i in range(0, len(X), batch_size)])
    predictions = logits.argmax(1).numpy()
    return {"loss": nn.functional.cross_entropy(logits, y).item(),
            "accuracy": float((predictions == y.numpy()).mean()),
            "macro_f1": float(f1_score(y.numpy(), predictions, average="macro")),
            "predictions": predictions}


# notebook 02, cell a0c2d9cd
def train_one_epoch(model, loader, optimizer, clip_norm, augment=None):
    """One pass over `loader`: mean loss and accuracy, and every batch's gradient norm before clipping."""
    device = next(model.parameters()).device
    model.train()
    total_loss, correct, seen, grad_norms = 0.0, 0, 0, []
    for xb, yb in loader:
        if augment is not None:          # notebook 04 rotates the windows
            xb = augment(xb)
        xb, yb = xb.to(device), yb.to(device)
        logits = model(xb)
        loss = nn.functional.cross_entropy(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        norm = nn.utils.clip_grad_norm_(model.parameters(), clip_norm or float("inf"))  # None: measure only
        optimizer.step()
        grad_norms.append(norm.item())
        total_loss += loss.item() * len(yb)
        correct += (logits.argmax(1) == yb).sum().item()
        seen += len(yb)
    return {"loss": total_loss / seen, "accuracy": correct / seen, "grad_norms": np.array(grad_norms)}


# notebook 02, cell 86c6977b
def fit(model, X_tr, y_tr, X_val, y_val, config, *, augment=None, verbose=True):
    """Train as `config` says; `model` ends with the best validation epoch's weights. Returns the history."""
    set_seed(config.seed)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model.to(device)
    loader = make_loader(X_tr, y_tr, config.batch_size, shuffle=True, seed=config.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=config.epochs)
                 if config.schedule == "cosine" else None)
    history, best_acc = [], -1.0
    for epoch in range(1, config.epochs + 1):
        start, lr = time.perf_counter(), optimizer.param_groups[0]["lr"]
        train = train_one_epoch(model, loader, optimizer, config.clip_norm, augment)
        val = evaluate(model, X_val, y_val)
        norms = train["grad_norms"]
        history.append({"epoch": epoch, "train_loss": train["loss"], "train_acc": train["accuracy"],
                        "val_loss": val["loss"], "val_acc": val["accuracy"], "lr": lr,
                        "grad_norm_median": float(np.median(norms)),
                        "clipped_share": float((norms > config.clip_norm).mean()) if config.clip_norm else 0.0,
                        "seconds": time.perf_counter() - start})
        improved = val["accuracy"] > best_acc
        if improved:
            best_acc = val["accuracy"]
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        if verbose:
            print(f"{config.epochs} epochs: " if epoch == 1 else "", "*" if improved else ".",
                  sep="", end="", flush=True)
        if scheduler is not None:
            scheduler.step()
    model.load_state_dict(best_state)
    history = pd.DataFrame(history)
    history.attrs["best_epoch"] = int(history.loc[history.val_acc.idxmax(), "epoch"])
    if verbose:
        print(f"  kept epoch {history.attrs['best_epoch']} (validation accuracy {best_acc:.2%}), "
              f"{history.seconds.sum():.0f} s")
    return history


# notebook 02, cell 64f1a4f4
def save_run(folder, data, stats, model, config, history, test, train_seconds):
    """Save what notebooks 03 and 04 read: the standardized windows, the statistics, and the
    model with its config and metrics (accuracies as fractions, the history of every epoch)."""
    best_epoch = history.attrs["best_epoch"]
    metrics = {"val_accuracy": float(history.set_index("epoch").loc[best_epoch, "val_acc"]),
               "test_accuracy": test["accuracy"], "test_macro_f1": test["macro_f1"],
               "best_epoch": best_epoch, "epochs_run": len(history), "train_seconds": train_seconds,
               "history": history.to_dict(orient="records")}
    save_artifacts(folder, X_train_std=standardize(data.X_train, stats), y_train=data.y_train,
                   subjects_train=data.subjects_train, X_test_std=standardize(data.X_test, stats),
                   y_test=data.y_test, subjects_test=data.subjects_test, stats=stats,
                   data_info={"source": data.source, "fingerprint": data.fingerprint},
                   model=model, train_config=config, metrics=metrics, seed=config.seed)


# notebook 02, cell aaeac82a
def short_run(X_fit, y_fit, X_check, y_check, config, *, verbose=True, **changes):
    """An exercise's short run: `config.short()` with `changes` (e.g. clip_norm=None), from the
    main run's initial weights. Returns the model (CPU, eval mode) and its history."""
    run_config = dataclasses.replace(config.short(), **changes)
    torch.manual_seed(run_config.seed)
    model = RNNClassifier(hidden_size=run_config.hidden_size, recurrent_init=run_config.recurrent_init)
    history = fit(model, X_fit, y_fit, X_check, y_check, run_config, verbose=verbose)
    return model.cpu().eval(), history


# notebook 02, cell 8997c36e
def random_window_split(n_windows, seed):
    """Positions of the windows to fit on and of a random fifth held out, ignoring who is who."""
    shuffled = np.random.default_rng(seed).permutation(n_windows)
    return shuffled[n_windows // 5:], shuffled[:n_windows // 5]


# notebook 04, cell e6326579
class RandomRotation:
    """Turn every training window as if the phone sat at another angle on the waist.

    Each window gets its own rotation (a random axis, an angle uniform in
    ±max_degrees), the same for its three sensor triads (body_acc, body_gyro,
    total_acc: x, y, z each). The rotation acts on the sensor values, so the
    standardization (`stats` from notebook 02) is undone first and redone after.
    It draws from its own generator: the batch order and the initial weights are
    the same as without it.
    """

    def __init__(self, stats, max_degrees, seed=0):
        self.mean = torch.as_tensor(np.asarray(stats["mean"], dtype=np.float32))
        self.std = torch.as_tensor(np.asarray(stats["std"], dtype=np.float32))
        self.max_angle = math.radians(max_degrees)
        self.generator = torch.Generator().manual_seed(seed)

    def __call__(self, xb):
        B, T, C = xb.shape
        triads = (xb * self.std + self.mean).reshape(B, T, C // 3, 3)    # in g and rad/s
        R = random_rotations(B, self.max_angle, self.generator)          # (B, 3, 3): one per window
        rotated = triads @ R.transpose(1, 2)[:, None]                     # x -> R x at every step
        return (rotated.reshape(B, T, C) - self.mean) / self.std
