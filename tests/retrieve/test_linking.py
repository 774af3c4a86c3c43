import unicodedata

import numpy as np
import pytest

from graphmem.graph.quantize import quantize_rows
from graphmem.retrieve._scoring import f32_scores, int8_scores, scaled_min_max
from graphmem.retrieve.linking import (
    link_facts,
    link_facts_quantized,
    link_mentions,
    link_mentions_quantized,
    link_query_entities,
    link_query_entity_spans,
    min_max,
    top_k_indices,
    top_k_indices_reference,
)
from graphmem.retrieve.linking_reference import link_mentions_reference
from graphmem.text import normalize_name


def unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_min_max_and_top_k():
    np.testing.assert_allclose(min_max(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    np.testing.assert_allclose(min_max(np.array([0.3, 0.3])), [1.0, 1.0])
    assert top_k_indices(np.array([0.1, 0.9, 0.5, 0.9]), 3).tolist() == [1, 3, 2]
    assert top_k_indices(np.array([0.1]), 5).tolist() == [0]
    assert top_k_indices(np.array([]), 5).tolist() == []


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_scaled_min_max_is_min_max_times_the_weight_bit_for_bit(dtype):
    rng = np.random.default_rng(3)
    for scores in (rng.standard_normal(1000), np.full(7, 0.25), np.array([0.5]), np.array([1.0, 3.0])):
        scores = scores.astype(dtype)
        out = np.full(scores.size, np.nan)
        scaled_min_max(scores, 0.05, out)
        assert np.array_equal(out, min_max(scores) * 0.05)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_top_k_matches_the_sorted_reference(dtype):
    """The heap kernel against a full stable sort: random scores with many ties (rounded to
    a few values), -inf and NaN, ascending and descending runs (the heap's worst cases), every
    k from 1 past the size."""
    rng = np.random.default_rng(7)
    cases = [
        rng.standard_normal(200),
        np.round(rng.standard_normal(300), 1),
        np.arange(100.0),
        -np.arange(100.0),
        np.zeros(50),
        np.where(rng.random(120) < 0.3, -np.inf, rng.random(120)),
        np.where(rng.random(80) < 0.2, np.nan, np.round(rng.random(80), 1)),
    ]
    for scores in cases:
        scores = scores.astype(dtype)
        for k in (1, 2, 3, 5, 17, 64, scores.size - 1, scores.size, scores.size + 3):
            got = top_k_indices(scores, k).tolist()
            assert got == top_k_indices_reference(scores, k).tolist(), (scores[:5], k)


def test_top_k_worked_example_with_ties_and_nan():
    scores = np.array([0.5, np.nan, 0.7, 0.5, -np.inf, 0.7, 0.1])
    assert top_k_indices(scores, 4).tolist() == [2, 5, 0, 3]
    assert top_k_indices(scores, 7).tolist() == [2, 5, 0, 3, 6, 1, 4]


def test_link_facts_worked_example():
    facts = unit([[1, 0], [0, 1], [1, 1]])
    idx, scores = link_facts(facts, unit([[1, 0.2]])[0], k=2)
    assert idx.tolist() == [0, 2]
    # cosines 0.9806, 0.1961, 0.8321 -> min-max over all three
    np.testing.assert_allclose(scores, [1.0, (0.83205 - 0.19612) / (0.98058 - 0.19612)], atol=1e-4)


@pytest.mark.parametrize("seed", range(5))
def test_quantized_linking_matches_exact(seed):
    rng = np.random.default_rng(seed)
    facts = unit(rng.normal(size=(3000, 64)))
    query = unit(facts[seed * 7 : seed * 7 + 1] + 0.5 * rng.normal(size=(1, 64)))[0]
    codes, scales = quantize_rows(facts)
    np.testing.assert_allclose(int8_scores(codes, scales, query), facts @ query, atol=5e-3)
    np.testing.assert_allclose(f32_scores(facts, query), facts @ query, atol=1e-5)
    exact_idx, exact_scores = link_facts(facts, query, 5)
    idx, scores = link_facts_quantized(codes, scales, facts, query, 5)
    assert idx.tolist() == exact_idx.tolist()
    np.testing.assert_allclose(scores, exact_scores, atol=5e-3)


def test_quantized_linking_small_and_empty():
    facts = unit([[1, 0], [0, 1]])
    codes, scales = quantize_rows(facts)
    idx, scores = link_facts_quantized(codes, scales, facts, unit([[1, 0.1]])[0], 5)
    assert idx.tolist() == [0, 1] and scores.tolist() == [1.0, 0.0]
    empty = np.zeros((0, 2), np.float32)
    c, s = quantize_rows(empty)
    assert link_facts_quantized(c, s, empty, facts[0], 5)[0].tolist() == []


def test_query_entity_linking_longest_match_any_script():
    named = {"new york": 1, "new york times": 2, "münchen": 3, "東京": 4, "at&t": 5}
    assert link_query_entities("Who owns the New York Times?", named) == [2]
    assert link_query_entities("From München to 東京 with AT&T", named) == [3, 4, 5]
    assert link_query_entities("nothing here", named) == []


def test_query_entity_linking_needs_a_name_shape():
    named = {"are": 1, "paris": 2, "the who": 3, "東京": 4}
    assert link_query_entities("Are both cities in France?", named) == []
    assert link_query_entities("Are Paris and Lyon in France?", named) == [2]
    assert link_query_entities("where is paris", named) == []
    assert link_query_entities("Who founded The Who?", named) == [3]
    assert link_query_entities("東京はどこ", named) == [4]


# ---- names in any script, NFD queries, long names ------------------------------------------

NAMES = [
    "हिन्दी साहित्य सम्मेलन",  # Devanagari, ends in a vowel sign
    "தமிழ் சங்கம்",  # Tamil, ends in a virama
    "José Martí",
    "Ῥόδος Ἀθῆναι",
    "Йошкар-Ола́",
    "東京タワー",
    "مِصْر الجديدة",
]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("stored_form", ["NFC", "NFD"])
@pytest.mark.parametrize("query_form", ["NFC", "NFD"])
def test_names_in_any_script_and_form_link(name, stored_form, query_form):
    named = {normalize_name(unicodedata.normalize(stored_form, name)): 7, "other": 8}
    query = unicodedata.normalize(query_form, f"Where is {name} located?")
    assert link_query_entities(query, named) == [7]
    ((pos, start, end),) = link_query_entity_spans(query, named)
    assert pos == 7
    # the span is on the query as given, so it cuts the name out in the query's own form
    assert query[start:end] == unicodedata.normalize(query_form, name)


def test_a_name_ending_in_a_mark_used_to_lose_its_last_character():
    named = {"हिन्दी": 1, "marti\u0301": 2}
    assert link_query_entities("Who speaks हिन्दी?", named) == [1]
    assert link_query_entities("Where was Jose Marti\u0301 born?", {"martí": 2}) == [2]
    assert link_query_entity_spans("Was Marti\u0301 a poet?", {"martí": 2}) == [(2, 4, 10)]


def test_long_names_link_up_to_max_ngram_words():
    title = "maria of austria, duchess of jülich-cleves-berg"
    named = {title: 1, "maria": 2, "austria": 3, "berg": 4}
    query = "Where was the place of burial of Maria Of Austria, Duchess Of Jülich-Cleves-Berg's husband?"
    assert link_query_entities(query, named) == [1]  # 8 words; the default reaches 16
    assert link_query_entities(query, named, max_ngram=6) == [2, 3, 4]  # the old limit
    assert link_query_entities(query, named, max_ngram=8) == [1]
    assert link_query_entities(query, named, max_ngram=7) == [2, 3, 4]


def test_link_mentions_worked_example():
    candidates = unit([[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0]])
    mentions = unit([[1, 0.1, 0], [0, 0, 1], [0.5, 0.8, 0]])
    rows, scores = link_mentions(candidates, mentions, 0.9)
    # cosines: mention 0 → 0.995 (row 0); mention 1 → 0 everywhere (first row, below 0.9);
    # mention 2 → row 2 at (0.3 + 0.64) / 0.94340 = 0.99640
    assert rows.tolist() == [0, -1, 2]
    np.testing.assert_allclose(scores, [0.99504, 0.0, 0.99640], atol=1e-5)
    rows, _ = link_mentions(candidates, mentions, 1.0)
    assert rows.tolist() == [-1, -1, -1]
    rows, _ = link_mentions(candidates, mentions, -1.0)
    assert rows.tolist() == [0, 0, 2]  # equal cosines: the lower row
    empty = np.zeros((0, 3), np.float32)
    assert link_mentions(candidates, empty, 0.5)[0].tolist() == []
    assert link_mentions(empty, mentions, 0.5)[0].tolist() == [-1, -1, -1]
    c, s = quantize_rows(empty)
    assert link_mentions_quantized(c, s, empty, mentions, 0.5)[0].tolist() == [-1, -1, -1]


@pytest.mark.parametrize("seed", range(6))
def test_link_mentions_fast_and_exact_match_the_plain_reference(seed):
    rng = np.random.default_rng(seed)
    candidates = unit(rng.normal(size=(2000, 48)))
    # mentions near some candidates (a partial name), and unrelated ones
    near = candidates[rng.integers(0, 2000, size=6)] + 0.05 * rng.normal(size=(6, 48))
    mentions = unit(np.vstack([near, rng.normal(size=(4, 48))]))
    threshold = 0.8
    ref = link_mentions_reference(candidates.tolist(), mentions.tolist(), threshold)
    # keep the comparison away from float32 round-off at the threshold
    assert all(abs(s - threshold) > 1e-4 for _, s in ref)
    rows, scores = link_mentions(candidates, mentions, threshold)
    assert rows.tolist() == [r for r, _ in ref]
    np.testing.assert_allclose(scores, [s for _, s in ref], atol=1e-5)
    codes, scales = quantize_rows(candidates)
    fast_rows, fast_scores = link_mentions_quantized(codes, scales, candidates, mentions, threshold)
    assert fast_rows.tolist() == rows.tolist()
    np.testing.assert_allclose(fast_scores, scores, atol=1e-5)
    assert (rows[:6] >= 0).sum() >= 3 and (rows[6:] == -1).all()
