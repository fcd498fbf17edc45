# Vigil: two commands do all set-up on a fresh clone (Python 3.11+, make, Node.js/npm).
#   make demo   virtualenv, install, build the front-end, migrate SQLite, load demo data, serve
#   make test   install what tests need and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

# The whole suite runs on every CPU (pytest-xdist); pass PYTEST_ARGS to narrow it instead.
PYTEST_ARGS ?= -n auto

RUNTIME_STAMP := $(VENV)/.runtime-installed
TEST_STAMP    := $(VENV)/.test-installed
ASSETS_STAMP  := vigil/core/static/vendor/.built

.PHONY: demo test lint bench audit lock assets clean messages

demo: $(RUNTIME_STAMP) $(ASSETS_STAMP)
	$(BIN)/vigil init
	$(BIN)/vigil demo
	@echo "Open http://$(HOST):$(PORT)/ and sign in as above."
	$(BIN)/vigil serve --host $(HOST) --port $(PORT)

test: $(TEST_STAMP) $(ASSETS_STAMP) lint
	mkdir -p "$${VIGIL_DATA_DIR:-var}"  # where the migration history check looks
	VIGIL_ENV=test $(BIN)/vigil makemigrations --check --dry-run
	$(BIN)/bandit -q -c pyproject.toml -r vigil --severity-level high
	$(BIN)/pytest $(PYTEST_ARGS); status=$$?; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests"; status=0; fi; \
	  exit $$status

lint: $(TEST_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache

bench: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.intake
	$(BIN)/python -m benchmarks.risk
	$(BIN)/python -m benchmarks.clocks
	$(BIN)/python -m benchmarks.regrade
	$(BIN)/python -m benchmarks.search
	$(BIN)/python -m benchmarks.audit
	$(BIN)/python -m benchmarks.api_contract
	$(BIN)/python -m benchmarks.pages
	$(BIN)/python -m benchmarks.load
	$(BIN)/python -m benchmarks.hashsets
	$(BIN)/python -m benchmarks.triage
	$(BIN)/python -m benchmarks.pdq

# Needs the network to reach the vulnerability database; not part of `make test`.
audit: $(TEST_STAMP)
	$(BIN)/pip install -q pip-audit
	$(BIN)/pip-audit -r requirements.lock

# After marking or changing a message for translation: gather every app's messages into its
# Welsh catalogue (vigil/APP/locale/cy/LC_MESSAGES/django.po), then translate the new ones there
# and run this again to compile them (the .mo files are committed beside their .po files).
messages: $(TEST_STAMP)
	for locale in vigil/*/locale; do \
	  (cd $$(dirname $$locale) && DJANGO_SETTINGS_MODULE=vigil.settings PYTHONPATH=$(CURDIR) \
	   $(CURDIR)/$(BIN)/django-admin makemessages -l cy --add-location file --no-obsolete) || exit 1; \
	done
	cd vigil && DJANGO_SETTINGS_MODULE=vigil.settings PYTHONPATH=$(CURDIR) $(CURDIR)/$(BIN)/django-admin compilemessages -l cy

# Re-pin every dependency after changing pyproject.toml.
lock: $(TEST_STAMP)
	$(BIN)/pip freeze --exclude-editable | grep -v '^vigil' > requirements.lock

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(RUNTIME_STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e .
	touch $@

$(TEST_STAMP): pyproject.toml requirements.lock | $(BIN)/python
	$(BIN)/pip install -q --disable-pip-version-check -c requirements.lock -e '.[test]'
	touch $(RUNTIME_STAMP) $@

assets: $(ASSETS_STAMP)

$(ASSETS_STAMP): package.json package-lock.json frontend/*
	npm ci --no-audit --no-fund --loglevel=error
	npm run --silent build
	touch $@

clean:
	rm -rf $(VENV) node_modules vigil/core/static/vendor .pytest_cache .ruff_cache
