# Async Python, hands-on.  Every target creates the virtual environment it needs.
#
#   make lab                      open the course in JupyterLab
#   make test                     the full validation (what CI runs)
#   make record                   re-execute lessons and solutions, saving their outputs
#   make test PYTHON=python3.12   the same with another interpreter; its own .venv-3.12.N
#   make exercises                regenerate the workbooks in exercises/ from solutions/
#   make progress                 which exercises pass (your workbooks are not modified)
#   make update                   get the new version of the course, keeping your answers
#   make browser | pythons | flakes | bench    see the README's instructor section
#   make mutants | contamination    the checkers' own tests beyond make test (README)
#   make latest                   make test with the newest release of every dependency
#   make site                     the course as a website, in site/ (make site-test reads it)
#   make lock                     the same, then record those versions as the known-good ones
#
PYTHON ?= python3
# Another interpreter gets an environment of its own, named after its exact release
# (.venv-3.13.0 and .venv-3.13.18 can sit side by side).
PY_VERSION := $(shell $(PYTHON) -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
VENV ?= $(if $(filter $(PYTHON),python3),.venv,.venv-$(PY_VERSION))
BIN := $(VENV)/bin
# Most of a validation run is waiting (sleeps, servers, kernels starting), so more workers
# than cores pays: 4 kernels, 6 test workers and 3 browser pages at once on 2 cores (see
# make bench; on 3.11.7 the tests phase took 368 s with 5 workers, the 2 cores about 40 %
# busy, and 284 s with 8, 80 to 100 % busy for minutes: too busy for lesson 07's process
# pools on 3.15, whose check once could not finish its own run; the browser phase is
# CPU-bound with 3).
WORKERS ?= 4
TEST_WORKERS ?= 6
BROWSER_WORKERS ?= 3
SITE_WORKERS ?= 2
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)
NOTEBOOKS := notebooks solutions

.PHONY: lab test record exercises progress update browser pythons flakes bench mutants \
	contamination grade-class latest lock venv clean site site-test site-figures

LAB_DEFAULTS := $(VENV)/share/jupyter/lab/settings/overrides.d/asyncio-tutorial.json

# Every dependency is installed at the version requirements.lock.txt names for this Python:
# the versions the course was validated with (lessons record their libraries' output, so
# a new release of one can change what a lesson shows).  make latest tries the newest.
LOCK ?= requirements.lock.txt

KERNEL_CONFIG := $(VENV)/etc/ipython/ipython_kernel_config.py

venv: $(VENV)/.installed $(LAB_DEFAULTS) $(KERNEL_CONFIG)

$(VENV)/.installed: pyproject.toml $(LOCK)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[test,browser,site]'
	touch $@

# JupyterLab defaults shipped with the course (no news feed, no update checks), put where
# JupyterLab reads packages' setting overrides: learners' own settings stay their own.
$(LAB_DEFAULTS): jupyterlab/asyncio-tutorial.json $(VENV)/.installed
	mkdir -p $(dir $@)
	cp $< $@

# The course's kernels load asyncio_tutorial.course_kernel as they start: stamps after a
# restart too, and no Python version written into the notebooks they open (see there).
# IPython reads it from the environment's etc/ipython: other environments are untouched.
$(KERNEL_CONFIG): src/asyncio_tutorial/course_kernel.py $(VENV)/.installed
	mkdir -p $(dir $@)
	$(BIN)/python -c 'from asyncio_tutorial.course_kernel import KERNEL_CONFIG as C; print(C, end="")' > $@

lab: venv
	$(BIN)/python -m asyncio_tutorial.course.lab --ip=127.0.0.1 --ServerApp.root_dir=$(CURDIR) $(ROOT_FLAG) \
		notebooks/00-start-here.ipynb

