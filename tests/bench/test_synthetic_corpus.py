"""The synthetic multi-hop corpus generator (benchmarks/synthetic_corpus.py): no models needed."""

from __future__ import annotations

import importlib.util
import itertools
import json
import sys
from pathlib import Path

import pytest

from graphmem.eval import load_corpus, match_gold
from graphmem.eval.formats import load_questions

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "synthetic_corpus.py"


def _load():
    # benchmarks/ is not a package: load the generator from its file
    spec = importlib.util.spec_from_file_location("synthetic_corpus", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("synthetic_corpus", module)
    spec.loader.exec_module(module)
    return module


sc = _load()


def _write(tmp_path: Path, name: str, seed: int = 0, passages: int = 1000, questions: int = 60):
    out = tmp_path / name
    summary = sc.generate(passages, questions, seed, out)
    return out, summary


@pytest.fixture(scope="module")
def seed0(tmp_path_factory):
    return _write(tmp_path_factory.mktemp("synth"), "a")


def test_same_seed_is_byte_identical_and_other_seed_differs(seed0, tmp_path):
    out, _ = seed0
    again, _ = _write(tmp_path, "b")
    other, _ = _write(tmp_path, "c", seed=1)
    for name in ("corpus.json", "questions.json"):
        assert (out / name).read_bytes() == (again / name).read_bytes()
        assert (out / name).read_bytes() != (other / name).read_bytes()


def test_files_load_with_graphmem_and_gold_matches(seed0):
    out, _ = seed0
    corpus = load_corpus(out / "corpus.json")
    qset = load_questions(out / "questions.json")
    assert qset.format == "2wikimultihopqa"
    assert len(corpus) == 1000 and len(qset.examples) == 60
    gold = match_gold(qset.examples, corpus)  # raises if a gold passage is missing
    for ex, idx in zip(qset.examples, gold, strict=True):
        assert len(idx) in (2, 3) and len(set(idx)) == len(idx)
        assert [corpus[i].title for i in idx] == list(ex.supporting_titles)
        # the answer is stated by the last gold passage, not by the question
        assert ex.answers[0] in corpus[idx[-1]].text
        assert ex.answers[0] not in ex.question


def test_questions_follow_the_stated_chain(seed0):
    out, _ = seed0
    records = json.loads((out / "questions.json").read_text(encoding="utf-8"))
    for rec in records:
        ev = rec["evidences"]
        assert [e[0] for e in ev] == [t for t, _ in rec["supporting_facts"]]
        assert all(a[2] == b[0] for a, b in itertools.pairwise(ev))
        assert ev[-1][2] == rec["answer"] and rec["hops"] == len(ev)
    assert len({r["_id"] for r in records}) == len(records)


def test_names_unique():
    gen = sc.Generator(20_000, seed=3)
    names = [gen.name(e) for e in range(gen.layout.entities)]
    assert len(set(names)) == len(names) == 16_000
    cores = {gen.core(e) for e in range(0, sc.CAPACITY, 997)}
    assert len(cores) == len(range(0, sc.CAPACITY, 997))


def test_main_passages_title_unique_and_extras_share_titles(seed0):
    out, _ = seed0
    corpus = load_corpus(out / "corpus.json")
    titles = [p.title for p in corpus]
    assert len(set(titles)) == 800  # one per entity; the 200 extra passages reuse titles


def test_zipf_shape_exact_for_seed_0(seed0):
    _, summary = seed0
    assert summary["entities"] == {
        "region": 8, "town": 56, "org": 56, "person": 360, "work": 320
    }
    assert summary["question_hops"] == {"2": 30, "3": 30}
    deg = summary["mention_degree"]
    assert summary["mentions_total"] == 2192
    assert (deg["max"], deg["median"], deg["share_never"], deg["share_once"]) == (
        135, 0.0, 0.5787, 0.14
    )
    assert deg["top_hubs"][:3] == [
        ["Stidonith Institute", 135], ["Zitirath", 118], ["Orvin Medraluth", 82]
    ]
    assert deg["max"] > 50 * max(deg["median"], 1)  # hubs far above the typical entity


def test_summary_only_cli_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sc.main(["--passages", "200", "--questions", "6", "--summary"])
    printed = json.loads(capsys.readouterr().out)
    assert printed["passages"] == 200 and printed["questions"] == 6
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ValueError):
        sc.Layout.of(50)
