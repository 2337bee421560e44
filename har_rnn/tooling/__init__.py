"""The machinery around the lessons: nothing here is taught, the notebooks only call it.

- `setup`: ``setup()``, the first call of every notebook (numerics, plot style, folders).
- `publish`: ``publish(...)``, each notebook's headline numbers, and the README's results table
  (``python -m har_rnn.tooling.publish --update-readme``).
- `seeds`: what the notebooks read of the 3-seed results (`seed_table`, `seed_values`);
  the runs themselves are `benchmarks/seed_harness.py`.
- `numerics`: reference numerics, and which CPU kinds reproduce the committed numbers exactly;
  ``python -m har_rnn.tooling.numerics trace --check`` (`trace`) names where another machine parts.
- `comparison`: the one rule for comparing recomputed numbers with the committed ones.
- `notebooks`: the runner (``python -m har_rnn.tooling.notebooks --in-place``, `make notebooks`).
- `export`: `#| export` notebook cells -> the lesson modules (``python -m har_rnn.tooling.export``,
  `make export`).

Tooling may import the lessons and the data layer; nothing below imports tooling.
"""
