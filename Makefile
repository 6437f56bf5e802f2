# Quick start: `make run` (serve on the embedded SQLite store) and `make test` (the whole suite).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run bytecode test lint typecheck unit bench clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

run: install bytecode
	@# Two HTTP worker processes and the change-feed processor in the supervising process
	@# (docs/performance.md, "Throughput, round 2").
	$(BIN)/campaigns serve --workers 2

bytecode: install
	@# The sources compiled once, as an installed package's are: the processes started later
	@# (HTTP workers, a rebuild's replay workers) read it even where PYTHONDONTWRITEBYTECODE
	@# keeps Python from writing it.
	@$(BIN)/python -m compileall -q src

lint: install
	$(BIN)/ruff check src tests bench function_app.py
	$(BIN)/ruff format --check src tests bench function_app.py
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	@# pytest exits 5 when it collected nothing: that is a failure here, never a silent pass.
	@$(BIN)/pytest tests; status=$$?; \
	  if [ $$status -eq 5 ]; then echo 'pytest collected no tests' >&2; exit 1; fi; exit $$status

unit: install
	$(BIN)/pytest tests/unit

bench: bytecode
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) .ledger .mypy_cache .ruff_cache
