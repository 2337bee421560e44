"""The tutorial outside its repository: the Colab route, tested in its parts.

`pip install` (not editable) puts a copy of the package in a target folder, over
the pinned environment; notebooks 01 and 03 are copied into an empty folder and
run from there in quick mode, with no artifacts: 03 must train notebook 02's
model itself. Everything they write lands in that folder, or the data home;
nothing in the installed package.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from har_rnn.files import PACKAGE, PATH_VARIABLES, REPOSITORY
from har_rnn.tooling.notebooks import execute, tutorial_notebooks
from har_rnn.tooling.numerics import reference_env
from synthetic_har import make_quick_dataset

pytestmark = [pytest.mark.slow, pytest.mark.notebooks]


def snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(folder)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A non-editable install of a copy of the sources (a build writes into its source folder)."""
    tmp = tmp_path_factory.mktemp("install")
    source = tmp / "source"
    shutil.copytree(PACKAGE, source / "har_rnn", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPOSITORY / name, source / name)
    target = tmp / "site"
    out = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                          "--no-index", "--target", str(target), str(source)],
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stdout + out.stderr
    assert (target / "har_rnn" / "tooling" / "seed_results.json").is_file(), "package data not installed"
    return target


@pytest.fixture(scope="module")
def outside(installed, tmp_path_factory):
    """An empty working folder, the installed copy first on the path, no HAR_* folders set."""
    tmp = tmp_path_factory.mktemp("outside")
    work, home = tmp / "work", tmp / "home"
    work.mkdir()
    home.mkdir()
    env = {k: v for k, v in reference_env().items() if k not in PATH_VARIABLES}
    env.update(PYTHONPATH=str(installed), HOME=str(home), MPLBACKEND="Agg",
               HAR_DATA_DIR=str(make_quick_dataset(tmp / "har")))
    return work, home, env


def test_the_install_is_the_one_imported_and_knows_it_is_not_a_clone(installed, outside):
    work, _, env = outside
    out = subprocess.run([sys.executable, "-c", "import sys, har_rnn.data, har_rnn.files as f; "
                          "print(f.PACKAGE, f.REPOSITORY, f.artifacts_dir(), 'torch' in sys.modules)"],
                         cwd=work, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    package, repository, artifacts, torch_loaded = out.stdout.split()
    assert Path(package) == installed / "har_rnn" and repository == "None"
    assert Path(artifacts) == work / "artifacts" and torch_loaded == "False"


def test_notebooks_01_and_03_run_from_an_empty_folder(installed, outside):
    work, home, env = outside
    site_before = snapshot(installed)
    clone_before = {name: snapshot(REPOSITORY / name) for name in ("artifacts", "images", "data")
                    if (REPOSITORY / name).exists()}
    for notebook in tutorial_notebooks()[0], tutorial_notebooks()[2]:       # 01, 03 (no artifacts)
        shutil.copy(notebook, work / notebook.name)
        execute(work / notebook.name, work / notebook.name, cwd=work, failed_dir=work / "failed",
                parameters={"QUICK": True}, env=env)
    assert snapshot(installed) == site_before, "running the notebooks wrote into the installed package"
    assert {name: snapshot(REPOSITORY / name) for name in clone_before} == clone_before, "they wrote into the clone"
    assert (work / "artifacts" / "manifest.json").is_file() and any((work / "images").glob("*.png"))
    nb03 = nbformat.read(work / tutorial_notebooks()[2].name, as_version=4)
    printed = "".join(o.get("text", "") for c in nb03.cells if c.cell_type == "code" for o in c.get("outputs", []))
    assert "No artifacts from notebook 02 in artifacts/: training its RNN as notebook 02 does (" in printed
    assert str(work) not in printed and str(home) not in printed, "a machine path in the outputs"
    assert not (work / "failed").exists()
