"""Generated from 02_Training_a_Vanilla_RNN_for_Activity_Recognition.ipynb by `python -m har_rnn.export`.

Do not edit: change the notebook cells marked `#| export training` and re-run
the export (`make export`)."""

import os
import random
import time

import numpy as np
import pandas as pd
import torch
from sklearn.metrics import f1_score
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def set_seed(seed):
    """Seed Python, NumPy and PyTorch, and ask PyTorch for deterministic kernels."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)              # also seeds every GPU
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")  # cuBLAS needs it to be deterministic
    torch.backends.cudnn.deterministic = True
    torch.backends.cudnn.benchmark = False


def default_device():
    return "cuda" if torch.cuda.is_available() else "cpu"


def subject_validation_split(subjects, n_val_subjects, seed):
    """Hold out all windows of `n_val_subjects` randomly chosen training subjects.

    Windows of one person are strongly correlated (and overlap by 50%), so a
    random split of windows would let validation accuracy measure how well the
    model remembers people it has already seen, not how it does on new ones.
    """
    subjects = np.asarray(subjects)
    people = np.unique(subjects)
    if not 0 < n_val_subjects < len(people):
        raise ValueError(f"n_val_subjects must be between 1 and {len(people) - 1}, got {n_val_subjects}")
    val_people = np.random.default_rng(seed).choice(people, size=n_val_subjects, replace=False)
    is_val = np.isin(subjects, val_people)
    return np.flatnonzero(~is_val), np.flatnonzero(is_val)


def make_loader(X, y, batch_size, shuffle, seed=0):
    """Mini-batches of (windows, labels); the shuffling order depends only on `seed`."""
    dataset = TensorDataset(torch.as_tensor(X, dtype=torch.float32),
                            torch.as_tensor(y, dtype=torch.long))
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, generator=generator)


def train_one_epoch(model, loader, optimizer, loss_fn, clip_norm):
    """One pass over `loader`; returns the mean training loss and accuracy."""
    device = next(model.parameters()).device
    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        logits = model(xb)
        loss = loss_fn(logits, yb)
        optimizer.zero_grad()
        loss.backward()
        if clip_norm is not None:
            # Rescale the whole gradient if its global L2 norm exceeds clip_norm:
            # one step can then never be huge, even when gradients explode.
            nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        total_loss += loss.item() * len(yb)
        correct += (logits.argmax(1) == yb).sum().item()
        seen += len(yb)
    return {"loss": total_loss / seen, "accuracy": correct / seen}


@torch.no_grad()
def evaluate(model, X, y, batch_size=512):
    """Loss, accuracy, macro-F1 and the predicted classes of `model` on (X, y)."""
    device = next(model.parameters()).device
    model.eval()
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.long)
    logits = torch.cat([model(X[i:i + batch_size].to(device)).cpu()
                        for i in range(0, len(X), batch_size)])
    predictions = logits.argmax(1).numpy()
    return {"loss": nn.functional.cross_entropy(logits, y).item(),
            "accuracy": float((predictions == y.numpy()).mean()),
            "macro_f1": float(f1_score(y.numpy(), predictions, average="macro")),
            "predictions": predictions}


def fit(model, X_tr, y_tr, X_val, y_val, *, epochs=25, lr=1e-3, batch_size=64,
        clip_norm=1.0, patience=None, seed=0, device=None, weight_decay=0.0,
        schedule=None):
    """Train with Adam; keep the weights of the epoch with the best validation accuracy.

    patience: stop after this many epochs without a new best (None: run all epochs).
    schedule: None (constant lr) or "cosine" (lr decays to 0 over `epochs`).
    Returns (history, best_state); `model` ends up holding the best weights.
    """
    set_seed(seed)
    device = device or default_device()
    model.to(device)
    loader = make_loader(X_tr, y_tr, batch_size, shuffle=True, seed=seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    scheduler = (torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=epochs)
                 if schedule == "cosine" else None)
    loss_fn = nn.CrossEntropyLoss()
    history, best_acc, best_state, since_best = [], -1.0, None, 0
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        train = train_one_epoch(model, loader, optimizer, loss_fn, clip_norm)
        val = evaluate(model, X_val, y_val)
        seconds = time.perf_counter() - start
        improved = val["accuracy"] > best_acc
        if improved:
            best_acc, since_best = val["accuracy"], 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            since_best += 1
        history.append({"epoch": epoch, "train_loss": train["loss"], "train_acc": train["accuracy"],
                        "val_loss": val["loss"], "val_acc": val["accuracy"],
                        "val_macro_f1": val["macro_f1"], "lr": optimizer.param_groups[0]["lr"],
                        "seconds": seconds})
        print(f"epoch {epoch:3d}/{epochs}  train loss {train['loss']:.4f} acc {train['accuracy']:.4f}"
              f"  val loss {val['loss']:.4f} acc {val['accuracy']:.4f}  {seconds:5.1f} s"
              + ("  *" if improved else ""), flush=True)
        if scheduler is not None:
            scheduler.step()
        if patience is not None and since_best >= patience:
            print(f"no improvement for {patience} epochs: stopping", flush=True)
            break
    model.load_state_dict(best_state)
    history = pd.DataFrame(history)
    history.attrs["best_epoch"] = int(history.loc[history.val_acc.idxmax(), "epoch"])
    return history, best_state
