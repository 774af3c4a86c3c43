"""The server benchmark's CPU accounting: the budget arithmetic on a worked example, and the
per-process CPU reading on a real child process (no server, no models)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


psutil = pytest.importorskip("psutil")
pytest.importorskip("httpx")
server_load = _load("server_load")
bench_server = _load("bench_server")


def _loop(requests: int, adds: int, server_ms: float, client_ms: float) -> dict:
    return {"requests": requests,
            "ops": {"retrieve": {"requests": requests - adds}, "add": {"requests": adds}},
            "cpu": {"server_cpu_ms_per_request": server_ms,
                    "load_generator_cpu_ms_per_request": client_ms}}


def test_budget_worked_example():
    # retrievals alone: 16 ms of server CPU each; the mix: 190 retrievals + 10 adds at 20 ms a
    # request on average, so the adds took (200*20 - 190*16) / 10 = 96 ms each
    reads = _loop(300, 0, 16.0, 1.5)
    mixed = _loop(200, 10, 20.0, 2.0)
    b = bench_server.cpu_budget(mixed, reads, 0.05, target_per_s=100)
    assert b["server_cpu_ms_per_retrieval"] == 16.0
    assert b["server_cpu_ms_per_add"] == 96.0
    assert b["adds_per_s"] == 5.26  # 100 * 0.05 / 0.95
    # (100*16 + 5.263*96 + 105.263*2) / 1000 = 2.316 cores, of them 2.105 the server's
    assert b["cores_needed"] == 2.32
    assert b["server_cores_needed"] == 2.11
    assert b["load_generator_cpu_ms_per_request"] == 2.0


def test_budget_without_adds_charges_only_retrievals():
    reads = _loop(100, 0, 10.0, 1.0)
    b = bench_server.cpu_budget(_loop(100, 0, 10.0, 1.0), reads, 0.0, target_per_s=50)
    assert (b["server_cpu_ms_per_add"], b["adds_per_s"], b["cores_needed"]) == (0.0, 0.0, 0.55)


def test_cpu_seconds_reads_a_child_process_tree():
    # a parent that starts a busy child: the tree's CPU counts the child's
    code = ("import subprocess, sys; subprocess.run([sys.executable, '-c', "
            "'import time\\nend = time.process_time() + 0.4\\nwhile time.process_time() < end: pass\\n"
            "time.sleep(30)'])")
    proc = subprocess.Popen([sys.executable, "-c", code])
    try:
        deadline = time.monotonic() + 20
        used = 0.0
        while time.monotonic() < deadline and used < 0.4:
            time.sleep(0.1)
            used = server_load.cpu_seconds(proc.pid)
        assert used >= 0.4
    finally:
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()  # before its parent, which would leave it to init
        proc.kill()
        proc.wait()


def test_cpu_summary_divides_by_window_and_requests():
    window = {"window_s": 10.0, "server_s": 15.0, "load_generator_s": 1.0}
    c = server_load.cpu_summary(window, {"requests": 500})
    assert (c["server_cores"], c["load_generator_cores"]) == (1.5, 0.1)
    assert (c["server_cpu_ms_per_request"], c["load_generator_cpu_ms_per_request"]) == (30.0, 2.0)
