"""Train each of the four models briefly and print a hash of the final weights.

Run by tests/test_numerics.py in subprocesses whose environment emulates
other CPUs (limits on MKL's instructions, oneDNN's ISA, ATen's capability):
identical hashes mean identical weights, bit for bit.
"""
import hashlib
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from har_rnn import numerics  # noqa: E402

numerics.apply_in_process()

import numpy as np  # noqa: E402
import torch  # noqa: E402

from har_rnn.config import TrainConfig  # noqa: E402
from har_rnn.models import build_model  # noqa: E402
from har_rnn.training import fit  # noqa: E402

rng = np.random.default_rng(0)
X = rng.standard_normal((192, 128, 9)).astype(np.float32)
y = rng.integers(0, 6, len(X))
config = TrainConfig(hidden_size=32, gated_hidden_size=16, cnn_channels=16, epochs=1, batch_size=32)
hashes = {}
for name in ("rnn", "gru", "lstm", "cnn"):
    model = build_model(name, config)
    fit(model, X[:128], y[:128], X[128:], y[128:], config, verbose=False)
    digest = hashlib.sha256()
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    hashes[name] = digest.hexdigest()[:16]
print(json.dumps(hashes))
