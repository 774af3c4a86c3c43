"""Loading and validating HippoRAG-style OpenIE files, and the extractor answering from one:
exact extractions, every malformed part reported by index, bad files refused naming the file."""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

import pytest

from graphmem.chunking import split_text
from graphmem.config import ChunkConfig
from graphmem.errors import InputError
from graphmem.extract import Extractor
from graphmem.extract.openie import OpenIEExtractor, split_extraction
from graphmem.extract.openie_file import load_openie
from graphmem.types import Extraction, Mention, Triple

ODILE = (
    "Odile Marchetti was born in Pellavon in March 1931. She wrote The Salt Lantern, "
    "published by Harrow House."
)
HARROW = "Harrow House is a publishing house founded in Quennel by Tomas Brandt."

DOCS: list[Any] = [
    {  # 0: complete and valid (a repeated triple and a repeated entity are merged silently)
        "idx": 0,
        "title": "Odile Marchetti",
        "text": ODILE,
        "passage": f"Odile Marchetti\n{ODILE}",
        "extracted_entities": ["Odile Marchetti", "Pellavon", "March 1931", "The Salt Lantern",
                               "Harrow House", "Pellavon"],
        "extracted_triples": [
            ["Odile Marchetti", "born in", "Pellavon"],
            ["Odile Marchetti", "was born in", "March 1931"],
            ["Odile Marchetti", "wrote", "The Salt Lantern"],
            ["The Salt Lantern", "published by", "Harrow House"],
            ["Odile Marchetti", "born in", "Pellavon"],
            ["Odile Marchetti", "is", "novelist from Pellavon"],
        ],
    },
    {  # 1: passage only; every kind of bad entity and triple
        "passage": f"Harrow House\n{HARROW}",
        "title": "Harrow House",
        "extracted_entities": ["Harrow House", 5, "  ", "Quennel", "Tomas Brandt"],
        "extracted_triples": [
            ["Harrow House", "founded in", "Quennel"],
            ["Harrow House", "is publishing house"],
            ["Tomas Brandt", "founded", "Harrow House", "in", "Quennel"],
            ["Harrow House", "founded by", 7],
            ["", "founded", "Harrow House"],
            ["Harrow House", "is", "harrow house"],
            "Tomas Brandt founded Harrow House",
            ["Tomas Brandt", "founded", "Harrow House"],
        ],
    },
    "not an item",  # 2
    {"extracted_entities": [], "extracted_triples": []},  # 3: nothing to attach it to
    {  # 4: the same passage as docs[0]
        "title": "Odile Marchetti",
        "text": ODILE,
        "extracted_entities": [],
        "extracted_triples": [],
    },
    {"title": "Quennel", "text": "Quennel is a port.", "extracted_triples": "[['a', 'b', 'c']]"},
    {"title": "Blank", "text": " \n ", "extracted_entities": [], "extracted_triples": []},  # 6
    {"idx": 9, "extracted_entities": ["Brackwater"], "extracted_triples": []},  # 7: idx only
    {"title": 3, "text": "Brackwater is a town.", "passage": "Elsewhere\nsomething else",
     "extracted_entities": ["Brackwater"], "extracted_triples": []},  # 8
]

PROBLEMS = [
    "docs[1].extracted_entities[1]: is a JSON number, not a string; dropped",
    "docs[1].extracted_entities[2]: '  ' is empty once normalised; dropped",
    "docs[1].extracted_triples[1]: has 2 elements, not 3 (subject, predicate, object); dropped",
    "docs[1].extracted_triples[2]: has 5 elements, not 3 (subject, predicate, object); dropped",
    "docs[1].extracted_triples[3][2]: is a JSON number, not a string; dropped",
    "docs[1].extracted_triples[4][0]: '' is empty once normalised; dropped",
    "docs[1].extracted_triples[5]: subject and object are the same entity 'harrow house'; "
    + "dropped",
    "docs[1].extracted_triples[6]: is a JSON string, not a [subject, predicate, object] "
    + "list; dropped",
    "docs[2]: is a JSON string, not an object; skipped",
    "docs[3]: has no 'text', 'passage' or 'idx': no passage to attach it to; skipped",
    "docs[4]: the same passage as docs[0]; skipped",
    "docs[5].extracted_entities: is missing; taken as empty",
    "docs[5].extracted_triples: is a JSON string, not a list; taken as empty",
    "docs[6]: text is empty; skipped",
    "docs[8].title: is a JSON number, not a string; ignored",
    "docs[8].passage: differs from title + text; title and text are used",
]


