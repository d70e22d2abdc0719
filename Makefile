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

# The notebooks in the order they start: chapter 4.1 first, because it trains the
# article's CNN and keeps it in the model cache, from which the other chapters load it
# (one training per run instead of two on a fresh machine); then the slowest first, so
# that the two test workers finish together; then the rest.
FIRST_NOTEBOOK := notebooks/04_1_cnn_on_mnist.ipynb
SLOW_NOTEBOOKS := $(addprefix notebooks/,02_1_ml_vs_dl.ipynb 05_3_explaining_with_lime.ipynb \
                  04_4_transfer_learning.ipynb 04_2_training_faster.ipynb 04_3_overfitting.ipynb \
                  05_1_class_imbalance.ipynb)
NOTEBOOKS      := $(FIRST_NOTEBOOK) $(SLOW_NOTEBOOKS) \
                  $(filter-out $(FIRST_NOTEBOOK) $(SLOW_NOTEBOOKS),$(sort $(wildcard notebooks/*.ipynb)))
# Test workers (pytest-xdist): each takes whole files (notebooks keep their order and
# their kernel), so that one worker's single-threaded work (scikit-learn, LIME, XLA's
# compiler, Python loops) overlaps the other's training. Checked outputs do not depend
# on the load, the core count or the order of the notebooks. JOBS=1 runs serially.
JOBS    := 2
PARALLEL := $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadfile --no-loadscope-reorder)

.PHONY: install book test outputs assignments clean colab-check check-html classroom-check backends-check

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
	$(PYTHON) -m pytest $(PARALLEL) tests --durations=10 --ignore=tests/test_html.py \
	  --ignore=tests/test_browser.py --ignore=tests/test_launch_links.py
	$(PYTHON) -m pytest $(PARALLEL) $(NOTEBOOKS) $(NBVAL) --durations=25
	$(MAKE) book
	$(MAKE) check-html

# The browser test drives Debian's Chromium: Playwright's own browser download needs
# the internet, Debian's package mirror does not.
CHROMIUM := /usr/bin/chromium
SUDO     := $(if $(filter 0,$(shell id -u)),,sudo)

$(CHROMIUM):
	$(SUDO) apt-get update && $(SUDO) apt-get install -y chromium

## check-html: checks of the built book (`make book` first): its HTML and links, then every
## page opened in headless Chromium with the network blocked, on a 1366 px desktop and a
## 390 px phone, in light and dark mode: weight, axe-core, code that fits, figures, controls.
## Screenshots of every page, and report.json with the numbers, in _build/screenshots/
check-html: $(STAMP) $(CHROMIUM)
	$(PYTHON) -m pytest tests/test_html.py tests/test_launch_links.py tests/test_browser.py; \
	  status=$$?; echo "check-html: screenshots and report.json in _build/screenshots/"; exit $$status

## outputs: re-execute every notebook in place, top to bottom in a fresh kernel, as nbval does
outputs: $(STAMP)
	$(PYTHON) tools/execute_notebooks.py $(NOTEBOOKS)

# The Colab drift guard's own venv, at the versions Colab ships, on Colab's Python 3.13:
# python3.13 from PATH if it runs (a pyenv shim may be on PATH and still not run, hence
# the probe), else from pyenv's versions. pyenv's root comes from PYENV_ROOT or from where
# the pyenv command lives, never from HOME: CI runs with an empty HOME.
COLAB_VENV   := .venv-colab
COLAB_STAMP  := $(COLAB_VENV)/.installed-stamp
PROBE_313    := -c 'import sys; assert sys.version_info[:2] == (3, 13); print(sys.executable)'
PYENV_HOME   := $(or $(PYENV_ROOT),$(patsubst %/bin/pyenv,%,$(shell command -v pyenv 2>/dev/null)))
PYENV_313    := $(lastword $(wildcard $(PYENV_HOME)/versions/3.13.*/bin/python3.13))
ifndef COLAB_PYTHON
COLAB_PYTHON := $(or $(shell python3.13 $(PROBE_313) 2>/dev/null),$(and $(PYENV_313),$(shell $(PYENV_313) $(PROBE_313) 2>/dev/null)))
endif

$(COLAB_STAMP): colab/constraints.txt colab/requirements.txt pyproject.toml
	@test -n "$(COLAB_PYTHON)" || { echo "colab-check: Colab runs Python 3.13, and none was found (python3.13 on PATH," \
	  "or pyenv's versions under $(or $(PYENV_HOME),PYENV_ROOT)). Install it (pyenv install 3.13)," \
	  "or name it: make colab-check COLAB_PYTHON=/path/to/python3.13"; exit 1; }
	$(COLAB_PYTHON) -m venv $(COLAB_VENV)
	$(COLAB_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(COLAB_VENV)/bin/python -m pip install --quiet -c colab/constraints.txt -r colab/requirements.txt
	touch $@

## colab-check: every notebook top to bottom on Colab's versions (colab/constraints.txt) and
## Python 3.13, in the quick mode (CNNBOOK_QUICK=1: smaller subsets, fewer epochs; every
## assertion still holds); errors and failed asserts fail, outputs are not compared
colab-check: $(COLAB_STAMP)
	@$(COLAB_VENV)/bin/python $(PROBE_313) >/dev/null 2>&1 || { echo "colab-check: $(COLAB_VENV) runs" \
	  "$$($(COLAB_VENV)/bin/python -V 2>&1), not Colab's Python 3.13: remove $(COLAB_VENV) and run it again"; exit 1; }
	CNNBOOK_QUICK=1 $(COLAB_VENV)/bin/python -m pytest $(PARALLEL) $(NOTEBOOKS) --nbval-lax --nbval-current-env \
	  --nbval-cell-timeout=1200 --durations=15 -p no:cacheprovider

# nbgrader in a venv of its own, at the versions verified with the book; it grades in a
# kernel that runs the book's .venv Python (cnnbook, TensorFlow), so nothing is installed twice.
NBGRADER_VENV  := .venv-nbgrader
NBGRADER_STAMP := $(NBGRADER_VENV)/.installed-stamp

$(NBGRADER_STAMP): tests/classroom/requirements.txt tests/classroom/constraints.txt
	python3 -m venv $(NBGRADER_VENV)
	$(NBGRADER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(NBGRADER_VENV)/bin/python -m pip install --quiet -c tests/classroom/constraints.txt -r tests/classroom/requirements.txt
	touch $@

## classroom-check: the notebooks in real nbgrader: a course of every notebook (make assignments),
## `nbgrader generate_assignment` with its strict defaults, no solution left in the release, and
## three students' 3.1 and 3.2 autograded in the quick mode, scores asserted (tools/classroom_check.py)
classroom-check: $(STAMP) $(NBGRADER_STAMP) assignments
	$(PYTHON) tools/classroom_check.py --nbgrader $(NBGRADER_VENV)/bin

# The backends check: the notebooks whose code is Keras's own (chapter 3's comparisons
# with Keras layers, chapter 4.1's CNN) under the JAX and PyTorch backends, in one venv
# on Python 3.11 that holds both and no TensorFlow (backends/requirements.txt), with the
# pins of requirements.txt as constraints (less its `-e .`, which a constraints file
# cannot hold). --no-compile: the install skips byte-compiling the venv's 19,000 files;
# Python compiles, on import, the few that the notebooks use.
BACKENDS          := jax torch
BACKENDS_VENV     := .venv-backends
BACKENDS_STAMP    := $(BACKENDS_VENV)/.installed-stamp
BACKEND_PYTHON    := python3.11
# In the order they start on the two workers: 3.3 and 3.4 load the CNN that 4.1 trains.
BACKEND_TESTS     := $(FIRST_NOTEBOOK) notebooks/03_1_convolution.ipynb notebooks/03_2_pooling.ipynb \
                     tests/test_training.py notebooks/03_3_dense_softmax.ipynb notebooks/03_4_learning.ipynb

$(BACKENDS_STAMP): backends/requirements.txt requirements.txt pyproject.toml
	$(BACKEND_PYTHON) -m venv $(BACKENDS_VENV)
	grep -v '^-e' requirements.txt > $(BACKENDS_VENV)/constraints.txt
	$(BACKENDS_VENV)/bin/python -m pip install --quiet --no-compile -c $(BACKENDS_VENV)/constraints.txt \
	  -r backends/requirements.txt
	touch $@

## backends-check: chapters 3.1 to 3.4 and 4.1 top to bottom under KERAS_BACKEND=jax and torch, in
## the quick mode, with lax nbval as colab-check; cells tagged `tensorflow-only` are
## skipped there (tools/nbval_backends.py); the training tests run under each backend too.
## Every backend runs even if one fails; the time includes the install.
# OMP_WAIT_POLICY=PASSIVE: PyTorch's OpenMP threads otherwise spin while they wait, and
# on a busy 2-core machine that made each training step 15 times slower (136 s against
# 9 s for 100 steps of the article's CNN, measured side by side).
backends-check: $(BACKENDS_STAMP)
	@started=$$(date +%s); failed=; \
	for backend in $(BACKENDS); do \
	  OMP_WAIT_POLICY=PASSIVE KERAS_BACKEND=$$backend CNNBOOK_QUICK=1 $(BACKENDS_VENV)/bin/python -m pytest $(PARALLEL) \
	    $(BACKEND_TESTS) -p tools.nbval_backends --nbval-lax --nbval-current-env \
	    --nbval-cell-timeout=1200 --durations=10 -rs -p no:cacheprovider || failed="$$failed $$backend"; \
	done; \
	echo "backends-check: $$(( $$(date +%s) - started )) s$${failed:+; failed under:$$failed}"; test -z "$$failed"

clean:
	rm -rf _build build
