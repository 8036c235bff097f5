# The two commands of the README: `make run` and `make test`. Both build .venv from the pinned constraints.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install run test test-model lint lock clean bench-search bench-load messages

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/python -m config.devstack

test: install
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

# The disclosure model's long run (tests/test_disclosure_model.py): 50,000 steps with a new seed, printed so that a
# failure can be repeated with DISCLOSURE_MODEL_SEED=<seed>. CI runs 2,000 on each backend as part of `make test`.
DISCLOSURE_MODEL_STEPS ?= 50000
test-model: install
	DISCLOSURE_MODEL_STEPS=$(DISCLOSURE_MODEL_STEPS) DISCLOSURE_MODEL_SEED=$${DISCLOSURE_MODEL_SEED:-$$(date +%s)} \
		$(BIN)/python -m pytest -n auto -rP tests/test_disclosure_model.py $(PYTEST_ARGS)

# The layer contracts of pyproject.toml's [tool.importlinter], then ruff.
lint: install
	$(BIN)/lint-imports
	$(BIN)/ruff check .

# Evidence search timings at 100,000 records (bench/README.md). Needs DATABASE_URL naming an empty PostgreSQL
# database, e.g. `createdb bench && DATABASE_URL=postgres://localhost/bench make bench-search`.
bench-search: install
	$(BIN)/python -m bench.search $(BENCH_ARGS)

# The site under 20 signed-in clients: gunicorn, redis-server, a Celery worker and locust (bench/README.md). Same
# DATABASE_URL as bench-search (the two share the seeded data); needs Debian's redis-server.
bench-load: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[bench]'
	$(BIN)/python -m bench.load $(BENCH_ARGS)

# Refresh the translations after marking strings: collect every marked string into locale/zh_Hans (new ones get an
# empty msgstr to translate), then compile the .mo files, which are committed so that no machine needs gettext to
# run the site. Needs GNU gettext (apt-get install gettext).
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore '.venv/*' --ignore 'var/*' \
		--ignore 'bench/*' --ignore 'tests/*' --ignore 'disentangle.egg-info/*'
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore '.venv/*'

# Re-resolve the newest versions allowed by pyproject.toml and pin them in constraints.txt.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	.lock-venv/bin/python -m pip freeze --exclude-editable | grep -v '^pip==' > constraints.txt
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) var/test-* .pytest_cache
