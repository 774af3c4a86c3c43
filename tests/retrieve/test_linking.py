import numpy as np
import pytest

from graphmem.retrieve._scoring import f32_scores, int8_scores
from graphmem.retrieve.linking import (
    link_facts,
    link_facts_quantized,
    link_query_entities,
    min_max,
    quantize_rows,
    top_k_indices,
)


def unit(rows):
    rows = np.asarray(rows, dtype=np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_min_max_and_top_k():
    np.testing.assert_allclose(min_max(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    np.testing.assert_allclose(min_max(np.array([0.3, 0.3])), [1.0, 1.0])
    assert top_k_indices(np.array([0.1, 0.9, 0.5, 0.9]), 3).tolist() == [1, 3, 2]
    assert top_k_indices(np.array([0.1]), 5).tolist() == [0]
    assert top_k_indices(np.array([]), 5).tolist() == []


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
