# baton: `make install` sets up .venv (idempotent, quick when done); `make test` runs the tests.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DB ?= demo.db
RUN_DB ?= baton-ui.db
PORT ?= 8501

.PHONY: install run demo test lint clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Start a worker and the web app on http://127.0.0.1:$(PORT) with the shipped examples in a new database.
run: install
	$(BIN)/baton ui --db $(RUN_DB) --port $(PORT) --fresh --load examples/tasks.jsonl --demo-users

demo: install
	rm -f $(DB) $(DB)-wal $(DB)-shm
	$(BIN)/baton run examples/tasks.jsonl --db $(DB)
	@echo
	@echo "review queue:"
	$(BIN)/baton queue --db $(DB)

test: install
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts
