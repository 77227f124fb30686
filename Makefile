# Every target sets up what it needs: on a fresh machine `make demo` and `make test` just work.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
PYTHON_OK := $(shell $(PYTHON) -c 'import sys; print(sys.version_info[:2] == (3, 11))' 2>/dev/null)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8501

CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell test "$$(id -u)" = 0 || echo sudo)

.PHONY: install reinstall browser test test-fast lint demo dashboard-data bench clean

# The venv is (re)installed when the pins' content changes, not their file times: a fresh checkout or
# a `git pull` that leaves the pins alone installs nothing.
PINS := $(shell cat requirements.txt pyproject.toml | cksum | cut -d' ' -f1)

install:
	@test "$$(cat $(VENV)/.installed 2>/dev/null)" = "$(PINS)" || $(MAKE) --no-print-directory reinstall

# setuptools' notice about editable installs (a banner of asterisks on every install, about folders named like
# the package) is silenced by its message alone: it asks nothing of the user.
reinstall:
	@test "$(PYTHON_OK)" = "True" || { echo "physlab needs Python 3.11 (pybullet has no wheels for newer ones); set PYTHON=/path/to/python3.11" >&2; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -W "ignore:Editable installation" -m pip install --quiet --no-deps -e .
	echo "$(PINS)" > $(VENV)/.installed

# The browser test drives Debian's Chromium with Playwright (no browser download).
browser:
	@test -x $(CHROMIUM) || { $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq chromium >/dev/null; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: lint browser
	PHYSLAB_CHROMIUM=$(CHROMIUM) $(BIN)/python -m pytest

test-fast: install
	$(BIN)/python -m pytest -m "not slow"

# Settings every run shares are in .streamlit/config.toml (no e-mail prompt, no usage statistics, no
# Deploy button). Streamlit opens a browser itself when there is a display (its default `server.headless`
# is true on Linux without DISPLAY or WAYLAND_DISPLAY), so the same command serves from a script, over
# ssh or in CI. The demo does not watch files: a large tree overflows inotify's queue.
demo: install
	$(BIN)/python -m streamlit run app.py --server.port $(PORT) --server.fileWatcherType none < /dev/null

# What the dashboard opens with (dashboard/data/), remade after a bundled model changes (about 15 minutes
# on 2 cores); tests/test_precomputed.py fails until it is.
dashboard-data: install
	$(BIN)/python -m dashboard.precomputed

bench: install
	$(BIN)/python benchmarks/bench_generate.py
	$(BIN)/python benchmarks/bench_models.py
	$(BIN)/python benchmarks/bench_models.py --foreign
	$(BIN)/python benchmarks/bench_visibility.py
	$(BIN)/python benchmarks/bench_score.py
	$(BIN)/python benchmarks/bench_resolution.py
	$(BIN)/python benchmarks/bench_generalization.py --held-out heldout_dusk,heldout_gif_corner,heldout_mpeg4_portrait --factors --ablations
	$(BIN)/python benchmarks/bench_pools.py
	$(BIN)/python benchmarks/bench_foresight.py
	$(BIN)/python benchmarks/bench_planning.py
	$(BIN)/python benchmarks/bench_world_model.py --world push

clean:
	rm -rf $(VENV) *.egg-info .pytest_cache .ruff_cache artifacts
