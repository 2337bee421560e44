"""The machinery around the lessons: nothing here is taught, the notebooks only call it.

- `notebook_setup`: ``setup()``, the first call of every notebook (numerics, plot style, folders).
- `publish`: ``publish(...)``, each notebook's headline numbers, stored unseen in its last output (`from_notebook`).
- `readme_table`: the README's results table from those blocks and the seed results
  (``python -m har_rnn.tooling.readme_table``).
- `seeds`: what the notebooks read of the 3-seed results (`seed_table`, `seed_values`), shipped
  beside it as `seed_results.json`; the runs themselves are `benchmarks/seed_harness.py`.
- `numerics`: reference numerics, and which CPU kinds reproduce the committed numbers exactly;
  ``python -m har_rnn.tooling.numerics trace --check`` (`trace`) names where another machine parts.
- `comparison`: the one rule for comparing recomputed numbers with the committed ones.
- `notebooks`: the runner (``python -m har_rnn.tooling.notebooks --in-place``, `make notebooks`).
- `export`: `#| export` notebook cells -> the lesson modules (``python -m har_rnn.tooling.export``,
  `make export`).

Tooling may import the lessons and the data layer; nothing below imports tooling.
"""
