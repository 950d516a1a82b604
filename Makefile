.DEFAULT_GOAL := help
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
# Python writes its bytecode cache even where the machine's environment says not to: the
# suite starts hundreds of Python processes (test workers, servers, CLI calls), and each
# compiled the project's modules again (collection alone took 18 s instead of 9 s).
unexport PYTHONDONTWRITEBYTECODE

help: ## show the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## set up .venv, translations and the database (quick when nothing changed)
	$(VENV)/bin/survey-app compile-translations
	$(VENV)/bin/survey-app db upgrade

run: install ## serve the app on http://127.0.0.1:8000 (SQLite under var/)
	$(VENV)/bin/survey-app serve --host 127.0.0.1 --port 8000

lint: $(STAMP) ## ruff, mypy and the import contracts (layering)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy survey_app analysis
	$(VENV)/bin/lint-imports

PG_TEST_URL := postgresql+psycopg://postgres@127.0.0.1:5432/test

# The SQLite pass ignores a SURVEY_TEST_DATABASE_URL from the environment (else both passes
# would run on PostgreSQL); the PostgreSQL pass uses it when set, the local server if not,
# starting an installed but stopped local cluster first. Either pass failing fails `make`.
system-deps: ## Debian packages the tests need (Chromium, PostgreSQL, fonts, ...); quick if present
	bash .ci/system-deps

test: system-deps install lint ## lint, then the whole suite on SQLite and on PostgreSQL
	env -u SURVEY_TEST_DATABASE_URL $(VENV)/bin/python -m pytest -n 2 --dist loadgroup -q
	@if [ -z "$${SURVEY_TEST_DATABASE_URL:-}" ] && ! pg_isready -q -h 127.0.0.1 -p 5432; then \
		for version in $$(ls /etc/postgresql 2>/dev/null); do \
			pg_ctlcluster --skip-systemctl-redirect $$version main start || true; \
		done; \
		for _ in $$(seq 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
		pg_isready -q -h 127.0.0.1 -p 5432 || { \
			echo "no PostgreSQL on 127.0.0.1:5432: run .ci/system-deps as root" >&2; exit 1; }; \
	fi
	SURVEY_TEST_DATABASE_URL=$${SURVEY_TEST_DATABASE_URL:-$(PG_TEST_URL)} \
		$(VENV)/bin/python -m pytest -n 2 --dist loadgroup -q -m "not browser"

bench: install ## benchmarks (not part of make test); BENCH_ARGS="--quick" or names, see bench/README.md
	$(VENV)/bin/python -m bench $(BENCH_ARGS)

.PHONY: help install run lint system-deps test bench
