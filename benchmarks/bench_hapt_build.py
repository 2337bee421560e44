"""Time the UCI HAR rebuild from the raw HAPT recordings; report peak memory and counts.

    python benchmarks/bench_hapt_build.py            # $HAR_HAPT_DIR, else ../shared/data/hapt
    python benchmarks/bench_hapt_build.py PATH       # a HAPT folder or zip

Builds into a temporary folder that is deleted afterwards. Goal: <= 10 s on
2 cores. Wall time includes everything: parsing, filtering, writing.
"""
from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from har_rnn.data import build_from_hapt
from har_rnn.files import REPOSITORY


def main() -> None:
    default = os.environ.get("HAR_HAPT_DIR") or REPOSITORY.parent / "shared" / "data" / "hapt"
    src = Path(sys.argv[1] if len(sys.argv) > 1 else default)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        provenance = build_from_hapt(src, Path(tmp) / "UCI HAR Dataset", log=lambda _: None)
        wall = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # KiB on Linux
    print(f"source      {src}")
    print(f"wall time   {wall:.2f} s  (cores: {os.cpu_count()}; other load on the machine counts too)")
    print(f"peak RSS    {peak_mib:.0f} MiB  (whole process, imports included)")
    for split, counts in provenance["counts"].items():
        per_class = ", ".join(f"{name} {n}" for name, n in counts["per_class"].items())
        print(f"{split:<6}      {counts['windows']} windows, {len(counts['subjects'])} subjects: "
              f"{per_class}")


if __name__ == "__main__":
    main()
