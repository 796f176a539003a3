# Two commands for a fresh machine with Python 3.11 and make:
#   make run   - install, migrate, seed the demo and serve on http://127.0.0.1:8000
#   make test  - install and run the whole test suite (lint, types, tests)
# `make run` needs no Node: the browser loads the client's modules as they
# are. Only `make test` installs the client's checks with npm.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Daphne's WebSocket transport limit, 4 MiB (config/serving.py says why).
DAPHNE_FLAGS := --websocket-max-message-size 4194304 --websocket-max-frame-size 4194304

.PHONY: run test install install-dev lint client-check synapse bench bench-quick soak reliability clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

install-dev: $(VENV)/.installed-dev

# Links in e-mails (invitations, escalations) go to SITE_URL: the address
# this serves on, unless SITE_URL is exported (a public URL behind a proxy).
# 0.0.0.0 binds every interface; the links then name this machine's loopback.
run: export SITE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/daphne -b $(HOST) -p $(PORT) $(DAPHNE_FLAGS) config.asgi:application

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

# The client's type checker and DOM library, exactly as package-lock.json
# pins them (npm ci starts from an empty node_modules/ every time it runs).
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The client: tsc checks every module's JSDoc types (tsconfig.json), then
# the unit tests that need no browser (tests/frontend/js/).
client-check: node_modules/.installed
	node_modules/.bin/tsc --noEmit -p tsconfig.json
	node --test --test-reporter=spec tests/frontend/js/*.test.js

# A real Matrix homeserver (Synapse) for the Matrix bridge's tests, in a venv
# of its own: its pins (Twisted and friends) clash with ours. The tests start
# it on loopback (tests/matrix/synapse.py).
SYNAPSE_VENV := .venv-synapse
$(SYNAPSE_VENV)/.installed: tests/matrix/requirements.txt
	$(PYTHON) -m venv $(SYNAPSE_VENV)
	$(SYNAPSE_VENV)/bin/pip install --quiet -r tests/matrix/requirements.txt
	touch $@

synapse: $(SYNAPSE_VENV)/.installed

# Uses PostgreSQL and Redis on their standard local ports when they answer
# (required when CI=true), the embedded defaults otherwise. Then the tests
# marked `embedded` (search, whose engine differs) run again on SQLite.
# In parallel (pytest-xdist): one worker per CPU, at most 4 (each drives
# browsers and Daphne processes of its own, and holds PostgreSQL connections
# from a shared 100); TEST_WORKERS=0 (or PYTEST_ARGS="-n 0") runs one process.
TEST_WORKERS ?= auto
test: lint client-check synapse
	@eval "$$($(BIN)/python tests/services.py)" && \
	  $(BIN)/python manage.py makemigrations --check --dry-run >/dev/null && \
	  $(BIN)/pytest -n $(TEST_WORKERS) --maxprocesses 4 $(PYTEST_ARGS)
	env -u DATABASE_URL -u REDIS_URL CAUSEWAY_TEST_EMBEDDED=1 $(BIN)/pytest -m embedded -p no:cacheprovider

$(VENV)/.installed-bench: bench/requirements.txt $(VENV)/.installed-dev
	$(BIN)/pip install --quiet -r bench/requirements.txt
	touch $@

# Benchmarks (never part of `make test`): real Daphne, Redis and PostgreSQL,
# three baselines in the same run; see docs/performance.md.
bench: $(VENV)/.installed-bench
	$(BIN)/python -m bench

bench-quick: $(VENV)/.installed-bench
	$(BIN)/python -m bench --quick

# Reliability: the fault, fuzz and isolation tests, then the 10-minute soak
# and reconnect storm; see docs/reliability.md.
reliability: install-dev synapse
	@eval "$$($(BIN)/python tests/services.py)" && $(BIN)/pytest tests/reliability tests/rooms/test_live.py tests/rooms/test_bridge_faults.py tests/matrix/test_faults.py
	$(BIN)/python -m bench.soak

soak: install-dev
	$(BIN)/python -m bench.soak

clean:
	rm -rf $(VENV) $(SYNAPSE_VENV) node_modules .pytest_cache .mypy_cache .ruff_cache staticfiles test-artifacts
