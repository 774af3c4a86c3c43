"""The live explorer at ``/`` of a real ``graphmem serve`` (with a token), driven in headless
Chromium: the token typed into the page reaches the API, the hits shown are the API's, a
clicked node expands to the neighbours the API gives, a document is deleted through the page,
and markup in passages and titles shows as text and runs nothing. One server and one browser
for the module; the browser tests skip when Chromium is not installed."""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from conftest import Served, server_env, start_server

from graphmem import Document, Memory

pytest.importorskip("pyvis", reason="pyvis not installed: pip install 'graphmem[viz]'")

TOKEN = "explorer-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
IMG_PAYLOAD = '<img src=x onerror="window.__pwned=1;alert(1)">'
SCRIPT_TITLE = "<script>window.__pwned=2;alert(2)</script>"
DOCS = [
    Document(id="ostrava", title="Maren Ostrava",
             text="Maren Ostrava wrote the novel Glass Orchard. Maren Ostrava was born in Tessaly."),
    Document(id="tessaly", title="Tessaly",
             text="Tessaly is a harbour town in the Vell Valley. The Corran River flows through "
                  "Tessaly."),
    Document(id="orchard", title="Glass Orchard",
             text="Glass Orchard is a novel about a lighthouse. Quillon Books published Glass "
                  "Orchard."),
    Document(id="vane", title=SCRIPT_TITLE,
             text=f"Dorrik Vane sang {IMG_PAYLOAD} at Quarry Hall. "
                  "</script><script>window.__pwned=3</script> Dorrik Vane was born in Tessaly."),
    Document(id="crane/scratch#1", title='<img src=x onerror="window.__pwned=4">',
             text="Bellamy Crane repaired clocks in Ostwick. Bellamy Crane was born in Ostwick."),
]
OTHER_DOCS = [
    Document(id="wren", title="Tobias Wren", text="Tobias Wren built the Ferrow Bridge. Tobias "
                                                  "Wren was born in Halvenbrook."),
    Document(id="halvenbrook", text="Halvenbrook is a mill town in the Askel Valley."),
]
QUERY = "In which valley was the author of Glass Orchard born?"
READY = "window.graphmemExplorer && graphmemExplorer.ready && graphmemExplorer.busy === 0"


@pytest.fixture(scope="module")
def served(tmp_path_factory, embedder, extractor) -> Iterator[Served]:
    path = tmp_path_factory.mktemp("explorer") / "mem"
    with Memory(path, embedder=embedder, extractor=extractor) as mem:
        mem.add(DOCS)
        mem.add(OTHER_DOCS, namespace="other")
    log = tmp_path_factory.mktemp("logs") / "server.log"
    server = start_server(path, log, env=server_env(GRAPHMEM_TOKENS=TOKEN))
    if httpx.get(server.url + "/").status_code != 200:
        server.stop()
        pytest.fail("the server has no page at /: the graphmem.server.pages entry point of "
                    "pyproject.toml is not installed (pip install -e . or make setup)")
    yield server
    assert server.stop() == 0, server.log.read_text()


@pytest.fixture(scope="module")
def api(served) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=served.url, headers=AUTH, timeout=60) as client:
        yield client


@pytest.fixture(scope="module")
def browser():
    from headless import Browser, find_chromium

    if find_chromium() is None:
        pytest.skip("Chromium not installed (apt-get install chromium, or set GRAPHMEM_CHROMIUM)")
    if importlib.util.find_spec("websocket") is None:
        pytest.skip("websocket-client not installed (pip install 'graphmem[dev]')")
    with Browser(timeout=30.0) as b:
        yield b


def js(value: Any) -> str:
    return json.dumps(value)


def click_element(browser, selector: str) -> None:
    """A real mouse click in the middle of the element (scrolled into view first)."""
    x, y = browser.evaluate(
        f"""(() => {{ const e = document.querySelector({js(selector)});
          e.scrollIntoView({{block: 'center'}}); const r = e.getBoundingClientRect();
          return [r.left + r.width / 2, r.top + r.height / 2]; }})()""")
    browser.click(x, y)


def type_into(browser, selector: str, text: str) -> None:
    browser.evaluate(f"(() => {{ const e = document.querySelector({js(selector)}); "
                     "e.value = ''; e.focus(); })()")
    browser.type_text(text)


