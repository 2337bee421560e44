"""Generated from 02_Training_a_Vanilla_RNN_for_Activity_Recognition.ipynb, 04_What_the_RNN_Learns_vs_Where_it_Fails.ipynb by `python -m har_rnn.tooling.export`.

Do not edit: change the notebook cells marked `#| export models` and re-run
the export (`make export`)."""

import torch
from torch import nn

__all__ = [
    "CELLS",
    "CNNClassifier",
    "ConvRNNClassifier",
    "RECURRENT_INITS",
    "RNNClassifier",
    "init_recurrent_weights",
]


# notebook 02, cell eddc882a
CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


RECURRENT_INITS = ("default", "orthogonal", "identity")


# notebook 02, cell 4c2a7526
def init_recurrent_weights(rnn, scheme):
    """Set how W_hh starts in every layer: "identity", "orthogonal" or "default" (PyTorch's own)."""
    if scheme not in RECURRENT_INITS:
        raise ValueError(f"recurrent_init must be one of {RECURRENT_INITS}, got {scheme!r}")
    if scheme == "default":
        return
    for name, weight in rnn.named_parameters():
        if not name.startswith("weight_hh"):
            continue
        with torch.no_grad():
            # GRU and LSTM stack one H x H block per gate in W_hh: each block starts on its own.
            for block in weight.split(rnn.hidden_size, dim=0):
                if scheme == "orthogonal":
                    nn.init.orthogonal_(block)
                else:
                    block.copy_(torch.eye(rnn.hidden_size))


# notebook 02, cell 173c8632
class RNNClassifier(nn.Module):
    """Read a window step by step with `cell` ("rnn", "gru" or "lstm"); classify its last hidden state."""

    def __init__(self, input_size=9, hidden_size=64, num_classes=6, cell="rnn",
                 num_layers=1, recurrent_init="identity"):
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

    def forward(self, x, state=None):
        """x: (B, T, input_size) -> logits (B, num_classes); `state`: the state to start from (None: zeros)."""
        _, h_n = self.rnn(x, state)
        if isinstance(h_n, tuple):   # the LSTM returns (h_n, c_n)
            h_n = h_n[0]
        return self.head(h_n[-1])    # h_n is (num_layers, B, H): the head reads the last layer


# notebook 04, cell 2f33957f
class CNNClassifier(nn.Module):
    """A non-recurrent baseline: three 1-D convolutions over time, then the mean over time."""

    def __init__(self, input_size=9, channels=64, kernel_size=5, num_classes=6):
        super().__init__()
        self.config = dict(input_size=input_size, channels=channels, kernel_size=kernel_size,
                           num_classes=num_classes)
        layers, width = [], input_size
        for _ in range(3):
            layers += [nn.Conv1d(width, channels, kernel_size, padding=kernel_size // 2), nn.ReLU()]
            width = channels
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(channels, num_classes)

    def forward(self, x):
        """x: (B, T, input_size) -> logits (B, num_classes)."""
        features = self.features(x.transpose(1, 2))   # Conv1d wants (B, channels, T)
        return self.head(features.mean(dim=2))


# notebook 04, cell aa4b9515
class ConvRNNClassifier(nn.Module):
    """Local features first, then a vanilla RNN over the shorter sequence they make.

    Each of `conv_layers` blocks (Conv1d over `kernel_size` steps, ReLU, max-pool by 2)
    halves the sequence: two turn the (B, 128, 9) window into (B, 32, channels) for the
    RNN. readout: "last" classifies from h_T, like RNNClassifier; "mean" from the mean
    of h_1 ... h_T. With conv_layers=0 the RNN reads the raw steps.
    """

    def __init__(self, input_size=9, channels=32, conv_layers=2, kernel_size=5, hidden_size=64,
                 num_classes=6, readout="mean", recurrent_init="identity"):
        super().__init__()
        if readout not in ("last", "mean"):
            raise ValueError(f"readout must be 'last' or 'mean', got {readout!r}")
        self.config = dict(input_size=input_size, channels=channels, conv_layers=conv_layers,
                           kernel_size=kernel_size, hidden_size=hidden_size, num_classes=num_classes,
                           readout=readout, recurrent_init=recurrent_init)
        layers, width = [], input_size
        for _ in range(conv_layers):
            layers += [nn.Conv1d(width, channels, kernel_size, padding=kernel_size // 2), nn.ReLU(),
                       nn.MaxPool1d(2)]
            width = channels
        self.features = nn.Sequential(*layers)
        self.rnn = nn.RNN(width, hidden_size, batch_first=True)
        init_recurrent_weights(self.rnn, recurrent_init)
        self.head = nn.Linear(hidden_size, num_classes)

    def hidden_states(self, x):
        """The RNN's states over the feature sequence: (B, T / 2**conv_layers, H)."""
        features = self.features(x.transpose(1, 2)).transpose(1, 2)   # back to (B, steps, channels)
        return self.rnn(features)[0]

    def forward(self, x):
        h = self.hidden_states(x)
        return self.head(h.mean(dim=1) if self.config["readout"] == "mean" else h[:, -1])
