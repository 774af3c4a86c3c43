"""A real ``graphmem serve`` in a subprocess on a free port, over a small real memory."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from graphmem import Memory, read_documents

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample_corpus.jsonl"
TOKEN = "test-token-1"

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    proc: subprocess.Popen[bytes]
    url: str
    store: Path
    log: Path

    def stop(self, timeout: float = 60) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout)


def serve_cmd(store: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "graphmem.cli", "serve", "--store", str(store), *args]


def server_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GRAPHMEM_TOKENS"}
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def start_server(store: Path, log: Path, *args: str, env: dict[str, str] | None = None,
                 wait_s: float = 120) -> Served:
    """Start the server and wait for /readyz; fail with its log when it dies first."""
    port = free_port()
    with log.open("wb") as out:
        proc = subprocess.Popen(serve_cmd(store, "--port", str(port), *args), env=env or
                                server_env(), stdout=out, stderr=subprocess.STDOUT)
    served = Served(proc, f"http://127.0.0.1:{port}", store, log)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"server exited {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(served.url + "/readyz", timeout=2).status_code == 200:
                return served
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    served.stop()
    pytest.fail(f"server not ready after {wait_s} s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory, embedder, extractor) -> Path:
    """A memory of the sample corpus, built in-process with the session's models."""
    path = tmp_path_factory.mktemp("served") / "mem"
    with Memory(path, embedder=embedder, extractor=extractor) as mem:
        mem.add(read_documents(SAMPLE))
    return path


@pytest.fixture(scope="module")
def server(store_dir, tmp_path_factory) -> Iterator[Served]:
    """The sample memory served with a token (from GRAPHMEM_TOKENS) and small limits."""
    log = tmp_path_factory.mktemp("logs") / "server.log"
    served = start_server(
        store_dir, log, "--max-body-bytes", "65536", "--max-text-chars", "5000",
        "--max-top-k", "20", env=server_env(GRAPHMEM_TOKENS=f"other-token, {TOKEN}"))
    yield served
    assert served.stop() == 0, served.log.read_text()


@pytest.fixture
def local(store_dir, embedder, extractor) -> Iterator[Memory]:
    """The served store opened in this process too (WAL: both read it at once)."""
    with Memory(store_dir, embedder=embedder, extractor=extractor) as mem:
        yield mem


def _texts(tag: str, start: int, n: int) -> list[str]:
    return [f"{tag}{i} Varnholt was born in Quarrow{i} and taught at Dunmere School {i}. "
            f"{tag}{i} later moved to Pellham{i % 4}." for i in range(start, start + n)]


def sized_batch(url: str, token: str | None, tag: str, seconds: float) -> list[str]:
    """Texts whose add should take about ``seconds`` on this machine now: 10 are added first
    and timed (the machine is shared, so its speed is measured, not assumed)."""
    from graphmem.client import Client

    with Client(url, token=token) as c:
        started = time.monotonic()
        c.add(_texts(tag + "Calib", 0, 10))
        per_doc = max((time.monotonic() - started) / 10, 1e-3)
    return _texts(tag, 0, max(20, min(1000, int(seconds / per_doc))))
