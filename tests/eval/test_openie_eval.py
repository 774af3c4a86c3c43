"""``run_eval(openie=...)`` / ``graphmem eval --openie``: the evaluation memory holds a
hand-written OpenIE file's triples instead of spaCy's, matched to the toy corpus by title and
text; a passage the file lacks is built without facts and counted; a store built with another
extractor is refused."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from graphmem import Memory
from graphmem.cli import main
from graphmem.config import ExtractConfig
from graphmem.errors import GraphMemError
from graphmem.eval.harness import run_eval
from graphmem.extract import SpacyExtractor
from graphmem.extract.openie_file import load_openie

from .toy import CORPUS, MUSIQUE, text, write

TRIPLES: dict[str, list[list[Any]]] = {
    "Quillfeather Observatory": [
        ["Quillfeather Observatory", "built in", "1911"],
        ["Quillfeather Observatory", "built by", "Vantongeren"],
        ["Quillfeather Observatory", "on a hill above", "Brackwater"],
    ],
    "Marisol Vantongeren": [
        ["Marisol Vantongeren", "born in", "Ostrelund"],
        ["Ostrelund", "is", "fishing town on the Sarn estuary"],
    ],
    "Ostrelund": [
        ["Ostrelund", "lies in", "Kelvary"],
        ["Ostrelund", "known for", "salt markets"],
    ],
    "Brackwater": [
        ["Brackwater", "is a market town on", "river Idle"],
        ["Brackwater", "famous for", "copper bells"],
    ],
    "Tobias Renn": [
        ["Tobias Renn", "composed", "The Glass Heron"],
        ["The Glass Heron", "first staged in", "Valdoria"],
        ["The Glass Heron", "first staged in", "1887"],
    ],
    "The Glass Heron": [["The Glass Heron", "is", "opera in three acts"]],
    "Valdoria": [["Valdoria", "capital of", "Meriva"]],
    # "Sarn estuary" is not in the file
    "Meriva": [["Meriva", "island nation in", "Pellucid Sea"], ["Meriva", "island"]],
}
# the LLM's entity list: the arguments that are names (the others become noun phrases)
PHRASES = {"fishing town on the Sarn estuary", "salt markets", "copper bells", "opera in three acts"}
ENTITIES = {
    title: sorted({t[0] for t in triples} | {t[2] for t in triples if len(t) == 3} - PHRASES)
    for title, triples in TRIPLES.items()
}


def openie_docs() -> list[dict[str, Any]]:
    return [
        {
            "title": title,
            "text": text(title),
            "passage": f"{title}\n{text(title)}",
            "extracted_entities": ENTITIES[title],
            "extracted_triples": triples,
        }
        for title, triples in TRIPLES.items()
    ]


TITLES = [p["title"] for p in CORPUS]
# pinned (real MiniLM in float32, as conftest fixes; 9 documents each). The file's facts carry
# q2 from Marisol Vantongeren to Ostrelund (4th by dense, 2nd here) and q3 from The Glass Heron
# to Valdoria.
GRAPHMEM = [
    ["Quillfeather Observatory", "Brackwater", "The Glass Heron", "Tobias Renn", "Meriva",
     "Marisol Vantongeren", "Valdoria", "Sarn estuary", "Ostrelund"],
    ["Marisol Vantongeren", "Ostrelund", "Valdoria", "Quillfeather Observatory", "Meriva",
     "Tobias Renn", "Sarn estuary", "Brackwater", "The Glass Heron"],
    ["The Glass Heron", "Tobias Renn", "Valdoria", "Brackwater", "Sarn estuary",
     "Quillfeather Observatory", "Marisol Vantongeren", "Meriva", "Ostrelund"],
]
DENSE = [
    ["Quillfeather Observatory", "The Glass Heron", "Brackwater", "Tobias Renn", "Meriva",
     "Marisol Vantongeren", "Valdoria", "Sarn estuary", "Ostrelund"],
    ["Marisol Vantongeren", "Valdoria", "Quillfeather Observatory", "Meriva", "Ostrelund",
     "Tobias Renn", "Sarn estuary", "Brackwater", "The Glass Heron"],
    ["The Glass Heron", "Tobias Renn", "Sarn estuary", "Brackwater", "Quillfeather Observatory",
     "Marisol Vantongeren", "Meriva", "Valdoria", "Ostrelund"],
]
FACTS = [(t[0].lower(), t[1], t[2].lower()) for ts in TRIPLES.values() for t in ts if len(t) == 3]


def titles(ranking: list[str]) -> list[str]:
    return [TITLES[int(doc_id.removeprefix("p"))] for doc_id in ranking]


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    return (
        write(tmp_path / "musique.json", MUSIQUE),
        write(tmp_path / "corpus.json", CORPUS),
        write(tmp_path / "openie.json", {"docs": openie_docs()}),
    )


def test_eval_builds_the_memory_from_the_file(
    tmp_path: Path, files: tuple[Path, Path, Path], embedder: Any, caplog: pytest.LogCaptureFixture
) -> None:
    questions, corpus, openie = files
    caplog.set_level(logging.WARNING)
    store = tmp_path / "store"
    report = run_eval(
        questions, corpus, top_k=9, cache_dir=tmp_path / "cache", store_dir=store,
        embedder=embedder, openie=openie, include_rankings=True,
    )
    name = load_openie(openie).name
    assert report.openie == {
        "file": str(openie),
        "extractor": name,
        "items": 8,
        "usable_items": 8,
        "problems": 1,
        "matched_passages": 8,
        "unmatched_passages": 1,
        "windows_not_in_file": 1,
    }
    assert report.to_json()["openie"] == report.openie
    assert [r.getMessage() for r in caplog.records] == [
        f"{openie}: 1 of 9 corpus passages are not in the file; they are built without facts",
        f"1 of 9 passages are not in the OpenIE file {openie}: stored without facts",
    ]
    # the extraction cache is not used for a file: nothing to save
    assert (report.cache["extraction_hits"], report.cache["extraction_misses"]) == (0, 0)
    assert report.store == {
        "documents": 9, "chunks": 9, "entities": 19, "facts": 15, "synonym_edges": 0
    }
    assert [titles(q["rankings"]["graphmem"]) for q in report.per_question] == GRAPHMEM
    assert [titles(q["rankings"]["dense"]) for q in report.per_question] == DENSE
    with Memory(store, embedder=embedder) as mem:
        g = mem.to_networkx()
        assert [titles(r) for r in mem.dense_ranking([q["question"] for q in MUSIQUE], 9)] == DENSE
    # the graph is undirected: compare each fact as an unordered pair plus its predicate
    stored = sorted(
        (*sorted((u.removeprefix("entity:"), v.removeprefix("entity:"))), p)
        for u, v, d in g.edges(data=True)
        if d["kind"] == "fact"
        for p in d["predicates"]
    )
    assert stored == sorted((*sorted((s, o)), p) for s, p, o in FACTS)
    kinds = {
        n.removeprefix("entity:"): d["type"] for n, d in g.nodes(data=True) if d["kind"] == "entity"
    }
    assert (kinds["meriva"], kinds["1911"], kinds["salt markets"]) == ("ENTITY", "DATE", "NP")
    assert kinds["sarn estuary"] == "TITLE"  # the passage the file lacks: its title only

    # the store is not reused with another extractor: it would measure the file's triples
    with pytest.raises(GraphMemError) as err:
        run_eval(questions, corpus, methods=["dense"], store_dir=store, embedder=embedder,
                 cache_dir=tmp_path / "cache")
    assert str(err.value) == (
        f"store {store} was built with extractor {name!r}, this evaluation uses "
        f"{SpacyExtractor(ExtractConfig()).name!r}; give another --store (or remove this one)"
    )


def test_cli_eval_openie(tmp_path: Path, files: tuple[Path, Path, Path]) -> None:
    questions, corpus, openie = files
    out = tmp_path / "report.json"
    args = ["eval", "--questions", questions, "--corpus", corpus, "--openie", openie,
            "--methods", "graphmem", "--top-k", "9", "--json", out, "--cache-dir", tmp_path / "c"]
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].startswith("3 musique questions, 9 passages, top 9; memory built in ")
    assert lines[1] == f"OpenIE {openie}: 8 of 9 passages matched, 1 problem in the file"
    assert lines[2].split()[:2] == ["method", "recall@1"]
    assert lines[3].split()[0] == "graphmem" and lines[4] == f"wrote {out}"
    assert f"OpenIE {openie}: 8 of 9 passages matched; 1 problem in the file" in r.stderr
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["openie"]["matched_passages"] == 8
    assert report["store"]["facts"] == 15

    r = CliRunner().invoke(main, [str(a) for a in args[:-4]] + ["--openie", str(questions)])
    assert r.exit_code == 1
    assert r.stderr.endswith(
        f"error: {questions}: not an OpenIE file: expected an object with a \"docs\" list, "
        "got a JSON array\n"
    )
