# Every target sets up what it needs: on a fresh machine `make demo` and `make test` just work.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PYTHON_OK := $(shell $(PYTHON) -c 'import sys; print(sys.version_info[:2] == (3, 11))' 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell test "$$(id -u)" = 0 || echo sudo)

.PHONY: install browser test test-fast lint demo bench clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt pyproject.toml
	@test "$(PYTHON_OK)" = "True" || { echo "physlab needs Python 3.11 (pybullet has no wheels for newer ones); set PYTHON=/path/to/python3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

# The browser test drives Debian's Chromium with Playwright (no browser download).
browser:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint browser
	$(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

demo: install
	$(BIN)/streamlit run app.py --server.address localhost --server.port $(PORT) --server.headless false --browser.gatherUsageStats false

bench: install
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_models.py
	$(BIN)/python benchmarks/bench_models.py --foreign
	$(BIN)/python benchmarks/bench_visibility.py
	$(BIN)/python benchmarks/bench_score.py

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache artifacts
