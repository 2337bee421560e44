"""Generated from 03_Visualizing_Hidden_States_&_Temporal_Representation.ipynb by `python -m har_rnn.tooling.export`.

Do not edit: change the notebook cells marked `#| export hidden` and re-run
the export (`make export`)."""

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
import torch

from har_rnn.training import model_mode

__all__ = [
    "eta_squared",
    "hidden_trajectories",
    "linear_probe_over_time",
]


# notebook 03, cell e3eebfd9
def hidden_trajectories(model, X, batch_size=512, steps=None):
    """The last layer's hidden states h_1 ... h_T for every window in X.

    X: (N, T, C) array or tensor. Returns a float32 NumPy array (N, T, H).
    steps: optional 1-based time steps (e.g. [1, 64, 128]) to keep only
    those: (N, len(steps), H), which saves memory on large sets.
    Runs in batches, without gradients, in eval mode, on the model's device.
    For an LSTM these are the hidden states h (what the classifier reads),
    not the cell states c.
    """
    if len(X) == 0:
        raise ValueError("X holds no windows")
    keep = None
    if steps is not None:
        keep = torch.as_tensor(np.asarray(steps) - 1, dtype=torch.long)
        if keep.numel() == 0 or keep.min() < 0 or keep.max() >= X.shape[1]:
            raise ValueError(f"steps must lie in 1..{X.shape[1]}, got {list(steps)}")
    device = next(model.parameters()).device
    out = None
    with model_mode(model, False), torch.no_grad():
        for start in range(0, len(X), batch_size):
            xb = torch.as_tensor(X[start:start + batch_size], dtype=torch.float32).to(device)
            h = model.hidden_states(xb)
            if keep is not None:
                h = h[:, keep.to(h.device)]
            if out is None:     # allocated once: no list of batches to concatenate
                out = np.empty((len(X), *h.shape[1:]), dtype=np.float32)
            out[start:start + len(h)] = h.cpu().numpy()
    return out


# notebook 03, cell 8208b473
def eta_squared(h, groups, per_unit=True):
    """The share of the variance of h (N, H) that lies between the groups' means.

    Between-group sum of squares / total sum of squares: 1 when the group
    fixes the value, 0 when all group means are equal. per_unit=True gives one
    value per column (H,); False one value for all columns together (each
    column weighted by its variance).
    """
    h = np.asarray(h, dtype=np.float64)
    _, codes = np.unique(np.asarray(groups), return_inverse=True)
    counts = np.bincount(codes)
    means = np.stack([h[codes == g].mean(0) for g in range(len(counts))])
    centre = h.mean(0)
    between = counts @ (means - centre) ** 2
    total = ((h - centre) ** 2).sum(0)
    if per_unit:
        return between / np.maximum(total, 1e-12)
    return float(between.sum() / max(total.sum(), 1e-12))


# notebook 03, cell 79e40503
def linear_probe_over_time(H_train, y_train, H_test, y_test, steps, class_names=None,
                           max_iter=1000):
    """How well a linear classifier reads the class from h_t alone, for each t in `steps`.

    H_train, H_test: hidden states of shape (N, len(steps), H), whose column j
    holds h_t for t = steps[j] (`hidden_trajectories(model, X, steps=steps)`).
    At each step a probe (standardization + logistic regression) is fitted on
    the training windows and scored on the test windows.
    Returns a DataFrame indexed by t: test accuracy (0-1), then the recall of
    each class (columns named by `class_names`, default the class ids).
    """
    if H_train.shape[1] != len(steps) or H_test.shape[1] != len(steps):
        raise ValueError(f"H_train and H_test need one column per step: {len(steps)} steps, "
                         f"got {H_train.shape[1]} and {H_test.shape[1]}")
    classes = np.unique(y_train)
    names = list(class_names) if class_names is not None else [int(c) for c in classes]
    rows = []
    for j, t in enumerate(steps):
        probe = make_pipeline(StandardScaler(), LogisticRegression(max_iter=max_iter))
        probe.fit(H_train[:, j], y_train)
        pred = probe.predict(H_test[:, j])
        row = {"t": int(t), "accuracy": float(np.mean(pred == y_test))}
        for c, name in zip(classes, names):
            mask = y_test == c
            row[name] = float(np.mean(pred[mask] == c)) if mask.any() else float("nan")
        rows.append(row)
    return pd.DataFrame(rows).set_index("t")
