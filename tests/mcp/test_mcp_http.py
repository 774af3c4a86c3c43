"""The same MCP tools on ``graphmem serve`` at /mcp (streamable HTTP), driven by the SDK's
own streamable HTTP client: the bearer token is required, and a round trip equals in-process
Memory on the same store."""

from __future__ import annotations

import pytest
from conftest import TOKEN, error_text, httpx, payload
from hitcheck import assert_same_hits

from graphmem import Memory
from graphmem.server.wire import hit_from_json

httpx2 = pytest.importorskip("httpx2")

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_round_trip_over_http(http_server, store_dir, embedder, extractor):
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with (httpx2.AsyncClient(headers=headers) as http,
                streamable_http_client(http_server + "/mcp", http_client=http) as (read, write),
                ClientSession(read, write) as session):
        await session.initialize()
        names = sorted(t.name for t in (await session.list_tools()).tools)
        assert names == ["forget", "recall", "remember", "stats"]
        out = payload(await session.call_tool("remember", {
            "text": "Oren Vask founded the Lumen Ferry company in Tessingford.", "id": "http/oren"}))
        assert out == {"doc_id": "http/oren", "namespace": "default"}
        query = "Who founded the Lumen Ferry company?"
        got = payload(await session.call_tool("recall", {"query": query, "top_k": 5}))
        with Memory(store_dir, embedder=embedder, extractor=extractor) as local:
            # the server solves PPR after its writes as a server does (a refreshed graph may
            # defer the elimination): same hits, scores equal up to the solver tolerance
            assert_same_hits([hit_from_json(p) for p in got["passages"]], local.retrieve(query, top_k=5))
            assert got["passages"][0]["doc_id"] == "http/oren"
            stats = payload(await session.call_tool("stats", {}))
            assert stats["documents"] == local.stats()["documents"]
        message = error_text(await session.call_tool("recall", {"query": query, "top_k": 21}))
        assert "'top_k'" in message and "20" in message  # the server's --max-top-k
        assert payload(await session.call_tool("forget", {"doc_id": "http/oren"}))["chunks"] == 1


def test_mcp_needs_the_token(http_server):
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        r = httpx.post(http_server + "/mcp", json=body, headers=headers)
        assert r.status_code == 401
        assert r.json()["error"]["code"] == "unauthorized"