def open_explorer(browser, served: Served) -> None:
    """Load the page with the token already in this tab's sessionStorage."""
    browser.goto(served.url + "/")
    browser.wait_for(READY)
    if browser.evaluate("sessionStorage.getItem('graphmem.explorer.token')") != TOKEN:
        type_into(browser, "#gx-token", TOKEN)
        click_element(browser, "#gx-token-save")
        browser.wait_for(READY + " && graphmemExplorer.documents.length > 0")
        browser.events.clear()  # the 401s of the first, tokenless load are expected


def ask(browser, query: str, top_k: int = 3) -> None:
    type_into(browser, "#gx-query", query)
    type_into(browser, "#gx-topk", str(top_k))
    browser.evaluate("graphmemExplorer.trace = null")
    click_element(browser, "#gx-ask")
    browser.wait_for(READY + " && graphmemExplorer.trace !== null && graphmemExplorer.settled")


def shown_nodes(browser) -> set[str]:
    return set(browser.evaluate("graphmemExplorer.nodes.getIds()"))


def node_point(browser, node_id: str) -> tuple[float, float]:
    """Centre the view on a node (so no overlay covers it) and return its page coordinates."""
    x, y = browser.evaluate(
        f"""(() => {{ const v = graphmemExplorer, id = {js(node_id)};
          const p = v.network.getPositions([id])[id];
          v.network.moveTo({{position: p, scale: 1.5, animation: false}});
          const d = v.network.canvasToDOM(p);
          const r = document.getElementById('gx-graph').getBoundingClientRect();
          return [r.left + d.x, r.top + d.y]; }})()""")
    browser.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
    return x, y


# ---- the page and its API ---------------------------------------------------------------------

