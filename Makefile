# Digest Desk: every target sets up (or reuses) .venv itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml requirements.lock | cksum | cut -d' ' -f1)
export QT_QPA_PLATFORM ?= $(if $(DISPLAY)$(WAYLAND_DISPLAY),,offscreen)

.PHONY: run test test-core test-postgres bench screenshots package deb lock lint clean

# The exact versions, checked against their hashes (requirements.lock), then the app itself.
$(STAMP): pyproject.toml requirements.lock
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet -e ".[test,dev]"
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)
	$(PY) -m digestdesk $(ARGS)

test: $(STAMP)
	$(PY) -m pytest -q

test-core: $(STAMP)
	$(PY) -m pytest -q tests/core

# The core suite against PostgreSQL (DIGESTDESK_DATABASE_URL must name a database), then the
# window tests that need a server (two members' windows).
test-postgres: $(STAMP)
	$(PY) -m pytest -q tests/core -m "not slow"
	$(PY) -m pytest -q tests/ui -m postgres

bench: $(STAMP)
	$(PY) tests/benchmarks/run_all.py $(BENCH_ARGS)

screenshots: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m digestdesk.ui.screenshots docs/screenshots

package: $(STAMP)
	bash packaging/build.sh

# The .deb (needs dpkg-deb and binutils): dist/digestdesk_VERSION_ARCH.deb
deb: package
	bash packaging/build_deb.sh

lint: $(STAMP)
	$(VENV)/bin/ruff check desktop tests
	$(VENV)/bin/mypy desktop/digestdesk

# Re-resolve requirements.lock from pyproject.toml's ranges (newest compatible versions, with
# hashes); run the tests after.
lock:
	$(PY) -m pip install --quiet pip-tools==7.6.2
	$(PY) -m piptools compile --quiet --generate-hashes --allow-unsafe --strip-extras \
	    --no-emit-index-url --no-emit-find-links --extra test --extra dev --extra package \
	    --extra postgres -o requirements.lock pyproject.toml

clean:
	rm -rf build dist .pytest_cache
