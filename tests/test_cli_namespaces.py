"""Namespaces and time on the command line: --namespace on the store commands, query's
--as-of/--since/--until/--where, and the namespaces, delete-namespace and facts commands."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from graphmem import Document
from graphmem.cli import main
from graphmem.cli_options import parse_where

QUESTION = "Where does Ada Lovelace live?"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def store(memory_factory):
    """"work": two dated documents (Ada moved from London to Paris); "default": one more."""
    mem = memory_factory()
    mem.add([
        Document("Ada Lovelace lives in London.", id="ada1", time="2020-01-01",
                 metadata={"speaker": "Bo", "n": 1}),
        Document("Ada Lovelace lives in Paris.", id="ada2", time="2022-06-01",
                 metadata={"speaker": "Cy", "n": 2}),
    ], namespace="work")
    mem.add(Document("Ada Lovelace was born in Rome.", id="rome"))
    path = mem.path
    mem.close()
    return path


def _hit_ids(*args) -> list[str]:
    r = run("query", QUESTION, "--store", *args, "--json")
    assert r.exit_code == 0, r.output
    return [h["doc_id"] for h in json.loads(r.stdout)["hits"]]


def test_query_in_a_namespace_with_time_and_metadata_filters(store):
    assert _hit_ids(store) == ["rome"]
    assert _hit_ids(store, "--namespace", "work")[0] == "ada2"  # outdated London ranks lower
    assert _hit_ids(store, "--namespace", "work", "--as-of", "2021-01-01") == ["ada1"]
    assert _hit_ids(store, "--namespace", "work", "--since", "2021-01-01") == ["ada2"]
    assert _hit_ids(store, "--namespace", "work", "--until", "2021-01-01") == ["ada1"]
    assert _hit_ids(store, "--namespace", "work", "--where", "speaker=Bo") == ["ada1"]
    assert _hit_ids(store, "--namespace", "work", "--where", "n=2") == ["ada2"]
    assert sorted(_hit_ids(store, "--namespace", "work", "--where", "speaker=Bo",
                           "--where", "speaker=Cy")) == ["ada1", "ada2"]
    r = run("query", QUESTION, "--store", store, "--namespace", "work", "--json")
    hit = json.loads(r.stdout)["hits"][0]
    assert (hit["namespace"], hit["time"]) == ("work", "2022-06-01T00:00:00+00:00")
    r = run("query", QUESTION, "--store", store, "--namespace", "nowhere")
    assert r.exit_code == 1 and "'nowhere'" in r.output
    r = run("query", QUESTION, "--store", store, "--where", "speaker")
    assert r.exit_code == 2 and "'speaker' is not KEY=VALUE" in r.output
    r = run("query", QUESTION, "--store", store, "--namespace", "work", "--as-of", "soon")
    assert r.exit_code == 1 and "soon" in r.output


def test_parse_where():
    assert parse_where(()) is None
    assert parse_where(("a=1", "b=x", "c=true", "d=[1]", "a=2", "e=")) == {
        "a": [1, 2], "b": "x", "c": True, "d": "[1]", "e": ""}


def test_namespaces_documents_stats_export_delete(store):
    r = run("namespaces", "--store", store)
    assert (r.exit_code, r.output) == (0, "default\t1\nwork\t2\n")
    r = run("namespaces", "--store", store, "--json")
    assert json.loads(r.stdout) == {"namespaces": [{"name": "default", "documents": 1},
                                                   {"name": "work", "documents": 2}]}
    r = run("documents", "--store", store, "--namespace", "work")
    assert r.output == "ada1\t1\t\nada2\t1\t\n"
    assert run("documents", "--store", store).output == "rome\t1\t\n"
    stats = json.loads(run("stats", "--store", store, "--namespace", "work", "--json").stdout)
    assert (stats["documents"], stats["chunks"], stats["namespaces"]) == (2, 2, 2)
    assert json.loads(run("stats", "--store", store, "--json").stdout)["documents"] == 3
    r = run("export", "--store", store, "--format", "json", "--namespace", "work")
    graph = json.loads(r.stdout_bytes)
    assert {n["doc_id"] for n in graph["nodes"] if "doc_id" in n} == {"ada1", "ada2"}
    r = run("delete", "rome", "--store", store, "--namespace", "work")
    assert r.exit_code == 1 and "rome" in r.output  # not in that namespace
    r = run("delete", "ada1", "--store", store, "--namespace", "work")
    assert r.exit_code == 0 and r.output.startswith("deleted ada1: 1 passages")
    assert run("documents", "--store", store, "--namespace", "work").output == "ada2\t1\t\n"
    r = run("delete-namespace", "work", "--store", store)
    assert (r.exit_code, r.output) == (0, "deleted namespace work: 1 documents\n")
    assert run("namespaces", "--store", store).output == "default\t1\n"
    r = run("delete-namespace", "work", "--store", store)
    assert r.exit_code == 1 and "'work'" in r.output


def test_facts_with_intervals(store):
    r = run("facts", "Ada Lovelace", "--store", store, "--namespace", "work")
    assert r.exit_code == 0, r.output
    assert r.stdout == (
        "holds (Ada Lovelace | live in | Paris) [2022-06-01T00:00:00+00:00 .. now]\n"
        "   source: ada2 2022-06-01T00:00:00+00:00\n"
        "ended (Ada Lovelace | live in | London) "
        "[2020-01-01T00:00:00+00:00 .. 2022-06-01T00:00:00+00:00]\n"
        "   superseded by: (Ada Lovelace | live in | Paris)\n"
        "   source: ada1 2020-01-01T00:00:00+00:00\n"
    )
    r = run("facts", "Ada Lovelace", "--store", store, "--namespace", "work", "--as-of",
            "2021-01-01", "--json")
    out = json.loads(r.stdout)
    assert out == {"name": "Ada Lovelace", "namespace": "work", "as_of": "2021-01-01", "facts": [{
        "subject": "Ada Lovelace", "predicate": "live in", "object": "London", "holds": True,
        "valid_from": "2020-01-01T00:00:00+00:00", "valid_until": "2022-06-01T00:00:00+00:00",
        "intervals": [["2020-01-01T00:00:00+00:00", "2022-06-01T00:00:00+00:00"]],
        "superseded_by": [],
        "sources": [{"doc_id": "ada1", "chunk_id": "ada1#0",
                     "time": "2020-01-01T00:00:00+00:00"}]}]}
    r = run("facts", "Ada Lovelace", "--store", store)  # default namespace: born in Rome
    assert "Rome" in r.output and "Paris" not in r.output
    r = run("facts", "Nobody", "--store", store, "--namespace", "work")
    assert (r.exit_code, r.stdout) == (0, "")
