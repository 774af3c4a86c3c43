"""Document titles as entities: one node for a title and the text's own mention of it."""

from __future__ import annotations

from graphmem import Document
from graphmem.graph.titles import title_names, with_title
from graphmem.types import Extraction, Mention


def _ex(*names: str) -> Extraction:
    return Extraction(tuple(Mention(n, n, "WORK_OF_ART") for n in names), ())


def test_title_takes_the_extractors_name_when_the_text_writes_it_whole() -> None:
    a, b = object(), object()
    names = title_names(
        ["The Salt Lantern", "The Salt Lantern", "The Hague"],
        ["The Salt Lantern is a novel set in the north.", "It sold well.", "Hague is a city."],
        [_ex("salt lantern"), _ex(), _ex("hague")],
        [a, a, b],
    )
    # a: the first window wrote "The Salt Lantern", the parse named it "salt lantern" and "the"
    # appears in lower case too, so both windows of the document use that name; b: the text
    # never wrote "the hague" whole
    assert names == {id(a): ("salt lantern", "The Salt Lantern"), id(b): ("the hague", "The Hague")}


def test_title_kept_whole_when_a_mention_has_the_whole_name_or_more_than_one_word_is_dropped() -> None:
    a, b = object(), object()
    names = title_names(
        ["The Beatles", "Bank of Sierra Leone"],
        ["The Beatles played. Beatles fans.", "The Bank of Sierra Leone is in Freetown."],
        [_ex("the beatles", "beatles"), _ex("sierra leone")],
        [a, b],
    )
    assert names == {id(a): ("the beatles", "The Beatles"), id(b): ("bank of sierra leone", "Bank of Sierra Leone")}


def test_title_kept_whole_when_its_first_word_is_a_name_or_the_script_has_no_case() -> None:
    a, b = object(), object()
    names = title_names(
        ["Kingdom Hearts", "हिन्दी साहित्य सम्मेलन"],
        ["Kingdom Hearts is a game; the hearts are keys.", "हिन्दी साहित्य सम्मेलन एक संस्था है।"],
        [_ex("hearts"), _ex("साहित्य सम्मेलन")],
        [a, b],
    )
    assert names == {
        id(a): ("kingdom hearts", "Kingdom Hearts"),  # "kingdom" never in lower case
        id(b): ("हिन्दी साहित्य सम्मेलन", "हिन्दी साहित्य सम्मेलन"),  # no case: kept whole
    }


def test_with_title_adds_the_title_once() -> None:
    ex = _ex("salt lantern")
    assert with_title(ex, ("salt lantern", "The Salt Lantern")) == ex
    assert with_title(ex, None) == ex
    assert with_title(ex, ("korrigan", "Korrigan")).mentions[-1] == Mention("korrigan", "Korrigan", "TITLE")


def test_real_memory_has_one_node_for_title_and_text(memory_factory) -> None:
    mem = memory_factory()
    mem.add([
        Document("The Salt Lantern is a novel by Dorian Achebe. It tells the story of a keeper.",
                 title="The Salt Lantern", id="a"),
        Document("Ines Korrigan reviewed Salt Lantern in 1996.", title="Korrigan", id="b"),
    ])
    g = mem.to_networkx()
    assert sorted(n for n in g.nodes if n.startswith("entity:") and "lantern" in n) == ["entity:salt lantern"]
    passages = sorted(n for n in g.neighbors("entity:salt lantern") if n.startswith("passage:"))
    assert passages == ["passage:a#0", "passage:b#0"]
