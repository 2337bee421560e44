"""Time `har_rnn.recording` on one core: a 7-minute phone recording, and the stateful RNN.

    python benchmarks/bench_recording.py            # 5 repeats, the best and the median

1. A 7-minute recording (21,000 samples on the 50 Hz grid) synthesised into temporary
   CSV files in the plain layout, one per sensor, at 50 Hz and at 100 Hz (jittered
   timestamps, m/s²): the time from reading the files to the printed segments, after
   the imports and with the model loaded (goal: under 2 s); and the whole command,
   ``main(["classify", ...])``, loading the shipped model too.
2. The shipped vanilla RNN run statefully over the same 21,000 standardized samples,
   the state carried from each sample to the next, three ways that compute the same
   states: `nn.RNN` on the whole sequence at once, in chunks of 64 samples, and one
   sample at a time (a Python loop, as an app reading the sensors would run it).
   Speed in samples per second and as a multiple of real time at 50 Hz (goal: 1,000x).

One thread (``torch.set_num_threads(1)``); other load on the machine counts too.
"""
from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

from har_rnn import recording as rec
from har_rnn.data.hapt import raw_to_channels
from har_rnn.data.standardizer import standardize

MINUTES = 7
REPEATS = 5
G = rec.STANDARD_GRAVITY


def synthesise(folder: Path, rate: float, seconds: float = MINUTES * 60, seed: int = 0) -> list[Path]:
    """Standing, walking, sitting in turns (2-minute blocks): sines and noise, one file per sensor."""
    rng = np.random.default_rng(seed)
    n = int(seconds * rate)
    t = np.arange(n) / rate + rng.uniform(-0.2, 0.2, n) / rate
    walking = (t // 120) % 3 == 1
    acc = np.column_stack([G + walking * 3.0 * np.sin(2 * np.pi * 1.8 * t), 0.3 * np.sin(2 * np.pi * 0.2 * t),
                           np.full(n, 1.0)]) + 0.05 * rng.standard_normal((n, 3))
    gyro = walking[:, None] * 0.8 * np.sin(2 * np.pi * 0.9 * t)[:, None] + 0.02 * rng.standard_normal((n, 3))
    files = []
    for name, values, columns in (("acc.csv", acc, "acc_x,acc_y,acc_z"), ("gyro.csv", gyro, "gyro_x,gyro_y,gyro_z")):
        np.savetxt(folder / name, np.column_stack([t, values]), delimiter=",", header=f"time,{columns}",
                   comments="", fmt="%.6f")
        files.append(folder / name)
    return files


def read_to_printed(files: list[Path], model: torch.nn.Module, stats: dict) -> str:
    """What `main` does after loading the model: read, classify, format (and print)."""
    recording = rec.read_recording(files)
    table = rec.format_segments(recording, rec.classify(recording, model, stats))
    print(table)
    return table


def timed(run, repeats: int = REPEATS) -> tuple[float, float]:
    """(best, median) seconds of `repeats` runs, printed output swallowed."""
    seconds = []
    for _ in range(repeats):
        with contextlib.redirect_stdout(io.StringIO()):
            t0 = time.perf_counter()
            run()
            seconds.append(time.perf_counter() - t0)
    return min(seconds), statistics.median(seconds)


def bench_recording() -> None:
    model, stats = rec.load_model()
    with tempfile.TemporaryDirectory() as tmp:
        for rate in (50, 100):
            folder = Path(tmp) / f"{rate}hz"
            folder.mkdir()
            files = synthesise(folder, rate)
            with contextlib.redirect_stdout(io.StringIO()) as out:
                read_to_printed(files, model, stats)
            segments = sum(not line.startswith(("note:", "time 0", " start")) for line in out.getvalue().splitlines())
            best, median = timed(lambda files=files: read_to_printed(files, model, stats))
            command = ["classify", *map(str, files)]
            with contextlib.redirect_stdout(io.StringIO()):
                assert rec.main(command) == 0
            whole, whole_median = timed(lambda command=command: rec.main(command))
            grid = len(rec.read_recording(files).pieces[0].acc)
            print(f"{MINUTES}-minute recording at {rate:>3} Hz ({grid:,} samples on the 50 Hz grid, "
                  f"{segments} segments, model {rec.DEFAULT_MODEL}):")
            print(f"    read -> segments printed  best {best:.3f} s, median {median:.3f} s   (goal < 2 s)")
            print(f"    the whole command         best {whole:.3f} s, median {whole_median:.3f} s   "
                  "(the model loaded too)")


def bench_stateful_rnn() -> None:
    shipped = rec.load_shipped("rnn")
    rnn = shipped.model.rnn
    with tempfile.TemporaryDirectory() as tmp:
        recording = rec.read_recording(synthesise(Path(tmp), 50))
    piece = recording.pieces[0]
    x = torch.from_numpy(standardize(raw_to_channels(piece.acc, piece.gyro), shipped.stats))[None]   # (1, n, 9)
    n = x.shape[1]
    w_ih, w_hh = rnn.weight_ih_l0.detach().numpy(), rnn.weight_hh_l0.detach().numpy()
    bias = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().numpy()
    x_np = x[0].numpy()

    def whole():
        with torch.inference_mode():
            return rnn(x)[0][0]

    def chunks(size=64):
        h, out = None, []
        with torch.inference_mode():
            for i in range(0, n, size):
                o, h = rnn(x[:, i:i + size], h)
                out.append(o[0])
        return torch.cat(out)

    def steps_torch():
        h, out = None, []
        with torch.inference_mode():
            for i in range(n):
                o, h = rnn(x[:, i:i + 1], h)
                out.append(o[0, 0])
        return torch.stack(out)

    def steps_numpy():
        h, out = np.zeros(w_hh.shape[0], dtype=np.float32), np.empty((n, w_hh.shape[0]), dtype=np.float32)
        for i in range(n):                        # h_t = tanh(W_ih x_t + b + W_hh h_{t-1}), sample by sample
            h = np.tanh(w_ih @ x_np[i] + bias + w_hh @ h)
            out[i] = h
        return torch.from_numpy(out)

    reference = whole()
    print(f"stateful vanilla RNN (shipped 'rnn', hidden {w_hh.shape[0]}) over {n:,} samples "
          f"({n / 50 / 60:.1f} minutes at 50 Hz), the state carried throughout:")
    for name, run, repeats in (("nn.RNN, the whole sequence", whole, REPEATS), ("nn.RNN, chunks of 64", chunks, REPEATS),
                               ("nn.RNN, one sample at a time", steps_torch, 1),
                               ("NumPy, one sample at a time", steps_numpy, 1)):
        states = run()
        best, _ = timed(run, repeats)
        same = float((states - reference).abs().max())
        print(f"    {name:<30} {n / best:>12,.0f} samples/s = {n / best / 50:>8,.0f}x real time   "
              f"(max |h - h_whole| {same:.1e})")


def main() -> None:
    torch.set_num_threads(1)
    print(f"one thread; {os.cpu_count()} cores on this machine")
    bench_recording()
    bench_stateful_rnn()


if __name__ == "__main__":
    main()
