"""The knowledge-update corpus generator (benchmarks/knowledge_update.py): no models needed."""

from __future__ import annotations

import datetime as dt
import importlib.util
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "benchmarks" / "knowledge_update.py"


def _load():
    # benchmarks/ is not a package: load the generator from its file
    spec = importlib.util.spec_from_file_location("knowledge_update", PATH)
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("knowledge_update", module)
    spec.loader.exec_module(module)
    return module


ku = _load()


@pytest.fixture(scope="module")
def corpus():
    return ku.generate(0)


def test_same_seed_same_corpus(corpus):
    again = ku.generate(0)
    assert again.to_json() == corpus.to_json()
    assert again.fingerprint() == corpus.fingerprint()


def test_other_seed_other_corpus(corpus):
    other = ku.generate(1)
    assert other.fingerprint() != corpus.fingerprint()
    assert {p.text for p in other.passages} != {p.text for p in corpus.passages}


def test_sizes(corpus):
    sizes = corpus.sizes()
    assert 250 <= sizes["passages"] <= 500
    assert sizes["distractor_passages"] > 0
    assert sizes["current_questions"] == sizes["timelines"]
    assert sizes["as_of_questions"] >= sizes["timelines"]  # every timeline has >= 2 values
    assert len({p.id for p in corpus.passages}) == len(corpus.passages)
    assert len({q.id for q in corpus.questions}) == len(corpus.questions)
    for p in corpus.passages:
        dt.date.fromisoformat(p.time)


def test_timelines_have_two_to_four_dated_changes(corpus):
    relations = {t.relation for t in corpus.timelines}
    assert relations == {"residence", "employer", "spouse", "leader", "name"}
    for t in corpus.timelines:
        assert 2 <= len(t.values) <= 4
        assert len(set(t.values)) == len(t.values)  # every statement is a change
        days = [dt.date.fromisoformat(d) for d in t.dates]
        assert days == sorted(days) and len({d.year for d in days}) == len(days)
        for pid, value, day in zip(t.passages, t.values, t.dates):
            p = corpus.passage(pid)
            assert (p.subject, p.relation, p.value, p.time) == (t.subject, t.relation, value, day)


def test_gold_passage_states_the_value_asked_about(corpus):
    for q in corpus.questions:
        gold = corpus.passage(q.gold)
        assert gold.relation == q.relation and gold.subject == q.subject
        assert gold.value == q.value
        assert q.value in gold.text and q.subject in gold.text
        assert q.subject in q.text
        assert q.value not in q.text
        for pid in q.outdated + q.future:
            other = corpus.passage(pid)
            assert (other.subject, other.relation) == (q.subject, q.relation)
            assert other.value != q.value


def test_current_gold_is_newest(corpus):
    for q in corpus.questions:
        if q.kind != "current":
            continue
        assert q.as_of is None and not q.future
        gold_day = corpus.passage(q.gold).time
        assert q.outdated and all(corpus.passage(p).time < gold_day for p in q.outdated)


def test_as_of_dates_fall_strictly_between_changes(corpus):
    asked = [q for q in corpus.questions if q.kind == "as_of"]
    assert asked
    for q in asked:
        as_of = dt.date.fromisoformat(q.as_of)
        gold_day = dt.date.fromisoformat(corpus.passage(q.gold).time)
        assert q.future, "an as-of question sits between two statements"
        next_day = min(dt.date.fromisoformat(corpus.passage(p).time) for p in q.future)
        assert gold_day < as_of < next_day
        assert all(dt.date.fromisoformat(corpus.passage(p).time) < gold_day for p in q.outdated)
        assert str(as_of.year) in q.text  # the question names the time it asks about
        # a year alone only when it is unambiguous (the whole year inside the interval)
        if not any(m in q.text for m in ku.MONTHS):
            assert gold_day.year < as_of.year < next_day.year


def test_names_unique_and_multiword(corpus):
    names = [n for group in corpus.entities.values() for n in group]
    assert len(names) == len(set(names))
    assert all(len(n.split()) >= 2 for n in names)
    people = corpus.entities["person"] + corpus.entities["partner"] + corpus.entities["executive"]
    surnames = [n.split()[-1] for n in people]
    assert len(surnames) == len(set(surnames))
    # no invented name is a word-boundary prefix of another ("Port Aldwick" / "Port Aldwick Bay")
    for a in names:
        assert not any(b != a and b.startswith(a + " ") for b in names)


def test_distractors_mention_tracked_entities(corpus):
    subjects = {t.subject for t in corpus.timelines}
    distractors = [p for p in corpus.passages if p.relation is None]
    assert len(distractors) >= len(corpus.entities["person"])
    for p in distractors:
        assert p.value is None and p.subject in subjects and p.subject in p.text


def test_shuffled_ids_carry_no_order(corpus):
    # passage ids are not in time order: an engine cannot read recency off ids or positions
    times = [p.time for p in corpus.passages]
    assert times != sorted(times)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_every_paraphrase_is_used(seed):
    corpus = ku.generate(seed)
    used = {p.template for p in corpus.passages if p.relation is not None}
    assert used == set(ku.template_names())
    first = {corpus.passage(t.passages[0]).template.split("/")[1] for t in corpus.timelines}
    assert not first & ku.LATER_ONLY  # "succeeded {prev}" never opens a timeline


def test_excluded_templates_are_not_used():
    corpus = ku.generate(0, exclude={"spouse/wed", "town/renamed", "name/renamed"})
    used = {p.template for p in corpus.passages}
    assert not used & {"spouse/wed", "town/renamed", "name/renamed"}
    assert "residence/moved_to" in used
    with pytest.raises(ValueError, match="unknown templates"):
        ku.generate(0, exclude={"spouse/eloped"})
