# Entry points for development, CI and operations. Needs only python3.11 and make:
# everything else is installed into .venv from requirements.lock.

PYTHON ?= python3.11
VENV ?= .venv
# A local demo listens on this machine only; HOST=0.0.0.0 make run to share it.
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
BENCH_ARGS ?=

PY := $(VENV)/bin/python
CLI := $(PY) -m app.cli
# Reinstall only when the pinned dependencies or the project metadata change.
STAMP := $(VENV)/.installed
PIP := $(PY) -m pip --disable-pip-version-check

.DEFAULT_GOAL := help
.PHONY: demo-flags help install migrate seed admin-key run test fuzz lint format bench mutate clean

help:
	@echo "make run      install, migrate, seed the demo salon, then serve on port $(PORT)"
	@echo "make test     install, then run the tests (SQLite + in-memory cache;"
	@echo "              MariaDB/Redis too when TEST_MYSQL_URL / TEST_REDIS_URL are set)"
	@echo "make install  create $(VENV) and install the pinned dependencies"
	@echo "make migrate  upgrade the database in DATABASE_URL to the latest schema"
	@echo "make seed     create the demo salon (once) and print its API key"
	@echo "make fuzz     a deeper API fuzz run than make test's (FUZZ_EXAMPLES=200, a new seed)"
	@echo "make lint     ruff check and format check;  make format  fixes both"
	@echo "make bench    load benchmarks driven by wrk (bench/README.md; BENCH_ARGS=--help)"
	@echo "make mutate   mutation score per module of the pure core (mutmut; not in CI)"
	@echo "make clean    remove $(VENV) and caches (keeps data/ and .env)"

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@test -x $(PY) || command -v $(PYTHON) >/dev/null || { \
		echo "error: $(PYTHON) not found: install Python 3.11, or run make PYTHON=/path/to/python3.11" >&2; \
		exit 1; }
	@test -x $(PY) || { echo "Creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	@echo "Installing pinned dependencies from requirements.lock into $(VENV)"
	@$(PIP) install --quiet -r requirements.lock
	@$(PIP) install --quiet --no-deps -e .
	@touch $@

migrate: install
	@$(CLI) migrate

seed: install
	@$(CLI) seed-demo --base-url http://localhost:$(PORT)

# An admin key for creating companies, kept in .env (which git ignores).
admin-key: install
	@touch .env
	@if [ -n "$$ADMIN_API_KEY" ]; then \
		echo "Admin API key: taken from the ADMIN_API_KEY environment variable"; \
	else \
		if ! grep -q "^ADMIN_API_KEY=." .env; then \
			[ -z "$$(tail -c1 .env)" ] || echo >> .env; \
			echo "ADMIN_API_KEY=adm_$$($(PY) -c "import secrets; print(secrets.token_urlsafe(32))")" >> .env; \
			echo "Generated an admin API key into .env"; \
		fi; \
		echo "Admin API key (ADMIN_API_KEY in .env): $$(grep "^ADMIN_API_KEY=" .env | tail -n1 | cut -d= -f2-)"; \
	fi

# The demo's Colour service shows processing time only with the master flag on; an
# operator's own choice in .env or the environment is left alone.
demo-flags:
	@touch .env
	@if [ -z "$$FEATURE_PROCESSING_TIME_ENABLED" ] && ! grep -q "^FEATURE_PROCESSING_TIME_ENABLED=" .env; then \
		[ -z "$$(tail -c1 .env)" ] || echo >> .env; \
		echo "FEATURE_PROCESSING_TIME_ENABLED=true" >> .env; \
		echo "Switched processing time on in .env (FEATURE_PROCESSING_TIME_ENABLED=true)"; \
	fi

run: install
	@$(CLI) migrate
	@echo
	@$(CLI) seed-demo --base-url http://localhost:$(PORT)
	@echo
	@$(MAKE) --no-print-directory admin-key demo-flags
	@echo
	@echo "Serving on http://localhost:$(PORT) (API docs at /docs); Ctrl-C stops."
	@$(VENV)/bin/uvicorn --factory app.main:run_app --host $(HOST) --port $(PORT)

test: install
	$(PY) -m pytest $(PYTEST_ARGS)

# The schemathesis stage of make test with many more examples per operation and a fresh
# seed each run; the seed is printed, FUZZ_SEED=<seed> replays a run.
FUZZ_EXAMPLES ?= 200
fuzz: install
	FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) FUZZ_SEED=$${FUZZ_SEED:-$$(date +%s)} \
		$(PY) -m pytest tests/test_api_fuzz.py -v -s $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

bench: install
	@test -d bench || { echo "error: bench/ is not in this checkout" >&2; exit 1; }
	$(PY) -m bench $(BENCH_ARGS)

# Mutation testing of the pure core (tools/mutation_report.py; not part of make test or CI).
# MUTATE_ARGS=--no-run reports the last run again; MUTATE_ARGS="--tests tests" uses the
# whole suite instead of [tool.mutmut]'s fast tests.
mutate: install
	nice -n 10 $(PY) tools/mutation_report.py $(MUTATE_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
