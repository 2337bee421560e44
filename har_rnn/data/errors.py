"""One error type for every "your input is wrong, here is what to do" case.

`HarError` is the base: `HarDataError` here for the dataset,
`har_rnn.artifacts.ArtifactError` for notebook 02's artifacts. In a notebook
IPython calls ``_render_traceback_`` instead of printing the traceback, so the
reader sees only the message. On the command line the `har_rnn` entry points
catch it and print the message with exit status 1.
"""
from __future__ import annotations


class HarError(Exception):
    """A problem with the user's data or artifacts, with what to do about it."""

    def _render_traceback_(self) -> list[str]:
        return [f"{type(self).__name__}: {self}"]


class HarDataError(HarError):
    """The dataset is missing, incomplete or malformed."""
