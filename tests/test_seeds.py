"""The seed results the notebooks and the README quote are what the code computes.

`har_rnn/tooling/seed_results.json` holds every comparison over seeds 0-2. The
notebooks' own runs are seed 0 (checked in test_notebooks.py); here CI
recomputes seeds 1 and 2 of every run under reference numerics and compares
them with the committed file (`har_rnn.tooling.comparison`: exactly where
bit-identity holds).
"""
from __future__ import annotations

import copy
import dataclasses
import json
import subprocess
import sys

import pytest

from har_rnn.config import LADDER, TrainConfig
from har_rnn.files import REPOSITORY
from har_rnn.tooling import comparison, numerics, seeds
import seed_harness as harness                 # benchmarks/ (pyproject: pytest's pythonpath)
from synthetic_har import make_quick_dataset

ROTATED = next(name for name, rung in LADDER.items() if rung.rotation_degrees > 0)


def test_committed_results_cover_every_run_and_seed_with_todays_config():
    results = seeds.load_results()
    assert results["config"] == TrainConfig().to_dict() | {"validation_volunteers": list(TrainConfig().validation_volunteers)}
    assert set(results["runs"]) == {*harness.MODELS, *harness.SHORT_RUNS}
    for name, per_seed in results["runs"].items():
        assert sorted(per_seed) == [str(s) for s in seeds.SEEDS], name
    assert results["seeds"] == list(seeds.SEEDS)
    ladder = results.get("ladder", {})
    for name, settings in harness.ladder_settings().items():
        assert ladder.get(name) == settings, f"{name}: committed with {ladder.get(name)}, LADDER says {settings}"


def test_seed_table_shows_mean_and_std_over_the_seeds():
    results = {"runs": {"m": {s: {"acc": v, "test_acc": v} for s, v in (("0", 90.0), ("1", 92.0), ("2", 94.0))}}}
    table = seeds.seed_table("m", ["acc", "test_acc"], results)
    assert list(table.columns) == ["mean ± sd, 3 seeds", "seed 0", "seed 1", "seed 2"]
    assert table.loc[("m", "acc")].tolist() == ["92.00 ± 2.00", "90.00", "92.00", "94.00"]
    assert table.loc[("m", "test accuracy %"), "seed 0"] == "90.00"
    assert seeds.seed_table("rnn", ["val_acc"]).index[0] == ("vanilla RNN", "validation accuracy %")


def committed_file():
    """A seed-results file as write_results makes it, for one model and one short run."""
    return {"config": TrainConfig().to_dict(), "ladder": harness.ladder_settings(),
            "data": {"source": "synthetic", "fingerprint": "f" * 64}, "seeds": list(seeds.SEEDS),
            "runs": {"cnn": {"1": {"test_acc": 90.0, "best_epoch": 12, "train_seconds": 30.0}},
                     "short": {"1": {"best_val_acc": 80.0}}}}


def test_compare_seed_runs_reports_every_difference_but_timings():
    """`train_seeds.py --check` (CI) rests on this: each kind of drift is named, and nothing else."""
    committed, config, data = committed_file(), TrainConfig(), {"fingerprint": "f" * 64}
    runs = copy.deepcopy(committed["runs"])

    def compare(runs=runs, config=config, data=data, committed=committed):
        found = comparison.compare_seed_runs(committed, runs, exact=True, config=config, data=data)
        assert found.unchecked == []                               # exact: everything is checked
        return found.moved

    assert compare() == []
    runs["cnn"]["1"]["train_seconds"] = 31.5                       # timings vary run to run
    assert compare() == []
    changed = copy.deepcopy(runs)
    changed["cnn"]["1"]["test_acc"] = 90.03
    assert compare(changed) == ["cnn seed 1: test_acc changed from 90.0 to 90.03"]
    assert compare({**runs, "short": {"2": {"best_val_acc": 80.0}}}) == ["short seed 2 is not in the committed file"]
    assert compare(config=dataclasses.replace(config, epochs=29)) == [
        "the committed results were made with another TrainConfig"]
    assert compare(data={"fingerprint": "0" * 64}) == ["the committed results were made from other data"]
    other_ladder = copy.deepcopy(committed)
    other_ladder["ladder"]["cnn"]["rotation_degrees"] = 10.0
    message = ["the committed results for cnn were made with other ladder settings"]
    assert compare(committed=other_ladder) == message
    assert compare(committed={k: v for k, v in committed.items() if k != "ladder"}) == message   # an old file


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """Notebook 02's arrays from the small synthetic dataset of the quick notebook runs."""
    tmp = tmp_path_factory.mktemp("seeds")
    data_dir = make_quick_dataset(tmp / "har")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HAR_CACHE_DIR", str(tmp / "cache"))
        mp.delenv("HAR_HAPT_DIR", raising=False)
        return harness.prepared_data(data_dir)


