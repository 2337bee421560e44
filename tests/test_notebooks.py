"""The notebooks: they run, they fail clearly, and what is committed is true.

- Quick mode: all notebooks (the four chapters and the appendix) execute top to bottom on a small synthetic
  dataset (no network, no real data; `QUICK = True` injected after each
  notebook's parameters cell), and 03 opened alone trains notebook 02's model
  itself, the very model 02 saves. Always runs.
- Hygiene of the committed notebooks (what a reader sees on GitHub). Always runs.
- Truth: with real data (HAR_HAPT_DIR, always set in CI) all notebooks are
  re-executed under reference numerics in a temporary folder and their headline
  numbers compared with the committed ones (`comparison.compare_headlines`):
  exactly where bit-identity holds, elsewhere each number within 2.5 x the seed
  std of its own run, and what cannot be checked is printed. Their seed-0 runs
  must also equal the committed seed results.
Executions write into temporary folders; the committed notebooks, images/ and
artifacts/ are never touched.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch

from har_rnn.artifacts import load_artifacts
from har_rnn.files import REPOSITORY
from har_rnn.shipped import load_shipped
from har_rnn.tooling import comparison, export, numerics, publish, readme_table, seeds
from har_rnn.tooling.comparison import HEADLINE_RUNS
from har_rnn.tooling.notebooks import execute, execute_in_stages, tutorial_notebooks
from synthetic_har import make_quick_dataset

NOTEBOOKS = tutorial_notebooks()
NAMES = [str(nb.relative_to(REPOSITORY)) for nb in NOTEBOOKS]   # "04_...ipynb", "appendix/A3_...ipynb"
QUICK = {"QUICK": True}
REFRESH = "Refresh the committed notebooks with `make notebooks` (HAR_HAPT_DIR set) and commit them."


def test_the_four_chapters_and_the_appendix_exist():
    assert [Path(n).name[:2] for n in NAMES] == ["01", "02", "03", "04", "A1", "A2", "A3", "A4", "A5"], NAMES


def _run_env(monkeypatch, tmp: Path, **extra: str) -> None:
    """Point the kernels (which inherit our environment) at temporary folders."""
    monkeypatch.setenv("HAR_ARTIFACTS_DIR", str(tmp / "artifacts"))
    monkeypatch.setenv("HAR_IMAGES_DIR", str(tmp / "images"))
    monkeypatch.setenv("HAR_CACHE_DIR", str(tmp / "cache"))
    monkeypatch.setenv("MPLBACKEND", "Agg")
    for key, value in extra.items():
        monkeypatch.setenv(key, value)


def _error_outputs(nb) -> list[dict]:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


# ----------------------------------------------------------------- quick mode
@pytest.fixture(scope="module")
def quick_env(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("quick")
    data_dir = make_quick_dataset(tmp / "har")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("HAR_HAPT_DIR", raising=False)
        _run_env(mp, tmp, HAR_DATA_DIR=str(data_dir))
        yield tmp


@pytest.mark.parametrize("name", NAMES[2:])
def test_every_reader_notebook_loads_or_trains_notebook_02s_artifacts(name):
    """03, 04 and the appendix, opened alone (on Colab, each on its own machine), train notebook 02's
    model where its artifacts are missing: each loads them through the one function that does so."""
    code = [c.source for c in nbformat.read(REPOSITORY / name, as_version=4).cells if c.cell_type == "code"]
    calls = [c for c in code if "load_or_train_artifacts(paths.artifacts, paths.data_dir, quick=QUICK)" in c]
    assert len(calls) == 1 and not any("load_artifacts(" in c for c in code), name


@pytest.mark.notebooks
def test_all_notebooks_run_in_quick_mode(quick_env):
    committed = {name: (REPOSITORY / name).read_bytes() for name in NAMES}
    images = {p.name: p.read_bytes() for p in (REPOSITORY / "images").glob("*.png")}
    out = quick_env / "executed"
    # as `make notebooks` runs them: 01 beside 02, then the readers of 02's artifacts two at a time
    execute_in_stages(NOTEBOOKS, lambda nb: out / nb.relative_to(REPOSITORY), failed_dir=quick_env / "failed",
                      parameters=QUICK, log=lambda line: None)
    for name in NAMES:
        nb = nbformat.read(out / name, as_version=4)
        assert not _error_outputs(nb)
        assert publish.from_notebook(nb) is not None, f"{name} publishes no headline numbers"
        # The quick run's TrainConfig is not the committed one: every seed table must say so.
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code" and ("seed_table(" in cell.source or "committed_note(" in cell.source):
                text = "".join(o.get("text", "") for o in cell.get("outputs", []))
                assert "the seed columns describe the committed runs" in text and "not your run" in text, \
                    f"{name} cell {i}: a seed table that does not say it describes the committed runs"
    assert (quick_env / "artifacts" / "manifest.json").exists()
    assert committed == {name: (REPOSITORY / name).read_bytes() for name in NAMES}, "a test run changed a notebook"
    assert images == {p.name: p.read_bytes() for p in (REPOSITORY / "images").glob("*.png")}, \
        "a test run changed images/"


@pytest.mark.notebooks
def test_notebook_03_opened_alone_trains_what_notebook_02_saves(quick_env):
    """No artifacts: 03 says so in one line, trains with notebook 02's code, and gets the very model
    notebook 02 saved (same weights, bit for bit) and the same arrays."""
    alone = quick_env / "alone"
    name = NAMES[2]
    os.environ["HAR_ARTIFACTS_DIR"] = str(alone / "artifacts")
    try:
        execute(REPOSITORY / name, alone / name, failed_dir=quick_env / "failed", parameters=QUICK)
    finally:
        os.environ["HAR_ARTIFACTS_DIR"] = str(quick_env / "artifacts")
    nb = nbformat.read(alone / name, as_version=4)
    load = next(c for c in nb.cells if c.cell_type == "code" and "load_or_train_artifacts(" in c.source)
    lines = "".join(o.get("text", "") for o in load.outputs).splitlines()
    assert lines[0].startswith("No artifacts from notebook 02 in $HAR_ARTIFACTS_DIR/: training its RNN as "
                               "notebook 02 does (") and lines[0].endswith(" min here) ...")
    assert lines[1].startswith("done: test accuracy ")
    if not (quick_env / "artifacts" / "manifest.json").exists():       # run on its own (-k): make 02's set
        execute(REPOSITORY / NAMES[1], quick_env / "executed" / NAMES[1], failed_dir=quick_env / "failed",
                parameters=QUICK)
    ours, nb02 = load_artifacts(alone / "artifacts"), load_artifacts(quick_env / "artifacts")
    assert all(torch.equal(a, b) for a, b in zip(ours.model.state_dict().values(), nb02.model.state_dict().values()))
    assert ours.checkpoint["train_config"] == nb02.checkpoint["train_config"]
    for key in ("X_train_std", "y_train", "subjects_train", "X_test_std", "y_test", "subjects_test"):
        assert np.array_equal(getattr(ours, key), getattr(nb02, key)), key
    drop = {"train_seconds", "history"}
    assert ({k: v for k, v in ours.checkpoint["metrics"].items() if k not in drop}
            == {k: v for k, v in nb02.checkpoint["metrics"].items() if k not in drop})


# ------------------------------------------------------- committed hygiene
LEAK = re.compile(r"(?:^|[\s'\"(=:])(/(?:home|root|work|tmp|Users|private|var|opt)/[^\s'\"]*)|\.\./shared")


@pytest.mark.parametrize("name", NAMES)
def test_committed_notebook_hygiene(name):
    path = REPOSITORY / name
    assert path.stat().st_size < 5e6, f"{name} is {path.stat().st_size / 1e6:.1f} MB; keep it under 5 MB"
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert None not in counts, f"{name}: cells never executed. {REFRESH}"
    assert counts == list(range(1, len(code) + 1)), \
        f"{name}: not one top-to-bottom run in a fresh kernel ({counts}). {REFRESH}"
    assert not _error_outputs(nb), f"{name}: an error output is committed"
    for i, cell in enumerate(code):
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            assert "application/vnd.jupyter.widget-view+json" not in data, f"{name} cell {i}: widget output"
            text = "".join(out.get("text", "")) + "".join(data.get("text/plain", ""))
            leak = LEAK.search(text)
            assert not leak, f"{name} cell {i}: output shows a machine path {leak.group(0)!r}"
    headline = publish.from_notebook(nb)
    assert headline and "data_source" in headline, f"{name}: no headline numbers naming the data source"


@pytest.mark.parametrize("name", NAMES)
def test_committed_outputs_keep_the_machinery_out_of_sight(name):
    """What a learner reads: one line of progress per training (at most 12 in a notebook), one
    output per run of prints (not one per character), and nothing about CI or kernel settings."""
    nb = nbformat.read(REPOSITORY / name, as_version=4)
    text, progress = "", 0
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for before, after in zip(outputs, outputs[1:]):
            assert not (before.output_type == after.output_type == "stream" and before.name == after.name), \
                f"{name}: consecutive prints stored as separate outputs. {REFRESH}"
        for out in outputs:
            shown = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            progress += len(re.findall(r"^\d+ epochs: [*.]+ ", shown, re.M))
            text += shown
    assert progress <= 12, f"{name}: {progress} lines of training progress"
    assert not re.search(r"\bCI\b|kernel|oneDNN|MKL|threads?\b|epoch +\d+/\d+", text), \
        f"{name}: machinery in the outputs: {re.search(r'.{0,40}(CI|kernel|oneDNN|MKL|thread|epoch +[0-9]+/).{0,40}', text)}"


def test_exported_modules_match_the_notebooks():
    stale = [m for m, text in export.collect().items()
             if (REPOSITORY / "har_rnn" / f"{m}.py").read_text(encoding="utf-8") != text]
    assert not stale, f"har_rnn/{stale} differ from the notebooks' `#| export` cells: run `make export`"


README_IMAGE = re.compile(r"!\[[^\]]*\]\((images/[^)]+)\)")


def test_readme_images_exist():
    """That a notebook writes each of them is checked on a fresh real run below."""
    images = README_IMAGE.findall((REPOSITORY / "README.md").read_text())
    assert images, "the README shows no images"
    for image in images:
        assert (REPOSITORY / image).exists(), f"README shows {image}, which does not exist"


def test_readme_results_table_matches_committed_notebooks():
    expected = readme_table.results_table({n: publish.from_notebook(nbformat.read(REPOSITORY / n, as_version=4))
                                      for n in NAMES}, seeds.load_results())
    readme = (REPOSITORY / "README.md").read_text()
    assert expected in readme, ("The README's results table differs from the committed notebooks' "
                                "numbers: run `python -m har_rnn.tooling.readme_table --update-readme`.\n" + expected)


# ---------------------------------------------------------------- the truth
@pytest.fixture(scope="module")
def real_run(tmp_path_factory, real_hapt):
    tmp = tmp_path_factory.mktemp("real")
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("HAR_DATA_DIR", raising=False)
        _run_env(mp, tmp, HAR_HAPT_DIR=str(real_hapt))
        mp.setenv("HAR_CACHE_DIR", str(REPOSITORY / "data" / "cache"))  # reuse the parse cache
        execute_in_stages(NOTEBOOKS, lambda nb: tmp / "executed" / nb.relative_to(REPOSITORY), failed_dir=tmp / "failed")
    return tmp


@pytest.mark.real_data
@pytest.mark.notebooks
@pytest.mark.parametrize("name", NAMES)
def test_committed_numbers_are_what_the_code_produces(real_run, name):
    fresh = publish.from_notebook(nbformat.read(real_run / "executed" / name, as_version=4))
    committed = publish.from_notebook(nbformat.read(REPOSITORY / name, as_version=4))
    exact, why = numerics.bit_identity_possible()
    if not exact:
        print(f"Comparing each number within {comparison.K} x its own run's seed std, not exactly: {why}")
    found = comparison.compare_headlines(committed, fresh, exact, seeds.load_results())
    for line in found.unchecked:
        print("not checked:", line)
    assert not found.moved, f"{name}: " + "; ".join(found.moved) + ". " + REFRESH


@pytest.mark.real_data
@pytest.mark.notebooks
def test_notebook_runs_are_seed_zero_of_the_seed_results(real_run):
    """The single runs the notebooks show are the committed seed results' seed 0, exactly."""
    exact, why = numerics.bit_identity_possible()
    if not exact:
        pytest.skip(f"not bit-identical here ({why}); the truth test above compares within the seed spread")
    results = seeds.load_results()
    checked = set()
    for name in NAMES:
        fresh = publish.from_notebook(nbformat.read(real_run / "executed" / name, as_version=4))
        for key, (run, metric) in HEADLINE_RUNS.items():
            if key in fresh:
                expected = results["runs"][run]["0"][metric]
                expected = round(expected, 2) if isinstance(expected, float) else expected
                assert fresh[key] == expected, f"{name}: {key} = {fresh[key]}, seed 0 of {run} {metric} = {expected}"
                checked.add(key)
    missing = sorted(set(HEADLINE_RUNS) - checked)
    assert not missing, f"no notebook publishes {missing}, so nothing checks them against seed 0"


