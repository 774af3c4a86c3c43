"""A real ``graphmem mcp`` subprocess driven by the MCP SDK's own client, over a small real
memory (the sample corpus, built in-process with the session's models)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from graphmem import Memory, read_documents

pytest.importorskip("mcp.server.mcpserver")
httpx = pytest.importorskip("httpx")

from mcp import ClientSession, StdioServerParameters, stdio_client
from mcp.types import CallToolResult

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "examples" / "sample_corpus.jsonl"
TOKEN = "mcp-test-token"


def mcp_env() -> dict[str, str]:
    """This process's environment with the worktree first on PYTHONPATH."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@asynccontextmanager
async def stdio_session(store: Path, *args: str) -> AsyncIterator[ClientSession]:
    """An initialised client session with ``graphmem mcp --store STORE ARGS`` (stderr: ours)."""
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "graphmem.cli", "mcp", "--store", str(store), *args],
        env=mcp_env())
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        yield session


def payload(result: CallToolResult) -> dict[str, Any]:
    """A successful tool result's JSON object (structured content; the text block agrees)."""
    assert not result.is_error, result.content
    assert result.structured_content is not None
    text = result.content[0].text  # type: ignore[union-attr]
    assert json.loads(text) == result.structured_content
    return result.structured_content


def error_text(result: CallToolResult) -> str:
    """A failed tool result's message."""
    assert result.is_error, result
    return "".join(getattr(c, "text", "") for c in result.content)


@pytest.fixture(scope="session")
def store_dir(tmp_path_factory, embedder, extractor) -> Path:
    """The sample corpus, built once for the session (each test removes what it adds)."""
    path = tmp_path_factory.mktemp("mcp") / "mem"
    with Memory(path, embedder=embedder, extractor=extractor) as mem:
        mem.add(read_documents(SAMPLE))
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def http_server(store_dir, tmp_path_factory) -> Iterator[str]:
    """``graphmem serve`` on the store with token :data:`TOKEN`; yields its base URL and checks
    that SIGTERM still ends it with status 0 (the MCP session manager shut down cleanly)."""
    pytest.importorskip("fastapi")
    port = free_port()
    log = tmp_path_factory.mktemp("logs") / "serve.log"
    env = mcp_env() | {"GRAPHMEM_TOKENS": TOKEN}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "graphmem.cli", "serve", "--store", str(store_dir),
             "--port", str(port), "--max-top-k", "20", "--readers", "1"], env=env, stdout=out,
            stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"server not ready (exit {proc.poll()}):\n{log.read_text()}")
        try:
            if httpx.get(url + "/readyz", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    yield url
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) == 0, log.read_text()
