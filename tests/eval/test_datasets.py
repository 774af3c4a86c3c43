"""Benchmark loaders on hand-written native-format fixtures, plus the shared 100-question sets."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from graphmem.errors import InputError
from graphmem.eval.datasets import (
    CorpusPassage,
    QAExample,
    join_sentences,
    load_2wikimultihopqa,
    load_benchmark,
    load_corpus,
    load_hotpotqa,
    load_musique,
    match_gold,
    passage_key,
)

SHARED_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


MUSIQUE: list[dict[str, Any]] = [
    {
        "id": "2hop__1_2",
        "question": "Where was the founder of Acme born?",
        "answer": "Zürich",
        "answer_aliases": ["Zurich", "Zürich"],
        "answerable": True,
        "question_decomposition": [{"id": 1, "question": "Who founded Acme?"}],
        "paragraphs": [
            {
                "idx": 0,
                "title": "Acme",
                "paragraph_text": "Acme was founded by Ann.",
                "is_supporting": True,
            },
            {"idx": 1, "title": "Noise", "paragraph_text": "Unrelated.", "is_supporting": False},
            {
                "idx": 2,
                "title": "Ann",
                "paragraph_text": "Ann was born in Zürich.",
                "is_supporting": True,
            },
            {"idx": 3, "title": "Ann", "paragraph_text": "Ann liked tea.", "is_supporting": True},
        ],
    },
    {
        "id": "3hop1__9",
        "question": "Q2?",
        "answer": "A2",
        "paragraphs": [{"idx": 0, "title": "T", "paragraph_text": "text", "is_supporting": True}],
    },
]

HOTPOT: list[dict[str, Any]] = [
    {
        "_id": "5a8b",
        "question": "Which band did the singer of X join?",
        "answer": "Y",
        "type": "bridge",
        "level": "easy",
        "supporting_facts": [["X", 0], ["Y band", 1], ["X", 1]],
        "context": [
            ["X", ["X is a song", " by Bo.", " "]],
            ["Distractor", ["Nothing here."]],
            ["Y band", ["Y band formed in 1990.", " Bo joined Y band."]],
        ],
    },
    {  # no _id: the position becomes the id
        "question": "Yes or no?",
        "answer": "yes",
        "supporting_facts": [["Z", 0]],
        "context": [["Z", ["Zed."]]],
    },
]

TWOWIKI: list[dict[str, Any]] = [
    {
        "_id": "abc123",
        "type": "compositional",
        "question": "Who is the father of the director of Film F?",
        "answer": "Carl",
        "evidences": [["Film F", "director", "Dana"], ["Dana", "father", "Carl"]],
        "supporting_facts": [["Film F", 0], ["Dana", 1]],
        "context": [
            ["Film F", ["Film F is a 1950 film.", "It was directed by Dana."]],
            ["Dana", ["Dana was a director.", "Dana's father was Carl."]],
            ["Other", ["Other text."]],
        ],
    }
]


def test_load_musique(tmp_path: Path) -> None:
    examples = load_musique(_write(tmp_path / "q.json", MUSIQUE))
    assert examples == [
        QAExample(
            id="2hop__1_2",
            question="Where was the founder of Acme born?",
            answers=("Zürich", "Zurich"),
            supporting_titles=("Acme", "Ann", "Ann"),
            supporting_texts=(
                "Acme was founded by Ann.",
                "Ann was born in Zürich.",
                "Ann liked tea.",
            ),
        ),
        QAExample("3hop1__9", "Q2?", ("A2",), ("T",), ("text",)),
    ]
    assert examples[0].gold_keys == (
        "Acme\nAcme was founded by Ann.",
        "Ann\nAnn was born in Zürich.",
        "Ann\nAnn liked tea.",
    )


def test_load_musique_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "dev.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in MUSIQUE) + "\n\n", encoding="utf-8")
    assert load_musique(path) == load_musique(_write(tmp_path / "q.json", MUSIQUE))
    path.write_text(json.dumps(MUSIQUE[0]) + "\n{oops\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_musique(path)
    assert err.value.source == str(path) and err.value.line == 2


def test_load_hotpotqa(tmp_path: Path) -> None:
    examples = load_hotpotqa(_write(tmp_path / "q.json", HOTPOT))
    assert examples == [
        QAExample(
            id="5a8b",
            question="Which band did the singer of X join?",
            answers=("Y",),
            supporting_titles=("X", "Y band"),  # each title once, in first-mention order
            supporting_texts=("X is a song by Bo.", "Y band formed in 1990. Bo joined Y band."),
        ),
        QAExample("1", "Yes or no?", ("yes",), ("Z",), ("Zed.",)),
    ]


def test_load_2wikimultihopqa(tmp_path: Path) -> None:
    examples = load_2wikimultihopqa(_write(tmp_path / "dev.json", TWOWIKI))
    assert examples == [
        QAExample(
            id="abc123",
            question="Who is the father of the director of Film F?",
            answers=("Carl",),
            supporting_titles=("Film F", "Dana"),
            supporting_texts=(
                "Film F is a 1950 film. It was directed by Dana.",
                "Dana was a director. Dana's father was Carl.",
            ),
        )
    ]


def test_join_sentences() -> None:
    assert join_sentences(["A.", " B", "C."]) == "A. BC."
    assert join_sentences(["A.", "B."], " ") == "A. B."
    assert join_sentences([]) == ""


def test_load_corpus(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "corpus.json", [{"title": "A", "text": "a"}, {"title": "B", "text": "b", "x": 1}]
    )
    assert load_corpus(path) == [CorpusPassage("A", "a"), CorpusPassage("B", "b")]
    assert CorpusPassage("A", "a").key == passage_key("A", "a") == "A\na"


def _broken(record: dict[str, Any], **changes: Any) -> list[dict[str, Any]]:
    copy = json.loads(json.dumps(record))
    for key, value in changes.items():
        if value is None:
            del copy[key]
        else:
            copy[key] = value
    return [copy]


@pytest.mark.parametrize(
    ("loader", "data", "message"),
    [
        (load_musique, {"not": "a list"}, "expected a JSON list of records, got dict"),
        (load_musique, ["just a string"], "record 0: expected a JSON object, got str"),
        (
            load_musique,
            _broken(MUSIQUE[0], question=None),
            "record 0 (id '2hop__1_2'): missing field 'question'",
        ),
        (load_musique, _broken(MUSIQUE[0], answer=3), "field 'answer' must be a string, got int"),
        (
            load_musique,
            _broken(MUSIQUE[0], answer_aliases=["ok", 1]),
            "'answer_aliases' must be a list of strings",
        ),
        (
            load_musique,
            _broken(
                MUSIQUE[1],
                paragraphs=[{"title": "T", "paragraph_text": "x", "is_supporting": "yes"}],
            ),
            "paragraphs[0]: field 'is_supporting' must be a boolean, got str",
        ),
        (
            load_musique,
            _broken(
                MUSIQUE[1],
                paragraphs=[{"title": "T", "paragraph_text": "x", "is_supporting": False}],
            ),
            "no paragraph has is_supporting = true",
        ),
        (
            load_hotpotqa,
            _broken(HOTPOT[0], context=[["X", "not a list"]]),
            "context[0] must be [title, [sentence, ...]]",
        ),
        (
            load_hotpotqa,
            _broken(HOTPOT[0], supporting_facts=[["X", "0"]]),
            "supporting_facts[0] must be [title, sentence_index]",
        ),
        (
            load_hotpotqa,
            _broken(HOTPOT[0], supporting_facts=[]),
            "field 'supporting_facts' is empty",
        ),
        (
            load_hotpotqa,
            _broken(HOTPOT[0], _id=[1]),
            "field '_id' must be a string or an integer, got list",
        ),
        (load_2wikimultihopqa, _broken(TWOWIKI[0], context="x"), "field 'context' must be a list"),
        (load_corpus, [{"title": "A"}], "passage 0: missing field 'text'"),
        (
            load_corpus,
            [{"title": None, "text": "t"}],
            "passage 0: field 'title' must be a string, got NoneType",
        ),
    ],
)
def test_malformed_files_raise_input_error(
    tmp_path: Path, loader: Any, data: Any, message: str
) -> None:
    path = _write(tmp_path / "bad.json", data)
    with pytest.raises(InputError) as err:
        loader(path)
    assert err.value.source == str(path)
    assert message in err.value.reason
    assert str(err.value).startswith(f"{path}: ")


def test_unreadable_files(tmp_path: Path) -> None:
    missing = tmp_path / "missing.json"
    with pytest.raises(InputError, match="file not found") as err:
        load_corpus(missing)
    assert err.value.source == str(missing)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('[\n{"title": "A",\n', encoding="utf-8")
    with pytest.raises(InputError, match="invalid JSON") as err:
        load_corpus(bad_json)
    assert err.value.line == 3
    latin1 = tmp_path / "latin1.json"
    latin1.write_bytes('[{"title": "Café", "text": "x"}]'.encode("latin-1"))
    with pytest.raises(InputError, match="not valid UTF-8"):
        load_corpus(latin1)


def test_supporting_title_missing_from_context_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = _broken(HOTPOT[0], supporting_facts=[["X", 0], ["Ghost", 0], ["Y band", 7]])
    [example] = load_hotpotqa(_write(tmp_path / "q.json", data))
    assert example.supporting_titles == ("X", "Ghost", "Y band")
    assert example.supporting_texts[1] == ""  # unknown text: matched by title alone
    assert "'Ghost' not in context" in caplog.text
    assert "out of range" in caplog.text


CORPUS = [
    CorpusPassage("Acme", "Acme was founded by Ann."),
    CorpusPassage("Ann", "Ann liked tea."),
    CorpusPassage("Ann", "Ann was born in Zürich."),
    CorpusPassage("T", "text"),
    CorpusPassage("Solo", "Only one passage has this title."),
]


def test_match_gold_uses_title_and_text() -> None:
    examples = [QAExample(e["id"], "", ("a",), *_gold(e)) for e in MUSIQUE]
    # the two "Ann" passages are told apart by their text
    assert match_gold(examples, CORPUS) == [(0, 2, 1), (3,)]


def _gold(record: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    sup = [p for p in record["paragraphs"] if p["is_supporting"]]
    return tuple(p["title"] for p in sup), tuple(p["paragraph_text"] for p in sup)


def test_match_gold_fallbacks_and_failures() -> None:
    spaced = QAExample("q", "", ("a",), ("Ann",), ("Ann  liked\ntea. ",))
    assert match_gold([spaced], CORPUS) == [(1,)]  # whitespace differences tolerated
    title_only = QAExample("q", "", ("a",), ("Solo",), ("",))
    assert match_gold([title_only], CORPUS) == [(4,)]
    ambiguous = QAExample("q", "", ("a",), ("Ann",), ("",))
    with pytest.raises(InputError, match="'Ann' matches 2 of the corpus passages") as err:
        match_gold([ambiguous], CORPUS, source="corpus.json")
    assert err.value.source == "corpus.json"
    wrong_text = QAExample("q7", "", ("a",), ("Ann",), ("Ann hated tea.",))
    with pytest.raises(InputError, match="question 'q7': gold passage 'Ann'"):
        match_gold([wrong_text], CORPUS)
    unknown = QAExample("q", "", ("a",), ("Nobody",), ("",))
    with pytest.raises(InputError, match="'Nobody' is not in the corpus"):
        match_gold([unknown], CORPUS)


def test_qa_example_requires_aligned_gold() -> None:
    with pytest.raises(ValueError, match="same length"):
        QAExample("q", "?", ("a",), ("A", "B"), ("a",))


def test_load_benchmark_from_directory(tmp_path: Path) -> None:
    base = tmp_path / "musique-100"
    base.mkdir()
    _write(base / "questions.json", MUSIQUE)
    corpus = [{"title": p.title, "text": p.text} for p in CORPUS]
    _write(base / "corpus.json", corpus)
    examples, passages = load_benchmark("musique", tmp_path)
    assert [e.id for e in examples] == ["2hop__1_2", "3hop1__9"]
    assert passages == CORPUS
    _write(base / "corpus.json", corpus[:2])
    with pytest.raises(InputError, match="gold passage 'Ann'") as err:
        load_benchmark("musique", tmp_path)
    assert err.value.source == str(base / "corpus.json")
    with pytest.raises(InputError, match="file not found"):
        load_benchmark("hotpotqa", tmp_path)
    with pytest.raises(InputError, match="unknown benchmark 'squad'; known: hotpotqa, musique"):
        load_benchmark("squad", tmp_path)


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared benchmark data not available")
@pytest.mark.parametrize(
    ("name", "corpus_size", "gold_counts", "unique_titles"),
    [
        ("musique", 1890, {2: 68, 3: 27, 4: 5}, 1764),
        ("hotpotqa", 994, {2: 100}, 994),
    ],
)
def test_shared_benchmarks(
    name: str, corpus_size: int, gold_counts: dict[int, int], unique_titles: int
) -> None:
    examples, corpus = load_benchmark(name, SHARED_DATA)
    assert len(examples) == 100
    assert len({e.id for e in examples}) == 100
    assert len(corpus) == corpus_size
    assert all(e.question and e.answers for e in examples)
    # (title, text) identifies passages; titles alone do not in MuSiQue
    assert len({p.key for p in corpus}) == corpus_size
    assert len({p.title for p in corpus}) == unique_titles
    gold = match_gold(examples, corpus)
    assert Counter(len(g) for g in gold) == gold_counts
    keys = [p.key for p in corpus]
    for example, indices in zip(examples, gold, strict=True):
        assert len(set(indices)) == len(indices)
        assert tuple(keys[i] for i in indices) == example.gold_keys  # exact matches


@pytest.mark.skipif(not SHARED_DATA.is_dir(), reason="shared benchmark data not available")
def test_shared_2wiki_corpus() -> None:
    corpus = load_corpus(SHARED_DATA / "2wiki-corpus" / "corpus.json")
    assert len(corpus) == 6119
    assert len({p.title for p in corpus}) == 6119
