# cxlab developer entry points. The README's quick start is `make demo` and `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.cxlab-installed
export PYTHONHASHSEED := 0
export TZ := UTC
export MPLBACKEND := Agg

.PHONY: env demo test test-backends lint format lab bench lock clean

## env: create .venv from the lock file (every package pinned) and register the kernel
env: $(STAMP)
$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	$(BIN)/python -m ipykernel install --sys-prefix --name cxlab --display-name "Python (cxlab)" >/dev/null
	touch $(STAMP)

## demo: build the demo warehouse, render the quarterly pack, print where it is
demo: $(STAMP)
	$(BIN)/cxlab demo

## test: lint, format check, type check and the whole test suite (real DuckDB, kernels, browser)
test: $(STAMP)
	bash .ci/ensure-chromium
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy cxlab
	$(BIN)/python -m pytest -n 2 -q

## test-backends: the same analyses on PostgreSQL and Spark (servers the tests start);
## installs Debian's postgresql/Java if missing and requirements-backends.lock into .venv
BACKENDS_STAMP := $(VENV)/.cxlab-backends-installed
$(BACKENDS_STAMP): requirements-backends.lock $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c requirements.lock \
	  -r requirements-backends.lock
	touch $(BACKENDS_STAMP)

test-backends: $(BACKENDS_STAMP)
	bash .ci/ensure-backends
	$(BIN)/python -m pytest -q -m backends tests/backends

## lint: ruff and mypy (config in pyproject.toml: strict on the public API)
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy cxlab

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## lab: JupyterLab on notebooks/ with the project kernel (as root too, as in containers)
lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

## bench: the speed and memory benchmarks (on demand; writes benchmarks/_work)
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

## lock: re-resolve requirements.lock from pyproject.toml in a scratch venv
lock:
	rm -rf /tmp/cxlab-lock && $(PYTHON) -m venv /tmp/cxlab-lock
	/tmp/cxlab-lock/bin/python -m pip install --quiet --disable-pip-version-check ".[test]"
	( echo "# Every package pinned; regenerate with 'make lock'. Python 3.11, Linux."; \
	  /tmp/cxlab-lock/bin/python -m pip freeze --exclude cxlab ) > requirements.lock

clean:
	rm -rf $(VENV) reports/*.html reports/*.ipynb data/*.duckdb
