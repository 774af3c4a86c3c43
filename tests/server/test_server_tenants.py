"""Namespace-bound tokens (issue 13) on a real server over sockets: a token for tenant A can
never read or write tenant B's documents, through any /v1 endpoint or MCP tool."""

from __future__ import annotations

import json

import httpx
import pytest
from conftest import server_env, start_server

from graphmem import Document, NotFoundError
from graphmem.client import Client, ForbiddenError

ADMIN, A, B, AB = "tok-admin", "tok-alpha", "tok-beta", "tok-both"
A_TEXT = "Ilse Marrow was born in Quenby and founded the Quenby Lantern Works."
B_TEXT = "Tomas Reeve was born in Hollin and founded the Hollin Glass Company."


@pytest.fixture(scope="module")
def tenants(tmp_path_factory):
    """A server whose tokens file binds A to alpha, B to beta, AB to both (beta first); ADMIN
    is unbound. Each tenant stores one document in its namespace."""
    root = tmp_path_factory.mktemp("tenants")
    tokens = root / "tokens"
    tokens.write_text(f"# tenants\n{ADMIN}\n{A}: alpha\n{B}: beta\n{AB}: beta, alpha\n")
    served = start_server(root / "mem", root / "server.log", "--tokens", str(tokens),
                          env=server_env())
    try:
        with Client(served.url, token=A) as a, Client(served.url, token=B) as b:
            assert a.add(Document(A_TEXT, id="a/1", metadata={"tenant": "A"})) == ["a/1"]
            assert b.add(Document(B_TEXT, id="b/1", metadata={"tenant": "B"})) == ["b/1"]
        yield served
    finally:
        assert served.stop() == 0, served.log.read_text()


def _forbidden(reply: httpx.Response, namespace: str) -> None:
    assert reply.status_code == 403, reply.text
    assert reply.json() == {"error": {
        "code": "forbidden_namespace", "field": "namespace",
        "message": f"this token is not allowed to use namespace {namespace!r}"}}


def test_bound_token_defaults_to_its_namespace(tenants):
    with Client(tenants.url, token=A) as a, Client(tenants.url, token=ADMIN) as admin:
        assert [d.doc_id for d in a.documents()] == ["a/1"]
        assert a.documents()[0].namespace == "alpha"
        hits = a.retrieve("Who founded the Hollin Glass Company?", top_k=5)
        assert [(h.doc_id, h.namespace) for h in hits] == [("a/1", "alpha")]
        assert a.stats()["documents"] == 1 and a.stats()["namespaces"] == 1
        assert a.namespaces() == ["alpha"]
        assert admin.namespaces() == ["alpha", "beta"]
        assert admin.stats()["documents"] == 2  # unbound, no namespace: the whole store
        assert admin.documents() == []  # unbound: "default", which holds nothing
        assert [d.doc_id for d in admin.documents(namespace="beta")] == ["b/1"]
    with Client(tenants.url, token=AB) as both:
        assert both.namespaces() == ["alpha", "beta"]
        assert [d.doc_id for d in both.documents()] == ["b/1"]  # its first namespace
        assert [d.doc_id for d in both.documents(namespace="alpha")] == ["a/1"]


