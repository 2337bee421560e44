"""The ground floor, `har_rnn.files`: where every folder is, in a clone and in an installed copy.

The installed case is simulated here (REPOSITORY = None); tests/test_install.py
installs the package for real and runs notebooks from a folder outside the clone.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from har_rnn import files

VARIABLES = files.PATH_VARIABLES


@pytest.fixture
def bare(monkeypatch):
    for var in VARIABLES:
        monkeypatch.delenv(var, raising=False)
    return monkeypatch


def test_in_the_clone_everything_stays_where_it_was(bare):
    repo = files.REPOSITORY
    assert repo is not None and (repo / "pyproject.toml").is_file() and files.PACKAGE == repo / "har_rnn"
    assert files.get_data_home() == repo / "data"
    assert files.cache_dir() == repo / "data" / "cache"
    assert files.artifacts_dir() == repo / "artifacts"
    assert files.images_dir() == repo / "images"
    assert files.dataset_dir() is None and files.hapt_dir() is None


def test_an_installed_copy_writes_beside_the_learner_never_inside_the_package(bare, tmp_path):
    bare.setattr(files, "REPOSITORY", None)
    bare.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "work").mkdir()
    bare.chdir(tmp_path / "work")
    assert files.get_data_home() == tmp_path / "home" / "har_rnn_data"
    assert files.artifacts_dir() == tmp_path / "work" / "artifacts"
    assert files.images_dir() == tmp_path / "work" / "images"
    for folder in (files.get_data_home(), files.cache_dir(), files.artifacts_dir(), files.images_dir()):
        assert not folder.resolve().is_relative_to(files.PACKAGE.parent), folder
    assert files.display_path(tmp_path / "work" / "artifacts") == "artifacts"
    assert files.display_path(files.get_data_home() / "cache") == "~/har_rnn_data/cache"
    with pytest.raises(SystemExit, match="works on a clone of the repository"):
        files.require_repository("make export")


def test_the_variables_and_the_argument_win(bare, tmp_path):
    assert files.get_data_home(tmp_path / "mine") == tmp_path / "mine"
    bare.setenv("HAR_DATA_HOME", str(tmp_path / "home"))
    assert files.get_data_home() == tmp_path / "home"
    assert files.cache_dir() == tmp_path / "home" / "cache"
    assert files.get_data_home(tmp_path / "mine") == tmp_path / "mine", "the argument beats the variable"
    for var, get in (("HAR_ARTIFACTS_DIR", files.artifacts_dir), ("HAR_IMAGES_DIR", files.images_dir),
                     ("HAR_CACHE_DIR", files.cache_dir), ("HAR_DATA_DIR", files.dataset_dir),
                     ("HAR_HAPT_DIR", files.hapt_dir)):
        bare.setenv(var, str(tmp_path / var))
        assert get() == tmp_path / var, var
    assert files.display_path(tmp_path / "HAR_CACHE_DIR" / "x.npz") == "$HAR_CACHE_DIR/x.npz"


def test_every_har_path_variable_is_read_in_files_only():
    """One place resolves the paths: no other module reads a HAR_*_DIR / HAR_DATA_HOME variable."""
    readers = []
    for path in sorted(files.PACKAGE.rglob("*.py")):
        if path == Path(files.__file__):
            continue
        text = path.read_text(encoding="utf-8")
        readers += [f"{path.name}: {var}" for var in VARIABLES
                    if re.search(rf"""(environ\.get\(|environ\[|getenv\()["']{var}""", text)]
    assert not readers, readers
