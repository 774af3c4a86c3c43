"""Time in a real memory: supersession, its reversal by delete, as_of, filters, bad input."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime, timedelta, timezone

import pytest
from test_memory import dump

from graphmem import Document, InputError, NotFoundError
from graphmem.memory import STORE_FILE

UTC = timezone.utc
PARIS = Document("Marta Quill lives in Paris.", id="paris", time="2019-03-01")
BERLIN = Document("Marta Quill moved to Berlin.", id="berlin", time="2021-06-01")
LISBON = Document("Marta Quill relocated to Lisbon.", id="lisbon", time="2023-02-01")
HOBBY = Document("Marta Quill paints harbours on weekends.", id="hobby", time="2020-01-01")
QUESTION = "Where does Marta Quill live?"


def _facts(mem, **kw):
    return [(f.object, f.holds, f.valid_from, f.valid_until) for f in mem.facts_about("Marta Quill", **kw)]


def _ids(mem, q=QUESTION, **kw):
    return [h.doc_id for h in mem.retrieve(q, top_k=4, **kw)]


def test_later_statement_supersedes_and_ranks_first(memory_factory):
    mem = memory_factory()
    mem.add([PARIS, BERLIN, HOBBY])
    hits = mem.retrieve(QUESTION, top_k=3)
    assert hits[0].doc_id == "berlin"
    assert hits[0].time == datetime(2021, 6, 1, tzinfo=UTC)
    paris = next(h for h in hits if h.doc_id == "paris")
    (old,) = paris.explanation.outdated_facts
    assert (old.subject, old.predicate, old.object) == ("Marta Quill", "live in", "Paris")
    assert old.superseded_by == (("Marta Quill", "move to", "Berlin"),)
    assert old.superseded_at == datetime(2021, 6, 1, tzinfo=UTC)
    # a superseded fact never seeds the walk
    assert all(sf.object != "Paris" for h in hits for sf in h.explanation.seed_facts)
    got = {o: (holds, frm, until) for o, holds, frm, until in _facts(mem) if o in ("Paris", "Berlin")}
    assert got == {
        "Berlin": (True, datetime(2021, 6, 1, tzinfo=UTC), None),
        "Paris": (False, datetime(2019, 3, 1, tzinfo=UTC), datetime(2021, 6, 1, tzinfo=UTC)),
    }


def test_as_of_before_between_and_after(memory_factory):
    mem = memory_factory()
    mem.add([PARIS, BERLIN, LISBON, HOBBY])
    assert mem.retrieve(QUESTION, as_of="2018-01-01") == []
    assert _ids(mem, as_of="2020-06-01")[0] == "paris"
    assert set(_ids(mem, as_of="2020-06-01")) == {"paris", "hobby"}
    assert _ids(mem, as_of=date(2022, 1, 1))[0] == "berlin"
    assert "lisbon" not in _ids(mem, as_of=date(2022, 1, 1))
    assert _ids(mem, as_of=datetime(2024, 1, 1))[0] == "lisbon"
    assert _ids(mem)[0] == "lisbon"
    holding = [o for o, h, *_ in _facts(mem, as_of="2022-01-01") if h]
    assert "Berlin" in holding and "Paris" not in holding and "Lisbon" not in holding
    assert [o for o, *_ in _facts(mem, as_of="2020-01-01") if o == "Lisbon"] == []


def test_delete_of_newer_document_restores_older_fact_exactly(memory_factory):
    """Validity is derived from provenance: deleting the newer statement leaves a memory equal
    to one it was never added to, compared by name (``dump``: documents, passages, entity names,
    facts, provenance, mentions, synonym pairs and conflicts, as sets; not ids, vectors or
    scores), fact by fact and hit by hit."""
    touched, fresh = memory_factory("touched"), memory_factory("fresh")
    touched.add([PARIS, HOBBY])
    touched.add([BERLIN])
    assert [(o, h) for o, h, *_ in _facts(touched) if o == "Paris"] == [("Paris", False)]
    touched.delete("berlin")
    fresh.add([PARIS, HOBBY])
    assert dump(touched) == dump(fresh)
    assert touched.facts_about("Marta Quill") == fresh.facts_about("Marta Quill")
    assert [(o, h) for o, h, *_ in _facts(touched) if o == "Paris"] == [("Paris", True)]
    a, b = touched.retrieve(QUESTION, top_k=2), fresh.retrieve(QUESTION, top_k=2)
    assert [(h.doc_id, h.score, h.time, h.explanation) for h in a] == [
        (h.doc_id, h.score, h.time, h.explanation) for h in b
    ]


def test_naive_time_is_utc_and_bad_times_are_errors(memory_factory):
    mem = memory_factory()
    mem.add([Document("Ivo Brandt lives in Graz.", id="g", time=datetime(2020, 5, 1, 12, 0))])
    (hit,) = mem.retrieve("Where does Ivo Brandt live?", top_k=1)
    assert hit.time == datetime(2020, 5, 1, 12, 0, tzinfo=UTC)
    aware = datetime(2020, 5, 1, 14, 0, tzinfo=timezone(timedelta(hours=2)))
    mem.add([Document("Ivo Brandt likes tea.", id="t", time=aware)])
    assert {d.doc_id: d.time for d in mem.documents()}["t"] == hit.time.timestamp()
    before = mem.stats()
    with pytest.raises(InputError, match=r"add\(\) item 1.*'last spring' is not an ISO-8601"):
        mem.add([Document("Ivo Brandt owns a boat.", id="b"), Document("x y", time="last spring")])
    with pytest.raises(InputError, match="time must be a datetime, a date or an ISO-8601 string, got int"):
        mem.add([Document("Ivo Brandt owns a boat.", time=2020)])
    with pytest.raises(InputError, match=r"retrieve\(\).*as_of 'soon' is not an ISO-8601"):
        mem.retrieve("boat", as_of="soon")
    with pytest.raises(InputError, match=r"retrieve\(\).*since must be a datetime"):
        mem.retrieve("boat", since=3.5)
    assert mem.stats() == before


def test_filters_since_until_where(memory_factory):
    mem = memory_factory()
    mem.add([
        Document("Caroline went to the support group.", id="c1", time="2023-05-07", metadata={"speaker": "Caroline"}),
        Document("Melanie went to the pottery class.", id="m1", time="2023-05-08", metadata={"speaker": "Melanie"}),
        Document("Caroline went to the beach.", id="c2", time="2023-07-01", metadata={"speaker": "Caroline"}),
    ])
    q = "Where did they go?"
    assert set(_ids(mem, q, where={"speaker": "Caroline"})) == {"c1", "c2"}
    assert set(_ids(mem, q, where={"speaker": ["Melanie", "Nobody"]})) == {"m1"}
    assert set(_ids(mem, q, since="2023-05-08")) == {"m1", "c2"}
    assert set(_ids(mem, q, until="2023-05-08")) == {"c1", "m1"}
    assert set(_ids(mem, q, since="2023-05-08", where={"speaker": "Caroline"})) == {"c2"}
    assert _ids(mem, q, where={"speaker": "Zed"}) == []
    assert mem.dense_ranking([q], 3, where={"speaker": "Melanie"}) == [["m1"]]
    with pytest.raises(InputError, match=r"no document has metadata key 'speker' \(keys stored: 'speaker'\)"):
        mem.retrieve(q, where={"speker": "Caroline"})
    with pytest.raises(InputError, match="where must be a mapping"):
        mem.retrieve(q, where=["speaker"])


def test_update_with_new_time_changes_validity(memory_factory):
    mem = memory_factory()
    mem.add([PARIS, BERLIN])
    mem.update("paris", Document(PARIS.text, time="2022-01-01"))
    assert [(o, h) for o, h, *_ in _facts(mem)] == [("Paris", True), ("Berlin", False)]


def test_unknown_namespace_read_is_an_error(memory_factory):
    mem = memory_factory()
    mem.add([PARIS])
    with pytest.raises(NotFoundError, match=r"retrieve\(\): no namespace 'nope'"):
        mem.retrieve(QUESTION, namespace="nope")
    with pytest.raises(NotFoundError, match="no namespace 'nope'"):
        mem.delete_namespace("nope")
    with pytest.raises(InputError, match="namespace is empty"):
        mem.add(["x"], namespace="  ")
    with pytest.raises(InputError, match="namespace must be a string, got int"):
        mem.retrieve(QUESTION, namespace=3)
    assert mem.namespaces() == ["default"]
    assert sqlite3.connect(mem.path / STORE_FILE).execute("SELECT count(*) FROM documents").fetchone() == (1,)


def test_add_conversation_stores_windowed_turns_with_speaker_and_time(memory_factory):
    from graphmem.conversation import Turn

    mem = memory_factory()
    turns = [
        Turn("Melanie", "Did you go to the pride parade?", "D1:1", session="1"),
        Turn("Caroline", "Yes, I did!", "D1:2", session="1"),
    ]
    ids = mem.add_conversation(turns, namespace="chat", session_time="2023-05-08T13:56:00", window=1)
    assert ids == ["D1:1", "D1:2"]
    (hit,) = [h for h in mem.retrieve("pride parade", top_k=2, namespace="chat") if h.doc_id == "D1:2"]
    assert hit.text == "Melanie: Did you go to the pride parade?\nCaroline: Yes, I did!"
    assert hit.metadata == {"speaker": "Caroline", "session": "1"}
    assert hit.time == datetime(2023, 5, 8, 13, 56, tzinfo=UTC)
    assert [h.doc_id for h in mem.retrieve("parade", top_k=2, namespace="chat", where={"speaker": "Caroline"})] == ["D1:2"]
