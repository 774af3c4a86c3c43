"""Batch ingestion throughput: workers 1 vs 2, overlap on/off, Ray vs local, memory, resume cost.

Every configuration runs as its own ``python -m pipelines ingest`` process into a fresh store
(no extraction cache carried over), exactly as a user would run it. While it runs, the memory of
its whole process tree (job, extraction workers, Ray's processes) is sampled; the high-water
marks of the summed PSS (shared pages split between processes) and RSS (shared pages counted in
each process, an upper bound) are reported. Resuming a finished job is the same command run
again on the finished store.

CPU seconds (user + system of the process tree, from ``getrusage`` of waited-for children) are
less sensitive to other load on the machine than wall time; Ray's own daemons are not counted.

The stores of all runs must be identical (same rows, same vectors); the script checks that.

Timings on a 2-core machine shared with other work are noisy: the load average before and after
each run is recorded next to it.

    python benchmarks/bench_ingest.py --limit 2000
    python benchmarks/bench_ingest.py                      # the full 6,119 passages
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.jsonstream import iter_json_list

DEFAULT_CORPUS = ROOT.parent / "shared" / "data" / "2wiki-corpus" / "corpus.json"
SAMPLE_S = 0.5
FIRST_SAMPLES_S = (0.05, 2.0)  # sample every 0.05 s for the first 2 s (short runs)


class TreeMemory:
    """High-water marks of a process tree's memory, sampled in a thread."""

    def __init__(self, pid: int):
        self.root = psutil.Process(pid)
        self.peak_pss = 0
        self.peak_rss = 0
        self.peak_single_rss = 0
        self.peak_processes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        started = time.monotonic()
        while not self._stop.is_set():
            try:
                procs = [self.root, *self.root.children(recursive=True)]
            except psutil.Error:
                return
            pss = rss = single = 0
            for p in procs:
                try:
                    info = p.memory_full_info()
                except psutil.Error:
                    continue
                pss += getattr(info, "pss", info.rss)
                rss += info.rss
                single = max(single, info.rss)
            self.peak_pss = max(self.peak_pss, pss)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_single_rss = max(self.peak_single_rss, single)
            self.peak_processes = max(self.peak_processes, len(procs))
            fast, until = FIRST_SAMPLES_S
            self._stop.wait(fast if time.monotonic() - started < until else SAMPLE_S)

    def stop(self) -> dict[str, float]:
        self._stop.set()
        self._thread.join()
        mb = 1024 * 1024
        return {
            "peak_tree_pss_mb": round(self.peak_pss / mb, 1),
            "peak_tree_rss_mb": round(self.peak_rss / mb, 1),
            "peak_single_process_rss_mb": round(self.peak_single_rss / mb, 1),
            "peak_processes": self.peak_processes,
        }


def write_subset(corpus: Path, limit: int | None, out: Path) -> int:
    """The first ``limit`` records of ``corpus`` as a new .json list (streamed, not loaded)."""
    n = 0
    with corpus.open("rb") as src, out.open("w", encoding="utf-8") as dst:
        dst.write("[\n")
        for element in iter_json_list(src):
            if limit is not None and n >= limit:
                break
            dst.write((",\n" if n else "") + json.dumps(element.value, ensure_ascii=False))
            n += 1
        dst.write("\n]\n")
    return n


