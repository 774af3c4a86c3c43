"""``graphmem serve --workers 2``: two real worker processes on one port over one store."""

from __future__ import annotations

import os

import httpx
from conftest import start_server

from graphmem.server.settings import ServerSettings
from graphmem.server.workers import WorkerSpec

NEW = {"id": "rowing-club", "text": "Quillon Brastead founded the Ostmark Rowing Club in 1911."}


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_two_workers_share_one_store_and_stop_cleanly(store_dir, tmp_path):
    served = start_server(store_dir, tmp_path / "server.log", "--workers", "2", wait_s=240)
    try:
        with httpx.Client(base_url=served.url, timeout=60) as http:
            added = http.post("/v1/documents", json={"documents": [NEW]})
        assert added.status_code == 200 and added.json() == {"ids": ["rowing-club"]}
        seen: dict[int, list[str]] = {}
        for _ in range(40):  # a new connection each time: the kernel picks the worker
            with httpx.Client(base_url=served.url, timeout=60) as http:
                pid = http.get("/healthz").json()["worker"]
                hits = http.post("/v1/retrieve", json={
                    "query": "Who founded the Ostmark Rowing Club?", "top_k": 1}).json()["hits"]
            seen.setdefault(pid, []).append(hits[0]["doc_id"])
            if len(seen) == 2 and sum(map(len, seen.values())) >= 10:
                break
        assert len(seen) == 2, f"one worker answered every connection: {seen}"
        # the write answered by one worker is what every worker's next retrieval sees
        assert {d for docs in seen.values() for d in docs} == {"rowing-club"}
        # no tokens: only requests addressed to a loopback name get in (DNS rebinding)
        port = served.url.rsplit(":", 1)[1]
        for host, status in ((f"localhost:{port}", 200), (f"[::1]:{port}", 200),
                             (f"evil.example:{port}", 421), ("127.0.0.1.evil.example", 421)):
            reply = httpx.get(served.url + "/v1/stats", headers={"Host": host})
            assert reply.status_code == status, (host, reply.text)
        refused = httpx.get(served.url + "/", headers={"Host": "evil.example"})
        assert refused.json()["error"]["field"] == "host"
    finally:
        status = served.stop(timeout=120)
    assert status == 0, served.log.read_text()
    assert not any(_alive(pid) for pid in seen)


def test_host_name():
    from graphmem.server.limits import host_name

    assert [host_name(h) for h in ("localhost:8765", "[::1]:80", "[::1]", "127.0.0.1", "::1",
                                   "Example.org:1")] == [
        "localhost", "::1", "::1", "127.0.0.1", "::1", "Example.org"]


def test_spec_round_trip_leaves_tokens_out_of_the_environment(tmp_path, monkeypatch):
    tokens = tmp_path / "tokens"
    tokens.write_text("secret-one: team-a\nsecret-two\n")
    monkeypatch.delenv("GRAPHMEM_TOKENS", raising=False)
    settings = ServerSettings(port=9999, workers=3, readers=1, tokens=("secret-one", "secret-two"),
                              bindings={"secret-one": ("team-a",)}, max_top_k=7,
                              defer_elimination=False)
    text = WorkerSpec("/data/mem", settings, str(tokens)).to_json()
    assert "secret" not in text
    back = WorkerSpec.from_json(text)
    assert back.store == "/data/mem" and back.tokens_file == str(tokens)
    assert back.settings == settings
    assert back.settings.memory_config().retrieve.defer_elimination is False
    assert ServerSettings().memory_config().retrieve.defer_elimination is True  # the default
