"""The package's architecture: four floors, imports running one way, no cycles.

- `har_rnn.files`, the ground floor: where files live, how they are written; imports nothing from har_rnn;
- `har_rnn.data`: the dataset; imports nothing else from har_rnn but the ground floor, and not torch;
- the top level: the lessons, `config` and `artifacts`; may import the data layer and each other;
- `har_rnn.tooling` (and the `har_rnn` facade, which re-exports `setup` and `publish`): may import
  everything; nothing imports them.

Read from the source (every import statement, function bodies included), so a
lazy import cannot hide an upward dependency.
"""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import har_rnn
from har_rnn.files import REPOSITORY
from har_rnn.tooling import export

PACKAGE = REPOSITORY / "har_rnn"
HAND_WRITTEN = {"__init__", "files", "config", "artifacts", "notebook_02", "dynamics", "occlusion", "shipped", "ladder", "rotations",
                "recording", "streaming"}


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(REPOSITORY).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The har_rnn modules that module `name` imports (and, as is, any har_rnn name that is none)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "har_rnn"}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[:len(parts) - node.level + 1] + ([node.module] if node.module else []))
            if base.split(".")[0] != "har_rnn":
                continue
            submodules = {f"{base}.{alias.name}" for alias in node.names} & set(MODULES)
            names_only = len(submodules) < len(node.names)      # some names are not modules
            found |= submodules | ({base} if names_only else set())
    return found - {name}


IMPORTS = {name: _imports(name, path) for name, path in MODULES.items()}
GRAPH = {name: targets & set(MODULES) for name, targets in IMPORTS.items()}


def _layer(name: str) -> int:
    if name == "har_rnn.files":
        return -1
    if name == "har_rnn.data" or name.startswith("har_rnn.data."):
        return 0
    if name == "har_rnn" or name.startswith("har_rnn.tooling"):
        return 2
    return 1


def test_the_top_level_holds_only_the_lessons_config_artifacts_and_the_ground_floor():
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == HAND_WRITTEN | set(export.collect()), "a module that is not a lesson belongs in data/ or tooling/"
    assert {p.name for p in PACKAGE.iterdir() if p.is_dir() and (p / "__init__.py").exists()} == {"data", "tooling"}


def test_every_import_names_a_module_that_exists():
    """A module moved (say, into data/) leaves no import of its old name behind."""
    missing = sorted(f"{name} imports {target}" for name, targets in IMPORTS.items()
                     for target in targets - set(MODULES))
    assert not missing, "\n".join(missing)


def test_imports_never_go_up_a_layer():
    upward = sorted(f"{name} imports {target}" for name, targets in GRAPH.items() for target in targets
                    if _layer(target) > _layer(name))
    assert not upward, "files <- data <- lessons, config, artifacts <- tooling; but:\n" + "\n".join(upward)


def test_the_ground_floor_imports_nothing_from_the_package():
    assert GRAPH["har_rnn.files"] == set()


def test_the_data_layer_imports_nothing_outside_it_but_the_ground_floor():
    outside = sorted(f"{name} imports {target}" for name, targets in GRAPH.items() if _layer(name) == 0
                     for target in targets if _layer(target) not in (-1, 0))
    assert not outside, "\n".join(outside)


def test_no_import_cycles():
    cycles, state = [], {}

    def visit(name, path):
        state[name] = "open"
        for target in sorted(GRAPH[name]):
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[name] = "done"

    for name in sorted(GRAPH):
        if name not in state:
            visit(name, [name])
    assert not cycles, "\n".join(cycles)


def _run(code: str) -> subprocess.CompletedProcess:
    """A fresh interpreter, so that what this test session imported does not count."""
    return subprocess.run([sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True, text=True, timeout=120)


def test_importing_the_data_layer_loads_no_torch():
    out = _run("import har_rnn.data; import sys; assert 'torch' not in sys.modules")
    assert out.returncode == 0, out.stderr
    out = _run("import sys, har_rnn.data, har_rnn.data.__main__\n"
               "print(sorted(m for m in sys.modules if m.startswith('har_rnn.') and not m.startswith('har_rnn.data')\n"
               "             and m != 'har_rnn.files'))")
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_facade_is_lazy_and_complete():
    out = _run("import sys, har_rnn; print(sorted(m for m in sys.modules if m.startswith('har_rnn.')))")
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stdout + out.stderr
    for name in har_rnn.__all__:
        assert getattr(har_rnn, name) is not None, name
    assert har_rnn.hapt.window_starts is not None            # notebook 01: `from har_rnn import hapt`
    private = [f"har_rnn.{name} -> {target}" for name, target in {**har_rnn._EXPORTS, **har_rnn._MODULES}.items()
               if any(part.startswith("_") for part in target.lstrip(".").split("."))]
    assert not private, f"the facade must not expose a private module: {private}"
    with pytest.raises(AttributeError):
        har_rnn.no_such_name
