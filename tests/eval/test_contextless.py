"""Question files without ``context`` (HippoRAG's 2WikiMultiHopQA dev questions): the format is
detected, gold passages map by title into the separate corpus, and no warning is logged.

The records are the first two of ``../shared/data/2wiki-corpus/dev-questions.json`` as
released; the corpus holds their four supporting passages from that set's ``corpus.json``
(the long ones cut to their first sentence) and one distractor from the same file.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from graphmem.cli import main
from graphmem.errors import InputError
from graphmem.eval.datasets import load_corpus, match_gold
from graphmem.eval.formats import detect_format, load_questions
from graphmem.eval.harness import run_eval

QUESTIONS: list[dict[str, Any]] = [
    {
        "_id": "0016373a0bda11eba7f7acde48001122",
        "type": "compositional",
        "question": "What is the date of death of Hermann Ii, Landgrave Of Hesse's father?",
        "answer": "2 February 1345",
        "supporting_facts": [["Hermann II, Landgrave of Hesse", 0], ["Louis the Junker", 0]],
        "evidences": [
            ["Hermann II of Hesse", "father", "Louis the Junker"],
            ["Louis the Junker", "date of death", "2 February 1345"],
        ],
    },
    {
        "_id": "005238da0bde11eba7f7acde48001122",
        "type": "compositional",
        "question": "Which country the composer of song Cry Over Me is from?",
        "answer": "American",
        "supporting_facts": [["Cry Over Me", 0], ["Diane Warren", 0]],
        "evidences": [
            ["Cry Over Me", "composer", "Diane Warren"],
            ["Diane Warren", "country of citizenship", "American"],
        ],
    },
]
CORPUS = [
    {
        "title": "Teutberga",
        "text": "Teutberga( died 11 November 875) was a queen of Lotharingia by marriage to "
        "Lothair II.",
    },
    {
        "title": "Diane Warren",
        "text": "Diane Eve Warren (born September 7, 1956) is an American songwriter.",
    },
    {
        "title": "Louis the Junker",
        "text": "Louis the Junker of Hesse (1305 – 2 February 1345) was a German nobleman. He "
        "was the third son of Landgrave Otto I of Hesse and his wife Adelheid, a daughter of "
        "Otto III of Ravensberg.",
    },
    {
        "title": "Cry Over Me",
        "text": "\"Cry Over Me\" is the second single from Meat Loaf's 2006 album . It was "
        "written by Diane Warren and released on 7 May 2007 in the UK.",
    },
    {
        "title": "Hermann II, Landgrave of Hesse",
        "text": "Hermann II of Hesse (1341 – 24 May 1413) was Landgrave of Hesse from 1376 to "
        "1413.",
    },
]


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def test_2wiki_without_context_loads_by_title(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _write(tmp_path / "dev-questions.json", QUESTIONS)
    caplog.set_level(logging.WARNING)
    assert detect_format(path) == "2wikimultihopqa"
    qs = load_questions(path)
    assert qs.format == "2wikimultihopqa"
    assert qs.passages == ()
    assert [e.id for e in qs.examples] == [q["_id"] for q in QUESTIONS]
    assert qs.examples[0].supporting_titles == ("Hermann II, Landgrave of Hesse", "Louis the Junker")
    assert qs.examples[1].supporting_texts == ("", "")
    assert qs.examples[0].answers == ("2 February 1345",)
    assert caplog.records == []  # no warning per supporting title

    corpus = load_corpus(_write(tmp_path / "corpus.json", CORPUS))
    assert match_gold(qs.examples, corpus) == [(4, 2), (3, 1)]


def test_hotpotqa_without_context_is_detected(tmp_path: Path) -> None:
    record = {
        "_id": "h1",
        "question": "Who wrote Cry Over Me?",
        "answer": "Diane Warren",
        "supporting_facts": [["Cry Over Me", 1], ["Diane Warren", 0]],
    }
    path = _write(tmp_path / "q.json", [record])
    assert detect_format(path) == "hotpotqa"
    [example] = load_questions(path).examples
    assert example.supporting_titles == ("Cry Over Me", "Diane Warren")


def test_eval_needs_a_corpus_when_questions_carry_none(tmp_path: Path) -> None:
    path = _write(tmp_path / "dev-questions.json", QUESTIONS)
    with pytest.raises(InputError, match=r"no 'context'.*--corpus") as err:
        run_eval(path, None, methods=("bm25",))
    assert err.value.source == str(path)


def test_eval_with_corpus_maps_gold_and_ranks(tmp_path: Path) -> None:
    questions = _write(tmp_path / "dev-questions.json", QUESTIONS)
    corpus = _write(tmp_path / "corpus.json", CORPUS)
    report = run_eval(questions, corpus, methods=("bm25",), top_k=5, include_rankings=True)
    assert report.format == "2wikimultihopqa"
    assert report.questions == 2 and report.passages == 5
    assert report.per_question is not None
    assert [q["gold"] for q in report.per_question] == [["p2", "p4"], ["p1", "p3"]]
    assert [q["rankings"]["bm25"] for q in report.per_question] == [
        ["p4", "p2", "p3", "p0", "p1"],
        ["p3", "p4", "p0", "p1", "p2"],  # the question never names Diane Warren
    ]
    assert report.methods["bm25"]["recall@1"] == 0.5
    assert report.methods["bm25"]["recall@2"] == 0.75
    assert report.methods["bm25"]["recall@5"] == 1.0


def test_eval_of_contextless_questions_logs_no_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, embedder: Any, extractor: Any
) -> None:
    """Every method, the whole run: not one warning (there used to be one per supporting
    title, "not in context"), and the gold passages are the corpus passages of those titles."""
    questions = _write(tmp_path / "dev-questions.json", QUESTIONS)
    corpus = _write(tmp_path / "corpus.json", CORPUS)
    caplog.set_level(logging.WARNING)
    report = run_eval(
        questions,
        corpus,
        top_k=5,
        cache_dir=tmp_path / "cache",
        store_dir=tmp_path / "store",
        embedder=embedder,
        extractor=extractor,
        include_rankings=True,
    )
    assert [r.getMessage() for r in caplog.records] == []
    assert report.per_question is not None
    assert [q["gold"] for q in report.per_question] == [["p2", "p4"], ["p1", "p3"]]
    assert list(report.methods) == ["graphmem", "dense", "bm25"]


def test_cli_eval_of_contextless_questions_prints_no_warning(tmp_path: Path) -> None:
    questions = _write(tmp_path / "dev-questions.json", QUESTIONS)
    corpus = _write(tmp_path / "corpus.json", CORPUS)
    args = ["eval", "--questions", questions, "--corpus", corpus, "--methods", "bm25"]
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert r.stderr.splitlines() == [
        "2 2wikimultihopqa questions, 5 passages",
        "bm25: ranking 2 questions ...",
    ]
    assert r.stdout.splitlines()[0] == (
        "2 2wikimultihopqa questions, 5 passages, top 10; memory built in 0.0s"
    )
