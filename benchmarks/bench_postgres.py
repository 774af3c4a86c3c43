"""SQLite vs PostgreSQL side by side on the 2Wiki corpus (issue 15), in one run:

* ingestion passages/s into each store: the same in-process job (shared models, extraction in
  this process, no extraction cache) into a new SQLite directory and a new PostgreSQL schema;
  ``commit_s`` is the job's time in store lookups and transactions;
* cold index load: a new Memory's first ``index()`` (every row read from the store);
* retrieval p50 over dev questions, requiring identical results (passages and scores);
* two ingest jobs (``python -m pipelines ingest`` processes) writing the two halves of the
  corpus into one PostgreSQL schema at the same time: wall time, passages/s, and whether the
  store equals the single job's (rows by name; entity labels and synonym edges depend on the
  order and batching of writes, so they are compared apart: synonym pairs in each store, in
  only one, and the largest score difference of those in both);
* the control (``--no-control`` to skip): the same two half jobs one after the other into a new
  PostgreSQL schema (and a new SQLite directory), compared to the single job the same way, and
  the concurrent store compared to it. Synonym edges of concurrent writers equal the same writes
  in commit order (graphmem/graph/synonyms.py), so the sequential control differing from the
  single job like the concurrent run does points at order and batching, not at concurrency.

PostgreSQL is a throwaway local server (tests/pg_server.py: unix socket, ``fsync=off``), or
``--url``. Timings on a shared 2-core machine are noisy: load averages are recorded.

    python benchmarks/bench_postgres.py --limit 1000 --out benchmarks/results/postgres.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from dumps import by_name, tables, without_added_at
from pg_server import find_bindir, start_server
from postgres_jobs import compare_to_single_job, two_jobs

from graphmem import Memory
from graphmem.config import EmbedConfig, ExtractConfig
from graphmem.embed import SentenceTransformerEmbedder
from graphmem.extract import SpacyExtractor
from graphmem.store.open import open_store
from pipelines import IngestConfig, run_ingest

log = logging.getLogger("bench_postgres")
DATA = ROOT.parent / "shared" / "data" / "2wiki-corpus"


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def ingest(corpus: Path, location: str, embedder: Any, extractor: Any, batch: int) -> dict[str, Any]:
    config = IngestConfig(workers=0, progress=False, cache=False, batch_size=batch)
    load = _load()
    start = time.perf_counter()
    report = run_ingest([corpus], location, config, extractor=extractor, embedder=embedder)
    wall = time.perf_counter() - start
    return {
        "passages": report.chunks,
        "wall_s": round(wall, 2),
        "passages_per_s": round(report.chunks / wall, 2),
        "commit_s": report.seconds.get("commit"),
        "seconds": report.seconds,
        "store": report.store,
        "load_avg_before": load,
        "load_avg_after": _load(),
    }


def cold_load(location: str, embedder: Any) -> float:
    with Memory(location, embedder=embedder) as mem:
        start = time.perf_counter()
        mem.index(model=False)
        return round(time.perf_counter() - start, 3)


def retrieval(location: str, embedder: Any, queries: list[str]) -> tuple[float, list[Any]]:
    """p50 ms of ``retrieve(q, 5)`` (index loaded first) and the results."""
    with Memory(location, embedder=embedder) as mem:
        mem.retrieve(queries[0], 5)
        times, results = [], []
        for q in queries:
            start = time.perf_counter()
            hits = mem.retrieve(q, 5)
            times.append(time.perf_counter() - start)
            results.append([(h.chunk_id, round(h.score, 9)) for h in hits])
    return round(statistics.median(times) * 1000, 2), results


def _named(location: str) -> dict[str, Any]:
    store = open_store(location)
    try:
        return by_name(store)
    finally:
        store.close()


def _rows(location: str) -> dict[str, Any]:
    store = open_store(location)
    try:
        return without_added_at(tables(store))
    finally:
        store.close()


def control(records: list[dict[str, Any]], url: str, work: Path, args: argparse.Namespace,
            one: dict[str, Any], concurrent: dict[str, Any]) -> dict[str, Any]:
    """The same two half jobs one after the other into a new PostgreSQL schema (and a new
    SQLite directory unless ``--no-sqlite-control``), each compared to the single job; the
    concurrent store compared to the sequential one."""
    out: dict[str, Any] = {}
    seq = two_jobs(records, url, work, args.batch_size, concurrent=False, tag="_seq")
    named = _named(url)
    seq.update(compare_to_single_job(one, named))
    out["two_sequential_jobs"] = seq
    log.info("two sequential jobs: %s", seq)
    out["concurrent_vs_sequential"] = compare_to_single_job(named, concurrent)
    log.info("concurrent vs sequential: %s", out["concurrent_vs_sequential"])
    if args.sqlite_control:
        lite = str(work / "sqlite_sequential")
        res = two_jobs(records, lite, work, args.batch_size, concurrent=False, tag="_seqlite")
        lite_named = _named(lite)
        res.update(compare_to_single_job(one, lite_named))
        res["vs_sequential_postgres"] = compare_to_single_job(named, lite_named)
        out["two_sequential_jobs_sqlite"] = res
        log.info("two sequential jobs, SQLite: %s", res)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, default=DATA / "corpus.json")
    ap.add_argument("--questions", type=Path, default=DATA / "dev-questions.json")
    ap.add_argument("--limit", type=int, default=1000, help="First N passages of the corpus.")
    ap.add_argument("--queries", type=int, default=100)
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--url", default=None, help="A PostgreSQL database URL (default: a local "
                    "throwaway server); schemas bench_* are created in it.")
    ap.add_argument("--no-control", dest="control", action="store_false", help="Skip the "
                    "control: the two half jobs one after the other.")
    ap.add_argument("--no-sqlite-control", dest="sqlite_control", action="store_false",
                    help="Run the sequential control into PostgreSQL only.")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "postgres.json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("graphmem").setLevel(logging.WARNING)
    logging.getLogger("pipelines").setLevel(logging.WARNING)
    records = json.loads(args.corpus.read_text(encoding="utf-8"))[: args.limit]
    queries = [q["question"] for q in json.loads(args.questions.read_text())][: args.queries]
    server = None
    if args.url is None:
        bindir = find_bindir()
        if bindir is None:
            raise SystemExit("no PostgreSQL binaries: `make postgresql`, or pass --url")
        server = start_server(bindir)
        base = server.url + "&schema="
    else:
        base = args.url + ("&" if "?" in args.url else "?") + "schema="
    tag = f"bench_{os.getpid()}"
    try:
        with tempfile.TemporaryDirectory(prefix="bench-pg-") as tmp:
            work = Path(tmp)
            corpus = work / "corpus.json"
            corpus.write_text(json.dumps(records), encoding="utf-8")
            embedder = SentenceTransformerEmbedder(EmbedConfig())
            embedder.encode(["warm up"])
            extractor = SpacyExtractor(ExtractConfig())
            extractor.extract_batch(["Warm up the parser."])
            stores = {"sqlite": str(work / "sqlite"), "postgres": base + f"{tag}_one"}
            result: dict[str, Any] = {"ingest": {}, "cold_index_load_s": {}, "retrieval_p50_ms": {}}
            for name, location in stores.items():
                result["ingest"][name] = ingest(corpus, location, embedder, extractor, args.batch_size)
                log.info("ingest %s: %s", name, result["ingest"][name]["passages_per_s"])
            result["same_rows"] = _rows(stores["sqlite"]) == _rows(stores["postgres"])
            for name, location in stores.items():
                result["cold_index_load_s"][name] = cold_load(location, embedder)
            hits = {}
            for name, location in stores.items():
                result["retrieval_p50_ms"][name], hits[name] = retrieval(location, embedder, queries)
            result["identical_retrieval"] = hits["sqlite"] == hits["postgres"]
            log.info("load %s, p50 %s, identical %s", result["cold_index_load_s"],
                     result["retrieval_p50_ms"], result["identical_retrieval"])
            halves = base + f"{tag}_halves"
            result["two_concurrent_jobs"] = two_jobs(records, halves, work, args.batch_size)
            one, two = _named(stores["postgres"]), _named(halves)
            result["two_concurrent_jobs"].update(compare_to_single_job(one, two))
            log.info("two jobs: %s", result["two_concurrent_jobs"])
            if args.control:
                result.update(control(records, base + f"{tag}_sequential", work, args, one, two))
    finally:
        if server is not None:
            server.stop()
    result.update(
        command=" ".join(["python", "benchmarks/bench_postgres.py", *sys.argv[1:]]),
        passages=len(records),
        queries=len(queries),
        machine=f"{platform.machine()}, {os.cpu_count()} CPUs, shared with other work",
        postgres="local throwaway server (unix socket, fsync=off)" if args.url is None else "--url",
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    log.info("wrote %s", args.out)


if __name__ == "__main__":
    main()
