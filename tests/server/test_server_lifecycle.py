"""Start-up refusals, lazy imports and SIGTERM during a write, each in a real process."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time

import httpx
import pytest
from conftest import ROOT, serve_cmd, server_env, sized_batch, start_server

from graphmem import GraphMemError, Memory, MissingDependencyError
from graphmem.client import Client


def test_refuses_non_loopback_without_tokens(tmp_path):
    started = time.monotonic()
    out = subprocess.run(serve_cmd(tmp_path / "mem", "--host", "0.0.0.0"), env=server_env(),
                         check=False, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "refusing to bind '0.0.0.0' without auth" in out.stderr
    assert time.monotonic() - started < 30  # refused before any model loads
    assert not (tmp_path / "mem").exists()


def test_import_graphmem_loads_no_server_library():
    code = ("import sys, graphmem, graphmem.cli, graphmem.server; "
            "bad = {'fastapi', 'uvicorn', 'starlette', 'httpx', 'pipelines', 'viz'} "
            "& set(m.split('.')[0] for m in sys.modules); assert not bad, bad")
    subprocess.run([sys.executable, "-c", code], env=server_env(), check=True, cwd=ROOT,
                   timeout=60)


def test_missing_extra_names_it(monkeypatch):
    from graphmem.server import require_server_extra

    monkeypatch.setitem(sys.modules, "uvicorn", None)  # import uvicorn -> ImportError
    with pytest.raises(MissingDependencyError, match=r"graphmem\[server\]"):
        require_server_extra()


def test_sigterm_finishes_the_running_write(tmp_path):
    tokens = tmp_path / "tokens"
    tokens.write_text("# one token a line\nsecret-a\n\nsecret-b\n")
    served = start_server(tmp_path / "mem", tmp_path / "server.log", "--tokens", str(tokens))
    batch = sized_batch(served.url, "secret-a", "Ilse", seconds=5)
    result: dict[str, object] = {}

    def write() -> None:
        try:
            with Client(served.url, token="secret-b") as c:
                result["ids"] = c.add(batch)
        except (httpx.HTTPError, GraphMemError) as exc:  # reported by the assertion below
            result["error"] = exc

    writer = threading.Thread(target=write)
    writer.start()
    time.sleep(1.0)  # the batch is on the writer thread (it takes seconds)
    assert writer.is_alive(), f"the write finished before SIGTERM: {result}"
    served.proc.send_signal(signal.SIGTERM)
    time.sleep(0.3)
    with pytest.raises(httpx.TransportError):  # no longer accepting
        httpx.get(served.url + "/healthz", timeout=5)
    writer.join(120)
    assert served.proc.wait(60) == 0, served.log.read_text()
    assert "error" not in result, result
    ids = result["ids"]
    assert isinstance(ids, list) and len(ids) == len(batch)
    with Memory(served.store) as mem:
        assert set(ids) <= {d.doc_id for d in mem.documents()}
