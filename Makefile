# Rescind — the two commands a newcomer needs are `make run` and `make test`.
# Both create .venv and install the project on first use; later runs reuse it.

PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install run seed test lint format worker beat bench clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	@touch $@

# Links in customer messages point where the app is served (SITE_URL), also on another
# port: `make run PORT=8001`.
seed run: export SITE_URL ?= http://$(HOST):$(PORT)

seed: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo --url $(SITE_URL)

run: seed
	$(PY) manage.py runserver $(HOST):$(PORT)

# pytest exits 5 when it collects no test: that is reported, not hidden as a pass.
test: install
	$(PY) -m pytest $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; fi; exit $$rc

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports --no-cache
	DATABASE_URL=sqlite:////tmp/rescind-makemigrations.sqlite3 $(PY) manage.py makemigrations --check --dry-run

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

worker: install
	$(VENV)/bin/celery -A config worker --loglevel INFO

beat: install
	$(VENV)/bin/celery -A config beat --loglevel INFO

# PostgreSQL + Redis only (DATABASE_URL, REDIS_URL); `make bench SCALE=0.01` is a smoke run.
bench: install
	$(PY) -m bench.run $(if $(SCALE),--scale $(SCALE)) $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles .pytest_cache
