"""The synthetic corpus's OpenIE file (benchmarks/synthetic_openie.py) and the synthetic vectors
(benchmarks/synthetic_vectors.py) of the scale runs, and a bulk import of that file."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from graphmem import Memory
from graphmem.errors import EmbedderMismatchError, InputError
from graphmem.extract.openie_file import load_openie
from graphmem.ids import doc_id_for
from graphmem.openie_import import import_openie

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    # benchmarks/ is not a package: load the modules from their files
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


sc = _load("synthetic_corpus")
so = _load("synthetic_openie")
sv = _load("synthetic_vectors")


@pytest.fixture(scope="module")
def tiny() -> list[dict]:
    return list(so.items(sc.Generator(100, 0)))


def test_items_hold_the_relations_each_passage_states(tiny) -> None:
    # checked by hand against each passage's text
    assert tiny[11] == {
        "idx": 11,
        "title": "Galen Pimirorm",
        "text": "Galen Pimirorm (born 1872) is a cartographer who was born in Dozevosk. Galen "
        "Pimirorm worked for the Thopirind Society for 17 years.",
        "extracted_entities": ["Galen Pimirorm", "Dozevosk", "Thopirind Society"],
        "extracted_triples": [["Galen Pimirorm", "born in", "Dozevosk"],
                              ["Galen Pimirorm", "worked for", "Thopirind Society"]],
    }
    assert tiny[44]["text"] == (
        "In 2015, the Thavevund Foundation opened an office in Nebrevirm, led by Hesper Fulirusk.")
    assert tiny[44]["extracted_triples"] == [
        ["Thavevund Foundation", "opened an office led by", "Hesper Fulirusk"],
        ["Thavevund Foundation", "opened an office in", "Nebrevirm"],
    ]
    assert tiny[77]["extracted_triples"] == [
        ["The Winter of Pitolusk", "written by", "Wynne Braniroth"],
        ["The Winter of Pitolusk", "published by", "Thavevund Foundation"],
    ]
    assert tiny[99]["extracted_triples"] == [
        ["The Tide of Febrolind", "adapted for the stage by", "Galen Pimirorm"],
        ["The Tide of Febrolind", "staged in", "Dakrevask"],
    ]
    # a region bordering itself (2 regions in so small a corpus) states no relation
    assert tiny[0]["extracted_entities"] == ["Vethenuth Coast"]
    assert tiny[0]["extracted_triples"] == []


def test_items_follow_the_corpus_and_name_only_what_the_text_says(tiny) -> None:
    passages = list(sc.Generator(100, 0).passages())
    assert [(i["title"], i["text"]) for i in tiny] == [(p.title, p.text) for p in passages]
    triples = [tuple(x.lower() for x in t) for i in tiny for t in i["extracted_triples"]]
    assert (len(triples), len(set(triples))) == (195, 190)  # some extra passages repeat a fact
    for item in tiny:
        for s, _, o in item["extracted_triples"]:
            assert s in item["text"] and o in item["text"]
            assert s in item["extracted_entities"] and o in item["extracted_entities"]


def test_written_file_loads_without_problems(tmp_path: Path, tiny) -> None:
    path = tmp_path / "openie.json"
    assert so.write_openie(sc.Generator(100, 0), path) == 100
    assert json.loads(path.read_text())["docs"] == tiny
    loaded = load_openie(path)
    assert (loaded.total, len(loaded.items), loaded.problems) == (100, 100, ())


def test_hashed_vectors_equal_their_plain_reference() -> None:
    emb = sv.HashedWordEmbedder()
    texts = ["The Lantern of Brathond is a 1923 novel written by Alvo Krenisk.",
             "the lantern of brathond", "Where was the author of The Lantern of Brathond born?",
             "", "born born born", "Ω ω"]
    got = emb.encode(texts)
    assert got.shape == (6, 384) and got.dtype == np.float32
    want = np.stack([sv.reference_vector(t) for t in texts])
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-6)
    # a repeated word is one direction; case does not matter; words are the only signal
    np.testing.assert_allclose(got[4], sv.reference_vector("born"), atol=1e-6)
    np.testing.assert_array_equal(got[5], sv.HashedWordEmbedder().encode(["ω Ω"])[0])
    assert emb.name == "synthetic-hashed-words-384:r1"
    assert emb.encode([]).shape == (0, 384)


def test_word_vectors_are_signs_of_splitmix64() -> None:
    seed = sv.word_seed("lantern")
    row = sv.word_vectors(np.array([seed], dtype=np.uint64), 4)[0]
    mask = (1 << 64) - 1
    expect = []
    for j in range(1, 5):
        x = (seed + j * 0x9E3779B97F4A7C15) & mask
        x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & mask
        x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & mask
        x ^= x >> 31
        expect.append(-0.5 if x >> 63 else 0.5)
    assert row.tolist() == expect


def test_bulk_import_of_the_tiny_corpus(tmp_path: Path) -> None:
    path = tmp_path / "openie.json"
    so.write_openie(sc.Generator(100, 0), path)
    emb = sv.HashedWordEmbedder()
    one, many = tmp_path / "one", tmp_path / "many"
    report = import_openie(path, many, embedder=emb, batch=4096)
    assert import_openie(path, one, embedder=emb, batch=7).facts == report.facts
    assert (report.imported, report.skipped, report.entities, report.facts) == (100, 0, 80, 190)
    assert set(report.seconds) == {"load", "build", "extract", "embed", "synonyms", "store", "total"}
    with Memory(many, embedder=emb) as a, Memory(one, embedder=emb) as b:
        skip = ("path", "generation")
        assert {k: v for k, v in a.stats().items() if k not in skip} == {
            k: v for k, v in b.stats().items() if k not in skip}
        ga, gb = a.to_networkx(), b.to_networkx()
        assert sorted(ga.nodes) == sorted(gb.nodes)
        assert sorted(map(sorted, ga.edges)) == sorted(map(sorted, gb.edges))
        assert a.stats()["documents"] == 100 and a.stats()["facts"] == 190
        hits = a.retrieve("Where was the author of The Winter of Pitolusk born?", top_k=2)
        assert hits[0].doc_id == doc_id_for(
            "The Winter of Pitolusk is a 1911 memoir written by Wynne Braniroth. It was "
            "published by the Thavevund Foundation.")
    with pytest.raises(EmbedderMismatchError):
        Memory(many, embedder=sv.HashedWordEmbedder(dim=8))
    with pytest.raises(InputError, match="batch must be at least 1"):
        import_openie(path, tmp_path / "none", embedder=emb, batch=0)


def test_synonym_edges_through_the_ann_index_equal_the_exact_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from graphmem.config import GraphConfig, MemoryConfig
    from graphmem.graph import builder

    calls = []
    through_ann = builder.synonym_pairs_ann
    monkeypatch.setattr(builder, "synonym_pairs_ann", lambda *a, **k: calls.append(1) or through_ann(*a, **k))

    docs = [
        {"title": "The Salt Lantern Press", "text": "The Salt Lantern Press published Night Ferries.",
         "extracted_entities": ["The Salt Lantern Press", "Night Ferries"],
         "extracted_triples": [["The Salt Lantern Press", "published", "Night Ferries"]]},
        {"title": "Salt Lantern Press", "text": "Salt Lantern Press was founded in Pellavon.",
         "extracted_entities": ["Salt Lantern Press", "Pellavon"],
         "extracted_triples": [["Salt Lantern Press", "founded in", "Pellavon"]]},
        {"title": "Of Night Ferries", "text": "Of Night Ferries is a novel set in Pellavon.",
         "extracted_entities": ["Of Night Ferries", "Pellavon"],
         "extracted_triples": [["Of Night Ferries", "set in", "Pellavon"]]},
    ]
    path = tmp_path / "openie.json"
    path.write_text(json.dumps({"docs": docs}), encoding="utf-8")
    emb = sv.HashedWordEmbedder()
    edges = []
    for name, floor in (("exact", 200_000), ("ann", 1)):
        config = MemoryConfig(graph=GraphConfig(synonym_ann_min_rows=floor))
        import_openie(path, tmp_path / name, config, embedder=emb, batch=1)
        with Memory(tmp_path / name, config, embedder=emb) as mem:
            g = mem.to_networkx()
            edges.append(sorted(tuple(sorted((u, v))) for u, v, d in g.edges(data=True)
                                if d["kind"] == "synonym"))
        assert len(calls) == (0 if name == "exact" else 2)  # the 2nd and 3rd writes: stored rows
    assert edges[0] == edges[1] == [
        ("entity:night ferries", "entity:of night ferries"),
        ("entity:salt lantern press", "entity:the salt lantern press"),
    ]