def without_timing(result):
    return json.dumps({k: v for k, v in result.items() if k != "train_seconds"}, sort_keys=True)


@pytest.mark.parametrize("name", ["rnn", "rnn-mean", ROTATED, "cnn"])
def test_full_run_works_end_to_end_and_repeats_exactly(synthetic, name):
    """The harness behind every committed comparison: plausible numbers, and the same ones twice."""
    config = TrainConfig().quick()
    result = harness.full_run(name, config, synthetic)
    percents = {"val_acc", "test_acc", "test_macro_f1", *(f"recall_{k}" for k in range(6)),
                "volunteer_2_acc", "volunteer_4_acc"}
    assert percents | {"best_epoch", "sitting_standing_errors", "first_half_zeroed_lost",
                       "train_seconds"} <= set(result)
    assert all(0 <= result[k] <= 100 for k in percents), result
    assert 1 <= result["best_epoch"] <= LADDER[name].train_config(config).epochs
    y = synthetic["y_test"]
    assert 0 <= result["sitting_standing_errors"] <= ((y == harness.SITTING) | (y == harness.STANDING)).sum()
    assert -100 <= result["first_half_zeroed_lost"] <= 100
    assert ("grad_ratio_log10" in result) == (LADDER[name].kind in ("rnn", "gru", "lstm"))
    if name == "rnn":                    # the readings of the vanilla RNN (03, 04 and the appendix)
        assert 0 <= result["all_stable_fixed_points"] <= result["all_fixed_points"]
        assert result["occlusion_peak_group"] in ("body_acc", "body_gyro", "total_acc")
        assert 0 <= result["occlusion_peak_step"] < 128
        assert set(result["farthest_volunteers"]) == {2, 4}
    assert without_timing(harness.full_run(name, config, synthetic)) == without_timing(result)


@pytest.mark.parametrize("name", harness.SHORT_RUNS)
def test_short_runs_work_end_to_end(synthetic, name):
    result = harness.exercise_variant(name, TrainConfig().quick(), synthetic)
    if name == "short random split":
        assert set(result) == {"random_windows_acc", "new_volunteers_acc"}
        assert all(0 <= v <= 100 for v in result.values())
    else:
        assert set(result) == {"best_val_acc", "last_train_loss"}
        assert 0 <= result["best_val_acc"] <= 100 and 0 < result["last_train_loss"] < 10


@pytest.mark.real_data
def test_seeds_1_and_2_recompute_exactly(real_hapt):
    """Exactly where bit-identity holds; elsewhere `--check` compares each number within 2.5 times
    its own run's seed std (`comparison.compare_seed_runs`) and says so."""
    out = subprocess.run([sys.executable, str(REPOSITORY / "benchmarks" / "train_seeds.py"), "--seeds", "1", "2",
                          "--check"], capture_output=True, text=True, env=numerics.reference_env(), timeout=3600)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]


def test_a_run_that_is_not_the_committed_seed_zero_says_so(monkeypatch, capsys):
    """The re-run trap: a learner's run with another TrainConfig, or on native kernels, is not seed 0."""
    from har_rnn.tooling import numerics
    from har_rnn.tooling import seeds as shown

    results = {"config": TrainConfig().to_dict(),
               "runs": {"m": {"0": {"acc": 90.0}, "1": {"acc": 92.0}, "2": {"acc": 94.0}}}}
    monkeypatch.setattr(numerics, "is_reference_run", lambda: True)
    monkeypatch.setattr(numerics, "bit_identity_possible", lambda: (True, "x86-64"))
    assert shown.committed_note(TrainConfig(), results) is None
    table = shown.seed_table("m", ["acc"], results, config=TrainConfig())
    assert "seed 0" in table.columns and capsys.readouterr().out == ""

    mine = dataclasses.replace(TrainConfig(), hidden_size=32, epochs=6)
    table = shown.seed_table("m", ["acc"], results, config=mine)
    assert capsys.readouterr().out.strip() == ("the seed columns describe the committed runs (hidden_size=64, "
                                               "epochs=30), not your run (hidden_size=32, epochs=6)")
    assert table.loc[("m", "acc"), "committed seed 0"] == "90.00"

    monkeypatch.setattr(numerics, "is_reference_run", lambda: False)
    assert "not computed exactly as the committed seed 0" in shown.committed_note(TrainConfig(), results)
