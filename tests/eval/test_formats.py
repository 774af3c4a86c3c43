"""Question-file format detection and the passages a question file carries itself."""

from __future__ import annotations

import json
import re

import pytest

from graphmem.errors import InputError
from graphmem.eval.datasets import CorpusPassage
from graphmem.eval.formats import detect_format, load_questions

MUSIQUE = {
    "id": "m1",
    "question": "Q?",
    "answer": "A",
    "paragraphs": [
        {"idx": 0, "title": "T", "paragraph_text": "Text one.", "is_supporting": True},
        {"idx": 1, "title": "Ü", "paragraph_text": "Zwei.", "is_supporting": False},
    ],
}
MUSIQUE_2 = {
    **MUSIQUE,
    "id": "m2",
    "paragraphs": [
        {"idx": 0, "title": "Ü", "paragraph_text": "Zwei.", "is_supporting": True},
        {"idx": 1, "title": "T", "paragraph_text": "Other text.", "is_supporting": False},
    ],
}
HOTPOT = {
    "_id": "h1",
    "question": "Q?",
    "answer": "A",
    "supporting_facts": [["T", 0]],
    "context": [["T", ["First.", " Second."]], ["Empty", []], ["U", ["Third."]]],
}


def write(tmp_path, name, records):
    path = tmp_path / name
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def test_detect_each_format(tmp_path):
    assert detect_format(write(tmp_path, "m.json", [MUSIQUE])) == "musique"
    assert detect_format(write(tmp_path, "h.json", [HOTPOT])) == "hotpotqa"
    wiki = {**HOTPOT, "evidences": [["T", "is", "x"]], "type": "compositional"}
    assert detect_format(write(tmp_path, "w.json", [wiki])) == "2wikimultihopqa"
    lines = tmp_path / "m.jsonl"
    lines.write_text(json.dumps(MUSIQUE) + "\n", encoding="utf-8")
    assert detect_format(lines) == "musique"


def test_own_passages_deduplicated_in_first_seen_order(tmp_path):
    qs = load_questions(write(tmp_path, "m.json", [MUSIQUE, MUSIQUE_2]))
    assert qs.format == "musique"
    assert [e.id for e in qs.examples] == ["m1", "m2"]
    assert qs.passages == (
        CorpusPassage("T", "Text one."),
        CorpusPassage("Ü", "Zwei."),
        CorpusPassage("T", "Other text."),  # same title, other text: another passage
    )
    hotpot = load_questions(write(tmp_path, "h.json", [HOTPOT, HOTPOT]))
    # sentences joined as HotpotQA corpora join them; a title without sentences is no passage
    assert hotpot.passages == (CorpusPassage("T", "First. Second."), CorpusPassage("U", "Third."))


def test_unknown_mixed_and_empty_files(tmp_path):
    bad = write(tmp_path, "bad.json", [MUSIQUE, {"question": "Q?", "answer": "A"}])
    with pytest.raises(InputError, match=re.escape(f"{bad}: record 1 is in no known question")):
        detect_format(bad)
    mixed = write(tmp_path, "mixed.json", [MUSIQUE, HOTPOT])
    with pytest.raises(
        InputError,
        match=re.escape(f"{mixed}: record 1 is hotpotqa but earlier records are musique"),
    ):
        load_questions(mixed)
    empty = write(tmp_path, "empty.json", [])
    with pytest.raises(InputError, match=re.escape(f"{empty}: no question records")):
        load_questions(empty)
    broken = write(tmp_path, "broken.json", [{**MUSIQUE, "paragraphs": "nope"}])
    with pytest.raises(InputError, match="field 'paragraphs' must be a list"):
        load_questions(broken)
