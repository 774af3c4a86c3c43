"""Memory.add on poison input: every bad item is an InputError naming it, nothing is written;
a single str or Document is one document; over-long runs without whitespace are ingested."""

from __future__ import annotations

import math
import sqlite3

import pytest

from graphmem import Document, InputError
from graphmem.memory import STORE_FILE


def rows(mem) -> dict[str, int]:
    c = sqlite3.connect(mem.path / STORE_FILE)
    try:
        return {
            t: c.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("documents", "chunks", "entities", "facts", "mentions")
        }
    finally:
        c.close()


def deep(depth: int) -> dict:
    value: object = "leaf"
    for _ in range(depth):
        value = {"m": value}
    assert isinstance(value, dict)
    return value


GOOD = Document(id="ada", text="Ada Lovelace was born in London.")


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (
            Document(text="Ada \ud800 Lovelace"),
            ("add() item 1: text contains a lone surrogate (\\ud800 at character 4), which is "
            "not valid Unicode"),
        ),
        (
            Document(text="Ada Lovelace.", title="\ud800"),
            ("add() item 1: title contains a lone surrogate (\\ud800 at character 0), which is "
            "not valid Unicode"),
        ),
        (
            Document(text="Ada Lovelace.", id="x\ud800"),
            ("add() item 1: id contains a lone surrogate (\\ud800 at character 1), which is not "
            "valid Unicode"),
        ),
        (
            Document(text="Ada Lovelace.", metadata={"\ud800": 1}),
            ('add() item 1: key "\\ud800" of metadata contains a lone surrogate (\\ud800 at '
            "character 0), which is not valid Unicode"),
        ),
        (
            Document(text="Ada Lovelace.", metadata={"k": ["ok", "\udc00"]}),
            ('add() item 1: metadata["k"][1] contains a lone surrogate (\\udc00 at character 0), '
            "which is not valid Unicode"),
        ),
        (
            Document(text="Ada Lovelace.", metadata=deep(5000)),
            ('add() item 1: metadata["m"]["m"]["m"]...["m"] (level 33) is nested deeper than '
            "32 levels"),
        ),
        (
            Document(text="Ada Lovelace.", metadata=deep(900)),
            ('add() item 1: metadata["m"]["m"]["m"]...["m"] (level 33) is nested deeper than '
            "32 levels"),
        ),
        (
            Document(text="Ada Lovelace.", metadata={"score": math.nan}),
            'add() item 1: metadata["score"] is nan: only finite numbers are allowed',
        ),
        (
            Document(text="Ada Lovelace.", metadata={"w": [1.0, math.inf]}),
            'add() item 1: metadata["w"][1] is inf: only finite numbers are allowed',
        ),
        (
            Document(text="Ada Lovelace.", metadata={1: "x"}),
            "add() item 1: metadata has a non-string key 1 (int): keys must be strings",
        ),
        (
            Document(text="\u200b\u200d\x01"),
            "add() item 1: text is empty: only control or zero-width characters",
        ),
        (
            Document(text="Ada Lovelace.", id=True),  # type: ignore[arg-type]
            "add() item 1: id must be a non-empty string, got True",
        ),
    ],
)
def test_poison_item_is_an_input_error_naming_it_and_nothing_is_written(
    memory_factory, bad, message
):
    mem = memory_factory()
    mem.add([Document(id="first", text="London is the capital of England.")])
    before = rows(mem)
    with pytest.raises(InputError) as err:
        mem.add([GOOD, bad, Document(text="Charles Babbage designed the Analytical Engine.")])
    assert str(err.value) == message
    assert err.value.source == "add() item 1"
    assert rows(mem) == before


def test_a_single_string_is_one_document(memory_factory):
    mem = memory_factory()
    ids = mem.add("Hello")
    assert len(ids) == 1
    assert rows(mem)["documents"] == 1 and rows(mem)["chunks"] == 1
    assert [h.text for h in mem.retrieve("Hello", top_k=5)] == ["Hello"]
    assert mem.add(Document(id="ada", text="Ada Lovelace was born in London.")) == ["ada"]
    assert rows(mem)["documents"] == 2
    assert mem.add(["Hello"]) == ids  # the same document as in a list


def test_a_run_longer_than_the_parser_limit_is_split_and_stored(memory_factory):
    """1.2 MB without whitespace, over spaCy's 1,000,000-character limit: the chunker cuts it
    into pieces of ChunkConfig.max_run_chars, so it is stored whole, in bounded passages."""
    mem = memory_factory()
    blob = "x" * 1_200_000
    text = f"Ada Lovelace was born in London. {blob} Ada Lovelace wrote the first program."
    [doc_id] = mem.add([Document(id="blob", text=text)])
    c = sqlite3.connect(mem.path / STORE_FILE)
    try:
        passages = [t for (t,) in c.execute("SELECT text FROM chunks ORDER BY position")]
    finally:
        c.close()
    assert doc_id == "blob"
    assert len(passages) == 72  # 12,000 pieces of 100 characters in windows of 200, step 168
    assert max(len(p) for p in passages) == 20_000
    assert passages[0].startswith("Ada Lovelace was born in London. xxx")
    assert passages[-1].endswith("xxx Ada Lovelace wrote the first program.")
    assert all(p in text for p in passages)
    names = {n for (n,) in sqlite3.connect(mem.path / STORE_FILE).execute("SELECT name FROM entities")}
    assert {"ada lovelace", "london"} <= names


def test_a_query_with_a_lone_surrogate_is_an_input_error_naming_it(memory_factory):
    """A lone surrogate in a query (a command-line argument with bytes that are not UTF-8
    arrives as one) used to reach the embedder's tokenizer and fail with a bare TypeError."""
    mem = memory_factory()
    mem.add([GOOD])
    with pytest.raises(InputError) as err:
        mem.retrieve("Where was Ada \udcff born?")
    assert str(err.value) == (
        "retrieve() query 0: query contains a lone surrogate (\\udcff at character 14), "
        "which is not valid Unicode"
    )
    with pytest.raises(InputError, match=r"^retrieve_many\(\) query 1: query contains a lone"):
        mem.retrieve_many(["fine", "\ud800"])
    with pytest.raises(InputError, match=r"^dense_ranking\(\) query 0: "):
        mem.dense_ranking(["x\udfff"])
    assert [h.doc_id for h in mem.retrieve("Where was Ada born?", top_k=1)] == ["ada"]
