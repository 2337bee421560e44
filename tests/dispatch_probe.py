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

from har_rnn.models import CNNClassifier, RNNClassifier  # noqa: E402
from har_rnn.training import fit  # noqa: E402

rng = np.random.default_rng(0)
X = rng.standard_normal((384, 128, 9)).astype(np.float32)
y = rng.integers(0, 6, len(X))
models = {"rnn": lambda: RNNClassifier(hidden_size=32, cell="rnn", recurrent_init="identity"),
          "gru": lambda: RNNClassifier(hidden_size=16, cell="gru"),
          "lstm": lambda: RNNClassifier(hidden_size=16, cell="lstm"),
          "cnn": lambda: CNNClassifier(channels=16)}
hashes = {}
for name, build in models.items():
    torch.manual_seed(0)
    model = build()
    fit(model, X[:256], y[:256], X[256:], y[256:], epochs=1, lr=1e-3, batch_size=64, clip_norm=1.0,
        seed=0, device="cpu", verbose=False)
    digest = hashlib.sha256()
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    hashes[name] = digest.hexdigest()[:16]
print(json.dumps(hashes))
