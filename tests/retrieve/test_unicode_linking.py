"""End to end on a tiny real memory (real spaCy and MiniLM): a question naming an entity written
in Devanagari, Tamil, decomposed (NFD) Latin, Greek, Cyrillic, CJK or Arabic links to it,
whichever of NFC and NFD the document and the question were written in."""

from __future__ import annotations

import unicodedata

import pytest

from graphmem import Document, Memory
from graphmem.config import MemoryConfig, RetrieveConfig
from graphmem.text import normalize_name

# title, a sentence about it (English, so spaCy parses it), a question naming it
ENTRIES = {
    "devanagari": ("हिन्दी साहित्य सम्मेलन", "a literary society founded in Prayagraj in 1910"),
    "tamil": ("தமிழ்நாடு அரசு", "the government of a state in southern India"),
    "latin nfd": ("José Martí", "a poet and journalist born in Havana"),
    "greek": ("Ῥόδος", "the largest of the Dodecanese islands"),
    "cyrillic": ("Йошкар-Ола́", "the capital of the Mari El Republic"),
    "cjk": ("東京タワー", "a communications and observation tower in Minato"),
    "arabic": ("مِصْر الجديدة", "a district of Cairo built in 1905"),
}


@pytest.fixture(scope="module", params=["NFC", "NFD"])
def mem(request, tmp_path_factory, embedder, extractor):
    """The entries stored in one normal form (the questions then come in both). No fact seeds
    (``linking_top_k=0``): only a linked name can seed the walk, so a seed proves the link."""
    form = request.param
    config = MemoryConfig(retrieve=RetrieveConfig(linking_top_k=0))
    m = Memory(
        tmp_path_factory.mktemp(f"unicode-{form}") / "mem",
        config,
        embedder=embedder,
        extractor=extractor,
    )
    m.add(
        [
            Document(
                id=key,
                title=unicodedata.normalize(form, title),
                text=unicodedata.normalize(form, f"{title} is {about}."),
            )
            for key, (title, about) in ENTRIES.items()
        ]
    )
    yield m
    m.close()


@pytest.mark.parametrize("key", ENTRIES)
@pytest.mark.parametrize("query_form", ["NFC", "NFD"])
def test_a_question_naming_an_entity_in_any_script_links_to_it(mem, key, query_form):
    title, _ = ENTRIES[key]
    query = unicodedata.normalize(query_form, f"What is {title} known for?")
    hits = mem.retrieve(query, top_k=3)
    seeds = [normalize_name(label) for label, _ in hits[0].explanation.seed_entities]
    assert normalize_name(title) in seeds
    assert hits[0].doc_id == key
