"""Generated from 02_Training_a_Vanilla_RNN_for_Activity_Recognition.ipynb by `python -m har_rnn.export`.

Do not edit: change the notebook cells marked `#| export models` and re-run
the export (`make export`)."""

import torch
from torch import nn


CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
RECURRENT_INITS = ("default", "orthogonal", "identity")


def init_recurrent_weights(rnn, scheme="orthogonal"):
    """Re-initialise the hidden-to-hidden matrices W_hh of every layer.

    PyTorch draws W_hh uniformly from [-1/sqrt(H), 1/sqrt(H)]. An orthogonal
    (or identity) W_hh neither shrinks nor blows up h when it is applied 128
    times, so gradients reach the early time steps. GRU and LSTM stack one
    H x H block per gate in W_hh; each block is initialised on its own.
    """
    if scheme not in RECURRENT_INITS:
        raise ValueError(f"recurrent_init must be one of {RECURRENT_INITS}, got {scheme!r}")
    if scheme == "default":
        return
    for name, weight in rnn.named_parameters():
        if not name.startswith("weight_hh"):
            continue
        with torch.no_grad():
            for block in weight.split(rnn.hidden_size, dim=0):
                if scheme == "orthogonal":
                    nn.init.orthogonal_(block)
                else:
                    block.copy_(torch.eye(rnn.hidden_size))


class RNNClassifier(nn.Module):
    """Read a window step by step; classify it from the last hidden state.

    cell: "rnn" (vanilla, tanh), "gru" or "lstm".
    recurrent_init: how W_hh starts: "orthogonal" (default), "identity" or
    "default" (PyTorch's uniform init); see `init_recurrent_weights`.
    """

    def __init__(self, input_size=9, hidden_size=64, num_classes=6, cell="rnn",
                 num_layers=1, recurrent_init="orthogonal"):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        # Plain values only, so a checkpoint can rebuild the model: RNNClassifier(**config).
        self.config = dict(input_size=input_size, hidden_size=hidden_size,
                           num_classes=num_classes, cell=cell, num_layers=num_layers,
                           recurrent_init=recurrent_init)
        self.rnn = CELLS[cell](input_size, hidden_size, num_layers=num_layers, batch_first=True)
        init_recurrent_weights(self.rnn, recurrent_init)
        self.head = nn.Linear(hidden_size, num_classes)

    def hidden_states(self, x):
        """All hidden states of the last layer, h_1 ... h_T: shape (B, T, H)."""
        output, _ = self.rnn(x)
        return output

    def forward(self, x):
        """x: (B, T, input_size) -> logits (B, num_classes)."""
        _, h_n = self.rnn(x)
        if isinstance(h_n, tuple):   # the LSTM returns (h_n, c_n)
            h_n = h_n[0]
        return self.head(h_n[-1])    # h_n: (num_layers, B, H); take the last layer
