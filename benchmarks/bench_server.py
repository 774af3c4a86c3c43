"""Issue 13's server benchmark on the 2Wiki memory (6,119 passages).

For each embedding-thread setting (``--threads``, e.g. ``1,2,default``) on a fresh copy of the
store: ``graphmem serve --embed-threads N`` in a subprocess, each dev question in-process
(``Memory.retrieve``) and over HTTP back to back (what HTTP adds), then ``--clients``
concurrent clients, 95% retrieve / 5% add, for ``--duration`` seconds. Then the crash phase
(``server_crash.py``) with ``--crash-threads``.
Prints a table and writes JSON; records nproc and the load average, since the machine is shared.

    python benchmarks/bench_server.py --store /work/q-stores-r4/2wiki-dev-400 \\
        --out benchmarks/results/server_load.json

The source store is only read: every phase works on a copy under ``--work`` (removed after
unless ``--keep``)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx
from server_crash import CrashConfig, run_crash
from server_load import ROOT, LoadConfig, latency_ms, run_load, start_server

from graphmem import Memory
from graphmem.config import EmbedConfig, MemoryConfig

log = logging.getLogger("bench_server")

SHARED = ROOT.parent / "shared" / "data"
TARGETS = {"retrieve_per_s_min": 100, "retrieve_p95_ms_max": 100, "errors": 0, "lost_writes": 0,
           "http_overhead_p50_ms_max": 2}  # issue 13, "Benchmark"


def questions(path: Path) -> list[str]:
    return [q["question"] for q in json.loads(path.read_text())]


def copy_store(src: Path, dst: Path) -> Path:
    if dst.exists():
        shutil.rmtree(dst)
    shutil.copytree(src, dst)
    return dst


def http_overhead(store: Path, url: str, queries: list[str], threads: int | None,
                  top_k: int, backend: str = "torch") -> dict[str, Any]:
    """Each query through ``Memory.retrieve`` in this process and through the idle server, one
    after the other (the order rotates), so all see the same load of the shared machine; the
    server's own memory answers over HTTP, once through httpx (what ``graphmem.client`` uses)
    and once through the standard library's ``http.client`` (a lean client: the server's cost
    with less of the client's). Each answer's ``Server-Timing`` header gives the retrieval's
    time on the server's reader, so the round trip minus it is what HTTP costs (transport,
    routing, validation, JSON, the thread hop), apart from any difference between the
    server's retrieval and this process's. Returns the latency summaries and the medians of
    the per-query differences."""
    from http.client import HTTPConnection

    import numpy as np
    import torch

    before = torch.get_num_threads()
    cfg = MemoryConfig(embed=EmbedConfig(threads=threads, backend=backend))  # type: ignore[arg-type]
    local, remote, lean, served_ms, lean_served_ms, health = [], [], [], [], [], []
    host, _, port = url.removeprefix("http://").partition(":")
    try:
        with Memory(store, cfg) as mem:
            mem.retrieve(queries[0], top_k=top_k)  # models and index before the connections
            with httpx.Client(base_url=url, timeout=120) as http:
                conn = HTTPConnection(host, int(port), timeout=120)

                def via_httpx(q: str) -> float:
                    t0 = time.perf_counter()
                    r = http.post("/v1/retrieve", json={"query": q, "top_k": top_k})
                    r.raise_for_status()
                    took = time.perf_counter() - t0
                    served_ms.append(_memory_ms(r.headers))
                    return took

                def via_stdlib(q: str) -> float:
                    body = json.dumps({"query": q, "top_k": top_k})
                    t0 = time.perf_counter()
                    conn.request("POST", "/v1/retrieve", body=body,
                                 headers={"Content-Type": "application/json"})
                    r = conn.getresponse()
                    r.read()
                    took = time.perf_counter() - t0
                    if r.status != 200:
                        raise RuntimeError(f"/v1/retrieve answered {r.status}")
                    lean_served_ms.append(_memory_ms(r.headers))
                    return took

                def in_proc(q: str) -> float:
                    t0 = time.perf_counter()
                    mem.retrieve(q, top_k=top_k)
                    return time.perf_counter() - t0

                for q in queries[:5]:  # models, index, connection
                    in_proc(q), via_httpx(q), via_stdlib(q)
                served_ms.clear()
                lean_served_ms.clear()
                for i, q in enumerate(queries):
                    t0 = time.perf_counter()  # the transport alone: an empty route, no threads
                    http.get("/healthz").raise_for_status()
                    health.append(time.perf_counter() - t0)
                    calls = [(local, in_proc), (remote, via_httpx), (lean, via_stdlib)]
                    for sink, call in calls[i % 3:] + calls[:i % 3]:
                        sink.append(call(q))
                conn.close()
        torch_threads = torch.get_num_threads()
    finally:
        torch.set_num_threads(before)  # the setting is process-wide
    ms = lambda xs: np.asarray(xs) * 1000
    a, b, c = latency_ms(local), latency_ms(remote), latency_ms(lean)
    return {"in_process": a | {"torch_threads": torch_threads}, "http_sequential": b,
            "http_stdlib_sequential": c,
            "server_memory_p50_ms": round(float(np.median(served_ms)), 2),
            "healthz_round_trip": latency_ms(health),
            "http_overhead_p50_ms": round(b["p50_ms"] - a["p50_ms"], 2),
            "http_overhead_median_paired_ms": round(float(np.median(ms(remote) - ms(local))), 2),
            "http_stdlib_overhead_median_paired_ms":
                round(float(np.median(ms(lean) - ms(local))), 2),
            "http_cost_median_ms": round(float(np.median(ms(remote) - served_ms)), 2),
            "http_stdlib_cost_median_ms": round(float(np.median(ms(lean) - lean_served_ms)), 2),
            "http_over_in_process_p50_ratio": round(b["p50_ms"] / a["p50_ms"], 3)}


def _memory_ms(headers: Any) -> float:
    """The ``memory;dur=`` of a Server-Timing header, in ms."""
    return float(headers["server-timing"].partition(";dur=")[2])


def run_setting(src: Path, work: Path, threads: str, queries: list[str], load: LoadConfig,
                readers: int, extra: list[str], workers: int = 1,
                backend: str = "torch", budget: bool = False) -> dict[str, Any]:
    """One server setting: HTTP overhead on the idle server, the closed-loop load and, when
    ``load.rate`` is set, the same mix at that offered rate (open loop); with ``budget``, a
    closed loop of retrievals only and the CPU budget of the issue's target from the two
    closed loops (:func:`cpu_budget`)."""
    tag = f"t{threads}-w{workers}"
    store = copy_store(src, work / f"store-{tag}")
    n = None if threads == "default" else int(threads)
    args = ["--readers", str(readers), "--embed-threads", str(n or 0), "--workers",
            str(workers), "--embed-backend", backend, *extra]
    served = start_server(store, work / f"server-{tag}.log", *args)
    try:
        overhead = http_overhead(store, served.url, queries, n, load.top_k, backend)
        pid = served.proc.pid
        loaded = run_load(served.url, queries, replace(load, rate=None), tag=tag, server_pid=pid)
        paced = (run_load(served.url, queries, load, tag=tag + "-open", server_pid=pid)
                 if load.rate else None)
        reads = (run_load(served.url, queries, replace(load, rate=None, add_fraction=0.0),
                          tag=tag + "-reads", server_pid=pid) if budget else None)
    finally:
        status = served.stop()
    shutil.rmtree(store, ignore_errors=True)
    return {
        "embed_threads": threads, "workers": workers, "backend": backend, "serve_args": args,
        "server_ready_s": round(served.started_s, 1),
        "server_exit_status": status, **overhead,
        "loaded_p50_over_in_process_ratio": round(
            loaded["ops"]["retrieve"]["p50_ms"] / overhead["in_process"]["p50_ms"], 3),
        "load": loaded, "open_loop": paced, "retrieve_only": reads,
        "cpu_budget": cpu_budget(loaded, reads, load.add_fraction) if reads else None,
    }


def cpu_budget(mixed: dict[str, Any], reads: dict[str, Any], add_fraction: float,
               target_per_s: float = TARGETS["retrieve_per_s_min"]) -> dict[str, Any]:
    """Cores the issue's mix needs at ``target_per_s`` retrievals/s, from measured CPU: the
    server's per retrieval (the retrievals-only loop), per add (what the mixed loop's server
    used beyond its retrievals, commits and reader refreshes included, per add) and the load
    generator's per request. A target that needs more cores than the machine has cannot be
    met by scheduling, only by spending less CPU per request."""
    per_retrieval = reads["cpu"]["server_cpu_ms_per_request"]
    n_r, n_a = mixed["ops"]["retrieve"]["requests"], mixed["ops"]["add"]["requests"]
    server_ms = mixed["cpu"]["server_cpu_ms_per_request"] * mixed["requests"]
    per_add = (server_ms - n_r * per_retrieval) / n_a if n_a else 0.0
    client = mixed["cpu"]["load_generator_cpu_ms_per_request"]
    adds_per_s = target_per_s * add_fraction / (1.0 - add_fraction)
    need = (target_per_s * per_retrieval + adds_per_s * per_add
            + (target_per_s + adds_per_s) * client) / 1000.0
    return {"target_retrievals_per_s": target_per_s, "adds_per_s": round(adds_per_s, 2),
            "server_cpu_ms_per_retrieval": per_retrieval,
            "server_cpu_ms_per_add": round(per_add, 1),
            "load_generator_cpu_ms_per_request": client,
            "cores_needed": round(need, 2), "cores": os.cpu_count(),
            "server_cores_needed": round(need - (target_per_s + adds_per_s) * client / 1000, 2)}


def _label(run: dict[str, Any]) -> str:
    args = run["serve_args"]
    return " ".join([f"t={run['embed_threads']}", f"r={args[1]}", f"w={run.get('workers', 1)}",
                     run.get("backend", "torch"), *args[8:]])


def table(runs: list[dict[str, Any]], crash: dict[str, Any] | None) -> str:
    head = (f"{'run':<24} {'ret/s':>6} {'p50':>7} {'p95':>7} {'p99':>7} {'add/s':>5} "
            f"{'add p50':>8} {'add p95':>8} {'commits':>7} {'err':>3} {'in-proc':>7} "
            f"{'http':>6} {'+http':>5} {'cost':>5} {'lean':>5}")
    lines = [head, "-" * len(head)]
    for r in runs:
        for loop in ("load", "open_loop"):
            if not r.get(loop):
                continue
            ret, add = r[loop]["ops"]["retrieve"], r[loop]["ops"]["add"]
            name = _label(r) + ("" if loop == "load" else f" @{r[loop]['offered_per_s']:g}/s")
            lines.append(
                f"{name:<24} {ret['per_s']:>6.1f} {ret.get('p50_ms', 0):>7.1f} "
                f"{ret.get('p95_ms', 0):>7.1f} {ret.get('p99_ms', 0):>7.1f} {add['per_s']:>5.1f} "
                f"{add.get('p50_ms', 0):>8.1f} {add.get('p95_ms', 0):>8.1f} "
                f"{r[loop]['commits']:>7} {r[loop]['errors']:>3} "
                f"{r['in_process']['p50_ms']:>7.1f} {r['http_sequential']['p50_ms']:>6.1f} "
                f"{r['http_overhead_median_paired_ms']:>5.2f} {r['http_cost_median_ms']:>5.2f} "
                f"{r['http_stdlib_cost_median_ms']:>5.2f}")
    for r in runs:
        for loop in ("load", "open_loop", "retrieve_only"):
            if r.get(loop):
                c = r[loop]["cpu"]
                lines.append(f"cpu {_label(r)} {loop}: server {c['server_cores']:.2f} cores "
                             f"({c['server_cpu_ms_per_request']:.1f} ms a request), load "
                             f"generator {c['load_generator_cores']:.2f} cores")
        if r.get("cpu_budget"):
            b = r["cpu_budget"]
            lines.append(
                f"budget {_label(r)}: {b['target_retrievals_per_s']:g} retrievals/s + "
                f"{b['adds_per_s']:g} adds/s need {b['cores_needed']:.2f} of {b['cores']} cores "
                f"(server {b['server_cores_needed']:.2f}: {b['server_cpu_ms_per_retrieval']:.1f} "
                f"ms a retrieval, {b['server_cpu_ms_per_add']:.1f} ms an add; clients "
                f"{b['load_generator_cpu_ms_per_request']:.1f} ms a request)")
    lines.append("(ms; in-proc/http: p50 of the questions one at a time on the idle server; "
                 "+http: median per-question HTTP - in-process; cost: HTTP round trip - the "
                 "server's Server-Timing memory time (httpx); lean: the same with http.client)")
    if crash is not None:
        lines.append(
            f"crash: {len(crash['rounds'])} SIGKILLs, {crash['acked']} adds acked "
            f"({crash['acked_multi_passage']} multi-passage), lost {crash['lost_acked']}, "
            f"half-written {crash['half_written']}, unacked {crash['unacked']} "
            f"({crash['unacked_stored_whole']} stored whole), graphmem check exit "
            f"{crash['check_exit_status']}, last acked retrievable: "
            f"{crash['last_acked_retrievable']}")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--store", type=Path, default=Path("/work/q-stores-r4/2wiki-dev-400"),
                    help="A built 2Wiki memory; only read (copied under --work).")
    ap.add_argument("--questions", type=Path, default=SHARED / "2wiki-corpus" /
                    "dev-questions.json")
    ap.add_argument("--threads", default="1,2,default",
                    help="Embedding thread settings to compare (comma-separated; default: "
                    "the torch default, one per core).")
    ap.add_argument("--crash-threads", default="1", help="Setting of the crash phase.")
    ap.add_argument("--workers", default="1",
                    help="Server process counts to compare (comma-separated, `serve --workers`).")
    ap.add_argument("--embed-backend", default="torch", choices=("torch", "onnx"),
                    help="The backend the --store was built with (serve and in-process).")
    ap.add_argument("--rate", type=float, default=None,
                    help="Also run the mix at this offered rate, requests/s (open loop).")
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--serve-args", default="",
                    help="More `graphmem serve` options for every run (e.g. --no-batch-adds).")
    ap.add_argument("--duration", type=float, default=LoadConfig.duration_s)
    ap.add_argument("--clients", type=int, default=LoadConfig.clients)
    ap.add_argument("--add-fraction", type=float, default=LoadConfig.add_fraction)
    ap.add_argument("--crash-rounds", type=int, default=CrashConfig.rounds)
    ap.add_argument("--no-crash", action="store_true")
    ap.add_argument("--cpu-budget", action="store_true",
                    help="Also a closed loop of retrievals only, and the cores the target mix "
                    "needs from the CPU each request measured (report: cpu_budget).")
    ap.add_argument("--work", type=Path, default=None, help="Scratch dir (default: a temp dir).")
    ap.add_argument("--keep", action="store_true", help="Keep --work (stores, server logs).")
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" /
                    "server_load.json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per request otherwise

    work = args.work or Path(tempfile.mkdtemp(prefix="bench-server-"))
    work.mkdir(parents=True, exist_ok=True)
    queries = questions(args.questions)
    load = LoadConfig(clients=args.clients, duration_s=args.duration,
                      add_fraction=args.add_fraction, rate=args.rate)
    env = {"nproc": os.cpu_count(), "loadavg_start": list(os.getloadavg()),
           "python": platform.python_version(), "machine": platform.machine()}
    runs = []
    try:
        for threads in args.threads.split(","):
            for workers in args.workers.split(","):
                log.info("embed threads %s, workers %s: load avg %s", threads, workers,
                         os.getloadavg())
                runs.append(run_setting(args.store, work, threads.strip(), queries, load,
                                        args.readers, args.serve_args.split(), int(workers),
                                        args.embed_backend, args.cpu_budget))
        crash = None
        if not args.no_crash:
            store = copy_store(args.store, work / "store-crash")
            n = None if args.crash_threads == "default" else int(args.crash_threads)
            crash = run_crash(store, work, CrashConfig(rounds=args.crash_rounds),
                              ["--readers", str(args.readers), "--embed-threads", str(n or 0),
                               "--embed-backend", args.embed_backend,
                               *args.serve_args.split()])
            crash["embed_threads"] = args.crash_threads
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    env["loadavg_end"] = list(os.getloadavg())
    report = {"benchmark": "bench_server", "command": " ".join(sys.argv),
              "store": str(args.store), "questions": len(queries), "readers": args.readers,
              "environment": env, "targets": TARGETS, "runs": runs, "crash": crash}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n")
    print(table(runs, crash))
    print(f"nproc {env['nproc']}, load average start {env['loadavg_start']} end "
          f"{env['loadavg_end']}; wrote {args.out}")


if __name__ == "__main__":
    main()
