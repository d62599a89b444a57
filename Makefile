# Two commands from a fresh clone: `make run` (the main job) and `make test` (the suite).
# Both create .venv and install evalkit with its dev tools on first use (again only when
# pyproject.toml or constraints.txt change).

PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: run test setup

setup: $(STAMP)

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -e '.[dev]' -c constraints.txt
	touch $(STAMP)

run: $(STAMP)
	$(VENV)/bin/python examples/quickstart.py

test: $(STAMP)
	$(VENV)/bin/python -m pytest
