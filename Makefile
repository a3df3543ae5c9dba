# Two commands on a fresh machine: `make serve` and `make test`. Each builds its own venv.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: serve test lint messages clean decap-server

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-serve: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@ $(VENV)/.installed-serve

serve: $(VENV)/.installed-serve node_modules/.installed  ## serve the sample content with gunicorn at http://127.0.0.1:8000
	$(BIN)/gunicorn app:app

# From package-lock.json: Decap CMS and decap-server for the editor at /admin/, axe-core and
# Lighthouse for the browser tests (Chromium itself comes from apt: see README).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: no editor at /admin/, and the browser checks are skipped (CI=true fails them)"; fi

# The editor on one machine (FLASK_DECAP_BACKEND=local): decap-server commits what editors
# save in the git repository CONTENT_REPO (a clone of the content, never this checkout:
# decap-server commits everything in its working tree and checks out branches there).
DECAP_PORT ?= 8081
decap-server: node_modules/.installed  ## run decap-server in git mode on CONTENT_REPO, port 8081
	@test -n "$(CONTENT_REPO)" || { echo "usage: make decap-server CONTENT_REPO=path/to/content-clone"; exit 2; }
	MODE=git GIT_REPO_DIRECTORY="$(CONTENT_REPO)" PORT=$(DECAP_PORT) BIND_HOST=127.0.0.1 \
		node node_modules/decap-server/dist/index.js

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
