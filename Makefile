# Everything installs into .venv/ at the repository root; nothing global.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test test-fast bench clean

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Grade the bundled sample submission (it has a few realistic mistakes, so
# `grade` exits 1; the demo still succeeds when both reports were written).
demo: install
	$(BIN)/grade fixtures/regularization/sample --assignment regularization \
		--json reports/sample.json --html reports/sample.html; \
		status=$$?; test $$status -le 1 && test -s reports/sample.json && test -s reports/sample.html
	@echo "reports written: reports/sample.html reports/sample.json"

test: install
	$(BIN)/python -m pytest -q

# The quick loop while developing: everything but the tests marked slow.
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

bench: install
	$(BIN)/python bench/bench.py

clean:
	rm -rf $(VENV) reports/*.json reports/*.html