@pytest.mark.real_data
@pytest.mark.notebooks
def test_notebook_02_trains_the_shipped_rnn(real_run):
    """The vanilla RNN the package ships (har_rnn/shipped/rnn.pt) is the model notebook 02 trains and saves,
    weight for weight (tests/test_shipped.py: its accuracy, and the answer rung retrained)."""
    exact, why = numerics.bit_identity_possible()
    if not exact:
        pytest.skip(f"not bit-identical here ({why}); tests/test_shipped.py compares the accuracy within "
                    "the seed spread")
    fresh, shipped = load_artifacts(real_run / "artifacts"), load_shipped("rnn")
    ours, theirs = fresh.model.state_dict(), shipped.model.state_dict()
    assert ours.keys() == theirs.keys()
    moved = [k for k in ours if not torch.equal(ours[k], theirs[k])]
    assert not moved, f"notebook 02 trains other weights than har_rnn/shipped/rnn.pt ({moved}): " \
                      "run `python -m har_rnn.tooling.ship` and commit har_rnn/shipped/"
    for key in ("model_config", "train_config"):
        assert fresh.checkpoint[key] == shipped.record[key], key
    assert fresh.checkpoint["standardization"] == shipped.record["standardization"]
    assert fresh.checkpoint["metrics"]["test_accuracy"] == shipped.test_accuracy


@pytest.mark.real_data
@pytest.mark.notebooks
def test_fresh_run_writes_every_readme_image(real_run):
    readme = (REPOSITORY / "README.md").read_text()
    for image in README_IMAGE.findall(readme):
        assert (real_run / image).exists(), f"no notebook writes {image}: a fresh run did not produce it"
