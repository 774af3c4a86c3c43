"""``graphmem mcp`` over stdio, driven by the MCP SDK's own ClientSession: the tool list, the
remember → recall → forget round trip against in-process Memory on the same store, stats, and
every bad argument failing as a tool error that names it with nothing stored."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import error_text, mcp_env, payload, stdio_session
from hitcheck import assert_same_hits
from mcp import ClientSession

from graphmem import Memory
from graphmem.ids import doc_id_for
from graphmem.server.wire import hit_from_json

pytestmark = pytest.mark.anyio

COUNTS = ("documents", "chunks", "entities", "facts", "synonym_edges", "mentions", "generation")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def _counts(stats: dict) -> dict:
    return {k: stats[k] for k in COUNTS}


async def test_tools_round_trip_and_errors(store_dir, embedder, extractor):
    with Memory(store_dir, embedder=embedder, extractor=extractor) as local:
        before = _counts(local.stats())
        # one server process for the whole module: each start loads the models (seconds)
        async with stdio_session(store_dir, "--max-top-k", "20", "--max-text-chars", "200"
                                 ) as session:
            tools = {t.name: t for t in (await session.list_tools()).tools}
            assert sorted(tools) == ["forget", "recall", "remember", "stats"]  # no LLM: no answer
            required = {n: t.input_schema.get("required", []) for n, t in tools.items()}
            assert required == {"remember": ["text"], "recall": ["query"], "forget": ["doc_id"],
                                "stats": []}
            assert set(tools["remember"].input_schema["properties"]) == {
                "text", "title", "metadata", "id", "time", "namespace"}
            assert set(tools["recall"].input_schema["properties"]) == {"query", "top_k", "namespace",
                                                                    "as_of"}

            assert _counts(payload(await session.call_tool("stats", {}))) == before
            await _bad_arguments_are_tool_errors_naming_them(session)
            text = "Mara Quell was born in Ostmere and painted the harbour."
            out = payload(await session.call_tool("remember", {
                "text": text, "id": "mcp/mara", "title": "Mara", "metadata": {"n": 1}}))
            assert out == {"doc_id": "mcp/mara", "namespace": "default"}
            again = payload(await session.call_tool("remember", {"text": text, "id": "mcp/mara"}))
            # stored unchanged: not stored twice
            assert again == {"doc_id": "mcp/mara", "namespace": "default"}
            plain = "Tessingford is a port on the Vell estuary."
            assert payload(await session.call_tool("remember", {"text": plain})) == {
                "doc_id": doc_id_for(plain), "namespace": "default"}

            stats = payload(await session.call_tool("stats", {}))
            assert stats["documents"] == before["documents"] + 2
            assert _counts(stats) == _counts(local.stats())

            for query in ("Where was Mara Quell born?",
                          "In which valley was the author of The Salt Lantern born?"):
                got = payload(await session.call_tool("recall", {"query": query, "top_k": 5}))
                assert got["query"] == query
                hits = [hit_from_json(p) for p in got["passages"]]
                # same ranking and explanations; the server embeds on one thread, so float32
                # scores agree to rounding, not to the bit
                assert_same_hits(hits, local.retrieve(query, top_k=5))
            got = payload(await session.call_tool("recall", {"query": "Where was Mara Quell born?",
                                                             "top_k": 1}))
            (top,) = got["passages"]
            assert top["doc_id"] == "mcp/mara" and top["metadata"] == {"n": 1}
            assert set(top["explanation"]) >= {"seed_entities", "matched_facts",
                                               "bridge_entities", "mode"}
            assert "Mara Quell" in [name for name, _ in top["explanation"]["seed_entities"]]

            report = payload(await session.call_tool("forget", {"doc_id": "mcp/mara"}))
            assert report["doc_id"] == "mcp/mara" and report["chunks"] == 1
            payload(await session.call_tool("forget", {"doc_id": doc_id_for(plain)}))
            got = payload(await session.call_tool("recall", {"query": "Where was Mara Quell born?",
                                                             "top_k": 20}))
            assert "mcp/mara" not in {p["doc_id"] for p in got["passages"]}
            after = payload(await session.call_tool("stats", {}))
            assert after["documents"] == before["documents"]
            assert _counts(after) == _counts(local.stats())


async def _bad_arguments_are_tool_errors_naming_them(s: ClientSession) -> None:
    """Every bad argument: a tool error whose text names it; nothing of them is stored."""
    before = payload(await s.call_tool("stats", {}))
    cases = [
        ("remember", {"text": ""}, "'text'"),
        ("remember", {"text": "   \n"}, "'text'"),
        ("remember", {"text": "x" * 201}, "'text'"),
        ("remember", {"text": "Ilse Varn lives in Corram.", "id": " "}, "'id'"),
        ("recall", {"query": "Who?", "top_k": 0}, "'top_k'"),
        ("recall", {"query": "Who?", "top_k": 21}, "'top_k'"),
        ("recall", {"query": "  "}, "'query'"),
        ("recall", {"query": "Who?", "top_k": "many"}, "top_k"),  # the SDK's schema check
        ("remember", {}, "text"),
        ("forget", {"doc_id": ""}, "'doc_id'"),
    ]
    for tool, args, named in cases:
        message = error_text(await s.call_tool(tool, args))
        assert named in message, (tool, args, message)
    message = error_text(await s.call_tool("forget", {"doc_id": "no/such/doc"}))
    assert "no document with id 'no/such/doc' is stored" in message
    # an id already used for another text: a conflict, and the stored one is kept
    first = payload(await s.call_tool("remember", {"text": "Ilse Varn lives in Corram.",
                                                   "id": "mcp/ilse"}))
    message = error_text(await s.call_tool("remember", {"text": "Ilse Varn left Corram.",
                                                        "id": "mcp/ilse"}))
    assert "mcp/ilse" in message
    assert payload(await s.call_tool("forget", {"doc_id": first["doc_id"]}))["chunks"] == 1
    after = payload(await s.call_tool("stats", {}))
    assert after["documents"] == before["documents"]  # nothing of the errors was stored


def test_import_graphmem_does_not_load_the_sdk():
    code = ("import sys, graphmem, graphmem.cli, graphmem.mcp; "
            "print(sorted(m for m in sys.modules if m == 'mcp' or m.startswith('mcp.')))")
    out = subprocess.run([sys.executable, "-c", code], env=mcp_env(), capture_output=True,
                         text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_missing_sdk_names_the_extra(monkeypatch):
    from graphmem.errors import MissingDependencyError
    from graphmem.mcp import mcp_available, require_mcp_extra

    monkeypatch.setitem(sys.modules, "mcp.server.mcpserver", None)  # import now fails
    with pytest.raises(MissingDependencyError, match=r"pip install 'graphmem\[mcp\]'"):
        require_mcp_extra()
    assert not mcp_available()
