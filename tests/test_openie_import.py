"""``import_openie`` and ``graphmem import-openie``: a hand-written OpenIE file becomes exactly
these documents, entities and facts; malformed parts are reported by index; a bad file fails."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from graphmem import Memory
from graphmem.cli import main
from graphmem.errors import InputError
from graphmem.extract.openie_file import load_openie
from graphmem.ids import doc_id_for
from graphmem.openie_import import import_openie

ODILE = "Odile Marchetti was born in Pellavon. She wrote The Salt Lantern."
LANTERN = "The Salt Lantern is a novel published by Harrow House."
DOCS: list[Any] = [
    {
        "title": "Odile Marchetti",
        "text": ODILE,
        "extracted_entities": ["Odile Marchetti", "Pellavon", "The Salt Lantern"],
        "extracted_triples": [
            ["Odile Marchetti", "born in", "Pellavon"],
            ["Odile Marchetti", "wrote", "The Salt Lantern"],
            ["Odile Marchetti", "novelist"],
        ],
    },
    {
        "title": "The Salt Lantern",
        "passage": f"The Salt Lantern\n{LANTERN}",
        "extracted_entities": ["The Salt Lantern", "Harrow House"],
        "extracted_triples": [["The Salt Lantern", "published by", "Harrow House"]],
    },
    {"idx": 3, "extracted_entities": [], "extracted_triples": []},
    7,
]
PROBLEMS = [
    "docs[0].extracted_triples[2]: has 2 elements, not 3 (subject, predicate, object); dropped",
    "docs[2]: has only an 'idx', no passage text to store; skipped",
    "docs[3]: is a JSON number, not an object; skipped",
]


@pytest.fixture
def openie_file(tmp_path: Path) -> Path:
    path = tmp_path / "openie.json"
    path.write_text(json.dumps({"docs": DOCS}), encoding="utf-8")
    return path


def graph_rows(store: Path, embedder: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """(documents, entity (name, kind) pairs, fact triples) stored at ``store``."""
    with Memory(store, embedder=embedder) as mem:
        g = mem.to_networkx()
        docs = [(d.doc_id, d.title, d.passages) for d in mem.documents()]
    entities = sorted(
        (n.removeprefix("entity:"), d["type"]) for n, d in g.nodes(data=True) if d["kind"] == "entity"
    )
    facts = sorted(
        (u.removeprefix("entity:"), p, v.removeprefix("entity:"))
        for u, v, d in g.edges(data=True)
        if d["kind"] == "fact"
        for p in d["predicates"]
    )
    return docs, entities, facts


def test_import_stores_passages_and_triples(tmp_path: Path, openie_file: Path, embedder) -> None:
    store = tmp_path / "store"
    report = import_openie(openie_file, store, embedder=embedder)
    assert (report.items, report.imported, report.already_stored, report.skipped) == (4, 2, 0, 2)
    assert (report.entities, report.facts) == (4, 3)
    assert [str(p) for p in report.problems] == PROBLEMS
    assert report.extractor == load_openie(openie_file).name
    docs, entities, facts = graph_rows(store, embedder)
    # the same ids a `graphmem ingest` of {"title", "text"} records gives
    assert docs == [
        (doc_id_for(ODILE), "Odile Marchetti", 1),
        (doc_id_for(LANTERN), "The Salt Lantern", 1),
    ]
    assert entities == [
        ("harrow house", "ENTITY"),
        ("odile marchetti", "ENTITY"),
        ("pellavon", "ENTITY"),
        ("the salt lantern", "ENTITY"),
    ]
    # undirected graph edges: each pair as networkx orders it
    assert sorted(tuple(sorted((s, o))) + (p,) for s, p, o in facts) == [
        ("harrow house", "the salt lantern", "published by"),
        ("odile marchetti", "pellavon", "born in"),
        ("odile marchetti", "the salt lantern", "wrote"),
    ]

    again = import_openie(openie_file, store, embedder=embedder)
    assert (again.imported, again.already_stored, again.entities, again.facts) == (0, 2, 0, 0)


def test_import_of_a_file_without_usable_items_fails(tmp_path: Path, embedder) -> None:
    path = tmp_path / "empty.json"
    path.write_text(json.dumps({"docs": [7]}), encoding="utf-8")
    with pytest.raises(InputError) as err:
        import_openie(path, tmp_path / "store", embedder=embedder)
    assert str(err.value) == (
        f"{path}: no usable passage among its 1 items (1 problems, the first: "
        "docs[0]: is a JSON number, not an object; skipped)"
    )
    assert not (tmp_path / "store").exists()  # nothing is created for a file that fails


def test_cli_import_openie(tmp_path: Path, openie_file: Path) -> None:
    store = tmp_path / "store"
    run = CliRunner().invoke
    r = run(main, ["import-openie", str(openie_file), "--store", str(store), "--show-problems", "2"])
    assert r.exit_code == 0, r.output
    name = load_openie(openie_file).name
    assert r.stdout.splitlines() == [
        f"{openie_file}: 4 items: 2 imported, 0 already stored, 2 skipped; 3 problems",
        f"added 4 entities and 3 facts to {store} (extractor {name})",
        f"  {PROBLEMS[0]}",
        f"  {PROBLEMS[1]}",
        "  ... and 1 more (--show-problems 3 lists all)",
    ]
    progress = [line for line in r.stderr.splitlines() if line.startswith(("stored", str(openie_file)))]
    assert progress == [  # model loading may add its own progress bars
        f"{openie_file}: 2 passages to store, 3 problems",
        "stored 2 of 2 passages",
    ]

    bad = tmp_path / "bad.json"
    bad.write_text('{"documents": []}', encoding="utf-8")
    r = run(main, ["import-openie", str(bad), "--store", str(tmp_path / "other")])
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr == (
        f"error: {bad}: not an OpenIE file: expected an object with a \"docs\" list, "
        "got no 'docs' key\n"
    )
    r = run(main, ["import-openie", str(tmp_path / "missing.json"), "--store", str(store)])
    assert (r.exit_code, r.stderr) == (1, f"error: {tmp_path / 'missing.json'}: file not found\n")


def test_cli_import_openie_in_batches(tmp_path: Path, openie_file: Path) -> None:
    store = tmp_path / "store"
    r = CliRunner().invoke(
        main, ["import-openie", str(openie_file), "--store", str(store), "--batch", "1"]
    )
    assert r.exit_code == 0, r.output
    assert [line for line in r.stderr.splitlines() if line.startswith("stored")] == [
        "stored 1 of 2 passages",
        "stored 2 of 2 passages",
    ]
    assert r.stdout.splitlines()[0] == (
        f"{openie_file}: 4 items: 2 imported, 0 already stored, 2 skipped; 3 problems"
    )
    bad = CliRunner().invoke(main, ["import-openie", str(openie_file), "--store", str(store), "--batch", "0"])
    assert bad.exit_code == 2 and "--batch" in bad.stderr
