# The two commands: `make run` and `make test`. Both create .venv on first use and reinstall
# only when pyproject.toml changes; pip's cache keeps the compiled llama-cpp-python wheel.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint bench clean-venv

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "Installing EvalStudio and its dependencies (first time: ~7 min, llama-cpp-python compiles)"
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/evalstudio app

lint: $(STAMP)
	$(BIN)/ruff check evalstudio tests bench
	$(BIN)/ruff format --check evalstudio tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/bench_import.py
	$(BIN)/python bench/bench_next_item.py

clean-venv:
	rm -rf $(VENV)
