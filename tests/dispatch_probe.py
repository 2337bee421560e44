"""Train every model of `build_model` briefly (and one with rotations) and print a hash of the final weights.

Run by tests/test_numerics.py in subprocesses whose environment emulates
other CPUs (limits on MKL's instructions, oneDNN's ISA, ATen's capability):
identical hashes mean identical weights, bit for bit.
"""
import hashlib
import json

from har_rnn.tooling import numerics

numerics.apply_in_process()

import numpy as np  # noqa: E402

from har_rnn.config import TrainConfig  # noqa: E402
from har_rnn.models import build_model  # noqa: E402
from har_rnn.training import RandomRotation, fit  # noqa: E402

KINDS = ("rnn", "gru", "lstm", "cnn", "rnn-mean", "conv-rnn", "conv-rnn-mean")
ROTATED = "conv-rnn-mean+rot"      # the ladder's answer: convolutions, mean readout, rotated windows

rng = np.random.default_rng(0)
X = rng.standard_normal((192, 128, 9)).astype(np.float32)
y = rng.integers(0, 6, len(X))
config = TrainConfig(hidden_size=32, gated_hidden_size=16, cnn_channels=16, epochs=1, batch_size=32)
hashes = {}
for name in KINDS + (ROTATED,):
    model = build_model(name.removesuffix("+rot"), config)
    augment = RandomRotation({"mean": np.zeros(9), "std": np.ones(9)}, 20, seed=0) if name == ROTATED else None
    fit(model, X[:128], y[:128], X[128:], y[128:], config, augment=augment, verbose=False)
    digest = hashlib.sha256()
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    hashes[name] = digest.hexdigest()[:16]
print(json.dumps(hashes))
