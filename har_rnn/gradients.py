"""Generated from 04_What_the_RNN_Learns_vs_Where_it_Fails.ipynb, appendix/A1_Fixed_points_in_depth.ipynb, appendix/A4_Which_steps_and_sensors_occlusion.ipynb by `python -m har_rnn.tooling.export`.

Do not edit: change the notebook cells marked `#| export gradients` and re-run
the export (`make export`)."""

import numpy as np
import torch
from torch import nn

from har_rnn.recurrence import recurrence, unroll
from har_rnn.training import evaluate, model_mode

__all__ = [
    "decades_per_step",
    "gradient_ratios",
    "hidden_jacobian_norms",
    "input_gradient_norms",
    "input_gradients",
    "last_k_accuracy",
    "step_jacobian_norms",
]


# notebook 04, cell 6f3ded7f
def input_gradients(model, X, y, objective, batch_size=256):
    """d objective / d x for every window: a tensor (N, T, C).

    objective(logits, labels) must sum over the windows of a batch (not average), so
    each window's gradient is its own and does not depend on batch_size."""
    param = next(model.parameters())
    grads = []
    with model_mode(model, True):   # no dropout here, so the same function; cuDNN RNNs only backprop in train mode
        for i in range(0, len(X), batch_size):
            xb = torch.as_tensor(X[i:i + batch_size], dtype=param.dtype, device=param.device)
            yb = torch.as_tensor(y[i:i + batch_size], dtype=torch.long, device=param.device)
            xb.requires_grad_(True)
            (grad,) = torch.autograd.grad(objective(model(xb), yb), xb)
            grads.append(grad.cpu())
    return torch.cat(grads)


def input_gradient_norms(model, X, y, batch_size=256, per_window=False):
    """How much the loss depends on each input step: ||d loss / d x_t|| for t = 1 ... T.

    x_t is the C-channel input at step t; the norm is the L2 norm over the channels.
    The loss is each window's own cross-entropy. Returns the mean over the windows,
    shape (T,), or with per_window=True every window's norms, shape (N, T).
    """
    loss = lambda logits, labels: nn.functional.cross_entropy(logits, labels, reduction="sum")
    norms = input_gradients(model, X, y, loss, batch_size).norm(dim=2).numpy()
    return norms if per_window else norms.mean(axis=0)


# notebook 04, cell 739e06b7
def gradient_ratios(norms):
    """How the gradient at t=1 compares with t=T, from per-window norms (N, T): the ratio of the
    mean norms, and the median over windows of each window's own ratio (the typical window)."""
    mean = norms.mean(0)
    with np.errstate(divide="ignore"):
        per_window = np.log10(norms[:, 0]) - np.log10(norms[:, -1])
    return {"mean t=1 / t=128": mean[0] / mean[-1], "per-window t=1 / t=128, median": 10 ** np.median(per_window)}


# notebook A1, cell b86e43fb
def step_jacobian_norms(step, x, state_size, hidden_size):
    """||d h_T / d s_t||_2 (spectral norm) for t = 1 ... T, for windows x (B, T, C): (B, T).

    h_T is the first `hidden_size` entries of the last state. The step Jacobians
    d s_t / d s_{t-1} come from autograd (vmap over the windows), and are chained
    backwards: d h_T / d s_{t-1} = (d h_T / d s_t)(d s_t / d s_{t-1}).
    """
    with torch.no_grad():
        states = unroll(step, x, state_size)
    B, T, _ = states.shape
    step_jacobian = torch.func.vmap(torch.func.jacrev(step, argnums=1))
    J = torch.eye(hidden_size, state_size, dtype=x.dtype).expand(B, -1, -1)   # d h_T / d s_T
    norms = [torch.ones(B, dtype=x.dtype)]
    for t in range(T - 1, 0, -1):                  # 0-based: states[:, t] = step(x[:, t], states[:, t-1])
        J = J @ step_jacobian(x[:, t], states[:, t - 1])
        # spectral norm = sqrt of the largest eigenvalue of J J^T (faster than an SVD)
        norms.append(torch.linalg.eigvalsh(J @ J.mT)[:, -1].clamp(min=0).sqrt())
    return torch.stack(norms[::-1], 1)


def hidden_jacobian_norms(model, x):
    """Spectral norm of d h_T / d s_t for t = 1 ... T, in float64: (T,) for one window
    of shape (T, C), (B, T) for a batch (B, T, C).

    s_t is the recurrent state after reading x_t: h_t, or [h_t, c_t] for the LSTM,
    so every path from step t to h_T is included. The last entry is 1.
    """
    x = torch.as_tensor(x, dtype=torch.float64)
    single = x.dim() == 2
    step, size = recurrence(model)
    norms = step_jacobian_norms(step, x[None] if single else x, size, model.rnn.hidden_size)
    return norms[0].numpy() if single else norms.numpy()


def decades_per_step(log_norms):
    """The average change of log10 ||d h_T / d h_t|| per step from t = 1 to t = T (median over windows)."""
    return np.median(log_norms[:, 0] - log_norms[:, -1]) / (log_norms.shape[1] - 1)


# notebook A4, cell 88be3810
def last_k_accuracy(model, X, y, ks, how):
    """Test accuracy (%) when the model sees only the last k steps of every window, for k in ks.

    how="truncate" feeds only those steps (the state starts from 0 there);
    how="zero-fill" keeps the length and sets every earlier step to 0."""
    out = {}
    for k in ks:
        if how == "truncate":
            X_k = X[:, -k:]
        else:
            X_k = X.copy()
            X_k[:, :X.shape[1] - k] = 0.0
        out[k] = 100 * evaluate(model, X_k, y)["accuracy"]
    return out
