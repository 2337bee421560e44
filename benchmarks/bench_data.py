"""Data-layer speed and memory on the real (rebuilt or official) dataset.

    python benchmarks/bench_data.py [DATA_DIR]

Measures: parsing the 18 official-format signal files (our parser vs
np.loadtxt), a full validated load, a cached reload, and peak memory.
Run it on an otherwise idle machine; it prints a small table.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time

import numpy as np

from har_rnn import data
from har_rnn.data import _folder as folder, uci_format as fmt


def timed(fn, repeat=3):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    root = data.resolve(sys.argv[1] if len(sys.argv) > 1 else None, log=print)
    files = [fmt.signal_path(root, s, c) for s in fmt.SPLITS for c in fmt.CHANNELS]
    print(f"data: {folder.read_provenance(root).get('source')} ({data.display_path(root)})")

    t_loadtxt, ref = timed(lambda: [np.loadtxt(p) for p in files], repeat=1)
    t_ours_serial, ours = timed(lambda: [folder.read_signal_file(p)[0] for p in files])
    assert all(np.array_equal(a, b) for a, b in zip(ref, ours)), "parsers disagree"
    t_full, _ = timed(lambda: folder.validate(root))  # 22 files, 2 threads, checks, hashing

    with tempfile.TemporaryDirectory() as cache:
        os.environ["HAR_CACHE_DIR"] = cache
        t_first, _ = timed(lambda: data.load_har(root), repeat=1)
        t_cached, _ = timed(lambda: data.load_har(root))

    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{'np.loadtxt, 18 signal files':40s} {t_loadtxt:7.2f} s")
    print(f"{'our parser, 18 files, one thread':40s} {t_ours_serial:7.2f} s  ({t_loadtxt / t_ours_serial:.1f}x)")
    print(f"{'validated load, 22 files, 2 threads':40s} {t_full:7.2f} s  ({t_loadtxt / t_full:.1f}x)")
    print(f"{'first load_har (parse + write cache)':40s} {t_first:7.2f} s")
    print(f"{'cached load_har':40s} {t_cached:7.2f} s")
    print(f"{'peak memory (RSS)':40s} {peak_mb:7.0f} MB")


if __name__ == "__main__":
    main()
