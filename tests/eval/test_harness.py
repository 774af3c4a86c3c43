"""The evaluation harness end to end on a tiny invented corpus: report shape, exact metrics where
they are determined, the cache making a second run model-free, and the `graphmem eval` CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from graphmem.cli import main
from graphmem.eval.harness import METHODS, METRIC_KEYS, check_methods, run_eval

# title -> sentences (HotpotQA style: a following sentence keeps its leading space)
PASSAGES: dict[str, list[str]] = {
    "Quillfeather Observatory": [
        "The Quillfeather Observatory was built in 1911 by the astronomer Vantongeren",
        " on a hill above Brackwater.",
    ],
    "Marisol Vantongeren": [
        "Marisol Vantongeren was born in Ostrelund, a fishing town on the Sarn estuary.",
    ],
    "Ostrelund": ["Ostrelund lies in the province of Kelvary and is known for its salt markets."],
    "Brackwater": ["Brackwater is a market town on the river Idle, famous for its copper bells."],
    "Tobias Renn": [
        "Tobias Renn composed the opera The Glass Heron,",
        " first staged in Valdoria in 1887.",
    ],
    "The Glass Heron": ["The Glass Heron is an opera in three acts about a lighthouse keeper."],
    "Valdoria": ["Valdoria is the capital of the island nation of Meriva."],
    "Sarn estuary": ["The Sarn estuary is a wide tidal inlet, home to flocks of wading birds."],
}
EXTRA = {"Meriva": ["Meriva is an island nation in the Pellucid Sea."]}


def text(title: str) -> str:
    return "".join(PASSAGES.get(title) or EXTRA[title])


def paragraph(idx: int, title: str, supporting: bool) -> dict:
    return {"idx": idx, "title": title, "paragraph_text": text(title), "is_supporting": supporting}


MUSIQUE = [
    {
        "id": "q1",
        "question": "In which town was the builder of the Quillfeather Observatory born?",
        "answer": "Ostrelund",
        "paragraphs": [
            paragraph(0, "Quillfeather Observatory", True),
            paragraph(1, "Marisol Vantongeren", True),
            paragraph(2, "Brackwater", False),
            paragraph(3, "Sarn estuary", False),
        ],
    },
    {
        "id": "q2",
        "question": "In which province was Marisol Vantongeren born?",
        "answer": "Kelvary",
        "paragraphs": [
            paragraph(0, "Marisol Vantongeren", True),
            paragraph(1, "Ostrelund", True),
            paragraph(2, "Valdoria", False),
        ],
    },
    {
        "id": "q3",
        "question": "Who composed the opera The Glass Heron?",
        "answer": "Tobias Renn",
        "paragraphs": [
            paragraph(0, "Tobias Renn", True),
            paragraph(1, "The Glass Heron", True),
            paragraph(2, "Ostrelund", False),
        ],
    },
]

HOTPOT = [
    {
        "_id": "h1",
        "question": "Which island nation has as its capital the city where The Glass Heron was "
        "first staged?",
        "answer": "Meriva",
        "type": "bridge",
        "supporting_facts": [["Tobias Renn", 1], ["Valdoria", 0]],
        "context": [[t, PASSAGES[t]] for t in ("Tobias Renn", "Valdoria", "Brackwater")],
    },
    {
        "_id": "h2",
        "question": "On which river is the town below the Quillfeather Observatory?",
        "answer": "Idle",
        "type": "bridge",
        "supporting_facts": [["Quillfeather Observatory", 1], ["Brackwater", 0]],
        "context": [
            [t, PASSAGES[t]] for t in ("Quillfeather Observatory", "Brackwater", "Ostrelund")
        ],
    },
]

CORPUS = [{"title": t, "text": text(t)} for t in [*PASSAGES, *EXTRA]]
# the MuSiQue records' own paragraphs, deduplicated, in first-seen order
MUSIQUE_TITLES = [
    "Quillfeather Observatory",
    "Marisol Vantongeren",
    "Brackwater",
    "Sarn estuary",
    "Ostrelund",
    "Valdoria",
    "Tobias Renn",
    "The Glass Heron",
]
RANK_METRICS = [k for k in METRIC_KEYS if not k.startswith("latency")]


def write(path: Path, data: object) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def check_shape(report: dict, questions: int, passages: int, methods: tuple[str, ...]) -> None:
    assert (report["questions"], report["passages"]) == (questions, passages)
    assert list(report["methods"]) == list(methods)
    extras = {"graphmem": {"ppr_share"}, "dense": set(), "bm25": {"index_seconds"}}
    for method, values in report["methods"].items():
        assert set(values) == set(METRIC_KEYS) | extras[method]
        for key in RANK_METRICS:
            assert 0.0 <= values[key] <= 1.0, (method, key)
        assert 0.0 < values["latency_ms_p50"] <= values["latency_ms_p95"]


@pytest.fixture
def musique_file(tmp_path: Path) -> Path:
    return write(tmp_path / "musique.json", MUSIQUE)


def test_musique_own_paragraphs_and_warm_cache(tmp_path, musique_file, embedder, extractor):
    kwargs = {"cache_dir": tmp_path / "cache", "embedder": embedder, "extractor": extractor}
    first = run_eval(musique_file, include_rankings=True, **kwargs)
    data = first.to_json()
    check_shape(data, 3, len(MUSIQUE_TITLES), METHODS)
    assert data["format"] == "musique" and data["top_k"] == 10
    assert data["store"]["documents"] == data["store"]["chunks"] == len(MUSIQUE_TITLES)
    for values in data["methods"].values():
        # 8 passages, 10 ranked: every method ranks every gold passage somewhere
        assert (values["recall@10"], values["all@8"]) == (1.0, 1.0)
    # BM25 is determined by the words: each question's rarest terms sit in its gold passages
    bm25 = data["methods"]["bm25"]
    assert (bm25["recall@2"], bm25["all@2"], bm25["mrr"]) == (1.0, 1.0, 1.0)
    gold_q3 = {f"p{MUSIQUE_TITLES.index(t)}" for t in ("Tobias Renn", "The Glass Heron")}
    q3 = data["per_question"][2]
    assert (q3["id"], set(q3["gold"])) == ("q3", gold_q3)
    assert set(q3["rankings"]["bm25"][:2]) == gold_q3
    assert all(len(q3["rankings"][m]) == len(MUSIQUE_TITLES) for m in METHODS)
    assert first.cache["extraction_misses"] == len(MUSIQUE_TITLES)
    assert first.cache["embedding_misses"] > 0

    second = run_eval(musique_file, methods=["dense"], **kwargs)
    assert second.cache == {
        "extraction_hits": len(MUSIQUE_TITLES),
        "extraction_misses": 0,
        "embedding_hits": first.cache["embedding_misses"] + first.cache["embedding_hits"],
        "embedding_misses": 0,
    }
    assert second.store == first.store
    same = {k: second.methods["dense"][k] for k in RANK_METRICS}
    assert same == {k: first.methods["dense"][k] for k in RANK_METRICS}
    assert second.per_question is None and "per_question" not in second.to_json()


def test_hotpotqa_with_corpus_file(tmp_path, embedder, extractor):
    questions = write(tmp_path / "hotpot.json", HOTPOT)
    corpus = write(tmp_path / "corpus.json", CORPUS)
    report = run_eval(
        questions,
        corpus,
        methods=["dense", "bm25"],
        top_k=5,
        cache_dir=tmp_path / "cache",
        store_dir=tmp_path / "store",
        embedder=embedder,
        extractor=extractor,
    )
    data = report.to_json()
    check_shape(data, 2, len(CORPUS), ("dense", "bm25"))
    assert (data["format"], data["top_k"]) == ("hotpotqa", 5)
    assert data["methods"]["bm25"]["recall@5"] == 1.0
    assert (tmp_path / "store" / "graphmem.sqlite").exists()  # kept when asked for
    # the kept store is reused: nothing new to add, so no model and no cache lookup
    again = run_eval(
        questions,
        corpus,
        methods=["dense"],
        top_k=5,
        cache_dir=tmp_path / "cache",
        store_dir=tmp_path / "store",
        embedder=embedder,
        extractor=extractor,
    )
    assert sum(again.cache.values()) == 0
    assert again.methods["dense"]["recall@5"] == data["methods"]["dense"]["recall@5"]


def test_bad_methods_and_inputs(tmp_path, musique_file):
    with pytest.raises(
        ValueError, match=r"^unknown method 'splade'; valid methods: graphmem, dense, bm25$"
    ):
        run_eval(musique_file, methods=["bm25", "splade"], cache_dir=tmp_path)
    with pytest.raises(ValueError, match="no method given"):
        check_methods([])
    assert check_methods(["bm25", " dense", "bm25"]) == ("bm25", "dense")
    with pytest.raises(ValueError, match="top_k must be an integer >= 1, got 0"):
        run_eval(musique_file, top_k=0, cache_dir=tmp_path)
    corpus = write(tmp_path / "corpus.json", CORPUS[:2])
    with pytest.raises(
        ValueError, match=re.escape(f"{corpus}: question 'q2': gold passage 'Ostrelund'")
    ):
        run_eval(musique_file, corpus, methods=["bm25"], cache_dir=tmp_path)


def test_cli_writes_the_report(tmp_path, musique_file):
    out = tmp_path / "reports" / "eval.json"
    args = ["eval", "--questions", musique_file, "--json", out, "--cache-dir", tmp_path / "cache"]
    r = CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    report = json.loads(out.read_text(encoding="utf-8"))
    check_shape(report, 3, len(MUSIQUE_TITLES), METHODS)
    lines = r.stdout.splitlines()
    assert lines[0].startswith("3 musique questions, 8 passages, top 10; memory built in ")
    assert lines[1].split() == ["method", *METRIC_KEYS]
    assert [line.split()[0] for line in lines[2:5]] == list(METHODS)
    assert lines[5] == f"wrote {out}"

    r = CliRunner().invoke(main, ["eval", "--questions", str(musique_file), "--methods", "bm25,x"])
    assert r.exit_code == 1
    assert "error: unknown method 'x'; valid methods: graphmem, dense, bm25" in r.output