def test_page_is_served_offline_with_a_strict_policy(served):
    from viz.offline import remote_references

    r = httpx.get(served.url + "/")  # no token: the page holds no data
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    csp = r.headers["content-security-policy"]
    script_src = next(p for p in csp.split(";") if p.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert script_src.split()[1:] and all(s.startswith("'sha256-") for s in script_src.split()[1:])
    for part in ("default-src 'none'", "connect-src 'self'", "frame-ancestors 'none'"):
        assert part in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert remote_references(r.text) == []
    assert httpx.get(served.url + "/v1/namespaces").status_code == 401  # the API still needs it


def test_trace_endpoint_explains_the_hits_of_retrieve(api):
    retrieved = api.post("/v1/retrieve", json={"query": QUERY, "top_k": 3}).json()["hits"]
    t = api.post("/v1/trace", json={"query": QUERY, "top_k": 3, "nodes": 12}).json()
    assert t["hits"] == retrieved and t["mode"] == "ppr"
    nodes = {n["id"]: n for n in t["nodes"]}
    assert len(nodes) == len(t["nodes"]) <= 12
    assert [n["rank"] for n in t["nodes"][:3]] == [1, 2, 3]
    assert [n["id"] for n in t["nodes"][:3]] == [f"passage:{h['chunk_id']}" for h in retrieved]
    assert any(n["seed"] for n in t["nodes"]) and nodes["entity:glass orchard"]["seed"]
    assert all(e["source"] in nodes and e["target"] in nodes for e in t["edges"])
    assert {"fact", "mention"} <= {e["kind"] for e in t["edges"]}
    bad = api.post("/v1/trace", json={"query": QUERY, "nodes": 10_000})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "nodes"


def test_graph_node_endpoint(api):
    r = api.get("/v1/graph/node", params={"id": "entity:tessaly", "limit": 2})
    body = r.json()
    assert r.status_code == 200 and body["node"] == "entity:tessaly"
    assert body["nodes"][0]["id"] == "entity:tessaly" and len(body["nodes"]) == 3
    assert body["more"] > 0
    full = api.get("/v1/graph/node", params={"id": "entity:tessaly", "limit": 200}).json()
    assert full["more"] == 0 and {"passage:ostrava#0", "passage:tessaly#0", "passage:vane#0",
                                  "entity:vell valley"} <= {n["id"] for n in full["nodes"]}
    missing = api.get("/v1/graph/node", params={"id": "entity:nowhere"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    other = api.get("/v1/graph/node", params={"id": "entity:tessaly", "namespace": "other"})
    assert other.status_code == 404  # Tessaly is in the default namespace only
    wren = api.get("/v1/graph/node", params={"id": "entity:tobias wren", "namespace": "other"})
    assert wren.status_code == 200 and "passage:wren#0" in {n["id"] for n in wren.json()["nodes"]}
    nope = api.get("/v1/graph/node", params={"id": "entity:tessaly", "namespace": "nope"})
    assert nope.status_code == 404 and "nope" in nope.json()["error"]["message"]
    assert api.get("/v1/namespaces").json() == {"namespaces": ["default", "other"]}


def test_document_routes_take_the_namespace(api):
    assert api.get("/v1/documents/wren").status_code == 404
    assert api.get("/v1/documents/wren", params={"namespace": "other"}).json()["id"] == "wren"
    ids = [d["id"] for d in api.get("/v1/documents", params={"namespace": "other"}).json()[
        "documents"]]
    assert ids == ["wren", "halvenbrook"]
    # a default-namespace document is not there to delete from "other": nothing is deleted
    assert api.delete("/v1/documents/ostrava", params={"namespace": "other"}).status_code == 404
    gone = api.request("DELETE", "/v1/documents", params={"namespace": "other"},
                       json={"ids": ["ostrava"]})
    assert gone.status_code == 404
    assert api.get("/v1/documents/ostrava").status_code == 200
    bad = api.get("/v1/documents", params={"namespace": ""})
    assert bad.status_code == 422


# ---- in the browser ---------------------------------------------------------------------------

def test_token_typed_into_the_page_is_sent_as_bearer(browser, served, api):
    browser.goto(served.url + "/")
    browser.evaluate("sessionStorage.clear()")
    browser.goto(served.url + "/")
    browser.wait_for(READY)
    assert "401" in browser.evaluate("document.getElementById('gx-status').textContent")
    assert browser.evaluate("graphmemExplorer.documents.length") == 0
    open_explorer(browser, served)
    listed = api.get("/v1/documents").json()["documents"]
    shown = browser.evaluate(
        "[...document.querySelectorAll('#gx-docs .gx-doc')].map(e => e.dataset.docId)")
    assert shown == [d["id"] for d in listed]
    assert browser.evaluate("[...document.querySelectorAll('#gx-namespace option')]"
                            ".map(o => o.value)") == ["default", "other"]
    assert browser.errors() == [] and browser.dialogs == []


def test_hits_shown_equal_the_api(browser, served, api):
    open_explorer(browser, served)
    ask(browser, QUERY, top_k=3)
    expected = api.post("/v1/retrieve", json={"query": QUERY, "top_k": 3}).json()["hits"]
    assert browser.evaluate("graphmemExplorer.hits") == expected
    rows = browser.evaluate(
        """[...document.querySelectorAll('#gx-hits .gx-hit')].map(e => [
             e.querySelector('.gx-rank').textContent, e.dataset.chunkId,
             e.querySelector('.gx-chunk').textContent, e.querySelector('.gx-hit-text').textContent,
             e.querySelector('.gx-score').textContent])""")
    assert rows == [[f"#{i}", h["chunk_id"], h["chunk_id"], h["text"], f"{h['score']:.4f}"]
                    for i, h in enumerate(expected, 1)]
    ids = ["passage:" + h["chunk_id"] for h in expected]
    labels = browser.evaluate(f"{js(ids)}.map(id => graphmemExplorer.nodes.get(id).label)")
    assert [label.split()[0] for label in labels] == ["#1", "#2", "#3"]
    assert browser.errors() == [] and browser.dialogs == []


def test_clicking_a_node_expands_it_from_the_api(browser, served, api):
    open_explorer(browser, served)
    browser.evaluate("graphmemExplorer.graphNodes = 8")  # the whole tiny graph fits in 30
    ask(browser, QUERY, top_k=3)
    before = shown_nodes(browser)
    assert len(before) == 8
    candidates = sorted(n for n in before if n.startswith("entity:"))
    views = {n: api.get("/v1/graph/node", params={"id": n, "limit": 25}).json()
             for n in candidates}
    target = next(n for n in candidates if {m["id"] for m in views[n]["nodes"]} - before)
    neighbours = {m["id"] for m in views[target]["nodes"]}
    x, y = node_point(browser, target)
    browser.click(x, y)
    browser.wait_for(f"graphmemExplorer.expanded[{js(target)}] && graphmemExplorer.busy === 0")
    after = shown_nodes(browser)
    assert after == before | neighbours
    added = browser.evaluate(f"graphmemExplorer.expanded[{js(target)}].added")
    assert set(added) == neighbours - before
    assert browser.evaluate("document.getElementById('gx-panel-body').dataset.node") == target
    edges = browser.evaluate("graphmemExplorer.edges.get().map(e => [e.from, e.to])")
    for e in views[target]["edges"]:
        assert [e["source"], e["target"]] in edges
    assert browser.errors() == [] and browser.dialogs == []


def test_namespace_switcher_reads_the_other_namespace(browser, served, api):
    open_explorer(browser, served)
    browser.evaluate("(() => { const s = document.getElementById('gx-namespace'); "
                     "s.value = 'other'; s.dispatchEvent(new Event('change')); })()")
    browser.wait_for(READY + " && graphmemExplorer.documents.length === 2")
    listed = api.get("/v1/documents", params={"namespace": "other"}).json()["documents"]
    assert browser.evaluate("graphmemExplorer.documents") == listed
    query = "In which valley was the builder of the Ferrow Bridge born?"
    ask(browser, query, top_k=2)
    expected = api.post("/v1/retrieve", json={"query": query, "top_k": 2,
                                              "namespace": "other"}).json()["hits"]
    assert browser.evaluate("graphmemExplorer.hits") == expected
    assert {h["doc_id"] for h in expected} <= {"wren", "halvenbrook"}
    assert browser.evaluate("sessionStorage.getItem('graphmem.explorer.namespace')") == "other"
    browser.goto(served.url + "/")  # the tab keeps its namespace
    browser.wait_for(READY)
    assert browser.evaluate("document.getElementById('gx-namespace').value") == "other"
    browser.evaluate("sessionStorage.setItem('graphmem.explorer.namespace', 'default')")
    assert browser.errors() == [] and browser.dialogs == []


def test_markup_in_passages_and_titles_runs_nothing(browser, served, api):
    open_explorer(browser, served)
    ask(browser, "Where was Dorrik Vane born?", top_k=5)
    hits = browser.evaluate("graphmemExplorer.hits")
    vane = next(h for h in hits if h["doc_id"] == "vane")
    texts = browser.evaluate(
        "[...document.querySelectorAll('#gx-hits .gx-hit-text')].map(e => e.textContent)")
    assert vane["text"] in texts and IMG_PAYLOAD in vane["text"]
    click_element(browser, f"#gx-hits .gx-hit[data-doc-id={js('vane')}] .gx-hit-title")
    browser.wait_for("document.getElementById('gx-passage-text') !== null")
    assert browser.evaluate("document.getElementById('gx-passage-text').textContent") == vane["text"]
    heading = browser.evaluate("document.querySelector('#gx-panel-body .gx-heading').textContent")
    assert heading == SCRIPT_TITLE
    titles = browser.evaluate(
        "[...document.querySelectorAll('#gx-docs .gx-doc-title')].map(e => e.textContent)")
    assert SCRIPT_TITLE in titles and DOCS[-1].title in titles
    time.sleep(0.3)  # an onerror handler would have run by now
    assert browser.evaluate("typeof window.__pwned") == "undefined"
    assert browser.evaluate("document.querySelectorAll('body img, body script:not([id])').length"
                            ) == 2  # the page's own two inline scripts, no element from data
    assert browser.dialogs == [] and browser.errors() == []


def test_delete_a_document_through_the_page(browser, served, api):
    doc_id = "crane/scratch#1"
    url = "/v1/documents/" + quote(doc_id, safe="")
    open_explorer(browser, served)
    assert api.get(url).status_code == 200
    button = f"#gx-docs .gx-doc[data-doc-id={js(doc_id)}] .gx-delete"
    click_element(browser, button)
    assert browser.evaluate(f"document.querySelector({js(button)}).textContent") != "Delete"
    assert api.get(url).status_code == 200  # armed, not yet deleted
    click_element(browser, button)
    browser.wait_for(f"graphmemExplorer.busy === 0 && !graphmemExplorer.documents"
                     f".some(d => d.id === {js(doc_id)})")
    assert api.get(url).status_code == 404
    shown = browser.evaluate(
        "[...document.querySelectorAll('#gx-docs .gx-doc')].map(e => e.dataset.docId)")
    assert shown == [d["id"] for d in api.get("/v1/documents").json()["documents"]]
    assert doc_id not in shown
    assert "deleted " + doc_id in browser.evaluate("document.getElementById('gx-status').textContent")
    assert browser.errors() == [] and browser.dialogs == []


def test_page_without_viz_plugin_is_a_json_404(served):
    """Not this server (it has the plugin): the app with no pages answers / like any unknown
    path, and the API is unchanged."""
    from starlette.testclient import TestClient

    from graphmem.server.app import create_app
    from graphmem.server.settings import ServerSettings

    class _Service:  # create_app only stores the service until a request reaches the memory
        ready = True

        def close(self) -> None: ...

    app = create_app(_Service(), ServerSettings(), pages=[])  # type: ignore[arg-type]
    with TestClient(app, base_url="http://localhost") as client:
        r = client.get("/")
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
