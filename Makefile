# Two commands set everything up: `make demo` and `make test`. Both create or refresh .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test lint proto proto-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/gridledger demo

test: $(STAMP) proto-check lint
	$(BIN)/pytest -q

lint: $(STAMP)
	$(BIN)/ruff check gridledger tests

proto: $(STAMP)
	$(BIN)/python scripts/protogen.py --out .

proto-check: $(STAMP)
	$(BIN)/python scripts/protogen.py --check

clean:
	rm -rf $(VENV) .pytest_cache
