# The two commands of the README: `make run` and `make test`.
# Both create the virtual environment on first use.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test test-fast data notebooks lab trace export seeds ship bench clean-artifacts

run: notebooks  ## install, prepare the data, execute all notebooks in place

test: $(VENV)/.installed  ## install and run the test suite
	$(PY) -m pytest

test-fast: $(VENV)/.installed  ## the tests without the `slow` ones (real data, emulated CPUs); quick notebook runs included
	$(PY) -m pytest -m "not slow"

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

data: $(VENV)/.installed  ## find, rebuild or download the dataset and cache it
	$(PY) -m har_rnn.data prepare

notebooks: data  ## re-execute the notebooks in order, in place, under reference numerics
	$(PY) -m har_rnn.tooling.notebooks --in-place

lab: data  ## Jupyter Lab with reference numerics: the book's numbers, digit for digit, on the CPU kinds README lists
	$(PY) -m har_rnn.tooling.numerics lab

trace: data  ## compare this machine's numerics with the committed trace (where do my numbers part?)
	$(PY) -m har_rnn.tooling.numerics trace --check

export: $(VENV)/.installed  ## copy `#| export` notebook cells into har_rnn/
	$(PY) -m har_rnn.tooling.export

seeds: data  ## recompute har_rnn/tooling/seed_results.json (every stated comparison, 3 seeds)
	$(PY) benchmarks/train_seeds.py

ship: data  ## retrain the two models the package ships (har_rnn/shipped/), as notebooks 02 and 04 train them
	$(PY) -m har_rnn.tooling.ship

bench: data  ## speed and memory benchmarks (see benchmarks/README.md)
	$(PY) benchmarks/bench_data.py
	$(PY) benchmarks/bench_hapt_build.py
	$(PY) benchmarks/bench_notebooks.py
	$(PY) benchmarks/bench_analyses.py
	$(PY) benchmarks/bench_recording.py
	$(PY) benchmarks/bench_numerics.py

clean-artifacts:
	rm -rf artifacts
