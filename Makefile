# Two commands set everything up: `make demo` and `make test`. Both create or refresh .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: venv demo test test-faults lint proto proto-check clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip 'setuptools>=77'
	$(BIN)/pip install --quiet -e '.[dev,opf]'
	touch $(STAMP)

venv: $(STAMP)

# DEMO_ARGS: options of `gridledger demo`, e.g. `make demo DEMO_ARGS=--keep` (leave the network up, print its URLs)
demo: $(STAMP)
	$(BIN)/gridledger demo $(DEMO_ARGS)

test: $(STAMP) proto-check lint
	$(BIN)/pytest -q -m "not faults"

# The long runs: thousands of seeded BFT schedules, every Byzantine orderer mode on real processes, and 50 chaos
# schedules per consensus type (tests/chaos; GRIDLEDGER_CHAOS_SCHEDULES=N for more or fewer); then the fuzzers'
# long run (scripts/fuzz.py, docs/reliability.md "Fuzzing"; its REST part alone takes over an hour on 2 cores).
test-faults: $(STAMP)
	GRIDLEDGER_BFT_SEEDS=$${GRIDLEDGER_BFT_SEEDS:-1500} $(BIN)/pytest -q tests/orderer/bft
	$(BIN)/pytest -q -m faults
	$(BIN)/python scripts/fuzz.py --runs 100000 --grpc-inputs 10000 --rest-examples 10000 --rest-scenarios 200

lint: $(STAMP)
	$(BIN)/ruff check gridledger tests

proto: $(STAMP)
	$(BIN)/python scripts/protogen.py --out .

proto-check: $(STAMP)
	$(BIN)/python scripts/protogen.py --check

clean:
	rm -rf $(VENV) .pytest_cache

# ---- containers (docs/containers.md): no registry needed ----
# `make images` builds gridledger:latest from a local Debian base (`make base-image`, cached) and a wheelhouse made
# on the host; BASE_IMAGE=python:3.11-slim-bookworm builds from the official image instead. `make up` prepares
# .gridledger/ for deploy/networks/default.yaml, starts the committed docker-compose.yml and waits until every node
# is healthy; `make down` removes the containers (the volumes, and so the chains, stay).
COMPOSE ?= $(shell docker compose version >/dev/null 2>&1 && echo "docker compose" || echo docker-compose)
COMPOSE_PROJECT ?= gridledger-default
BASE_IMAGE ?= gridledger-base:py3.11-bookworm
IMAGE ?= gridledger:latest

.PHONY: base-image images monitoring-image up down

base-image:
	BASE_IMAGE=$(BASE_IMAGE) scripts/docker-base-image.sh

images: $(STAMP)
	BASE_IMAGE=$(BASE_IMAGE) IMAGE=$(IMAGE) PYTHON=$(BIN)/python scripts/docker-images.sh

# Prometheus from Debian's package for the compose profile `monitoring` (`COMPOSE_PROFILES=monitoring make up`).
monitoring-image:
	BASE_IMAGE=$(BASE_IMAGE) scripts/docker-monitoring-image.sh

up: $(STAMP)
	$(BIN)/python -m gridledger.ops.docker prepare --network deploy/networks/default.yaml \
		--project $(COMPOSE_PROJECT) --compose-file docker-compose.yml
	GRIDLEDGER_IMAGE=$(IMAGE) $(COMPOSE) --project-name $(COMPOSE_PROJECT) up --detach --remove-orphans
	$(BIN)/python -m gridledger.ops.docker wait

down:
	$(COMPOSE) --project-name $(COMPOSE_PROJECT) down --remove-orphans
