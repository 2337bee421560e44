"""Reference numerics: the same numbers wherever they can be the same, and a tracer where not.

PyTorch's and NumPy's CPU kernels pick a code path by CPU (MKL's branch,
oneDNN's instruction set, ATen's vector width, OpenBLAS's core type, NumPy's
dispatched loops). Each path rounds differently in the last bits, and tens of
epochs of training amplify that to about a point of accuracy. The reference
runs (`make run`, `make notebooks`, the tests, CI, the seed benchmark)
therefore start every kernel and subprocess with `reference_env()`:

- ``MKL_CBWR=COMPATIBLE``: MKL's conditional numerical reproducibility, the
  branch Intel documents for Intel and compatible (AMD) CPUs alike;
- ``ATEN_CPU_CAPABILITY=avx2``: ATen's own kernels at one vector width;
- ``OPENBLAS_CORETYPE=Haswell``: one OpenBLAS kernel for NumPy/SciPy/sklearn;
- ``NPY_DISABLE_CPU_FEATURES``: NumPy's AVX2 loops, also on an AVX-512 CPU
  (its AVX-512 ``tan``, ``log10`` and ``pow`` round differently);
- one thread for torch, MKL and OpenBLAS: results of threaded reductions
  depend on the thread count;
- no GPU (``CUDA_VISIBLE_DEVICES=""``), and oneDNN off
  (`apply_in_process`, called by `har_rnn.setup`): the LSTM and Conv1d then
  run on ATen + MKL, which the settings above pin.

These must be in the environment before torch or numpy is imported, which is
why they travel with the process that starts the kernel, not a notebook cell.

The pinning does not make every CPU kind agree (measured: the same code and
data train to other weights on an AMD EPYC than on an Intel Xeon), so the
kinds on which the committed numbers came back exactly are listed here
(`REPRODUCED_ON`), and ``python -m har_rnn.tooling.numerics trace --check``
names the first stage or operation at which another machine differs.
"""
from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

