"""Generated from 04_What_the_RNN_Learns_vs_Where_it_Fails.ipynb, appendix/A1_Fixed_points_in_depth.ipynb by `python -m har_rnn.tooling.export`.

Do not edit: change the notebook cells marked `#| export gradients` and re-run
the export (`make export`)."""

# notebook 04, cell 18
from har_rnn.training import evaluate


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


# notebook 04, cell 28
import torch
from torch import nn

from har_rnn.training import model_mode


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


# notebook 04, cell 29
import numpy as np


def gradient_ratios(norms):
    """How the gradient at t=1 compares with t=T, from per-window norms (N, T): the ratio of the
    mean norms, and the median over windows of each window's own ratio (the typical window)."""
    mean = norms.mean(0)
    with np.errstate(divide="ignore"):
        per_window = np.log10(norms[:, 0]) - np.log10(norms[:, -1])
    return {"mean t=1 / t=128": mean[0] / mean[-1], "per-window t=1 / t=128, median": 10 ** np.median(per_window)}


# notebook A1, cell 14
def recurrence(model, dtype=torch.float64):
    """The model's recurrence written out with its own weights: (step, state_size).

    step(x_t, s_{t-1}) -> s_t, for one window (x_t: (C,), s: (state_size,)) or a
    batch. The state s is h for "rnn" and "gru"; for "lstm" it is [h, c], since the
    cell state c is carried from step to step too. Gate order as in PyTorch:
    GRU (r, z, n), LSTM (i, f, g, o). Weights are detached copies in `dtype`.
    """
    rnn = model.rnn
    if rnn.num_layers != 1 or rnn.bidirectional or not rnn.bias:
        raise ValueError("recurrence() handles one-layer, one-direction models with biases")
    W_ih, W_hh, b_ih, b_hh = (getattr(rnn, f"{name}_l0").detach().cpu().to(dtype)
                              for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
    H = rnn.hidden_size

    if isinstance(rnn, nn.LSTM):
        def step(x, s):
            h, c = s[..., :H], s[..., H:]
            i, f, g, o = (x @ W_ih.T + b_ih + h @ W_hh.T + b_hh).chunk(4, -1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)   # additive cell path
            h = torch.sigmoid(o) * torch.tanh(c)
            return torch.cat([h, c], -1)
        return step, 2 * H
    if isinstance(rnn, nn.GRU):
        def step(x, h):
            x_r, x_z, x_n = (x @ W_ih.T + b_ih).chunk(3, -1)
            h_r, h_z, h_n = (h @ W_hh.T + b_hh).chunk(3, -1)
            r = torch.sigmoid(x_r + h_r)          # reset gate
            z = torch.sigmoid(x_z + h_z)          # update gate
            n = torch.tanh(x_n + r * h_n)         # candidate state
            return (1 - z) * n + z * h            # z = 1 copies h unchanged
        return step, H
    act = torch.tanh if rnn.nonlinearity == "tanh" else torch.relu
    def step(x, h):
        return act(x @ W_ih.T + b_ih + h @ W_hh.T + b_hh)
    return step, H


def unroll(step, x, state_size):
    """All states s_1 ... s_T of `step` from s_0 = 0 over windows x (B, T, C): (B, T, state_size)."""
    s = x.new_zeros(len(x), state_size)
    states = []
    for t in range(x.shape[1]):
        s = step(x[:, t], s)
        states.append(s)
    return torch.stack(states, 1)


# notebook A1, cell 16
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


def recurrent_spectrum(model):
    """Singular values (descending) and spectral radius of every H x H block of W_hh.

    Returns {name: {"singular_values": (H,), "spectral_radius": float}}: one block
    "W_hh" for the vanilla RNN, one per gate for the GRU (W_hr, W_hz, W_hn) and
    the LSTM (W_hi, W_hf, W_hg, W_ho).
    """
    rnn = model.rnn
    names = (["W_hi", "W_hf", "W_hg", "W_ho"] if isinstance(rnn, nn.LSTM)
             else ["W_hr", "W_hz", "W_hn"] if isinstance(rnn, nn.GRU) else ["W_hh"])
    W = rnn.weight_hh_l0.detach().cpu().double()
    return {name: {"singular_values": torch.linalg.svdvals(block).numpy(),
                   "spectral_radius": float(torch.linalg.eigvals(block).abs().max())}
            for name, block in zip(names, W.split(rnn.hidden_size))}


def decades_per_step(log_norms):
    """The average change of log10 ||d h_T / d h_t|| per step from t = 1 to t = T (median over windows)."""
    return np.median(log_norms[:, 0] - log_norms[:, -1]) / (log_norms.shape[1] - 1)
