# Two commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export NO_PROXY := 127.0.0.1,localhost
export no_proxy := 127.0.0.1,localhost

.PHONY: demo test test-all bench install clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/candor demo

# Two pytest workers (pytest-xdist): most of the suite's time is commands waiting on Prefect's temporary
# server, which overlaps well; on the 2-core machine the suite took 258 s this way and 517 s in one process
# (both quiet). Run one file or test with plain `.venv/bin/python -m pytest FILE`.
TEST_WORKERS ?= 2

test: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal

test-all: $(STAMP)
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) --dist worksteal -m ""

bench: $(STAMP)
	$(BIN)/python bench/ingest.py
	@for b in bench/resolve.py bench/segment.py bench/connectors.py; do \
	  if [ -f $$b ]; then $(BIN)/python $$b || exit 1; fi; done

clean:
	rm -rf data/warehouse data/inbox data/marts data/.prefect
