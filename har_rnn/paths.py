"""Where things live, and how paths are shown to a reader.

Notebook outputs and messages must not show machine-specific absolute paths,
so every path a reader sees goes through `display_path`.
"""
from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PATH_VARIABLES = ("HAR_DATA_DIR", "HAR_HAPT_DIR", "HAR_ARTIFACTS_DIR", "HAR_IMAGES_DIR", "HAR_CACHE_DIR")


def display_path(path: str | os.PathLike) -> str:
    """Relative to the repo when inside it; `$HAR_..._DIR/...` when under one of
    those folders; otherwise as given."""
    path = Path(path)
    resolved = path.resolve()
    if resolved.is_relative_to(REPO):
        return str(resolved.relative_to(REPO)) or "."
    for var in PATH_VARIABLES:
        base = os.environ.get(var)
        if base and resolved.is_relative_to(Path(base).resolve()):
            rest = resolved.relative_to(Path(base).resolve())
            return f"${var}" + (f"/{rest}" if str(rest) != "." else "")
    return str(path)