# The validation runs on a copy of the course as published (.published/): a learner's
# answers, saved lessons, checkpoints and own notebooks in this folder stay out of it.
# The browser is found or installed first, so a missing one stops the run at once.
# The notebooks run first, on their own: their timing stamps are compared with the
# recordings, so the library's heavier tests (process pools, busy loops, hanging answers)
# do not compete with their kernels.  Lesson 07 and its solutions go first, the two of
# them alone: they keep both cores computing (process pools, a Dask cluster) for seconds
# on end, which once woke another lesson's blocking call a tenth of a second late.
# Then the tests, then the browser test, on its own too: Chromium and JupyterLab beside
# the tests made some timing checks fail.
PUBLISHED := .published
PYTEST := ASYNCIO_TUTORIAL_LOCK=$(abspath $(LOCK)) $(CURDIR)/$(BIN)/python -m pytest
COMPUTING := notebooks/07-concurrency-vs-parallelism.ipynb solutions/07-concurrency-vs-parallelism.ipynb
NBVAL := --nbval --nbval-current-env --nbval-sanitize-with tests/sanitize.cfg
test: venv
	$(BIN)/python tests/course/browser_setup.py
	$(BIN)/python -m asyncio_tutorial published $(PUBLISHED)
	cd $(PUBLISHED) && $(PYTEST) -n 2 --dist loadscope $(NBVAL) $(COMPUTING)
	cd $(PUBLISHED) && $(PYTEST) -n $(WORKERS) --dist loadscope -m "not browser" $(NBVAL) \
		$(NOTEBOOKS) $(COMPUTING:%=--ignore=%)
	cd $(PUBLISHED) && $(PYTEST) -n $(TEST_WORKERS) --dist loadscope -m "not browser and not contamination and not site and not grade_class" $(NBVAL) tests
	cd $(PUBLISHED) && $(PYTEST) -n $(BROWSER_WORKERS) -m browser tests/course/test_browser.py
	rm -rf screenshots/latest && cp -r $(PUBLISHED)/screenshots/latest screenshots/latest
	cd $(PUBLISHED) && $(CURDIR)/$(BIN)/python scripts/build_site.py --out site
	cd $(PUBLISHED) && ASYNCIO_TUTORIAL_SITE=$(CURDIR)/$(PUBLISHED)/site $(PYTEST) -n $(SITE_WORKERS) -m site \
		tests/course/test_site.py

# The website: the lessons, workbooks and worked answers as recorded (never re-executed),
# built with Sphinx, MyST-NB and Furo into site/ (scripts/build_site.py), and read page by
# page in headless Chromium by make site-test.  Lessons' Mermaid diagrams are drawn once
# by JupyterLab itself (make site-figures) and kept in website/figures/.
site: venv
	$(BIN)/python scripts/build_site.py --out site

site-test: site
	$(BIN)/python tests/course/browser_setup.py
	ASYNCIO_TUTORIAL_SITE=$(CURDIR)/site $(PYTEST) -n $(SITE_WORKERS) -m site tests/course/test_site.py

site-figures: venv
	$(BIN)/python scripts/site_figures.py

browser: venv
	$(BIN)/python tests/course/browser_setup.py
	$(BIN)/python -m asyncio_tutorial published $(PUBLISHED)
	cd $(PUBLISHED) && $(PYTEST) -n $(BROWSER_WORKERS) -m browser tests/course/test_browser.py
	rm -rf screenshots/latest && cp -r $(PUBLISHED)/screenshots/latest screenshots/latest

RUNS ?= 10
pythons:
	scripts/validate_pythons.sh

flakes: venv
	$(BIN)/python scripts/flakes.py -n $(RUNS) --workers $(WORKERS) --test-workers $(TEST_WORKERS) \
		$(if $(LOAD),--load $(LOAD)) $(PATHS)

bench: venv
	$(BIN)/python scripts/bench_validation.py --workers $(WORKERS) --test-workers $(TEST_WORKERS) \
		--browser-workers $(BROWSER_WORKERS)
	$(BIN)/python scripts/bench_grading.py

# Mutation testing of the checkers: every worked answer, edited the ways learners go
# wrong, must be called wrong (scripts/mutants.py; writes tests/checkers/mutants/report.md).
MUTANT_JOBS ?= 6
mutants: venv
	$(BIN)/python scripts/mutants.py -j $(MUTANT_JOBS)

# Every worked answer right after every wrong answer of its lesson, in one process each
# (make test does each wrong answer followed by one worked answer, in rotation).
# A class of 200 workbooks made from the worked answers, stubs and wrong answers, graded
# as an instructor would (python -m asyncio_tutorial grade): every verdict checked.
grade-class: venv
	$(BIN)/python -m pytest -q -m grade_class tests/course/test_grade_class.py

contamination: venv
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist loadscope -m contamination -q tests/checkers

# The newest release of every dependency, resolved for every supported Python into
# .latest/requirements.lock.txt (the changes from the lock are printed), installed into an
# environment of its own, and validated by make test: its failures are the notebook
# outputs and tests a new release changed.  make lock keeps that resolution once it passes.
LATEST_VENV := $(VENV)-latest
latest: venv
	$(BIN)/python scripts/latest.py .latest/requirements.lock.txt
	$(MAKE) test VENV=$(LATEST_VENV) LOCK=.latest/requirements.lock.txt

lock: latest
	cp .latest/requirements.lock.txt $(LOCK)
	@echo "$(LOCK) now holds the versions make latest validated: commit it."

record: venv
	$(BIN)/python -m asyncio_tutorial record $(NOTEBOOKS)

clean:
	rm -rf .venv .venv-* $(PUBLISHED)

exercises: venv
	$(BIN)/python -m asyncio_tutorial exercises

progress: venv
	$(BIN)/python -m asyncio_tutorial progress

update: venv
	$(BIN)/python -m asyncio_tutorial update
