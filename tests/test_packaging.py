"""Two ways to install, each for its purpose: exact pins (requirements.txt) for the reference runs
and CI; ranges (pyproject.toml) that those pins satisfy, so that installing the package into an
environment that already has torch (Colab) keeps it."""
from __future__ import annotations

import tomllib

from packaging.requirements import Requirement

from har_rnn.files import REPOSITORY


def pins() -> dict[str, str]:
    lines = (REPOSITORY / "requirements.txt").read_text().splitlines()
    found = {}
    for line in lines:
        line = line.split("#")[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"requirements.txt: {line!r} is not an exact pin"
            found[name.lower()] = version
    return found


def test_every_dependency_range_is_satisfied_by_its_pin():
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    declared = [Requirement(r) for r in project["dependencies"] + project["optional-dependencies"]["dev"]]
    pinned = pins()
    missing = [r.name for r in declared if r.name.lower() not in pinned]
    assert not missing, f"declared in pyproject.toml but not pinned in requirements.txt: {missing}"
    unsatisfied = [f"{r} vs =={pinned[r.name.lower()]}" for r in declared
                   if r.name.lower() in pinned and not r.specifier.contains(pinned[r.name.lower()])]
    assert not unsatisfied, unsatisfied
    assert all(not str(r.specifier).startswith("==") for r in declared), "pyproject.toml takes ranges, not pins"


def test_torch_is_pinned_as_the_guide_says_and_ranged_in_the_package():
    assert pins()["torch"] == "2.13.0"
    project = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]
    torch = next(Requirement(r) for r in project["dependencies"] if r.startswith("torch"))
    assert torch.specifier.contains("2.4.0") and torch.specifier.contains("2.13.0")
