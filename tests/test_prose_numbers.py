"""Numbers in the notebooks' prose are numbers their outputs print.

Prose may state the numbers it interprets (a reader should not have to hunt
for them), so it can go stale when a rerun changes them. This test keeps it
true: every decimal number, every percentage and every measured count in a
notebook's markdown must appear, as printed, in that notebook's own text
outputs (tables included). Timings stay out of prose: they change from run to run.

The rule that tells a measured count from a constant: a whole number is a
measured count when a counted noun follows it (windows, errors, units, fixed
points, islands), and a constant when it is a setting of the data or the method
(`COUNT_CONSTANTS`: the 128 steps of a window, the 64 units of H, the 30 or 9
volunteers of the dataset and its test split, the 3 seeds, ...). A number after
"notebook", "section", "exercise" or "cell" names a place, never a count ("notebook 04
finds the errors"). A short list of decimal constants is exempt too (`CONSTANTS`).
"""
from __future__ import annotations

import re

import nbformat
import pytest

from har_rnn.tooling.notebooks import REPOSITORY, tutorial_notebooks

# Constants of the data and the method, not measurements (blanked out before the scan).
CONSTANTS = re.compile(r"2\.56 s(econds)?|1\.28 s|1 g = 9\.81 m/s|0\.3 Hz|0\.02, 0\.1 and 0\.5 s|\(50%\s+overlap"
                       r"|middle\s+50%|AUC \(0\.5 = no|share above 0\.9")
NUMBER = re.compile(r"(?<![\w.])(\d+\.\d+|\d+(?:\.\d+)?(?=\s?%))")
COUNT = re.compile(r"(?<![\w.,])(?<!notebook )(?<!section )(?<!exercise )(?<!cell )(\d{1,3}(?:,\d{3})*|\d+)\s+(?:[a-z/-]+\s+){0,2}?"
                   r"(windows|errors|units|fixed points|islands)\b")
# a window's steps, H, channels, volunteers, activities, seeds; the official release's 7,352 / 2,947
# windows
COUNT_CONSTANTS = {"128", "64", "9", "30", "6", "3", "1", "2", "7,352", "2,947"}
NOT_PROSE = re.compile(r"\$\$.*?\$\$|\$[^$]*\$|`[^`\n]*`|\]\([^)]*\)|<[^>\n]*>", re.S)   # math, code, links


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            parts += [out.get("text", ""), data.get("text/plain", ""), data.get("text/html", "")]
    return "\n".join(parts)


def unprinted_numbers(nb) -> list[tuple[int, str]]:
    """(cell index, number) for every number in the markdown that no output prints."""
    printed = outputs_text(nb)
    missing = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown":
            continue
        prose = CONSTANTS.sub(" ", NOT_PROSE.sub(" ", cell.source))
        counts = [m.group(1) for m in COUNT.finditer(prose) if m.group(1) not in COUNT_CONSTANTS]
        for number in NUMBER.findall(prose) + counts:
            if not re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", printed):
                missing.append((index, number))
    return missing


@pytest.mark.parametrize("path", tutorial_notebooks(), ids=lambda p: p.name[:2])
def test_every_number_in_the_prose_is_printed_by_the_notebook(path):
    missing = unprinted_numbers(nbformat.read(path, as_version=4))
    assert not missing, (f"{path.relative_to(REPOSITORY)}: numbers in the prose that no output prints (a stale "
                         "number, or one to print): " + ", ".join(f"cell {i}: {n}" for i, n in missing))


def test_a_stale_number_is_caught():
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output("stream", text="test accuracy 96.13% (± 1.02)\n")]),
        nbformat.v4.new_markdown_cell("It reaches 96.13% ($\\pm$ 1.02), on windows of 2.56 s."),
        nbformat.v4.new_markdown_cell("It reaches 96.31%, and `0.77` in code or $0.66$ in math are not prose."),
        nbformat.v4.new_markdown_cell("Of its 128 steps and 64 units, 17 units saturate; 293 test windows are wrong "
                                      "(section 4, exercise 2).")])
    assert unprinted_numbers(nb) == [(2, "96.31"), (3, "17"), (3, "293")]