def write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture
def openie_path(tmp_path: Path) -> Path:
    return write(tmp_path / "openie.json", {"docs": DOCS, "avg_ent_chars": float("nan")})


def test_valid_items_become_exact_extractions(openie_path: Path) -> None:
    f = load_openie(openie_path)
    assert f.total == 9 and f.skipped == 4
    assert [i.position for i in f.items] == [0, 1, 5, 7, 8]
    assert f.sha256 == hashlib.sha256(openie_path.read_bytes()).hexdigest()
    assert f.name == f"openie:{f.sha256[:16]}:r1"
    odile, harrow, quennel, idx_only, brackwater = f.items
    assert (odile.title, odile.text, odile.idx) == ("Odile Marchetti", ODILE, 0)
    assert odile.extraction == Extraction(
        mentions=(
            Mention("odile marchetti", "Odile Marchetti", "ENTITY"),
            Mention("pellavon", "Pellavon", "ENTITY"),
            Mention("march 1931", "March 1931", "DATE"),
            Mention("the salt lantern", "The Salt Lantern", "ENTITY"),
            Mention("harrow house", "Harrow House", "ENTITY"),
            Mention("novelist from pellavon", "novelist from Pellavon", "NP"),
        ),
        triples=(
            Triple("odile marchetti", "born in", "pellavon"),
            Triple("odile marchetti", "was born in", "march 1931"),
            Triple("odile marchetti", "wrote", "the salt lantern"),
            Triple("the salt lantern", "published by", "harrow house"),
            Triple("odile marchetti", "is", "novelist from pellavon"),
        ),
    )
    # a passage whose first line is the title is split into title and text
    assert (harrow.title, harrow.text, harrow.key) == ("Harrow House", HARROW, f"Harrow House\n{HARROW}")
    assert harrow.extraction == Extraction(
        mentions=(
            Mention("harrow house", "Harrow House", "ENTITY"),
            Mention("quennel", "Quennel", "ENTITY"),
            Mention("tomas brandt", "Tomas Brandt", "ENTITY"),
        ),
        triples=(
            Triple("harrow house", "founded in", "quennel"),
            Triple("tomas brandt", "founded", "harrow house"),
        ),
    )
    assert quennel.extraction == Extraction((), ())
    assert (idx_only.text, idx_only.idx) == (None, 9)
    assert (brackwater.title, brackwater.text) == (None, "Brackwater is a town.")


def test_every_problem_is_reported_by_index(openie_path: Path) -> None:
    assert [str(p) for p in load_openie(openie_path).problems] == PROBLEMS


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"{\"docs\": [", "not an OpenIE file: invalid JSON (Expecting value)"),
        (b"[]", 'not an OpenIE file: expected an object with a "docs" list, got a JSON array'),
        (b"{}", "not an OpenIE file: expected an object with a \"docs\" list, got no 'docs' key"),
        (b'{"docs": {"a": 1}}', 'expected an object with a "docs" list, got \'docs\' as a JSON object'),
        (b"\xff\xfe", "not valid UTF-8 (invalid start byte at byte 0)"),
    ],
)
def test_a_file_that_is_not_openie_is_an_input_error(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(InputError) as err:
        load_openie(path)
    assert err.value.source == str(path)
    assert message in str(err.value)
    assert str(err.value).startswith(f"{path}")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"nowhere\.json: file not found$"):
        load_openie(tmp_path / "nowhere.json")


