# Two commands on a fresh machine: `make book` builds the book, `make test` runs
# every test. Both create the virtual environment in .venv and install the
# pinned requirements first; nothing else has to be installed by hand.

VENV   := .venv
PYTHON := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp

# Offline datasets: a reader's machine downloads MNIST through Keras. Machines that
# keep the original IDX files next to the repository (CI, a computer lab) use them
# unless CNNBOOK_DATA_DIR already names another copy.
SHARED_DATA := $(abspath ../shared/data)
ifeq ($(origin CNNBOOK_DATA_DIR),undefined)
ifneq ($(wildcard $(SHARED_DATA)/mnist),)
export CNNBOOK_DATA_DIR := $(SHARED_DATA)
endif
endif
# The same environment for `make outputs` and for nbval, so stored outputs match.
export PYTHONHASHSEED := 0

NBVAL := --nbval --nbval-current-env --nbval-cell-timeout=1200 \
         --nbval-sanitize-with tests/nbval_sanitize.cfg

.PHONY: install book test outputs assignments clean

install: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	python3 -m venv $(VENV)
	$(PYTHON) -m pip install --quiet --upgrade pip
	$(PYTHON) -m pip install --quiet -r requirements.txt
	touch $@

## book: build the HTML book from the notebooks' stored outputs (no retraining)
book: assignments
	$(VENV)/bin/jb build . --all -W --keep-going

## assignments: student and instructor editions of every notebook, in build/site/assignments
assignments: $(STAMP)
	$(PYTHON) -m cnnbook.editions notebooks build/site

## test: unit tests, every notebook under nbval, the book build and checks of its HTML
test: $(STAMP)
	$(PYTHON) -m pytest tests notebooks $(NBVAL) --ignore=tests/test_html.py
	$(MAKE) book
	$(PYTHON) -m pytest tests/test_html.py

## outputs: re-execute every notebook in place, top to bottom in a fresh kernel, as nbval does
outputs: $(STAMP)
	$(PYTHON) tools/execute_notebooks.py notebooks/*.ipynb

clean:
	rm -rf _build build
