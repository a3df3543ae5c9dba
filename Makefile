# Two commands on a fresh machine: `make serve` and `make test`. Each builds its own venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve test lint messages clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-serve: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-serve

serve: $(VENV)/.installed-serve  ## serve the sample content with gunicorn at http://127.0.0.1:8000
	$(BIN)/gunicorn app:app

# axe-core and Lighthouse for the browser tests (Chromium itself comes from apt: see README).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: browser accessibility checks will be skipped (CI=true fails them)"; fi

test: $(VENV)/.installed-test node_modules/.installed  ## set up and run every test
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# The interface's strings: extract the English ones from the code and templates, bring each
# language's catalogue up to date (translators then fill in what is new) and compile them.
# The compiled .mo files are committed, so a checkout serves every language as it is.
TRANSLATIONS := blog/translations
messages: $(VENV)/.installed-test  ## extract, update and compile the interface's translations
	$(BIN)/pybabel --quiet extract -F babel.cfg --no-location --omit-header --sort-output -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel --quiet update --no-fuzzy-matching -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS)
	$(BIN)/pybabel --quiet compile --use-fuzzy -d $(TRANSLATIONS)

clean:
	rm -rf $(VENV) .pytest_cache node_modules