def test_match_corpus_by_title_text_passage_and_idx(tmp_path: Path) -> None:
    md5 = hashlib.md5(b"Brackwater\nBrackwater lies on the Idle.").hexdigest()
    path = write(tmp_path / "o.json", {"docs": [
        {"title": "A", "text": "Alpha  text.", "extracted_entities": [], "extracted_triples": []},
        {"passage": "B\nBeta text.", "extracted_entities": [], "extracted_triples": []},
        {"text": "Gamma text.", "extracted_entities": [], "extracted_triples": []},
        {"idx": 4, "extracted_entities": [], "extracted_triples": []},
        {"idx": f"chunk-{md5}", "extracted_entities": [], "extracted_triples": []},
    ]})
    f = load_openie(path)
    corpus = [
        ("A", "Alpha text."),  # same title and text, up to whitespace
        ("B", "Beta text."),  # the passage is title\ntext
        ("Retitled", "Gamma text."),  # the text alone
        ("D", "Delta text."),  # not in the file
        ("E", "Epsilon."),  # idx 4 is its position
        ("Brackwater", "Brackwater lies on the Idle."),  # HippoRAG 2's passage id
    ]
    assert [None if i is None else i.position for i in f.match_corpus(corpus)] == [
        0, 1, 2, None, 3, 4
    ]


def test_extractor_answers_from_the_file_and_flags_unknown_passages(
    openie_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    f = load_openie(openie_path)
    ex = OpenIEExtractor(f)
    assert isinstance(ex, Extractor)
    assert ex.name == f.name and ex.passages == 4  # the idx-only item has no text
    caplog.set_level(logging.WARNING)
    got = ex.extract_batch([f"  {HARROW}\n", "Unknown passage.", ODILE])
    assert got[0] == f.items[1].extraction  # whitespace does not matter
    assert got[2] == f.items[0].extraction
    assert got[1] == Extraction((), (), failure=f"passage not in the OpenIE file {openie_path}")
    assert got[1].failed and ex.missing == 1
    assert [r.getMessage() for r in caplog.records] == [
        f"1 of 3 passages are not in the OpenIE file {openie_path}: stored without facts"
    ]
    assert ex.extract_batch([]) == []


def test_long_passages_are_split_like_the_memory_splits_them(tmp_path: Path) -> None:
    text = (
        "Tomas Brandt was born in Quennel. He trained as a printer in Ostrelund. "
        "In 1902 he founded Harrow House in Quennel."
    )
    path = write(tmp_path / "o.json", {"docs": [{
        "title": "Tomas Brandt",
        "text": text,
        "extracted_entities": ["Tomas Brandt", "Quennel", "Ostrelund", "1902"],
        "extracted_triples": [
            ["Tomas Brandt", "born in", "Quennel"],
            ["Tomas Brandt", "trained in", "Ostrelund"],
            ["Harrow House", "founded in", "1902"],
            ["printer", "works with", "type"],
        ],
    }]})
    chunking = ChunkConfig(max_tokens=8, overlap=0)
    ex = OpenIEExtractor(load_openie(path), chunking)
    windows = split_text(text, chunking)
    assert windows == [
        "Tomas Brandt was born in Quennel.",
        "He trained as a printer in Ostrelund.",
        "In 1902 he founded Harrow House in Quennel",
        ".",
    ]
    got = ex.extract_batch(windows)
    assert ex.missing == 0
    facts = [[(t.subject, t.object) for t in e.triples] for e in got]
    assert facts == [
        [("tomas brandt", "quennel")],  # the only window naming both
        [("tomas brandt", "ostrelund"), ("printer", "type")],  # by the object; by the subject
        [("harrow house", "1902")],
        [],
    ]
    assert [[m.name for m in e.mentions] for e in got] == [
        ["tomas brandt", "quennel"],
        ["tomas brandt", "ostrelund", "printer", "type"],
        ["1902", "harrow house"],
        [],
    ]


def test_split_extraction_sends_what_no_window_names_everywhere() -> None:
    ex = Extraction(
        (Mention("a", "A", "ENTITY"), Mention("b", "B", "ENTITY"), Mention("z", "Z", "ENTITY")),
        (Triple("a", "p", "b"),),
    )
    assert split_extraction(ex, ["x y", "q r"]) == [ex, ex]
    # whole words only: "a" is not in "band", "z" is in "Z."
    assert split_extraction(ex, ["band b", "Z."]) == [
        Extraction(ex.mentions[:2], ex.triples),
        Extraction(ex.mentions[2:], ()),
    ]
