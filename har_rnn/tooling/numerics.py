"""Reference numerics: the same numbers on any x86-64 CPU.

PyTorch's and NumPy's CPU kernels pick a code path by CPU (MKL's branch,
oneDNN's instruction set, ATen's vector width, OpenBLAS's core type). Each
path rounds differently in the last bits, and tens of epochs of training
amplify that to about a point of accuracy. The reference runs (`make run`,
`make notebooks`, the tests, CI, the seed benchmark) therefore start every
kernel and subprocess with `reference_env()`:

- ``MKL_CBWR=COMPATIBLE``: MKL's conditional numerical reproducibility, the
  branch Intel documents for Intel and compatible (AMD) CPUs alike;
- ``ATEN_CPU_CAPABILITY=avx2``: ATen's own kernels at one vector width;
- ``OPENBLAS_CORETYPE=Haswell``: one OpenBLAS kernel for NumPy/SciPy/sklearn;
- one thread for torch, MKL and OpenBLAS: results of threaded reductions
  depend on the thread count, and for models this small a second thread
  gains little and loses much when the cores are busy;
- no GPU (``CUDA_VISIBLE_DEVICES=""``), and oneDNN off
  (`apply_in_process`, called by `har_rnn.setup`): the LSTM and Conv1d then
  run on ATen + MKL, which the settings above pin.

These must be in the environment before torch or numpy is imported, which is
why they travel with the process that starts the kernel, not a notebook cell.
A reader who opens a notebook in Jupyter runs the native (faster) kernels:
their numbers agree with the committed ones within the seed spread.
"""
from __future__ import annotations

import os
import platform
from pathlib import Path

THREADS = 1
MARKER = "HAR_REFERENCE_NUMERICS"
REFERENCE = {
    "MKL_CBWR": "COMPATIBLE",
    "ATEN_CPU_CAPABILITY": "avx2",
    "OPENBLAS_CORETYPE": "Haswell",
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",   # NumPy's AVX2 loops, also on AVX-512
    "MKL_NUM_THREADS": str(THREADS),
    "OMP_NUM_THREADS": str(THREADS),
    "OPENBLAS_NUM_THREADS": str(THREADS),
    "CUDA_VISIBLE_DEVICES": "",
    MARKER: "1",
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


def bit_identity_possible(made_on: str | None = None) -> tuple[bool, str]:
    """Can this machine reproduce the committed numbers bit for bit? (yes/no, why)

    `made_on`: the CPU vendor that made them. Measured: the same code under reference
    numerics trains to other weights on an AMD EPYC than on an Intel Xeon (the RNN's
    test accuracy 90.12% against 90.22%), so exactness is claimed within one vendor only."""
    machine = platform.machine().lower()
    if machine not in ("x86_64", "amd64"):
        return False, f"a {machine} CPU runs other kernels than the x86-64 machine that made the committed numbers"
    if not {"avx2", "fma"} <= cpu_flags():
        return False, "this CPU has no AVX2, so the pinned AVX2 kernels cannot run"
    if made_on and made_on != cpu_vendor():
        return False, (f"the committed numbers were made on a {made_on} CPU and this one is {cpu_vendor()}: "
                       "even pinned, their kernels round differently")
    return True, "x86-64 with AVX2: pinned kernels, bit-identical results"


def reference_env(base: dict | None = None) -> dict:
    """`base` (default: this process's environment) with the pinned settings.

    On a machine where bit-identity cannot hold, only the thread count, the
    CPU-only setting and the marker are applied."""
    env = dict(os.environ if base is None else base)
    ok, _ = bit_identity_possible()
    pins = REFERENCE if ok else {k: v for k, v in REFERENCE.items()
                                 if k in ("MKL_NUM_THREADS", "OMP_NUM_THREADS",
                                          "OPENBLAS_NUM_THREADS", "CUDA_VISIBLE_DEVICES", MARKER)}
    env.update(pins)
    return env


def is_reference_run() -> bool:
    return os.environ.get(MARKER) == "1"


def apply_in_process() -> str:
    """Settings that live inside torch; returns a one-line description of the numerics."""
    import torch

    if is_reference_run():
        torch.backends.mkldnn.enabled = False   # oneDNN's JIT picks kernels by CPU
        torch.set_num_threads(THREADS)
        ok, why = bit_identity_possible()
        return ("reference numerics: " + why if ok else
                f"reference settings, but not bit-identical here: {why}; expect differences "
                "within the seed spread")
    return ("native CPU kernels (fast): your numbers can differ from the committed ones "
            "by about the seed-to-seed spread")
