# Needs only Python >= 3.11 with venv and pip: every target installs the project into .venv when it has to.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Reinstall when pyproject.toml is newer than this stamp (or the venv is missing or broken).
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: all venv test lint demo bench bench-env docs clean distclean

all: test

venv: $(STAMP)

$(STAMP): pyproject.toml
	@if ! $(PY) -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then \
		echo "creating $(VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv --clear $(VENV); \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

# Lint first, tests last (so pytest's summary closes the output); fail if either failed.
test: $(STAMP)
	@status=0; \
	$(VENV)/bin/ruff check . || status=1; \
	$(PY) -m pytest $(PYTEST_ARGS) || status=$$?; \
	exit $$status

lint: $(STAMP)
	$(VENV)/bin/ruff check .

demo: $(STAMP)
	$(PY) -m contractvm.demo

# Benchmarks run in their own environment, .venv-bench: the project plus the `bench` extra (titanoboa, which
# brings vyper and py-evm, to measure against), so .venv and `make test` never see titanoboa.
BENCH_VENV := .venv-bench
BENCH_PY := $(BENCH_VENV)/bin/python
BENCH_STAMP := $(BENCH_VENV)/.installed

bench-env: $(BENCH_STAMP)

$(BENCH_STAMP): pyproject.toml
	@if ! $(BENCH_PY) -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then \
		echo "creating $(BENCH_VENV) with $(PYTHON)"; \
		$(PYTHON) -m venv --clear $(BENCH_VENV); \
	fi
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BENCH_PY) -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	@touch $(BENCH_STAMP)

# Every benchmark in one run (benchmarks/run.py), contractvm and titanoboa side by side; a few minutes.
bench: $(BENCH_STAMP)
	$(BENCH_PY) benchmarks/run.py

docs: $(STAMP)
	$(PY) -m contractvm.isa.docs

clean:
	rm -rf build dist .pytest_cache .hypothesis .ruff_cache *.egg-info
	find . \( -path ./$(VENV) -o -path ./.git \) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV)
