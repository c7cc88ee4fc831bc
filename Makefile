# Two commands on a fresh machine: `make run` and `make test`. Everything they need is installed here.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
APT_PACKAGES := chromium fonts-dejavu-core wrk gcc

.PHONY: run install compiled system-deps test test-fast check lint typecheck pytest bench eval clean

run: install  ## serve the bundled policy on http://127.0.0.1:8000
	$(VENV)/bin/privacy-qa serve

install: $(STAMP) compiled  ## create the virtual environment and install the project with its test tools

# The answer path compiled by mypyc into build/compiled/ (index/compiled.py): rebuilt when a source
# changed, skipped when it is up to date or there is no C compiler (the sources then run as they are).
compiled: $(STAMP)  ## compile the answer path with mypyc, if its build is stale
	$(PY) -c 'import sys, index.compiled; sys.exit(index.compiled.main())'

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("privacy-qa needs Python 3.11 or newer" if sys.version_info < (3, 11) else 0)'
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

system-deps:  ## Debian packages the tests and benchmarks need (Chromium, wrk, gcc), where missing
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:$$missing"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi

test: install system-deps lint typecheck pytest  ## every check: ruff, mypy, the whole test suite

# What a change is checked with between full runs: everything but the tests that start processes
# (slow), drive Chromium (browser) or fuzz the schema (fuzz); the marker rules are in pyproject.toml.
test-fast: install  ## the test suite without slow, browser and fuzz tests (about 1,240 tests, 2.5 minutes)
	$(PY) -m pytest -q -m "not slow and not browser and not fuzz"

check: test

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

pytest: install
	$(PY) -m pytest

eval: install  ## quality figures on our own question set
	$(VENV)/bin/privacy-qa eval eval/questions.jsonl --by-category

bench: install system-deps  ## answer() latency and HTTP throughput figures
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache artifacts build
