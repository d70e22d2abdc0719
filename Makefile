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

.PHONY: install book test outputs assignments clean colab-check check-html

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
	$(PYTHON) -m pytest tests notebooks $(NBVAL) --ignore=tests/test_html.py --ignore=tests/test_browser.py \
	  --ignore=tests/test_launch_links.py
	$(MAKE) book
	$(MAKE) check-html

# The browser test drives Debian's Chromium: Playwright's own browser download needs
# the internet, Debian's package mirror does not.
CHROMIUM := /usr/bin/chromium
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium

## check-html: checks of the built book (`make book` first): its HTML, then every page
## opened in headless Chromium with the network blocked (screenshots in _build/screenshots)
check-html: $(STAMP) $(CHROMIUM)
	$(PYTHON) -m pytest tests/test_html.py tests/test_launch_links.py tests/test_browser.py

## outputs: re-execute every notebook in place, top to bottom in a fresh kernel, as nbval does
outputs: $(STAMP)
	$(PYTHON) tools/execute_notebooks.py notebooks/*.ipynb

# The Colab drift guard's own venv, at the versions Colab ships. Colab runs Python 3.13:
# use it if this machine has it (a pyenv shim may be on PATH and still not run, hence
# the probe), else python3, with a notice.
COLAB_VENV   := .venv-colab
COLAB_STAMP  := $(COLAB_VENV)/.installed-stamp
PYENV_313    := $(lastword $(wildcard $(HOME)/.pyenv/versions/3.13.*/bin/python))
COLAB_PYTHON := $(or $(shell python3.13 -c 'import sys; print(sys.executable)' 2>/dev/null),$(PYENV_313),python3)

$(COLAB_STAMP): colab/constraints.txt colab/requirements.txt pyproject.toml
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -c colab/constraints.txt -r colab/requirements.txt
	touch $@

## colab-check: every notebook top to bottom on Colab's versions (colab/constraints.txt);
## errors and failed asserts fail, outputs are not compared (they may differ there)
colab-check: $(COLAB_STAMP)
	@$(COLAB_VENV)/bin/python -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' || \
	  echo "colab-check: Python 3.13 not found; $$($(COLAB_VENV)/bin/python -V) differs from Colab's 3.13"
	$(COLAB_VENV)/bin/python -m pytest notebooks --nbval-lax --nbval-current-env --nbval-cell-timeout=1200

clean:
	rm -rf _build build
