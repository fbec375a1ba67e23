# Two entry points for a fresh machine: `make demo` and `make test` (CI: `make lint test`).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
# The versions the tests pass with; updated on purpose (see its header).
PIP_INSTALL := $(BIN)/python -m pip install --quiet -c constraints.txt

.PHONY: demo test lint typecheck clean man

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# setup.py and the C source: the optional extension (verify/_sha1x2.c) is built at install.
EXT_SRC := setup.py $(wildcard src/preserve/*/*.c)

$(STAMP_RUN): $(BIN)/python pyproject.toml constraints.txt $(EXT_SRC)
	$(PIP_INSTALL) -e .
	touch $@

$(STAMP_TEST): $(BIN)/python pyproject.toml constraints.txt $(EXT_SRC)
	$(PIP_INSTALL) -e '.[test]'
	touch $@ $(STAMP_RUN)

# The test site is not installed with preserve: it is the testsite/ package beside src/.
demo: $(STAMP_RUN)
	PYTHONPATH=. $(BIN)/python -m testsite.demo demo-collection

test: $(STAMP_TEST)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# While working: every test but those marked slow (crash and replay tests, pywb, wget,
# external validators, long property runs); `make test` still runs them all.
.PHONY: test-fast
test-fast: $(STAMP_TEST)
	$(BIN)/python -m pytest -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP_TEST)
	$(BIN)/ruff check src tests bench eval scripts testsite
	$(BIN)/mypy

# The man page, from the same --help texts as docs/cli.md (scripts/gen_cli_docs.py).
man: $(STAMP_RUN)
	$(BIN)/python scripts/gen_cli_docs.py --man

clean:
	rm -rf $(VENV) demo-collection build src/*.egg-info
	find src -name '*.so' -delete
