# Every target sets up what it needs: on a fresh machine `make demo` and `make test` just work.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

.PHONY: install test test-fast lint demo bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

demo: install
	$(BIN)/streamlit run app.py --server.address localhost --server.port $(PORT) --server.headless false --browser.gatherUsageStats false

bench: install
	$(BIN)/python benchmarks/bench_generate.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache
