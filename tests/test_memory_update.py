"""Memory.update and Memory.upsert: one transaction, equal to delete + add, old version kept on
any failure before the commit."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_memory import DOCS, dump

from graphmem import ConflictError, Document, InputError, NotFoundError
from graphmem.memory import STORE_FILE
from graphmem.store.check import check_store

ROOT = Path(__file__).resolve().parents[1]

NEW_LONDON = Document(
    id="london",
    title="London",
    text="London is a city on the Thames. Charles Babbage lived in London.",
    metadata={"revised": True},
)


def _vectors(mem) -> dict[str, dict]:
    """Entity and fact vectors by name, bit for bit."""
    c = sqlite3.connect(mem.path / STORE_FILE)
    out = {
        "entities": dict(c.execute("SELECT name, embedding FROM entities")),
        "facts": {
            (s, p, o): v
            for s, p, o, v in c.execute(
                "SELECT s.name, f.predicate, o.name, f.embedding FROM facts f "
                "JOIN entities s ON s.id = f.subject_id JOIN entities o ON o.id = f.object_id"
            )
        },
    }
    c.close()
    return out


class RecordingEmbedder:
    """The real embedder, keeping the texts of every encode call."""

    def __init__(self, inner):
        self.inner, self.name, self.calls = inner, inner.name, []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts):
        self.calls.append(list(texts))
        return self.inner.encode(texts)


def _counts(mem) -> dict:
    return {k: v for k, v in mem.stats().items() if k not in ("generation", "path")}


def test_update_equals_delete_then_add_equals_a_fresh_store(memory_factory, embedder):
    recording = RecordingEmbedder(embedder)
    updated = memory_factory("updated", embedder=recording)
    updated.add(DOCS)
    generation = updated.stats()["generation"]
    recording.calls.clear()
    assert updated.update("london", NEW_LONDON) is None
    assert updated.stats()["generation"] > generation
    update_calls = recording.calls[:]

    by_delete = memory_factory("by_delete", embedder=recording)
    by_delete.add(DOCS)
    by_delete.delete("london")
    recording.calls.clear()
    by_delete.add([NEW_LONDON])
    # vectors depend on the texts embedded in the same call: the update embeds what the add does,
    # in the same company ("thames" was only the old version's: it is embedded anew)
    assert update_calls == recording.calls
    assert "thames" in update_calls[1]

    fresh = memory_factory("fresh")
    fresh.add([DOCS[0], DOCS[2]])
    fresh.add([NEW_LONDON])

    assert dump(updated) == dump(by_delete) == dump(fresh)
    assert _counts(updated) == _counts(by_delete) == _counts(fresh)
    assert _vectors(updated) == _vectors(by_delete)
    d = dump(updated)
    assert ("london", "London", '{"revised": true}') in d["documents"]
    assert ("london#0", NEW_LONDON.text) in d["chunks"]
    assert not any("capital of england" in f for f in map(" ".join, d["facts"]))
    hits = updated.retrieve("Where did Charles Babbage live?", top_k=1)
    assert (hits[0].doc_id, hits[0].text) == ("london", NEW_LONDON.text)
    assert check_store(updated.path / STORE_FILE).ok


def test_update_with_a_plain_text_keeps_the_id(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    mem.update("babbage", "Charles Babbage designed the Difference Engine.")
    [info] = [d for d in mem.documents() if d.doc_id == "babbage"]
    assert (info.title, info.passages, dict(info.metadata)) == (None, 1, {})
    assert mem.retrieve("Difference Engine", top_k=1)[0].doc_id == "babbage"


def test_update_of_an_unknown_id_raises_and_changes_nothing(memory_factory):
    mem = memory_factory()
    mem.add(DOCS[:1])
    before, generation = dump(mem), mem.stats()["generation"]
    with pytest.raises(NotFoundError) as err:
        mem.update("nope", "Some text.")
    assert isinstance(err.value, KeyError)
    assert (
        str(err.value)
        == "update(): no document with id 'nope' is stored (add() or upsert() adds one)"
    )
    assert dump(mem) == before and mem.stats()["generation"] == generation


@pytest.mark.parametrize(
    "doc_id, item, message",
    [
        ("ada", "   ", "update(): text is empty"),
        ("ada", 42, "update(): expected str or Document, got int"),
        (
            "ada",
            Document(id="london", text="x"),
            "update(): the document's id 'london' is not 'ada'",
        ),
        ("", "text", "update(): doc_id must be a non-empty string, got ''"),
    ],
)
def test_update_with_bad_input_changes_nothing(memory_factory, doc_id, item, message):
    mem = memory_factory()
    mem.add(DOCS)
    before, generation = dump(mem), mem.stats()["generation"]
    with pytest.raises(InputError) as err:
        mem.update(doc_id, item)
    assert str(err.value).startswith(message)
    assert dump(mem) == before and mem.stats()["generation"] == generation


def test_update_with_unchanged_content_writes_nothing_and_metadata_alone_replaces(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    generation = mem.stats()["generation"]
    mem.update("babbage", DOCS[2])
    mem.update("babbage", Document(text=DOCS[2].text, metadata={"year": 1837}))  # same content
    assert mem.stats()["generation"] == generation
    mem.update("babbage", Document(text=DOCS[2].text, metadata={"year": 1834}))
    assert mem.stats()["generation"] > generation
    assert mem.retrieve("Analytical Engine", top_k=1)[0].metadata == {"year": 1834}


def test_an_error_between_the_delete_and_the_write_keeps_the_old_version(
    memory_factory, monkeypatch
):
    mem = memory_factory()
    mem.add(DOCS)
    before, generation = dump(mem), mem.stats()["generation"]
    import graphmem.store.sqlite as sqlite_module

    original = sqlite_module.write_rows

    def delete_seen_then_fail(c, batch, path, namespace):
        # inside the transaction: the old version is already deleted, the new one half written
        assert c.execute("SELECT count(*) FROM chunks WHERE chunk_id = 'london#0'").fetchone() == (
            0,
        )
        original(c, batch, path, namespace)
        raise RuntimeError("power cut")

    monkeypatch.setattr(sqlite_module, "write_rows", delete_seen_then_fail)
    with pytest.raises(RuntimeError, match="power cut"):
        mem.update("london", NEW_LONDON)
    monkeypatch.undo()
    assert dump(mem) == before and mem.stats()["generation"] == generation
    assert mem.retrieve("What is the capital of England?", top_k=1)[0].text == DOCS[1].text
    mem.update("london", NEW_LONDON)  # and it still works
    assert ("london#0", NEW_LONDON.text) in dump(mem)["chunks"]


_KILLED_CHILD = """
import os, signal, sys
import numpy as np
import graphmem.store.sqlite as sqlite_module
from graphmem import Memory
from graphmem.types import Extraction

class Embedder:  # the store's model name and size: no model is loaded in this process
    name = sys.argv[2]
    dim = int(sys.argv[3])
    def encode(self, texts):
        return np.ones((len(texts), self.dim), dtype=np.float32)

class Extractor:
    name = "none"
    def extract_batch(self, texts):
        return [Extraction((), ()) for _ in texts]

def killed(c, batch, path, namespace):
    gone = c.execute("SELECT count(*) FROM documents WHERE doc_id = 'london'").fetchone()[0] == 0
    print("deleted" if gone else "not deleted", flush=True)
    os.kill(os.getpid(), signal.SIGKILL)

sqlite_module.write_rows = killed
Memory(sys.argv[1], embedder=Embedder(), extractor=Extractor()).update("london", "Replaced.")
"""


def test_a_crash_between_the_delete_and_the_write_keeps_the_old_version(memory_factory, embedder):
    mem = memory_factory()
    mem.add(DOCS)
    before = dump(mem)
    mem.close()
    script = textwrap.dedent(_KILLED_CHILD)
    child = subprocess.run(
        [sys.executable, "-c", script, str(mem.path), embedder.name, str(embedder.dim)],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (child.returncode, child.stdout) == (-9, "deleted\n"), child.stderr
    assert dump(mem) == before
    assert check_store(mem.path / STORE_FILE).ok


def test_upsert_adds_replaces_and_skips_like_delete_then_add(memory_factory):
    items = [
        DOCS[0],  # stored unchanged: skipped
        Document(id="london", text="an early draft"),  # given twice: the last one counts
        "Ada Lovelace corresponded with Charles Babbage.",  # new
        NEW_LONDON,  # replaces the stored london
    ]
    upserted = memory_factory("upserted")
    upserted.add(DOCS)
    ids = upserted.upsert(items)
    assert ids[:2] == ["ada", "london"] and ids[2].startswith("doc-") and ids[3] == "london"

    by_delete = memory_factory("by_delete")
    by_delete.add(DOCS)
    by_delete.delete("london")
    by_delete.add([items[0], items[2], items[3]])
    assert dump(upserted) == dump(by_delete)
    assert _vectors(upserted) == _vectors(by_delete)
    assert [d.doc_id for d in upserted.documents()] == ["ada", "babbage", ids[2], "london"]

    generation = upserted.stats()["generation"]
    assert upserted.upsert(items[2:]) == ids[2:]  # all stored unchanged: nothing written
    assert upserted.stats()["generation"] == generation
    fresh = memory_factory("fresh")
    assert fresh.upsert(DOCS[0]) == ["ada"]  # a lone document; absent: added
    assert dump(fresh)["documents"] == {("ada", None, "{}")}


def test_upsert_with_a_bad_item_changes_nothing(memory_factory):
    mem = memory_factory()
    mem.add(DOCS)
    before = dump(mem)
    with pytest.raises(InputError, match=r"^upsert\(\) item 1: text is empty"):
        mem.upsert([NEW_LONDON, Document(id="x", text=" ")])
    with pytest.raises(ConflictError):  # add() still refuses a replacement
        mem.add([NEW_LONDON])
    assert dump(mem) == before
