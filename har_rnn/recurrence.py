"""Generated from appendix/A1_Fixed_points_in_depth.ipynb by `python -m har_rnn.tooling.export`.

Do not edit: change the notebook cells marked `#| export recurrence` and re-run
the export (`make export`)."""

import torch
from torch import nn

__all__ = [
    "recurrence",
    "recurrent_spectrum",
    "unroll",
]


# notebook A1, cell 799493c5
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


# notebook A1, cell 1ba2656a
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
