# Steel EPD Platform — the two commands a new user types: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint install demo bench bench-publish bench-import bench-sign bench-registry system-run system-test

## The system packages (Python 3.11, Pango, CJK fonts, gettext; for tests poppler-utils and Chromium):
## installed with apt-get as root on Debian/Ubuntu, otherwise named with the command that installs them.
system-run:
	@PYTHON=$(PYTHON) scripts/check_system.sh run

system-test:
	@PYTHON=$(PYTHON) scripts/check_system.sh test

$(VENV)/.installed: requirements.txt requirements-dev.txt | system-run
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

## make run: SQLite, tasks in-process, files under var/, demo data, http://127.0.0.1:8000
run: system-run install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py seed_demo
	$(PY) manage.py runserver 127.0.0.1:8000

## make test: the whole suite. With DATABASE_URL and REDIS_URL set it runs on PostgreSQL with a real
## Celery worker on Redis, and nothing is skipped.
## One pytest process per core (pytest-xdist): each has its own test database and cache prefix, and the worker
## tests start their own private Redis, so parallel processes cannot see each other's tasks.
test: system-test install
	$(VENV)/bin/pytest -n auto

lint: install
	$(VENV)/bin/ruff check .

## make bench: the benchmarks of docs/benchmarks.md (figures printed; nothing here is a pass/fail test).
bench: bench-publish bench-import bench-sign bench-registry

bench-publish: install
	taskset -c 0 $(PY) bench/bench_publish.py --runs 10

bench-import: install
	$(PY) bench/bench_import.py --files 1000

bench-sign: install
	$(PY) bench/bench_sign.py --entries 100000

## 100,000 EPDs on PostgreSQL (127.0.0.1:5432, database bench_registry, kept between runs), gunicorn, wrk
bench-registry: install
	$(PY) bench/bench_registry.py --count 100000 --database $${BENCH_DATABASE:-bench_registry}
