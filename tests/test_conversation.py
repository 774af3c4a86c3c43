"""Conversation turns: the .jsonl reader, the windowed passage unit, add_conversation."""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import datetime, timezone

import pytest

from graphmem.conversation import Turn, add_conversation, read_turns, turns_to_documents
from graphmem.errors import InputError
from graphmem.types import Document

HAS_TIME = "time" in {f.name for f in fields(Document)}
T1 = datetime(2023, 5, 8, 13, 56, tzinfo=timezone.utc)
T2 = datetime(2023, 5, 25, 13, 14, tzinfo=timezone.utc)

TURNS = [
    Turn("Melanie", "Did you go to the parade?", "a1", T1, "s1"),
    Turn("Caroline", "Yes, I did!", "a2", T1, "s1"),
    Turn("Melanie", "How was it?", "a3", T1, "s1"),
    Turn("Caroline", "I adopted a dog.", "b1", T2, "s2"),
    Turn("Melanie", "Wow!", "b2", T2, "s2", {"mood": "happy"}),
]


def write_lines(path, lines):
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def doc_time(doc: Document):
    return doc.time if HAS_TIME else doc.metadata.get("time")


def test_read_turns(tmp_path):
    path = write_lines(
        tmp_path / "t.jsonl",
        [
            json.dumps({"speaker": "A", "text": "Hi", "id": 1, "session_time": "2023-05-08T13:56"}),
            "",
            json.dumps(
                {"speaker": "B", "text": "Yo", "id": "x", "time": "2023-05-08T14:00:00+02:00",
                 "session": "s1", "metadata": {"k": 1}}
            ),
        ],
    )
    assert read_turns(path) == [
        Turn("A", "Hi", "1", T1),
        Turn("B", "Yo", "x", datetime.fromisoformat("2023-05-08T14:00:00+02:00"), "s1", {"k": 1}),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "invalid JSON: Expecting property name enclosed in double quotes"),
        ('["a"]', "expected a JSON object, got list"),
        ('{"speaker": "A", "text": "Hi"}', "missing field 'id'"),
        ('{"speaker": "A", "text": "", "id": "2"}', "turn text must be a non-empty string, got ''"),
        ('{"speaker": 3, "text": "Hi", "id": "2"}', "field 'speaker' must be a string, got int"),
        ('{"speaker": "A", "text": "Hi", "id": true}', "field 'id' must be a string or an integer"),
        ('{"speaker": "A", "text": "Hi", "id": "2", "time": "May 8"}', "time 'May 8' is not ISO"),
        ('{"speaker": "A", "text": "Hi", "id": "2", "who": 1}', "unknown field 'who'"),
        ('{"speaker": "A", "text": "Hi", "id": "1"}', "turn id '1' already used on line 1"),
    ],
)
def test_read_turns_errors_name_file_and_line(tmp_path, line, message):
    path = write_lines(tmp_path / "t.jsonl", ['{"speaker": "A", "text": "Hi", "id": "1"}', line])
    with pytest.raises(InputError) as info:
        read_turns(path)
    assert str(info.value).startswith(f"{path}:2: {message}")
    assert info.value.line == 2


def test_read_turns_missing_file(tmp_path):
    with pytest.raises(InputError, match="no.jsonl: file not found"):
        read_turns(tmp_path / "no.jsonl")


def test_turn_documents_window_0_1_2():
    texts = {w: [d.text for d in turns_to_documents(TURNS, window=w)] for w in (0, 1, 2)}
    assert texts[0] == [
        "Melanie: Did you go to the parade?",
        "Caroline: Yes, I did!",
        "Melanie: How was it?",
        "Caroline: I adopted a dog.",
        "Melanie: Wow!",
    ]
    assert texts[1] == [
        "Melanie: Did you go to the parade?",
        "Melanie: Did you go to the parade?\nCaroline: Yes, I did!",
        "Caroline: Yes, I did!\nMelanie: How was it?",
        "Caroline: I adopted a dog.",  # no context across the session boundary
        "Caroline: I adopted a dog.\nMelanie: Wow!",
    ]
    assert texts[2][2] == (
        "Melanie: Did you go to the parade?\nCaroline: Yes, I did!\nMelanie: How was it?"
    )
    assert texts[2][3:] == texts[1][3:]


def test_turn_documents_ids_metadata_time():
    docs = turns_to_documents(TURNS, window=1)
    assert [d.id for d in docs] == ["a1", "a2", "a3", "b1", "b2"]
    meta = {k: v for k, v in docs[4].metadata.items() if k != "time"}
    assert meta == {"mood": "happy", "speaker": "Melanie", "session": "s2"}
    assert doc_time(docs[0]) == (T1 if HAS_TIME else T1.isoformat())
    assert doc_time(docs[3]) == (T2 if HAS_TIME else T2.isoformat())


def test_session_time_fills_turns_without_time():
    turns = [Turn("A", "Hi", "1", session="s1"), Turn("B", "Yo", "2", session="s2")]
    docs = turns_to_documents(turns, session_time={"s1": "2023-05-08T13:56:00"})
    assert doc_time(docs[0]) == (T1 if HAS_TIME else T1.isoformat())
    assert doc_time(docs[1]) is None
    docs = turns_to_documents(turns, session_time=T2)
    assert [doc_time(d) for d in docs] == [T2 if HAS_TIME else T2.isoformat()] * 2


def test_turn_documents_errors():
    with pytest.raises(InputError, match="window must be an integer >= 0, got -1"):
        turns_to_documents(TURNS, window=-1)
    with pytest.raises(InputError, match="turn id 'a1' appears twice"):
        turns_to_documents([TURNS[0], TURNS[0]])
    with pytest.raises(InputError, match="turn 0 must be a Turn, got str"):
        turns_to_documents(["hello"])  # type: ignore[list-item]
    with pytest.raises(InputError, match="turn 'x': time must be a timezone-aware datetime"):
        Turn("A", "Hi", "x", datetime(2023, 1, 1))


class FakeMemory:
    """Records what add() was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[Document], dict]] = []

    def add(self, docs, **options):
        self.calls.append((list(docs), options))
        return [d.id for d in docs]


def test_add_conversation_passes_documents_and_namespace():
    mem = FakeMemory()
    assert add_conversation(mem, TURNS[:2], window=0) == ["a1", "a2"]
    assert add_conversation(mem, TURNS[3:], namespace="u1") == ["b1", "b2"]
    (docs0, opts0), (docs1, opts1) = mem.calls
    assert [d.text for d in docs0] == ["Melanie: Did you go to the parade?", "Caroline: Yes, I did!"]
    assert opts0 == {"source": "add_conversation()", "namespace": "default"}
    assert opts1 == {"source": "add_conversation()", "namespace": "u1"}
    assert docs1[1].text == "Caroline: I adopted a dog.\nMelanie: Wow!"
