"""Load phase of ``bench_server.py``: a ``graphmem serve`` subprocess, closed-loop HTTP clients
on threads (each sends its next request when the last one is answered) and latency summaries.

Kept apart from the crash phase (``server_crash.py``) and from the report (``bench_server.py``)
so each part stays readable on its own."""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import psutil

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class LoadConfig:
    """The mix of issue 13's benchmark: 16 concurrent clients, 95% retrieve / 5% add, 60 s."""

    clients: int = 16
    duration_s: float = 60.0
    add_fraction: float = 0.05
    top_k: int = 5
    """What ``Memory.retrieve`` returns by default."""
    warmup_s: float = 3.0
    """Load before the measured window, not counted (first requests of each connection)."""
    seed: int = 0
    rate: float | None = None
    """Requests per second offered by all clients together (open loop: client ``i`` sends its
    ``k``-th request at ``start + (i + k * clients) / rate``, or as soon as its previous one
    is answered if that is later; latency counts from the scheduled time, so a server that
    falls behind is charged for the wait). None: closed loop, each client sends its next
    request when the last is answered. Why both: with 16 closed-loop clients the mean latency
    is 16 / throughput (Little's law), so 100 retrievals/s with a p95 under 100 ms cannot both
    hold in a closed loop below 160 requests/s; a fixed offered rate measures the latency at
    that rate."""


@dataclass
class Served:
    """A running ``graphmem serve`` process."""

    proc: subprocess.Popen[bytes]
    url: str
    log_path: Path
    started_s: float = 0.0
    """Seconds from spawn to /readyz answering 200 (model and index loading)."""

    def stop(self, timeout: float = 120) -> int:
        """SIGTERM (finishes running writes) and wait for the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs; the store sees a crash."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(60)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(store: Path, log_path: Path, *args: str, wait_s: float = 600) -> Served:
    """Spawn ``graphmem serve`` on a free loopback port and wait until it is ready."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k != "GRAPHMEM_TOKENS"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, "-m", "graphmem.cli", "serve", "--store", str(store),
           "--port", str(port), *args]
    started = time.monotonic()
    with log_path.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT)
    served = Served(proc, f"http://127.0.0.1:{port}", log_path)
    deadline = started + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}: see {log_path}")
        try:
            if httpx.get(served.url + "/readyz", timeout=2).status_code == 200:
                served.started_s = time.monotonic() - started
                log.info("server %s ready in %.1f s (%s)", served.url, served.started_s,
                         " ".join(args))
                return served
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    served.kill()
    raise RuntimeError(f"server not ready after {wait_s} s: see {log_path}")


@dataclass
class Outcome:
    """One request as the client saw it."""

    op: str  # "retrieve" or "add"
    started: float  # monotonic seconds
    latency_s: float
    status: int | None  # None: no HTTP answer (connection error, timeout)
    error: str | None = None


def add_body(doc_id: str, n: int) -> dict[str, Any]:
    """A small new document that no other request sends (its id and names are unique)."""
    text = (f"{doc_id} is a note about Corvan Estrel{n}, who was born in Ludmere{n} and "
            f"worked at the Halvard Observatory as an instrument maker until {1900 + n % 100}.")
    return {"documents": [{"id": doc_id, "text": text}], "source": "bench_server"}


