"""`setup()`, the one call at the top of every notebook: numerics, plot style, folders."""
from __future__ import annotations

from types import SimpleNamespace

from .. import files
from . import numerics

PLOT_STYLE = {"figure.dpi": 100, "savefig.dpi": 120, "savefig.bbox": "tight",
              "axes.spines.top": False, "axes.spines.right": False}


def setup() -> SimpleNamespace:
    """Prepare a notebook and return the folders it uses.

    `data_dir` (None: the data layer finds the data, README "The data"),
    `artifacts` (what notebook 02 writes and 03/04 read) and `images` (the
    figures the README shows): in a clone, its folders; elsewhere, folders in
    the one you run from (`har_rnn.files`). The test suite points these at
    temporary folders through the environment; a reader never needs to.
    """
    import matplotlib.pyplot as plt
    import pandas as pd
    from IPython import get_ipython

    shell = get_ipython()
    if shell is not None:
        shell.run_line_magic("matplotlib", "inline")
        shell.run_line_magic("config", "InlineBackend.figure_formats = ['png']")  # static, renders on GitHub
    plt.rcParams.update(PLOT_STYLE)
    pd.set_option("display.width", 140)          # tables as one block of text, not wrapped column groups
    images = files.images_dir()
    images.mkdir(parents=True, exist_ok=True)
    print(numerics.apply_in_process())           # one sentence: will my numbers be the book's?
    return SimpleNamespace(data_dir=files.dataset_dir(), artifacts=files.artifacts_dir(), images=images)
