"""Speed and memory of the notebook-04 analyses on random data of the real shapes.

    python benchmarks/bench_analyses.py [--threads 2]

Loads nothing from disk: a random 128-unit vanilla `RNNClassifier`, 600 windows
(100 per class) of 128 steps x 9 channels and a pool of 7000 "training" windows.
Times fixed-point search (6 classes x 200 starts), the occlusion map and the
input-gradient map, and prints the peak memory (RSS).
"""
from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from har_rnn.dynamics import class_mean_inputs, find_fixed_points, sample_states  # noqa: E402
from har_rnn.hidden import hidden_trajectories  # noqa: E402
from har_rnn.models import RNNClassifier  # noqa: E402
from har_rnn.occlusion import input_saliency, occlusion_map  # noqa: E402

N_CLASSES, T, C, H = 6, 128, 9, 128


def timed(label, fn):
    start = time.perf_counter()
    result = fn()
    print(f"{label:52s} {time.perf_counter() - start:7.2f} s", flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--starts", type=int, default=200, help="fixed-point starts per class")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    model = RNNClassifier(input_size=C, hidden_size=H, num_classes=N_CLASSES,
                          recurrent_init="identity").eval()
    y = np.repeat(np.arange(N_CLASSES), 100)
    X = rng.standard_normal((len(y), T, C)).astype(np.float32)
    y_pool = rng.integers(0, N_CLASSES, 7000)
    X_pool = rng.standard_normal((len(y_pool), T, C)).astype(np.float32)
    print(f"model: vanilla RNN, H={H}; {len(X)} windows, pool {len(X_pool)}; "
          f"{args.threads} threads; load average {os.getloadavg()[0]:.1f} (should be ~0)")

    hidden = hidden_trajectories(model, X)
    means = class_mean_inputs(X, y)

    def fixed_points():
        found = []
        for c in range(N_CLASSES):
            starts = sample_states(hidden[y == c], args.starts, noise=0.01, seed=c)
            found.append(find_fixed_points(model, means[c], starts))
        return found

    found = timed(f"find_fixed_points, {N_CLASSES} classes x {args.starts} starts", fixed_points)
    for c, fp in enumerate(found):
        q = fp.candidate_q
        print(f"  class {c}: {len(fp.points)} fixed points, median q {np.median(q):.1e}, "
              f"fraction below threshold {np.mean(q < fp.q_threshold):.2f}")
    occ = timed("occlusion_map (3 groups x 8 blocks x 4 replacements)",
                lambda: occlusion_map(model, X, y, X_pool, y_pool))
    sal = timed("input_saliency", lambda: input_saliency(model, X, y))
    assert occ.shape == sal.shape == (len(X), 3, T // 16)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory (RSS)':52s} {peak_mb:7.0f} MB")


if __name__ == "__main__":
    main()
