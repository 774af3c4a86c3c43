"""The knowledge-update runner's scoring and its refusal without time support (no models)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str):
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


ku = _load("knowledge_update")
bench = _load("bench_knowledge_update")


@pytest.fixture(scope="module")
def corpus():
    return ku.generate(0)


def test_perfect_and_worst_rankings(corpus):
    current = [q for q in corpus.questions if q.kind == "current"]
    perfect = {q.id: [q.gold, *q.outdated] for q in current}
    worst = {q.id: [*q.outdated, q.gold] for q in current}
    good = bench.score(corpus, current, perfect)
    assert good["at1"] == good["recall@5"] == good["newest_above_outdated"] == 1.0
    assert set(good["at1_by_relation"].values()) == {1.0}
    bad = bench.score(corpus, current, worst)
    assert bad["at1"] == 0.0 and bad["newest_above_outdated"] == 0.0
    assert bench.misses(corpus, current, perfect, 5) == []
    miss = bench.misses(corpus, current, worst, 5)
    assert len(miss) == 5 and all(m["first_is"] == "outdated" for m in miss)


def test_newest_above_outdated_needs_no_first_place(corpus):
    q = next(q for q in corpus.questions if q.kind == "current")
    distractor = next(p.id for p in corpus.passages if p.relation is None)
    result = bench.score(corpus, [q], {q.id: [distractor, q.gold, *q.outdated]})
    assert result["at1"] == 0.0 and result["recall@5"] == 1.0
    assert result["newest_above_outdated"] == 1.0
    missing = bench.score(corpus, [q], {q.id: [distractor]})
    assert missing["recall@5"] == 0.0 and missing["newest_above_outdated"] == 0.0


def test_refuses_to_run_without_time_support(monkeypatch, capsys):
    monkeypatch.setattr(bench, "time_support_missing", lambda: ["Document.time"])
    monkeypatch.setattr(sys, "argv", ["bench_knowledge_update.py"])
    with pytest.raises(SystemExit) as exc:
        bench.main()
    assert "Document.time" in str(exc.value.code) and "--skip-time" in str(exc.value.code)


def test_unknown_template_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setattr(sys, "argv", ["bench_knowledge_update.py", "--exclude", "spouse/eloped"])
    with pytest.raises(SystemExit) as exc:
        bench.main()
    assert exc.value.code == 2
    assert "unknown templates" in capsys.readouterr().err


def test_store_dir_holds_one_corpus(tmp_path, corpus):
    bench.check_store_dir(tmp_path / "s", corpus)
    bench.check_store_dir(tmp_path / "s", corpus)  # same corpus: fine
    with pytest.raises(SystemExit, match="another --store"):
        bench.check_store_dir(tmp_path / "s", ku.generate(1))
