# The two commands of the README: `make run` and `make test`.
# Both create the virtual environment and install the pinned requirements
# on first use (and again whenever requirements.txt changes).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-requirements
PORT ?= 8501

CHROMIUM := /usr/bin/chromium

.PHONY: setup setup-cluster models index run test test-all test-cluster lint

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

setup: $(STAMP)

# The optional extra for builds on Ray, search from Milvus and the ONNX Runtime /
# OpenVINO encoders (requirements-cluster.txt); the two README commands never need it.
CLUSTER_STAMP := $(VENV)/.installed-cluster
$(CLUSTER_STAMP): requirements-cluster.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-cluster.txt
	touch $(CLUSTER_STAMP)

setup-cluster: $(CLUSTER_STAMP)

# Debian's Chromium for the browser test (Playwright never downloads one).
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

# all-MiniLM-L6-v2 adapted to the reports from the project's own training
# questions (qa/index/adapt.py), trained once on CPU (about an hour on two
# cores) when the shared reports are beside the checkout; builds use it once
# it exists. `make run ADAPT=no` keeps the packaged model.
ADAPT ?= yes
ADAPTED := models/all-MiniLM-L6-v2-ofsted/adaptation.json
REPORTS := ../shared/corpus/ofsted
$(ADAPTED): eval/ofsted/train.jsonl | $(STAMP)
	@if [ "$(ADAPT)" != yes ]; then echo "ADAPT=$(ADAPT): the index uses all-MiniLM-L6-v2 as packaged."; \
	elif [ -d $(REPORTS) ]; then $(BIN)/python -m qa adapt --docs $(REPORTS) \
		|| echo "Adapting failed (above): the index uses all-MiniLM-L6-v2 as packaged."; \
	else echo "No $(REPORTS): the index uses all-MiniLM-L6-v2 as packaged."; fi

models: $(ADAPTED)

# Incremental: embeds only new or changed files, does nothing if none changed.
index: setup models
	$(BIN)/python -m qa build --docs seeds --index index

run: index
	$(BIN)/python -m streamlit run app.py --server.headless true --server.port $(PORT) \
		--browser.gatherUsageStats false

test: setup $(CHROMIUM)
	$(BIN)/python -m pytest -q

# Also the slow suites (full shared collection, benchmarks).
test-all: setup $(CHROMIUM)
	$(BIN)/python -m pytest -q -m ""

# The suites that need the optional extra (Ray, Milvus Lite, other encoders).
test-cluster: setup-cluster
	$(BIN)/python -m pytest -q -m cluster

lint: setup
	$(BIN)/ruff check qa tests app.py
