"""render() on a small real memory: counts, escaping, offline page, caps, errors, CLI."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from vizdata import DOCS, IMG_PAYLOAD, QUERY, SCRIPT_TITLE

from graphmem import MissingDependencyError
from viz import UnknownEntityError, VizError, render
from viz.cli import viz_command
from viz.page import read_payload, remote_references, script_json, vis_assets

pytest.importorskip("pyvis", reason="pyvis not installed: pip install 'graphmem[viz]'")

ROOT = Path(__file__).resolve().parents[2]


def edge_set(pairs):
    return {frozenset(p) for p in pairs}


def test_overview_of_a_small_memory_shows_the_whole_graph(viz_memory, tmp_path):
    g = viz_memory.to_networkx()
    report = render(viz_memory, tmp_path / "g.html")
    payload = read_payload((tmp_path / "g.html").read_text("utf-8"))
    n, e = g.number_of_nodes(), g.number_of_edges()
    assert (report.view, report.nodes, report.edges, report.left_out) == ("overview", n, e, 0)
    assert (report.total_nodes, report.total_edges) == (n, e)
    assert {v["id"] for v in payload["nodes"]} == set(g.nodes)
    assert edge_set((x["from"], x["to"]) for x in payload["edges"]) == edge_set(g.edges)
    assert payload["counts"] == {"nodes": n, "edges": e, "total_nodes": n, "total_edges": e}
    assert payload["note"] == report.note == f"showing {n} of {n} nodes and {e} of {e} edges"
    assert set(payload["details"]) == set(g.nodes)


def test_edges_carry_kind_styles(viz_memory, tmp_path):
    render(viz_memory, tmp_path / "g.html")
    payload = read_payload((tmp_path / "g.html").read_text("utf-8"))
    born = next(x for x in payload["edges"]
                if {x["from"], x["to"]} == {"entity:maren ostrava", "entity:tessaly"})
    assert born["label"] == "born in" and "dashes" not in born
    assert born["arrows"] == {"to": {"enabled": False}}
    mention = next(x for x in payload["edges"] if x["from"].startswith("passage:")
                   or x["to"].startswith("passage:"))
    assert mention["title"] == "mention: the passage names the entity" and "label" not in mention


def test_document_text_and_names_are_escaped_in_the_page(viz_memory, tmp_path):
    render(viz_memory, tmp_path / "g.html")
    html = (tmp_path / "g.html").read_text("utf-8")
    # Only the page's own three script elements exist (vis-network's code holds one "<script"
    # in a string); payload markup is \u003c-escaped.
    inlined = vis_assets()[0].lower().count("<script")
    assert len(re.findall(r"<script\b", html, re.IGNORECASE)) == 3 + inlined
    assert len(re.findall(r"</script", html, re.IGNORECASE)) == 3
    assert "<img" not in html
    assert "\\u003cimg src=x onerror=\\\"window.__pwned=1\\\"\\u003e" in html
    payload = read_payload(html)
    vane = payload["details"]["passage:vane#0"]
    assert vane["text"] == DOCS[3].text and vane["heading"] == SCRIPT_TITLE
    assert IMG_PAYLOAD in vane["text"]
    labels = {v["id"]: v["label"] for v in payload["nodes"]}
    assert labels["passage:vane#0"] == SCRIPT_TITLE[:31] + "…"


def test_script_json_escapes_markup_characters():
    value = {"t": "</script><b>&\u2028\u2029", "n": [1, 2.5]}
    text = script_json(value)
    assert text == ('{"t":"\\u003c/script\\u003e\\u003cb\\u003e\\u0026\\u2028\\u2029",'
                    '"n":[1,2.5]}')
    assert json.loads(text) == value
    with pytest.raises(ValueError):
        script_json({"x": float("nan")})


def test_page_references_nothing_remote(viz_memory, tmp_path):
    render(viz_memory, tmp_path / "q.html", query=QUERY)
    html = (tmp_path / "q.html").read_text("utf-8")
    assert remote_references(html) == []
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", html, re.IGNORECASE)
    assert "<link" not in html.lower()
    assert "vis.Network" in html  # vis-network is inlined, not fetched
    assert "Content-Security-Policy" in html
    assert remote_references('<script src="https://cdn.example/x.js">') == [
        '<script src="https://cdn.example/x.js">']
    assert remote_references("<link href=//cdn.example/x.css>") == [
        '<link href="//cdn.example/x.css">']


def test_max_nodes_caps_the_view_and_the_note_says_so(viz_memory, tmp_path):
    g = viz_memory.to_networkx()
    n, e = g.number_of_nodes(), g.number_of_edges()
    report = render(viz_memory, tmp_path / "g.html", max_nodes=5)
    payload = read_payload((tmp_path / "g.html").read_text("utf-8"))
    assert report.nodes == len(payload["nodes"]) == 5
    assert report.edges == len(payload["edges"])
    assert report.left_out == n - 5
    assert payload["note"] == report.note == (
        f"showing 5 of {n} nodes and {report.edges} of {e} edges; {n - 5} nodes left out "
        "(kept the top by PageRank over the whole graph)"
    )


def test_entity_view_normalises_the_name(viz_memory, tmp_path):
    g = viz_memory.to_networkx()
    report = render(viz_memory, tmp_path / "e.html", entity="  MAREN   Ostrava ")
    payload = read_payload((tmp_path / "e.html").read_text("utf-8"))
    focus = "entity:maren ostrava"
    ids = [v["id"] for v in payload["nodes"]]
    assert report.view == "entity" and ids[0] == focus
    assert set(ids[: 1 + g.degree(focus)]) == {focus, *g[focus]}
    assert payload["nodes"][0]["shape"] == "star"
    facts = payload["details"][focus]["sections"][0]
    assert facts["title"] == "Facts (with the passages that state them)"
    born = next(i for i in facts["items"] if "born in" in i["text"])
    assert born["text"] == "Maren Ostrava — born in — Tessaly"
    assert [link["node"] for link in born["links"]] == ["passage:ostrava#0"]


def test_unknown_entity_lists_close_names(viz_memory, tmp_path):
    with pytest.raises(UnknownEntityError) as info:
        render(viz_memory, tmp_path / "e.html", entity="Maren Ostrav")
    assert info.value.normalized == "maren ostrav"
    assert info.value.suggestions[0] == "maren ostrava"
    assert "no entity named 'Maren Ostrav'" in str(info.value)
    assert "close names: 'maren ostrava'" in str(info.value)
    assert not (tmp_path / "e.html").exists()
    with pytest.raises(UnknownEntityError, match="no similar names found"):
        render(viz_memory, tmp_path / "e.html", entity="zzzzqqqq")


def test_query_view_marks_seeds_and_ranked_passages(viz_memory, tmp_path):
    hits = viz_memory.retrieve(QUERY, top_k=3)
    report = render(viz_memory, tmp_path / "q.html", query=QUERY, top_k=3)
    payload = read_payload((tmp_path / "q.html").read_text("utf-8"))
    nodes = {v["id"]: v for v in payload["nodes"]}
    for rank, hit in enumerate(hits, start=1):
        node = nodes[f"passage:{hit.chunk_id}"]
        assert node["label"].startswith(f"#{rank} ")
        assert f"retrieved at rank {rank}" in node["title"]
        fields = dict(payload["details"][node["id"]]["fields"])
        assert fields["retrieved"] == f"rank #{rank}"
    seeds = [v for v in payload["nodes"] if "seed of the walk" in v["title"]]
    assert seeds and all(v["borderWidth"] == 5 for v in seeds)
    assert report.view == "query" and payload["info"][0] == f"query: {QUERY}"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_nodes": 0}, ValueError, "max_nodes must be a positive integer, got 0"),
        ({"query": "q", "entity": "e"}, VizError, "either query or entity"),
        ({"query": "   "}, VizError, "query must be a non-empty string"),
        ({"entity": ""}, VizError, "entity name must be a non-empty string"),
    ],
)
def test_bad_arguments_are_named(viz_memory, tmp_path, kwargs, error, message):
    with pytest.raises(error, match=message):
        render(viz_memory, tmp_path / "x.html", **kwargs)


def test_bad_output_paths_are_named(viz_memory, tmp_path):
    with pytest.raises(VizError, match="is a directory"):
        render(viz_memory, tmp_path)
    with pytest.raises(VizError, match="does not exist"):
        render(viz_memory, tmp_path / "missing" / "g.html")


def test_missing_pyvis_names_the_extra(monkeypatch):
    from viz import page

    page.vis_assets.cache_clear()
    monkeypatch.setitem(sys.modules, "pyvis", None)
    try:
        with pytest.raises(MissingDependencyError, match=r"pip install 'graphmem\[viz\]'"):
            page.vis_assets()
    finally:
        page.vis_assets.cache_clear()


def test_cli_writes_views_and_reports_errors(viz_memory, tmp_path):
    store, out = str(viz_memory.path), tmp_path / "cli.html"
    runner = CliRunner()
    r = runner.invoke(viz_command, ["--store", store, "-o", str(out), "--max-nodes", "3"])
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith(f"wrote {out} (overview view, showing 3 of ")
    r = runner.invoke(viz_command, ["--store", store, "-o", str(out), "--entity", "Tessaly"])
    assert r.exit_code == 0 and "(entity view, " in r.stdout
    r = runner.invoke(viz_command, ["--store", store, "-o", str(out), "--entity", "Tesaly"])
    assert r.exit_code == 1
    assert r.stderr.startswith("error: no entity named 'Tesaly' (normalised 'tesaly') in the "
                               "memory; close names: 'tessaly'")
    r = runner.invoke(viz_command, ["--store", str(tmp_path / "nope"), "-o", str(out)])
    assert r.exit_code == 1 and r.stderr.startswith("error: no graphmem store at ")


def test_graphmem_never_imports_viz():
    code = (
        "import sys, graphmem, graphmem.cli, graphmem.memory; "
        "bad = [m for m in sys.modules if m == 'viz' or m.startswith('viz.')]; "
        "assert not bad, bad"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)
    sources = (ROOT / "graphmem").rglob("*.py")
    offenders = [p for p in sources
                 if re.search(r"^\s*(from|import)\s+viz\b", p.read_text("utf-8"), re.MULTILINE)]
    assert offenders == []


def test_empty_memory_renders_an_empty_page(memory_factory, tmp_path):
    mem = memory_factory("empty")
    report = render(mem, tmp_path / "o.html")
    payload = read_payload((tmp_path / "o.html").read_text("utf-8"))
    assert (report.nodes, report.edges, report.total_nodes) == (0, 0, 0)
    assert payload["info"] == ["the memory is empty"]
    report = render(mem, tmp_path / "q.html", query="anything at all?")
    payload = read_payload((tmp_path / "q.html").read_text("utf-8"))
    assert report.nodes == 0 and payload["info"][-1] == "nothing retrieved (the memory is empty)"


def test_overview_and_entity_views_do_not_load_the_embedding_model(viz_memory, tmp_path):
    from viz.source import open_memory

    with open_memory(viz_memory.path) as mem:
        render(mem, tmp_path / "o.html")
        render(mem, tmp_path / "e.html", entity="Tessaly")
        assert mem.embedder._model is None  # the sentence-transformers model stayed unloaded
        assert mem.embedder.dim == viz_memory.embedder.dim