def run(name: str, corpus: Path, store: Path, report: Path, args: list[str]) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "pipelines",
        "ingest",
        str(corpus),
        "--store",
        str(store),
        "--no-progress",
        "--report",
        str(report),
        *args,
    ]
    load_before = os.getloadavg()[0]
    usage_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    memory = TreeMemory(proc.pid)
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    mem = memory.stop()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (usage.ru_utime - usage_before.ru_utime) + (usage.ru_stime - usage_before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed ({proc.returncode}):\n{err.decode()[-3000:]}")
    data = json.loads(report.read_text(encoding="utf-8"))
    result = {
        "name": name,
        "args": args,
        "process_wall_s": round(wall, 2),
        "job_wall_s": data["seconds"]["wall"],
        "documents_added": data["documents_added"],
        "documents_skipped": data["documents_skipped"],
        "passages": data["chunks"],
        "passages_per_s": round(data["chunks"] / wall, 2) if data["chunks"] else None,
        "cpu_s": round(cpu, 1),
        "passages_per_cpu_s": round(data["chunks"] / cpu, 2) if data["chunks"] and cpu else None,
        "seconds": data["seconds"],
        "store": data["store"],
        "load_avg_before": round(load_before, 2),
        "load_avg_after": round(os.getloadavg()[0], 2),
        **mem,
    }
    print(
        f"{name:>16}: {result['process_wall_s']:7.1f}s  "
        f"{result['passages_per_s'] or 0:6.1f} passages/s  {cpu:7.1f} CPU s  "
        f"peak tree PSS {mem['peak_tree_pss_mb']:7.0f} MB  (load {load_before:.1f})",
        flush=True,
    )
    return result


def store_rows(store: Path) -> dict[str, Any]:
    """Row contents that must agree between runs (vectors included, timestamps not)."""
    queries = {
        "documents": "SELECT doc_id, content_hash FROM documents ORDER BY id",
        "chunks": "SELECT chunk_id, embedding FROM chunks ORDER BY id",
        "entities": "SELECT name, kind, embedding FROM entities ORDER BY id",
        "facts": "SELECT subject_id, predicate, object_id, embedding FROM facts ORDER BY id",
        "mentions": "SELECT chunk_id, entity_id FROM mentions ORDER BY 1, 2",
        "synonyms": "SELECT a, b, score FROM synonyms ORDER BY 1, 2",
    }
    with sqlite3.connect(f"file:{store / 'graphmem.sqlite'}?mode=ro", uri=True) as c:
        return {t: c.execute(q).fetchall() for t, q in queries.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--limit", type=int, default=None, help="first N passages only")
    ap.add_argument("--batch-size", type=int, default=256)
    ap.add_argument("--skip-ray", action="store_true", help="leave out the Ray runner")
    ap.add_argument("--skip-overlap", action="store_true", help="leave out the --prefetch 0 run")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "ingest.json")
    ap.add_argument("--keep", type=Path, default=None, help="keep stores under this directory")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    try:
        corpus = work / "corpus.json"
        n = write_subset(args.corpus, args.limit, corpus)
        print(
            f"{n} passages from {args.corpus}; {os.cpu_count()} CPUs; stores in {work}", flush=True
        )
        common = ["--batch-size", str(args.batch_size)]
        plan: list[tuple[str, list[str]]] = [
            ("local-workers-1", ["--workers", "1"]),
            ("local-workers-2", ["--workers", "2"]),
        ]
        if not args.skip_overlap:
            plan.append(("local-no-overlap", ["--workers", "1", "--prefetch", "0"]))
        if not args.skip_ray:
            plan.append(("ray-workers-1", ["--runner", "ray", "--workers", "1"]))
        runs = [
            run(name, corpus, work / name, work / f"{name}.json", [*extra, *common])
            for name, extra in plan
        ]
        resume = run(
            "resume-finished",
            corpus,
            work / plan[0][0],
            work / "resume.json",
            [*plan[0][1], *common],
        )

        reference = store_rows(work / plan[0][0])
        identical = {r["name"]: store_rows(work / r["name"]) == reference for r in runs}
        by_name = {r["name"]: r for r in runs}

        def ratio(a: str, b: str) -> float | None:
            if a not in by_name or b not in by_name:
                return None
            return round(by_name[a]["passages_per_s"] / by_name[b]["passages_per_s"], 3)

        result = {
            "corpus": str(args.corpus),
            "passages": n,
            "batch_size": args.batch_size,
            "machine": {
                "cpus": os.cpu_count(),
                "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
                "python": platform.python_version(),
            },
            "note": "2-core machine shared with other work: timings are noisy; see load_avg_*",
            "runs": runs,
            "resume_finished_job": resume,
            "ratios": {
                "workers_2_over_1": ratio("local-workers-2", "local-workers-1"),
                "overlap_over_no_overlap": ratio("local-workers-1", "local-no-overlap"),
                "ray_over_local": ratio("ray-workers-1", "local-workers-1"),
            },
            "stores_identical_to_local_workers_1": identical,
        }
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(
            json.dumps(
                {
                    "ratios": result["ratios"],
                    "identical": identical,
                    "resume_s": resume["process_wall_s"],
                },
                indent=2,
            )
        )
        print(f"wrote {args.out}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