THREADS = 1
MARKER = "HAR_REFERENCE_NUMERICS"
REFERENCE = {
    "MKL_CBWR": "COMPATIBLE",
    "ATEN_CPU_CAPABILITY": "avx2",
    "OPENBLAS_CORETYPE": "Haswell",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "MKL_NUM_THREADS": str(THREADS),
    "OMP_NUM_THREADS": str(THREADS),
    "OPENBLAS_NUM_THREADS": str(THREADS),
    "CUDA_VISIBLE_DEVICES": "",
    MARKER: "1",
}
# What a machine without AVX2 (or not x86-64) still gets: one thread, no GPU.
PORTABLE = ("MKL_NUM_THREADS", "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "CUDA_VISIBLE_DEVICES", MARKER)

# CPU kinds (`cpu_kind()`, with the versions pinned in requirements.txt) on which every committed
# number was reproduced exactly under reference numerics, and those on which it was not.
# Add a kind only after `trace --check` matched and the real-data tests passed on it.
REPRODUCED_ON = {
    "Intel, AVX-512": "Intel Xeon (family 6, model 167), 2 cores, 2026-12-05: made the committed numbers",
}
NOT_REPRODUCED_ON = {
    "AMD, AVX-512": ("AMD EPYC, 2026-12-04: the same code and data trained the vanilla RNN to other "
                     "weights than the Intel Xeon (seed 0: 90.12% against 90.22% test accuracy; "
                     "seed 1: 90.12% against 88.65%)"),
    "AMD, AVX2": ("AMD EPYC without AVX-512, 2026-12-05: the rebuilt data differed before the "
                  "rebuild was made canonical; its training was not compared"),
}


def _cpuinfo(field: str) -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return ""
    line = next((ln for ln in text.splitlines() if ln.startswith(field)), "")
    return line.partition(":")[2].strip()


def cpu_flags() -> set[str]:
    return set(_cpuinfo("flags").split())


def cpu_vendor() -> str:
    """"GenuineIntel", "AuthenticAMD", ... (the seed results record the one that made them)."""
    return _cpuinfo("vendor_id") or platform.processor() or "unknown"


def cpu_kind() -> str:
    """The vendor and the widest vector extension the kernels see, e.g. "Intel, AVX-512"."""
    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return machine
    vendor = {"GenuineIntel": "Intel", "AuthenticAMD": "AMD"}.get(cpu_vendor(), cpu_vendor())
    flags = cpu_flags()
    width = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "no AVX2"
    return f"{vendor}, {width}"


def can_pin() -> tuple[bool, str]:
    """Can the reference settings run here? (x86-64 with AVX2 and FMA)"""
    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return False, f"a {machine} CPU runs other kernels than the x86-64 machine that made the committed numbers"
    if not {"avx2", "fma"} <= cpu_flags():
        return False, "this CPU has no AVX2, so the pinned AVX2 kernels cannot run"
    return True, "x86-64 with AVX2"


def bit_identity_possible(data_fingerprint: str | None = None) -> tuple[bool, str]:
    """Can this machine reproduce the committed numbers bit for bit? (yes/no, why)

    Yes only on a CPU kind listed in `REPRODUCED_ON`, and (when `data_fingerprint` is
    given or cached) with the canonical data."""
    ok, why = can_pin()
    if not ok:
        return False, why
    kind = cpu_kind()
    if kind not in REPRODUCED_ON:
        known = NOT_REPRODUCED_ON.get(kind, "not tried yet")
        return False, (f"this CPU is {kind}; the committed numbers were reproduced exactly on "
                       f"{' and '.join(REPRODUCED_ON)} only ({kind}: {known})")
    from ..data import canonical_rebuild, current_fingerprint

    book = canonical_rebuild()["fingerprint"]
    data_fingerprint = current_fingerprint() if data_fingerprint is None else data_fingerprint
    if data_fingerprint is not None and data_fingerprint != book:
        return False, f"the data loaded here (fingerprint {data_fingerprint[:16]}) are not the book's ({book[:16]})"
    return True, f"{kind}, a kind on which the committed numbers were reproduced exactly"


def reference_env(base: dict | None = None) -> dict:
    """`base` (default: this process's environment) with the pinned settings.

    Where the AVX2 kernels cannot run, only one thread, no GPU and the marker."""
    env = dict(os.environ if base is None else base)
    env.update(REFERENCE if can_pin()[0] else {k: REFERENCE[k] for k in PORTABLE})
    return env


def is_reference_run() -> bool:
    return os.environ.get(MARKER) == "1"


def apply_in_process() -> str:
    """Settings that live inside torch; returns one sentence on what this run's numbers promise."""
    import torch

    if not is_reference_run():
        return ("Your numbers can differ from the book's, by about as much as one random seed from "
                "another (the ± beside each comparison).")
    torch.backends.mkldnn.enabled = False   # oneDNN's JIT picks kernels by CPU
    torch.set_num_threads(THREADS)
    ok, why = bit_identity_possible()
    if ok:
        return "Your numbers will be the book's, digit for digit."
    return (f"Your numbers can differ from the book's ({why}): on another kind of CPU by about as much "
            "as one random seed from another, on other data by an amount not measured.")


def main(argv: list[str] | None = None) -> int:
    """``python -m har_rnn.tooling.numerics trace [--check] [--out FILE]`` (see `trace`), or ``lab``."""
    import argparse

    parser = argparse.ArgumentParser(prog="python -m har_rnn.tooling.numerics",
                                     description="Reference numerics: trace where this machine's numbers part.")
    sub = parser.add_subparsers(dest="command", required=True)
    p_trace = sub.add_parser("trace", help="hash every stage from raw files to trained weights")
    p_trace.add_argument("--check", action="store_true", help="compare with the committed trace instead of writing it")
    p_trace.add_argument("--against", type=Path, default=None, help="the trace to compare with (default: the committed one)")
    p_trace.add_argument("--out", type=Path, default=None, help="where to write the trace (default: the committed file)")
    sub.add_parser("lab", help="start Jupyter Lab whose kernels run with reference numerics (`make lab`)")
    args = parser.parse_args(argv)
    if args.command == "lab":                    # kernels inherit the server's environment
        os.execve(sys.executable, [sys.executable, "-m", "jupyter", "lab"], reference_env())
    if not is_reference_run():                   # pin the kernels before torch and numpy load
        os.execve(sys.executable, [sys.executable, "-m", "har_rnn.tooling.numerics", *sys.argv[1:]],
                  reference_env())
    apply_in_process()
    from . import trace

    machine = {"cpu_kind": cpu_kind(), "cpu_model": _cpuinfo("model name")}
    if args.check:
        return trace.check(machine, args.against or trace.TRACE_FILE)
    trace.write(machine, args.out or trace.TRACE_FILE)
    return 0


if __name__ == "__main__":
    sys.exit(main())