def test_token_for_a_never_reaches_b(tenants):
    url, auth = tenants.url, {"Authorization": f"Bearer {A}"}
    q = {"namespace": "beta"}
    body = {"documents": [{"text": "Intruder text."}]}
    _forbidden(httpx.post(url + "/v1/documents", json=body, headers=auth, params=q), "beta")
    _forbidden(httpx.post(url + "/v1/documents", json=body | {"namespace": "beta"},
                          headers=auth), "beta")
    _forbidden(httpx.put(url + "/v1/documents", json=body, headers=auth, params=q), "beta")
    _forbidden(httpx.put(url + "/v1/documents/b/1", json={"text": "Overwritten."},
                         headers=auth, params=q), "beta")
    _forbidden(httpx.get(url + "/v1/documents", headers=auth, params=q), "beta")
    _forbidden(httpx.get(url + "/v1/documents/b%2F1", headers=auth, params=q), "beta")
    _forbidden(httpx.delete(url + "/v1/documents/b%2F1", headers=auth, params=q), "beta")
    _forbidden(httpx.request("DELETE", url + "/v1/documents", json={"ids": ["b/1"],
               "namespace": "beta"}, headers=auth), "beta")
    _forbidden(httpx.post(url + "/v1/retrieve", json={"query": "Hollin Glass",
               "namespace": "beta"}, headers=auth), "beta")
    _forbidden(httpx.get(url + "/v1/stats", headers=auth, params=q), "beta")
    _forbidden(httpx.get(url + "/v1/graph/export", headers=auth, params=q), "beta")
    _forbidden(httpx.delete(url + "/v1/namespaces/beta", headers=auth), "beta")
    _forbidden(httpx.get(url + "/v1/documents", headers=auth, params={"namespace": "default"}),
               "default")
    bad = httpx.get(url + "/v1/documents", params={"namespace": " "},
                    headers={"Authorization": f"Bearer {ADMIN}"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "namespace"
    # in its own namespace, B's ids are simply not there
    with Client(url, token=A) as a:
        with pytest.raises(NotFoundError):
            a.document("b/1")
        with pytest.raises(NotFoundError):
            a.delete("b/1")
        with pytest.raises(ForbiddenError) as err:
            a.retrieve("Hollin Glass", namespace="beta")
        assert err.value.status == 403 and "'beta'" in str(err.value)
        graph = json.loads(a.export("json"))
        doc_ids = {n.get("doc_id") for n in graph["nodes"]} - {None}
        assert doc_ids == {"a/1"}
        assert "Hollin" not in json.dumps(graph)
    with Client(url, token=B) as b:  # B's document is intact
        assert [(d.doc_id, d.metadata) for d in b.documents()] == [("b/1", {"tenant": "B"})]
        assert b.retrieve("Who founded the Hollin Glass Company?", top_k=1)[0].text == B_TEXT


def test_mcp_tools_respect_the_binding(tenants):
    pytest.importorskip("mcp.server.mcpserver")
    httpx2 = pytest.importorskip("httpx2")
    import anyio
    from mcp import ClientSession
    from mcp.client.streamable_http import streamable_http_client

    async def calls() -> list:
        headers = {"Authorization": f"Bearer {A}"}
        async with (httpx2.AsyncClient(headers=headers) as http,
                    streamable_http_client(tenants.url + "/mcp", http_client=http) as (r, w),
                    ClientSession(r, w) as session):
            await session.initialize()
            return [
                await session.call_tool("recall", {"query": "Hollin Glass", "namespace": "beta"}),
                await session.call_tool("remember", {"text": "Intruder.", "namespace": "beta"}),
                await session.call_tool("forget", {"doc_id": "b/1", "namespace": "beta"}),
                await session.call_tool("stats", {"namespace": "beta"}),
                await session.call_tool("recall", {"query": "Who founded the Hollin Glass "
                                                   "Company?", "top_k": 5}),
                await session.call_tool("forget", {"doc_id": "b/1"}),
            ]

    recall_b, remember_b, forget_b, stats_b, recall_own, forget_own = anyio.run(calls)
    for tool, result in zip(("recall", "remember", "forget", "stats"),
                            (recall_b, remember_b, forget_b, stats_b)):
        assert result.is_error
        assert result.content[0].text == (f"Error executing tool {tool}: forbidden: this token "
                                          "is not allowed to use namespace 'beta'")
    own = recall_own.structured_content
    assert own["namespace"] == "alpha"
    assert [p["doc_id"] for p in own["passages"]] == ["a/1"]
    assert forget_own.is_error
    assert forget_own.content[0].text == ("Error executing tool forget: no document with id "
                                          "'b/1' is stored in namespace 'alpha'")
    with Client(tenants.url, token=ADMIN) as admin:
        assert [d.doc_id for d in admin.documents(namespace="beta")] == ["b/1"]
        assert admin.stats()["documents"] == 2
