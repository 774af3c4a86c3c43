"""The graph export: Memory.to_graph, the GraphML and JSON writers, ``graphmem export``."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
from click.testing import CliRunner
from networkx.readwrite import json_graph

from graphmem import Document
from graphmem.cli import main
from graphmem.export import graph_json, write_export, write_graphml, xml_safe
from graphmem.store.base import NewChunk, NewDocument, NewEntity, NewFact, WriteBatch

ROOT = Path(__file__).resolve().parents[1]

ADA = "Ada Lovelace was born in London. She worked with Charles Babbage."
BABBAGE = "Charles Babbage designed the Analytical Engine."

NODES = {
    "entity:ada lovelace": {
        "kind": "entity", "name": "ada lovelace", "label": "Ada Lovelace", "type": "PERSON"
    },
    "entity:london": {"kind": "entity", "name": "london", "label": "London", "type": "GPE"},
    "entity:charles babbage": {
        "kind": "entity", "name": "charles babbage", "label": "Charles Babbage", "type": "PERSON"
    },
    "entity:ada": {"kind": "entity", "name": "ada", "label": "Ada", "type": "TITLE"},
    "entity:analytical engine": {
        "kind": "entity", "name": "analytical engine", "label": "Analytical Engine", "type": "ORG"
    },
    "passage:ada#0": {
        "kind": "passage", "chunk_id": "ada#0", "doc_id": "ada", "text": ADA, "title": "Ada",
        "metadata": '{"tags": ["math"], "year": 1815}',
    },
    "passage:babbage#0": {
        "kind": "passage", "chunk_id": "babbage#0", "doc_id": "babbage", "text": BABBAGE,
        "title": "", "metadata": "{}",
    },
}


def fact(predicate: str, *sources: str) -> dict:
    return {
        "kind": "fact", "predicate": predicate, "support": len(sources),
        "weight": float(len(sources)), "sources": json.dumps(list(sources)),
    }


MENTION = {"kind": "mention", "weight": 1.0}
EDGES = [
    ("entity:ada lovelace", "entity:london", "fact:0", fact("born in", "ada#0")),
    ("entity:ada lovelace", "entity:charles babbage", "fact:1", fact("work with", "ada#0")),
    ("entity:charles babbage", "entity:analytical engine", "fact:2", fact("design", "babbage#0")),
    ("passage:ada#0", "entity:ada lovelace", "mention:0", MENTION),
    ("passage:ada#0", "entity:london", "mention:1", MENTION),
    ("passage:ada#0", "entity:charles babbage", "mention:2", MENTION),
    ("passage:ada#0", "entity:ada", "mention:3", MENTION),  # the title is an entity too
    ("passage:babbage#0", "entity:charles babbage", "mention:4", MENTION),
    ("passage:babbage#0", "entity:analytical engine", "mention:5", MENTION),
]


@pytest.fixture
def mem(memory_factory):
    m = memory_factory()
    m.add(
        [
            Document(ADA, id="ada", title="Ada", metadata={"year": 1815, "tags": ["math"]}),
            Document(BABBAGE, id="babbage"),
        ]
    )
    return m


def edges(g: nx.MultiDiGraph) -> list:
    return list(g.edges(keys=True, data=True))


def test_to_graph_is_directed_with_facts_mentions_and_provenance(mem):
    g = mem.to_graph()
    assert isinstance(g, nx.MultiDiGraph)
    assert dict(g.nodes(data=True)) == NODES
    assert edges(g) == EDGES
    # to_networkx is unchanged: undirected, facts merged per pair with a predicates list
    old = mem.to_networkx()
    assert not old.is_directed()
    assert old["entity:london"]["entity:ada lovelace"]["predicates"] == ["born in"]


def test_to_graph_follows_deletes(mem):
    mem.delete("babbage")
    g = mem.to_graph()
    assert sorted(g.nodes) == [
        "entity:ada", "entity:ada lovelace", "entity:charles babbage", "entity:london",
        "passage:ada#0",
    ]
    assert edges(g) == [e for e in EDGES[:2] + EDGES[3:7]]


def test_graphml_round_trips_exactly(mem):
    g = mem.to_graph()
    data = write_graphml(g)
    back = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    assert back.is_directed() and back.is_multigraph()
    assert (back.number_of_nodes(), back.number_of_edges()) == (7, 9)
    assert dict(back.nodes(data=True)) == NODES
    assert edges(back) == EDGES
    plain = nx.read_graphml(io.BytesIO(data))  # without force_multigraph: same counts
    assert (plain.number_of_nodes(), plain.number_of_edges()) == (7, 9)
    assert b'<edge source="entity:ada lovelace" target="entity:london" id="fact:0">' in data


def test_json_is_node_link_data_with_exact_keys(mem):
    g = mem.to_graph()
    out = json.loads(write_export(g, "json"))
    assert out == json.loads(json.dumps(graph_json(g)))
    assert list(out) == ["directed", "multigraph", "graph", "nodes", "edges"]
    assert (out["directed"], out["multigraph"], out["graph"]) == (True, True, {})
    assert out["nodes"][0] == {"id": "entity:ada lovelace", **NODES["entity:ada lovelace"]}
    assert [set(n) for n in out["nodes"]] == [{"id", *NODES[n["id"]]} for n in out["nodes"]]
    assert out["edges"][0] == {
        "source": "entity:ada lovelace", "target": "entity:london", "key": "fact:0",
        **fact("born in", "ada#0"),
    }
    assert out["edges"][3] == {
        "source": "passage:ada#0", "target": "entity:ada lovelace", "key": "mention:0", **MENTION
    }
    back = json_graph.node_link_graph(out, edges="edges")
    assert dict(back.nodes(data=True)) == NODES and edges(back) == EDGES


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_cli_export_stdout_and_out_file(mem, tmp_path):
    expected_json = write_export(mem.to_graph(), "json")
    r = run("export", "--store", mem.path, "--format", "json")
    assert r.exit_code == 0, r.output
    assert r.stdout_bytes == expected_json
    assert json.loads(r.stdout)["edges"][2]["sources"] == '["babbage#0"]'

    out = tmp_path / "g.graphml"
    r = run("export", "--store", mem.path, "--format", "graphml", "--out", out)
    assert (r.exit_code, r.stdout) == (0, "")
    assert out.read_bytes() == write_graphml(mem.to_graph())
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".g.graphml")] == []
    assert edges(nx.read_graphml(out, force_multigraph=True)) == EDGES

    r = run("export", "--store", mem.path, "--format", "graphml")
    assert r.stdout_bytes == out.read_bytes()


def test_cli_export_errors(tmp_path):
    r = CliRunner().invoke(main, ["export", "--store", str(tmp_path / "none"), "--format", "json"])
    assert r.exit_code == 1
    assert r.stderr == f"error: no graphmem store at {tmp_path / 'none'} (create one with `graphmem ingest`)\n"
    r = CliRunner().invoke(main, ["export", "--store", str(tmp_path), "--format", "gexf"])
    assert r.exit_code == 2 and "'gexf' is not one of 'graphml', 'json'" in r.stderr


def test_cli_export_loads_no_model(mem):
    """A fresh interpreter exports without importing torch, sentence-transformers or spaCy."""
    code = (
        "import sys\nfrom graphmem.cli import main\n"
        f"try:\n    main(['export', '--store', {str(mem.path)!r}, '--format', 'json'])\n"
        "except SystemExit as e:\n    assert e.code in (0, None), e.code\n"
        "loaded = [m for m in ('torch', 'sentence_transformers', 'spacy') if m in sys.modules]\n"
        "sys.stderr.write(repr(loaded))\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env={"PYTHONPATH": str(ROOT)},
        timeout=300, check=True,
    )
    assert r.stderr.decode().endswith("[]")
    assert json.loads(r.stdout)["nodes"][0]["id"] == "entity:ada lovelace"


WEIRD = 'at&t <labs> "q\'s"\x01'  # XML specials, quotes and a control character XML 1.0 lacks


def test_xml_specials_and_control_characters_survive_graphml(mem):
    """``<``, ``&`` and quotes round-trip exactly; a control character XML 1.0 cannot hold
    (and a carriage return, which XML parsers turn into a newline) comes back as escape text."""
    mem.add(Document('Tom & "Jerry" <met>\r\nat\x02 home.', id='d&<"\x03>', title="T\x01"))
    dim = mem.store.dim
    vec = np.ones(dim, dtype=np.float32) / np.sqrt(dim)
    # names are normalised without control characters by the extractor; write one directly,
    # with a passage of its own (a store writes provenance and mentions for new passages only)
    mem.store.write(
        WriteBatch(
            documents=[NewDocument("weird", "h", None, {})],
            chunks=[NewChunk("weird#0", "weird", 0, "Ada worked at the lab.", vec)],
            entities=[NewEntity(WEIRD, WEIRD.upper(), "ORG", vec)],
            facts=[NewFact("ada lovelace", "work at <&>", WEIRD, vec)],
            fact_sources=[("ada lovelace", "work at <&>", WEIRD, "weird#0")],
            mentions=[("weird#0", WEIRD)],
            synonyms=[("charles babbage", WEIRD, 0.5)],
        )
    )
    g = mem.to_graph()
    node = "entity:" + WEIRD
    assert g.nodes[node] == {"kind": "entity", "name": WEIRD, "label": WEIRD.upper(), "type": "ORG"}
    assert [(u, d["kind"]) for u, _, d in g.in_edges(node, data=True)] == [
        ("entity:ada lovelace", "fact"), ("passage:weird#0", "mention"),
        ("entity:charles babbage", "synonym"),
    ]
    (fkey,) = [k for _, _, k, d in g.in_edges(node, keys=True, data=True) if d["kind"] == "fact"]
    assert g.edges["entity:ada lovelace", node, fkey]["sources"] == '["weird#0"]'
    assert g.edges["entity:charles babbage", node, "synonym:0"] == {
        "kind": "synonym", "cosine": 0.5, "weight": 0.5
    }
    data = write_graphml(g)
    assert b"\x01" not in data and b"\r" not in data
    back = nx.read_graphml(io.BytesIO(data), force_multigraph=True)
    assert (back.number_of_nodes(), back.number_of_edges()) == (
        g.number_of_nodes(), g.number_of_edges()
    )
    safe = xml_safe(WEIRD)
    assert safe == 'at&t <labs> "q\'s"\\x01'
    assert back.nodes["entity:" + safe]["label"] == 'AT&T <LABS> "Q\'S"\\x01'
    assert back.edges["entity:ada lovelace", "entity:" + safe, fkey]["predicate"] == "work at <&>"
    passage = back.nodes['passage:d&<"\\x03>#0']
    assert passage["text"] == 'Tom & "Jerry" <met>\\r\nat\\x02 home.'
    assert (passage["doc_id"], passage["title"]) == ('d&<"\\x03>', "T\\x01")
    # JSON keeps every character exactly
    out = json.loads(write_export(g, "json"))
    assert {"id": node, **g.nodes[node]} in out["nodes"]
    assert any(n.get("text") == 'Tom & "Jerry" <met>\r\nat\x02 home.' for n in out["nodes"])
