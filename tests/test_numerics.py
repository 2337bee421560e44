"""Reference numerics: the same bytes whatever kernels the CPU would pick.

Without a second machine, other CPUs are emulated on this one by limiting the
instruction sets the libraries may use (MKL, oneDNN, ATen, NumPy). Under the
pinned settings every emulated CPU must rebuild a recording to the same bytes
and train every model to bit-identical weights. Without them, on a host with
AVX-512, at least one must differ: that shows the emulation reaches the kernels,
so the pinned test could have failed. What a host cannot emulate (a CPU with
AVX-512, on a host without it) is said in a warning, not skipped in silence.
Other vendors cannot be emulated at all: `trace --check` (tests/test_trace.py)
compares with the machine that made the committed numbers.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from har_rnn.data.hapt import CANONICAL
from har_rnn.tooling import numerics

# The probe rebuilds and standardizes, and trains every kind of ladder.build_model and one with rotated windows.
KINDS = {"rebuild", "standardize", "rnn", "gru", "lstm", "cnn", "rnn-mean", "conv-rnn", "conv-rnn-mean",
         "conv-rnn-mean+rot"}
NUMPY_AVX512 = "X86_V4 AVX512_ICL AVX512_SPR"
PROBE = Path(__file__).with_name("dispatch_probe.py")
# Each entry emulates a CPU that offers the libraries fewer instructions.
EMULATED = {
    "this CPU": {},
    "MKL limited to AVX2": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"},
    "oneDNN limited to AVX2": {"ONEDNN_MAX_CPU_ISA": "AVX2"},
    "oneDNN SSE4.1, MKL AVX2, ATen AVX2": {"ONEDNN_MAX_CPU_ISA": "SSE41", "MKL_ENABLE_INSTRUCTIONS": "AVX2",
                                          "ATEN_CPU_CAPABILITY": "avx2"},
    "NumPy without AVX-512": {"NPY_DISABLE_CPU_FEATURES": NUMPY_AVX512},
    "NumPy at its SSE4.2 baseline": {"NPY_DISABLE_CPU_FEATURES": NUMPY_AVX512 + " X86_V3"},
}


def _weights(env: dict) -> dict:
    out = subprocess.run([sys.executable, str(PROBE)], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def _unpinned_env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in numerics.REFERENCE}
    env.update(MKL_NUM_THREADS=str(numerics.THREADS), OMP_NUM_THREADS=str(numerics.THREADS))
    return env


@pytest.fixture(scope="module")
def exact_here():
    ok, why = numerics.can_pin()
    if not ok:
        pytest.skip(f"reference numerics cannot run on this machine: {why}")
    if "avx512f" not in numerics.cpu_flags():
        warnings.warn("this host has no AVX-512, so the AVX-512 code paths of MKL, oneDNN, ATen and NumPy "
                      "could not be compared with the AVX2 ones the pinning selects; an AVX-512 host checks them")


@pytest.mark.slow
def test_pinned_weights_are_identical_under_every_emulated_cpu(exact_here):
    hashes = {name: _weights({**numerics.reference_env(), **limits}) for name, limits in EMULATED.items()}
    reference = hashes["this CPU"]
    assert set(reference) == KINDS
    for name, got in hashes.items():
        assert got == reference, f"{name}: weights differ from this CPU's under reference numerics: {got} vs {reference}"


@pytest.mark.slow
def test_without_pinning_some_emulated_cpu_gives_other_weights(exact_here):
    """An AVX-512 host's native kernels are not the AVX2 ones, so unpinned runs must differ somewhere:
    if they do not, the emulation does not reach the kernels and the test above proves nothing."""
    hashes = {name: _weights({**_unpinned_env(), **limits}) for name, limits in EMULATED.items()}
    assert set(hashes["this CPU"]) == KINDS
    differing = {name for name, got in hashes.items() if got != hashes["this CPU"]}
    if not differing and "avx512f" not in numerics.cpu_flags():
        pytest.skip("no AVX-512 on this host: its native kernels may already be the AVX2 ones, "
                    "so limiting them to AVX2 need not change anything")
    assert differing, ("this host has AVX-512, yet no emulated CPU changed the weights without pinning: "
                       f"the emulation does not reach the kernels ({hashes['this CPU']})")


def test_reference_env_pins_the_kernels_and_the_threads():
    env = numerics.reference_env({"PATH": "/bin"})
    assert env["PATH"] == "/bin" and env[numerics.MARKER] == "1"
    assert env["CUDA_VISIBLE_DEVICES"] == "" and env["MKL_NUM_THREADS"] == str(numerics.THREADS)
    if numerics.can_pin()[0]:
        assert env["MKL_CBWR"] == "COMPATIBLE" and env["ATEN_CPU_CAPABILITY"] == "avx2"
        assert env["NPY_DISABLE_CPU_FEATURES"] == NUMPY_AVX512


def test_no_bit_identity_claimed_on_arm_or_without_avx2(monkeypatch):
    monkeypatch.setattr(numerics.platform, "machine", lambda: "arm64")
    ok, why = numerics.bit_identity_possible(CANONICAL["fingerprint"])
    assert not ok and "arm64" in why
    assert "MKL_CBWR" not in numerics.reference_env({})
    monkeypatch.setattr(numerics.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(numerics, "cpu_flags", lambda: {"sse4_1"})
    assert not numerics.bit_identity_possible(CANONICAL["fingerprint"])[0]


def test_bit_identity_is_claimed_only_on_a_reproduced_cpu_kind_with_the_books_data(monkeypatch):
    """Measured: pinned, an AMD EPYC and an Intel Xeon still train the RNN to other weights."""
    monkeypatch.setattr(numerics.platform, "machine", lambda: "x86_64")
    monkeypatch.setattr(numerics, "_cpuinfo", lambda field: {"vendor_id": "GenuineIntel"}.get(field, ""))
    monkeypatch.setattr(numerics, "cpu_flags", lambda: {"avx2", "fma", "avx512f"})
    assert numerics.cpu_kind() == "Intel, AVX-512" and "Intel, AVX-512" in numerics.REPRODUCED_ON
    assert numerics.bit_identity_possible(CANONICAL["fingerprint"])[0]
    ok, why = numerics.bit_identity_possible("0" * 64)
    assert not ok and "not the book's" in why
    monkeypatch.setattr(numerics, "_cpuinfo", lambda field: {"vendor_id": "AuthenticAMD"}.get(field, ""))
    ok, why = numerics.bit_identity_possible(CANONICAL["fingerprint"])
    assert not ok and "AMD, AVX-512" in why and "Intel, AVX-512" in why
    assert numerics.reference_env({})["MKL_CBWR"] == "COMPATIBLE"      # still pinned: only not promised
    monkeypatch.setattr(numerics, "cpu_flags", lambda: {"avx2", "fma"})
    assert numerics.cpu_kind() == "AMD, AVX2" and not numerics.bit_identity_possible(CANONICAL["fingerprint"])[0]


def test_the_numerics_sentence_promises_the_books_numbers_only_where_they_come_back(monkeypatch):
    monkeypatch.delenv(numerics.MARKER, raising=False)
    assert "can differ from the book's" in numerics.apply_in_process()
    monkeypatch.setenv(numerics.MARKER, "1")
    monkeypatch.setattr(numerics, "bit_identity_possible", lambda *a: (False, "this CPU is AMD, AVX2"))
    line = numerics.apply_in_process()
    assert "can differ from the book's" in line and "AMD, AVX2" in line and "digit for digit" not in line
    monkeypatch.setattr(numerics, "bit_identity_possible", lambda *a: (True, "Intel, AVX-512"))
    assert "digit for digit" in numerics.apply_in_process()
