"""Whether the synonym edges depend on the order documents arrive in, one writer, SQLite.

They do, in two ways, and that fixes what concurrent writers can promise
(:func:`graphmem.graph.builder.resolve_batch`): the same writes run one after the other in
commit order, not one order-free set.

* ``GraphConfig.synonym_top_k`` keeps the k closest targets of each *new* entity among the
  entities stored before it: which end of a pair is new depends on the order (below).
* An entity's vector depends in its last digits on the texts embedded in the same call
  (padding), and only the first batch that stores a name embeds it.
"""

from __future__ import annotations

import numpy as np
import pytest

from graphmem import Document, Memory
from graphmem.config import EmbedConfig, GraphConfig, MemoryConfig
from graphmem.embed.sentence_transformers import SentenceTransformerEmbedder
from graphmem.store.base import Store

# Three titles whose entities are all within synonym distance of each other (MiniLM cosine:
# (novel)/novel 0.986, (novel)/(book) 0.960, novel/(book) 0.955; threshold 0.9).
NOVEL = Document(id="n", title="Salt Lantern (novel)", text="Entry n was catalogued in 1901.")
PLAIN = Document(id="p", title="Salt Lantern novel", text="Entry p was catalogued in 1902.")
BOOK = Document(id="b", title="Salt Lantern (book)", text="Entry b was catalogued in 1903.")


def pairs(store: Store) -> set[tuple[str, str]]:
    """The synonym edges as unordered name pairs."""
    names = {r[0]: r[2] for r in store.export_rows("entities")}
    return {tuple(sorted((names[r[0]], names[r[1]]))) for r in store.export_rows("synonyms")}


def one_at_a_time(path, docs, embedder, extractor, top_k: int) -> set[tuple[str, str]]:
    config = MemoryConfig(graph=GraphConfig(synonym_top_k=top_k))
    with Memory(path, config, embedder=embedder, extractor=extractor) as mem:
        for d in docs:
            mem.add([d])
        return pairs(mem.store)


ALL = {
    ("salt lantern (book)", "salt lantern (novel)"),
    ("salt lantern (book)", "salt lantern novel"),
    ("salt lantern (novel)", "salt lantern novel"),
}


@pytest.mark.parametrize("order", [(NOVEL, PLAIN, BOOK), (BOOK, PLAIN, NOVEL), (PLAIN, BOOK, NOVEL)])
def test_pairs_do_not_depend_on_order_when_top_k_does_not_bind(tmp_path, embedder, extractor, order):
    assert one_at_a_time(tmp_path / "m", order, embedder, extractor, top_k=100) == ALL


def test_top_k_makes_pairs_depend_on_arrival_order(tmp_path, embedder, extractor):
    """With one target per new entity, the entity that arrives last links to its closest
    predecessor only: the pair left out is another one for another order."""
    forward = one_at_a_time(tmp_path / "f", (NOVEL, PLAIN, BOOK), embedder, extractor, top_k=1)
    backward = one_at_a_time(tmp_path / "b", (BOOK, PLAIN, NOVEL), embedder, extractor, top_k=1)
    # forward: "novel" -> "(novel)" (its only predecessor), "(book)" -> "(novel)" (0.960 > 0.955)
    assert forward == {
        ("salt lantern (novel)", "salt lantern novel"),
        ("salt lantern (book)", "salt lantern (novel)"),
    }
    # backward: "novel" -> "(book)", then "(novel)" -> "novel" (0.986 > 0.960)
    assert backward == {
        ("salt lantern (book)", "salt lantern novel"),
        ("salt lantern (novel)", "salt lantern novel"),
    }


def test_a_names_vector_depends_on_the_texts_embedded_with_it():
    """The second source of order dependence: padding to the longest text of a call moves a
    name's vector in its last digits, so a pair near the threshold can flip with the batching.
    Shown in bfloat16, the dtype ``EmbedConfig(dtype="auto")`` runs on CPUs that multiply it
    natively (on others it runs float32, where the move measured 6e-8 on an AMD EPYC)."""
    embedder = SentenceTransformerEmbedder(EmbedConfig(dtype="bfloat16", threads=1))
    name = "salt lantern novel"
    company = "odile marchetti was born in pellavon and later worked in askel valley " * 4
    alone = embedder.encode([name])[0]
    together = embedder.encode([name, company])[0]
    assert np.abs(alone - together).max() > 1e-5
