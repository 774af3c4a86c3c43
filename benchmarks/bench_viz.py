"""Visualization benchmark on a large memory (default: the 6,119-passage 2Wiki corpus).

Measures, with the default cap of 200 nodes:
  * overview render time: ``viz.render`` on a freshly opened memory (graph index load, PageRank
    over the whole graph, selection, page) and the whole ``python -m viz.cli`` process;
  * time to interactive in headless Chromium: from navigation start to the page's ready flag
    (physics stabilization done and switched off), read from ``performance.now()`` in the page.

Writes the JSON report and screenshots: docs/viz-overview.png (the large memory) and
docs/viz-query.png (a query view of examples/sample_corpus.jsonl with a passage's panel open).

    python benchmarks/bench_viz.py --store /tmp/b6k6 --out benchmarks/results/viz.json

A missing store is built from --corpus first (about 5 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the browser driver shared with the tests

from headless import Browser

from graphmem import Memory, read_documents
from graphmem.memory import STORE_FILE
from viz import RenderReport, render
from viz.source import open_memory

CORPUS = ROOT.parent / "shared" / "data" / "2wiki-corpus" / "corpus.json"
SAMPLE = ROOT / "examples" / "sample_corpus.jsonl"
SAMPLE_QUERY = "In which valley was the author of The Salt Lantern born?"
READY = "window.graphmemViz && window.graphmemViz.ready"


def build_store(store: Path, corpus: Path, batch: int = 1000) -> None:
    docs = read_documents(corpus)
    print(f"building {store} from {len(docs)} documents of {corpus} ...", flush=True)
    with Memory(store) as mem:
        for i in range(0, len(docs), batch):
            mem.add(docs[i : i + batch])
            print(f"  {min(i + batch, len(docs))}/{len(docs)}", flush=True)


def time_render(
    store: Path, out: Path, max_nodes: int, runs: int
) -> tuple[list[float], RenderReport]:
    """Seconds of ``render`` per run, each on a freshly opened memory (cold graph index)."""
    seconds, reports = [], []
    for _ in range(max(runs, 1)):
        started = time.perf_counter()
        with open_memory(store, need_embedder=False) as mem:
            reports.append(render(mem, out, max_nodes=max_nodes))
        seconds.append(round(time.perf_counter() - started, 3))
    return seconds, reports[-1]


def time_cli(store: Path, out: Path, max_nodes: int) -> float:
    """Wall seconds of the whole CLI process, Python start-up and imports included."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "viz.cli", "--store", str(store), "-o", str(out),
         "--max-nodes", str(max_nodes)],
        check=True, cwd=ROOT, stdout=subprocess.DEVNULL,
    )
    return round(time.perf_counter() - started, 3)


def time_to_interactive(browser: Browser, page: Path, runs: int) -> tuple[list[float], list[float]]:
    """Per run: ms from navigation start to the ready flag (page clock) and the wall ms the
    driver saw from navigate to ready (includes the protocol round trips)."""
    page_ms, wall_ms = [], []
    for _ in range(runs):
        started = time.perf_counter()
        browser.open(page)
        browser.wait_for(READY, timeout=60)
        wall_ms.append(round((time.perf_counter() - started) * 1000, 1))
        page_ms.append(round(float(browser.evaluate("window.graphmemViz.readyMs")), 1))
        if browser.errors():
            raise RuntimeError(f"page errors: {browser.errors()}")
    return page_ms, wall_ms


def query_screenshot(browser: Browser, path: Path, workdir: Path) -> dict:
    """Render the sample corpus's query view, open the top passage's panel, save a PNG."""
    store = workdir / "sample"
    with Memory(store) as mem:
        mem.add(read_documents(SAMPLE))
        report = render(mem, workdir / "query.html", query=SAMPLE_QUERY)
        top = mem.retrieve(SAMPLE_QUERY, top_k=1)[0]
    browser.open(report.path)
    browser.wait_for(READY)
    browser.evaluate(f"graphmemViz.focusNode({json.dumps('passage:' + top.chunk_id)})")
    browser.evaluate("graphmemViz.network.fit({animation: false})")
    browser.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    browser.screenshot(path)
    return {"query": SAMPLE_QUERY, "nodes": report.nodes, "edges": report.edges,
            "screenshot": str(path.relative_to(ROOT))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", type=Path, default=Path("/tmp/b6k6"))
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--max-nodes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "viz.json")
    parser.add_argument("--overview-png", type=Path, default=ROOT / "docs" / "viz-overview.png")
    parser.add_argument("--query-png", type=Path, default=ROOT / "docs" / "viz-query.png")
    args = parser.parse_args()

    if not (args.store / STORE_FILE).exists():
        build_store(args.store, args.corpus)
    with tempfile.TemporaryDirectory(prefix="bench-viz-") as tmp:
        work = Path(tmp)
        page = work / "overview.html"
        render_s, report = time_render(args.store, page, args.max_nodes, args.runs)
        cli_s = time_cli(args.store, work / "cli.html", args.max_nodes)
        print(f"overview render: {statistics.median(render_s):.2f}s median of {render_s} "
              f"({report.note}); CLI process {cli_s:.2f}s", flush=True)
        args.overview_png.parent.mkdir(parents=True, exist_ok=True)
        with Browser(width=1400, height=900, timeout=60) as browser:
            version = browser.send("Browser.getVersion").get("product", "")
            page_ms, wall_ms = time_to_interactive(browser, page, args.runs)
            browser.screenshot(args.overview_png)
            print(f"time to interactive: {statistics.median(page_ms):.0f} ms median of {page_ms} "
                  f"(driver wall {wall_ms} ms) in {version}", flush=True)
            sample = query_screenshot(browser, args.query_png, work)
        html_bytes = page.stat().st_size
        with open_memory(args.store, need_embedder=False) as mem:
            stats = mem.stats()

    result = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "browser": version,
                    "note": "shared, noisy machine: numbers from one sitting, medians of runs"},
        "store": {k: stats[k] for k in ("documents", "chunks", "entities", "facts",
                                        "synonym_edges", "mentions")},
        "max_nodes": args.max_nodes,
        "overview": {
            "nodes": report.nodes, "edges": report.edges,
            "total_nodes": report.total_nodes, "total_edges": report.total_edges,
            "note": report.note, "html_bytes": html_bytes,
            "render_seconds": render_s, "render_seconds_median": statistics.median(render_s),
            "cli_process_seconds": cli_s, "target_seconds": 10,
        },
        "browser": {
            "time_to_interactive_ms": page_ms,
            "time_to_interactive_ms_median": statistics.median(page_ms),
            "driver_wall_ms": wall_ms, "target_ms": 5000,
            "measured": "performance.now() at the page's ready flag: navigation start to "
                        "physics stabilization done (capped iterations), physics then off",
        },
        "screenshots": {"overview": str(args.overview_png.relative_to(ROOT)), "query": sample},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
