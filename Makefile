# Digest Desk: every target sets up (or reuses) .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)

.PHONY: run test test-core test-postgres bench screenshots package lint clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m digestdesk $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q

test-core: $(STAMP)
	$(PY) -m pytest -q tests/core

# The core suite against PostgreSQL (DIGESTDESK_DATABASE_URL must name a database).
test-postgres: $(STAMP)
	$(PY) -m pytest -q tests/core -m "not slow"

bench: $(STAMP)
	$(PY) tests/benchmarks/run_all.py $(BENCH_ARGS)

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m digestdesk.ui.screenshots docs/screenshots

package: $(STAMP)
	$(PY) -m pip install --quiet -e ".[package]"
	bash packaging/build.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check desktop tests
	$(VENV)/bin/mypy desktop/digestdesk

clean:
	rm -rf build dist .pytest_cache