def _client(url: str, questions: Sequence[str], cfg: LoadConfig, index: int, tag: str,
            start_at: float, stop_at: float, out: list[Outcome]) -> None:
    rng = random.Random(cfg.seed * 1000 + index)
    q = index * 997 % len(questions)  # clients start at different questions
    n = k = 0
    period = cfg.clients / cfg.rate if cfg.rate else 0.0
    begin = start_at - cfg.warmup_s
    with httpx.Client(base_url=url, timeout=120) as http:
        while True:
            now = time.monotonic()
            if period:  # open loop: wait for this request's slot
                due = begin + (index / cfg.clients + k) * period
                k += 1
                if due > now:
                    time.sleep(due - now)
                now = due
            if now >= stop_at:
                return
            if rng.random() < cfg.add_fraction:
                op, path = "add", "/v1/documents"
                body = add_body(f"load-{tag}-c{index}-{n}", n)
                n += 1
            else:
                op, path = "retrieve", "/v1/retrieve"
                body = {"query": questions[q], "top_k": cfg.top_k}
                q = (q + 1) % len(questions)
            t0 = time.perf_counter()
            late = max(0.0, time.monotonic() - now)  # open loop: behind its slot already
            try:
                reply = http.post(path, json=body)
                status, error = reply.status_code, None
                if not reply.is_success:
                    error = reply.text[:200]
            except httpx.HTTPError as exc:
                status, error = None, f"{type(exc).__name__}: {exc}"
            latency = time.perf_counter() - t0 + (late if period else 0.0)
            if now >= start_at:
                out.append(Outcome(op, now, latency, status, error))


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` and all its descendants (a server with
    ``--workers N`` is a tree), from the kernel's accounting."""
    root = psutil.Process(pid)
    total = 0.0
    for p in [root, *root.children(recursive=True)]:
        try:
            times = p.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
    return total


def _cpu_window(server_pid: int | None, start_at: float, stop_at: float,
                out: dict[str, float]) -> None:
    """CPU seconds of the server tree and of this process (the load generator: every client
    thread) over ``[start_at, stop_at]``, the measured window."""
    samples = []
    for at in (start_at, stop_at):
        time.sleep(max(0.0, at - time.monotonic()))
        server = cpu_seconds(server_pid) if server_pid is not None else float("nan")
        samples.append((time.monotonic(), server, time.process_time()))
    (t0, s0, l0), (t1, s1, l1) = samples
    out.update(window_s=t1 - t0, server_s=s1 - s0, load_generator_s=l1 - l0)


def cpu_summary(window: dict[str, float], summary: dict[str, Any]) -> dict[str, Any]:
    """Cores used by the server and by the load generator, and the server's CPU time per
    request answered in the window."""
    span, requests = window["window_s"], max(1, summary["requests"])
    return {"window_s": round(span, 2), "cores": os.cpu_count(),
            "server_cores": round(window["server_s"] / span, 3),
            "load_generator_cores": round(window["load_generator_s"] / span, 3),
            "server_cpu_ms_per_request": round(1000 * window["server_s"] / requests, 2),
            "load_generator_cpu_ms_per_request": round(1000 * window["load_generator_s"] / requests, 2)}


def run_load(url: str, questions: Sequence[str], cfg: LoadConfig, tag: str,
             server_pid: int | None = None) -> dict[str, Any]:
    """``cfg.clients`` closed-loop clients for ``warmup_s + duration_s``; a summary of the
    requests started inside the measured window, with the CPU the server (``server_pid``
    and its children) and the clients used in it."""
    begin = time.monotonic()
    start_at, stop_at = begin + cfg.warmup_s, begin + cfg.warmup_s + cfg.duration_s
    results: list[list[Outcome]] = [[] for _ in range(cfg.clients)]
    threads = [threading.Thread(target=_client, args=(url, questions, cfg, i, tag, start_at,
                                                      stop_at, results[i]), daemon=True)
               for i in range(cfg.clients)]
    window: dict[str, float] = {}
    threads.append(threading.Thread(target=_cpu_window, args=(server_pid, start_at, stop_at,
                                                              window), daemon=True))
    load_before = os.getloadavg()
    generation = _generation(url)
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = max(time.monotonic(), stop_at) - start_at
    outcomes = [o for rs in results for o in rs]
    summary = summarise(outcomes, elapsed)
    return summary | {"cpu": cpu_summary(window, summary),
        "clients": cfg.clients, "duration_s": cfg.duration_s, "add_fraction": cfg.add_fraction,
        "offered_per_s": cfg.rate, "loop": "open" if cfg.rate else "closed",
        "commits": _generation(url) - generation,  # warm-up adds included
        "loadavg_before": list(load_before), "loadavg_after": list(os.getloadavg()),
    }


def _generation(url: str) -> int:
    """The store's write generation: one step per committed write."""
    return int(httpx.get(url + "/v1/stats", timeout=60).json()["generation"])


def latency_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    """Count, mean and percentiles (numpy's linear interpolation), in milliseconds."""
    if not seconds:
        return {"n": 0}
    a = np.asarray(seconds) * 1000
    p50, p95, p99 = np.percentile(a, [50, 95, 99])
    return {"n": len(a), "mean_ms": round(float(a.mean()), 2), "p50_ms": round(float(p50), 2),
            "p95_ms": round(float(p95), 2), "p99_ms": round(float(p99), 2),
            "max_ms": round(float(a.max()), 2)}


def summarise(outcomes: Sequence[Outcome], elapsed_s: float) -> dict[str, Any]:
    """Per-operation rates, latencies and errors (a non-2xx status or no answer)."""
    ops: dict[str, Any] = {}
    for op in ("retrieve", "add"):
        mine = [o for o in outcomes if o.op == op]
        failed = [o for o in mine if o.status is None or not 200 <= o.status < 300]
        ops[op] = {
            "requests": len(mine),
            "per_s": round(len(mine) / elapsed_s, 2),
            "errors": len(failed),
            "error_samples": sorted({f"{o.status}: {o.error}" for o in failed})[:5],
            **latency_ms([o.latency_s for o in mine]),
        }
    return {"elapsed_s": round(elapsed_s, 2), "requests": len(outcomes),
            "requests_per_s": round(len(outcomes) / elapsed_s, 2),
            "errors": sum(v["errors"] for v in ops.values()), "ops": ops}
