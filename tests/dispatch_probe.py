"""Rebuild a synthetic recording, standardize, train every model of `build_model` briefly (and one
with rotations), and print a hash of each result.

Run by tests/test_numerics.py in subprocesses whose environment emulates
other CPUs (limits on MKL's instructions, oneDNN's ISA, ATen's capability,
NumPy's dispatched loops): identical hashes mean identical bytes, bit for bit.
"""
import hashlib
import json

from har_rnn.tooling import numerics

numerics.apply_in_process()

import numpy as np  # noqa: E402

from har_rnn.config import TrainConfig  # noqa: E402
from har_rnn.ladder import build_model  # noqa: E402
from har_rnn.training import RandomRotation, fit  # noqa: E402

KINDS = ("rnn", "gru", "lstm", "cnn", "rnn-mean", "conv-rnn", "conv-rnn-mean")
ROTATED = "conv-rnn-mean+rot"      # the ladder's answer: convolutions, mean readout, rotated windows

from har_rnn.data import fit_standardizer, hapt, standardize  # noqa: E402
from har_rnn.data.uci_format import format_official  # noqa: E402

rng = np.random.default_rng(0)
# The HAPT rebuild's steps on a synthetic 50 Hz recording: filters, gravity split, the written text.
raw = np.cumsum(rng.standard_normal((3000, 3)), axis=0) * 0.01 + np.array([0.0, 0.98, 0.1])
body, gravity = hapt.separate_gravity(hapt.denoise(raw))
rebuilt = format_official(np.concatenate([body, gravity], axis=1)[:128 * 20].reshape(-1, 128))
X = rng.standard_normal((192, 128, 9)).astype(np.float32)
stats = fit_standardizer(X * 0.3 + 1.0)
y = rng.integers(0, 6, len(X))
config = TrainConfig(hidden_size=32, gated_hidden_size=16, cnn_channels=16, epochs=1, batch_size=32)
hashes = {"rebuild": hashlib.sha256(rebuilt).hexdigest()[:16],
          "standardize": hashlib.sha256(standardize(X * 0.3 + 1.0, stats).tobytes()).hexdigest()[:16]}
for name in KINDS + (ROTATED,):
    model = build_model(name.removesuffix("+rot"), config)
    augment = RandomRotation({"mean": np.zeros(9), "std": np.ones(9)}, 20, seed=0) if name == ROTATED else None
    fit(model, X[:128], y[:128], X[128:], y[128:], config, augment=augment, verbose=False)
    digest = hashlib.sha256()
    for tensor in model.state_dict().values():
        digest.update(tensor.detach().contiguous().numpy().tobytes())
    hashes[name] = digest.hexdigest()[:16]
print(json.dumps(hashes))
