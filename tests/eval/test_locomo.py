"""The LoCoMo loader, per-category metrics, and `graphmem eval` on a tiny LoCoMo file (BM25 only:
no model is loaded)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from graphmem.cli import main
from graphmem.errors import InputError
from graphmem.eval.formats import detect_format, load_questions
from graphmem.eval.locomo import LocomoQuestion, load_locomo, parse_locomo_time
from graphmem.eval.locomo_eval import group_metrics, run_locomo


def turn(speaker, dia_id, text, **extra):
    return {"speaker": speaker, "dia_id": dia_id, "text": text, **extra}


CONV_A = {
    "sample_id": "a",
    "conversation": {
        "speaker_a": "Caroline",
        "speaker_b": "Melanie",
        "session_1_date_time": "1:56 pm on 8 May, 2023",
        "session_1": [
            turn("Caroline", "D1:1", "I went to the pottery class yesterday."),
            turn("Melanie", "D1:2", "Did you make a bowl?"),
            turn("Caroline", "D1:3", "Yes, a blue bowl!", blip_caption="a photo of a blue bowl"),
        ],
        "session_2_date_time": "7:55 pm on 9 June, 2023",
        "session_2": [
            turn("Melanie", "D2:1", "We camped near the lake with the kids."),
            turn("Caroline", "D2:2", "Sounds lovely."),
        ],
    },
    "qa": [
        {"question": "What did Caroline make at pottery class?", "answer": "a blue bowl",
         "evidence": ["D1:1; D1:3"], "category": 1},
        {"question": "Who camped near the lake?", "answer": "near the lake",
         "evidence": ["D2:01", "D9:9"], "category": 4},
        {"question": "Who painted the lake?", "adversarial_answer": "Melanie",
         "evidence": ["D2:1"], "category": 5},
        {"question": "Is Caroline an artist?", "answer": "likely", "evidence": [], "category": 3},
    ],
}
CONV_B = {
    "sample_id": "b",
    "conversation": {
        "speaker_a": "Jon",
        "speaker_b": "Gina",
        "session_1_date_time": "10:00 am on 1 January, 2023",
        "session_1": [
            turn("Jon", "D1:1", "I lost my job at the bank."),
            turn("Gina", "D1:2", "I opened a dance studio."),
        ],
    },
    "qa": [
        {"question": "When did Jon lose his job at the bank?", "answer": "2023",
         "evidence": ["D1:1"], "category": 2},
    ],
}


@pytest.fixture
def locomo_file(tmp_path):
    path = tmp_path / "conversations.json"
    path.write_text(json.dumps([CONV_A, CONV_B]), encoding="utf-8")
    return path


def test_load_locomo(locomo_file):
    data = load_locomo(locomo_file)
    assert [c.id for c in data.conversations] == ["a", "b"]
    a = data.conversations[0]
    assert a.speakers == ("Caroline", "Melanie")
    assert [t.id for t in a.turns] == ["D1:1", "D1:2", "D1:3", "D2:1", "D2:2"]
    assert [t.session for t in a.turns] == ["session_1"] * 3 + ["session_2"] * 2
    assert a.turns[0].time == datetime(2023, 5, 8, 13, 56, tzinfo=timezone.utc)
    assert a.turns[2].metadata == {"caption": "a photo of a blue bowl"}
    assert data.questions == (
        LocomoQuestion("a", 0, "What did Caroline make at pottery class?", "a blue bowl", 1,
                       ("D1:1", "D1:3")),
        LocomoQuestion("a", 1, "Who camped near the lake?", "near the lake", 4, ("D2:1",)),
        LocomoQuestion("a", 2, "Who painted the lake?", "Melanie", 5, ("D2:1",)),
        LocomoQuestion("b", 0, "When did Jon lose his job at the bank?", "2023", 2, ("D1:1",)),
    )
    assert data.problems == (
        "conversation 'a' qa[0]: evidence 'D1:1; D1:3' holds 2 ids; split",
        "conversation 'a' qa[1]: evidence 'D2:01' read as 'D2:1'",
        "conversation 'a' qa[1]: evidence 'D9:9' names no turn; dropped",
        "conversation 'a' qa[3]: evidence is empty",
        "conversation 'a' qa[3]: no valid evidence; question skipped",
    )


def test_locomo_format_detection_and_errors(tmp_path, locomo_file):
    assert detect_format(locomo_file) == "locomo"
    with pytest.raises(InputError, match="a LoCoMo conversation file"):
        load_questions(locomo_file)
    assert parse_locomo_time("12:48 am on 1 February, 2023", source="x") == datetime(
        2023, 2, 1, 0, 48, tzinfo=timezone.utc
    )
    bad = json.loads(json.dumps(CONV_B))
    bad["conversation"]["session_1_date_time"] = "yesterday"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([bad]), encoding="utf-8")
    with pytest.raises(InputError, match=r"bad.json: conversation 'b' session_1: session time "
                       r"'yesterday' is not like"):
        load_locomo(path)


def q(category: int, gold: tuple[str, ...]) -> LocomoQuestion:
    return LocomoQuestion("c", 0, "?", "", category, gold)


def test_group_metrics_per_category_with_adversarial_apart():
    questions = [q(1, ("x", "y")), q(4, ("z",)), q(4, ("w",)), q(5, ("x",))]
    rankings = [["a", "x", "b", "c", "d", "y"], ["z"], ["a", "b"], ["x"]]
    out = group_metrics(rankings, questions)
    assert list(out) == ["overall", "category_1", "category_4", "category_5"]
    assert out["category_1"] == {"recall@1": 0.0, "recall@2": 0.5, "recall@5": 0.5,
                                 "recall@10": 1.0, "all@5": 0.0, "mrr": 0.5}
    assert out["category_4"] == {"recall@1": 0.5, "recall@2": 0.5, "recall@5": 0.5,
                                 "recall@10": 0.5, "all@5": 0.5, "mrr": 0.5}
    assert out["category_5"]["recall@1"] == 1.0
    # overall = categories 1-4 only: the adversarial hit does not count
    assert out["overall"] == {"recall@1": 0.3333, "recall@2": 0.5, "recall@5": 0.5,
                              "recall@10": 0.6667, "all@5": 0.3333, "mrr": 0.5}


def test_run_locomo_bm25(locomo_file):
    report = run_locomo(locomo_file, methods=["bm25"], top_k=3, window=0)
    assert (report.questions, report.conversations, report.passages) == (4, 2, 7)
    assert report.counts == {"overall": 3, "category_1": 1, "category_2": 1, "category_4": 1,
                             "category_5": 1}
    assert len(report.problems) == 5
    bm25 = report.methods["bm25"]
    assert bm25["category_2"]["recall@1"] == 1.0  # only conversation b's turns are ranked
    assert bm25["category_4"]["recall@1"] == 1.0
    assert bm25["category_1"]["recall@1"] == 0.5


def test_cli_eval_locomo(tmp_path, locomo_file):
    out = tmp_path / "out.json"
    args = ["eval", "--questions", str(locomo_file), "--methods", "bm25", "--top-k", "3",
            "--window", "0", "--json", str(out)]
    r = CliRunner().invoke(main, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == ("4 locomo questions in 2 conversations, 7 passages (window 0), top 3; "
                        "5 evidence problems; memories built in 0.0s")
    assert lines[1] == "overall (categories 1-4): 3 questions"
    assert lines[2].split() == ["method", "recall@1", "recall@2", "recall@5", "recall@10",
                                "all@5", "mrr"]
    assert lines[3].split()[0] == "bm25"
    assert "category_5 adversarial (apart: not in overall): 1 questions" in lines
    assert lines[-1] == f"wrote {out}"
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["format"] == "locomo" and report["counts"]["overall"] == 3
    r = CliRunner().invoke(main, ["eval", "--questions", str(locomo_file), "--corpus",
                                  str(locomo_file)])
    assert r.exit_code == 1
    assert "error: --corpus and --openie do not apply to a LoCoMo file" in r.output
