# The two commands a new user needs on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
AL     := $(BIN)/activelearn
DEMO   := demo/penguins

.PHONY: demo test test-full clean

$(VENV)/.python-ok:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "activelearn needs Python >= 3.11; try: make PYTHON=python3.12 $(MAKECMDGOALS)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	@touch $@

$(VENV)/.installed: $(VENV)/.python-ok pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(VENV)/.installed-dev: $(VENV)/.python-ok pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@ $(VENV)/.installed

# One real round of the loop on sample_data/penguins.csv, as a user would type it.
demo: $(VENV)/.installed
	rm -rf $(DEMO)
	@echo "== init: a project from the penguins data (6 of 344 rows labeled)"
	$(AL) init $(DEMO) --data sample_data/penguins.csv --label-column species
	@echo "== train on the labels there are"
	$(AL) -C $(DEMO) train
	@echo "== query: the 10 rows whose labels would teach the model most"
	$(AL) -C $(DEMO) query -n 10
	@echo "== [demo only] playing the person: fill the batch from the known answers"
	$(BIN)/python sample_data/play_labeler.py $(DEMO)/batches/batch-0001.csv sample_data/penguins_answers.csv
	@echo "== import the answers, retrain, and see where we are"
	$(AL) -C $(DEMO) import-labels batches/batch-0001.csv
	$(AL) -C $(DEMO) train
	$(AL) -C $(DEMO) status

# The suite on every core (pytest-xdist, a dev extra); tests that share an expensive fixture or
# must not overlap carry an xdist_group marker, which --dist loadgroup keeps on one worker.
PYTEST_PARALLEL ?= -n auto --dist loadgroup

test: $(VENV)/.installed-dev
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL)

# the suite with the full-size forms of the system tests (marked slow) as well; by hand, ~+5 min
test-full: $(VENV)/.installed-dev
	$(BIN)/python -m pytest -q $(PYTEST_PARALLEL) -m "slow or not slow"

clean:
	rm -rf $(VENV) demo .pytest_cache .hypothesis
