"""The numerics trace: it finds where two machines part, and this machine matches the committed one.

The fast tests feed `differences` hand-made traces. The real-data tests (CI: they run
first, see conftest.py) compare this machine with the committed trace, and show that a
deliberately perturbed run (MKL's branch unpinned) is caught and the operation named.
"""
from __future__ import annotations

import copy
import subprocess
import sys

import pytest

from har_rnn.files import REPOSITORY
from har_rnn.tooling import numerics, trace

TRACE = {"machine": {"cpu_kind": "Intel, AVX-512"},
         "stages": [["raw recording", "a1"], ["median filter", "b2"], ["noise low-pass", "c3"]],
         "operations": {"rnn": ["aten.addmm.default i1 o1", "aten.tanh.default o1 o2", "aten.mm.default o2 o3"]},
         "epochs": {"rnn": ["w1", "w2", "w3"]}}


def changed(**edits):
    other = copy.deepcopy(TRACE)
    for section, (key, index, value) in edits.items():
        (other[section][key] if key else other[section])[index] = value
    return other


def test_identical_traces_have_no_differences():
    assert trace.differences(TRACE, copy.deepcopy(TRACE)) == []


def test_the_first_stage_that_moved_is_named_with_the_one_before_it():
    found = trace.differences(TRACE, changed(stages=(None, 1, ["median filter", "zz"])))
    assert found == ["stage 'median filter' differs (the stage before, 'raw recording', agrees)"]


def test_an_operation_that_rounds_differently_from_the_same_inputs_is_named():
    found = trace.differences(TRACE, changed(operations=("rnn", 1, "aten.tanh.default o1 XX")))
    assert found == ["operation #2 of rnn's first training step, aten.tanh.default, gives another result "
                     "from the same inputs: this kernel rounds differently on this machine"]


def test_an_operation_fed_other_inputs_is_told_apart():
    found = trace.differences(TRACE, changed(operations=("rnn", 0, "aten.addmm.default XX o1")))
    assert found == ["operation #1 of rnn's first training step, aten.addmm.default, gets other inputs "
                     "(from data or weights made before the step)"]
    found = trace.differences(TRACE, changed(operations=("rnn", 2, "aten.bmm.default o2 o3")))
    assert "the sequence of operations differs (aten.mm.default committed, aten.bmm.default here)" in found[0]


def test_weights_that_part_are_dated_by_epoch():
    assert trace.differences(TRACE, changed(epochs=("rnn", 1, "zz"))) == ["rnn's weights differ after epoch 2"]


def _check(env: dict, against=trace.TRACE_FILE) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "har_rnn.tooling.numerics", "trace", "--check",
                           "--against", str(against)],
                          env=env, capture_output=True, text=True, timeout=900, cwd=REPOSITORY)


@pytest.fixture(scope="module")
def real_data(real_hapt):
    if not numerics.can_pin()[0]:
        pytest.skip(f"reference numerics cannot run here: {numerics.can_pin()[1]}")


@pytest.mark.real_data
@pytest.mark.first
def test_this_machine_matches_the_committed_trace(real_data):
    """Where it does not, the failure names the first stage or operation that moved."""
    out = _check(numerics.reference_env())
    assert out.returncode == 0, "this machine's numerics differ from the committed trace:\n" + out.stdout[-3000:] + out.stderr[-2000:]
    assert "matches" in out.stdout


@pytest.mark.real_data
def test_a_perturbed_run_is_caught_and_the_operation_named(real_data, tmp_path):
    """MKL's own branch instead of the pinned COMPATIBLE one, against this machine's own trace:
    the tracer must name a matrix product whose inputs agreed."""
    own = tmp_path / "trace.json"
    made = subprocess.run([sys.executable, "-m", "har_rnn.tooling.numerics", "trace", "--out", str(own)],
                          env=numerics.reference_env(), capture_output=True, text=True, timeout=900, cwd=REPOSITORY)
    assert made.returncode == 0, made.stderr[-3000:]
    out = _check({**numerics.reference_env(), "MKL_CBWR": "AUTO"}, against=own)
    assert out.returncode == 1, out.stdout[-3000:] + out.stderr[-2000:]
    first_op = next(line for line in out.stdout.splitlines() if "first training step" in line)
    assert "gives another result from the same inputs" in first_op and (
        "aten.mm" in first_op or "aten.addmm" in first_op), first_op
