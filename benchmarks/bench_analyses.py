"""Speed and memory of the analyses notebook 03 and the appendix run on the trained RNN.

    python benchmarks/bench_analyses.py

Times, on the committed artifacts (`make notebooks` first) and under reference
numerics (one thread, pinned kernels, as the notebook runner uses), the calls
the notebooks make: the fixed-point search (6 activities x 100 starts, appendix
A1, and its held-input runs from every test window), the occlusion and
input-gradient maps of all test windows (appendix A4), and the volunteer
effect (appendix A2). Prints the seconds of each and the peak memory (RSS).
Compare the total with the notebooks' time (`bench_notebooks.py`).
"""
from __future__ import annotations

import os
import resource
import sys
import time

from har_rnn.tooling import numerics


def main() -> None:
    if not numerics.is_reference_run():          # pin the kernels before torch loads
        os.execve(sys.executable, [sys.executable, *sys.argv], numerics.reference_env())
    print("numerics:", numerics.apply_in_process())
    import numpy as np

    from har_rnn import evaluate, load_artifacts
    from har_rnn.dynamics import class_mean_inputs, constant_input_trajectories, fixed_points_by_class
    from har_rnn.hidden import hidden_trajectories
    from har_rnn.occlusion import input_saliency, occlusion_map
    from har_rnn.volunteers import volunteer_effect
    from seed_harness import STATIC_POSTURES

    art = load_artifacts()
    model = art.model
    X_train, y_train, X_test, y_test = art.X_train_std, art.y_train, art.X_test_std, art.y_test
    print(f"vanilla RNN, H={model.rnn.hidden_size}; {len(X_test)} test windows, {len(X_train)} training "
          f"windows; load average {os.getloadavg()[0]:.1f} (should be ~0)")
    seconds = []

    def timed(label, fn):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
        print(f"{label:62s} {seconds[-1]:6.1f} s", flush=True)
        return result

    hidden = timed("hidden trajectories of the test windows (03, A1, A2)",
                   lambda: hidden_trajectories(model, X_test))
    inputs = class_mean_inputs(X_train, y_train)
    found, _ = timed("fixed_points_by_class, 6 x 100 starts (appendix A1)",
                     lambda: fixed_points_by_class(model, inputs, hidden, y_test))
    timed("held-input runs from every test window, 300 steps (appendix A1)",
          lambda: [constant_input_trajectories(model, inputs[k], hidden[y_test == k, 63], 300)
                   for k in range(len(inputs))])
    timed("occlusion_map, all test windows (appendix A4)",
          lambda: occlusion_map(model, X_test, y_test, X_train, y_train))
    timed("input_saliency, all test windows (appendix A4)", lambda: input_saliency(model, X_test, y_test))
    pred = evaluate(model, X_test, y_test)["predictions"]
    timed("volunteer_effect on h_128 (appendix A2)",
          lambda: volunteer_effect(hidden_trajectories(model, X_test, steps=[X_test.shape[1]])[:, 0], y_test,
                                   pred, art.subjects_test, STATIC_POSTURES))
    print(f"{'total':62s} {sum(seconds):6.1f} s")
    print(f"fixed points found: {sum(len(fp.points) for fp in found)}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'peak memory (RSS)':62s} {peak_mb:6.0f} MB")


if __name__ == "__main__":
    main()
