"""Worked examples for the retrieval and answer metrics."""

from __future__ import annotations

import pytest

from graphmem.eval.metrics import (
    all_at_k,
    answer_tokens,
    evaluate_rankings,
    exact_match,
    f1_score,
    mrr,
    normalize_answer,
    recall_at_k,
    reciprocal_rank,
)

RANKING = ["p3", "p1", "p7", "p2", "p9"]
GOLD = {"p1", "p2", "p4"}


def test_recall_at_k_worked_example() -> None:
    assert recall_at_k(RANKING, GOLD, 1) == 0.0
    assert recall_at_k(RANKING, GOLD, 2) == pytest.approx(1 / 3)
    assert recall_at_k(RANKING, GOLD, 4) == pytest.approx(2 / 3)
    assert recall_at_k(RANKING, GOLD, 100) == pytest.approx(2 / 3)  # k beyond the ranking
    assert recall_at_k(["a", "b"], ["a", "b"], 2) == 1.0


def test_recall_counts_each_gold_once() -> None:
    assert recall_at_k(["a", "a", "b"], ["a", "a", "c"], 2) == 0.5  # gold {"a", "c"}
    assert recall_at_k([], ["a"], 3) == 0.0


def test_all_at_k() -> None:
    assert all_at_k(["a", "x", "b"], {"a", "b"}, 2) == 0.0
    assert all_at_k(["a", "x", "b"], {"a", "b"}, 3) == 1.0
    assert all_at_k(RANKING, GOLD, 5) == 0.0


def test_metrics_accept_any_hashable_ids() -> None:
    assert recall_at_k([4, 1, 9], (1, 2), 2) == 0.5
    assert all_at_k([4, 1, 2], (1, 2), 3) == 1.0


@pytest.mark.parametrize("k", [0, -1, 1.5, True])
def test_invalid_k(k: object) -> None:
    with pytest.raises(ValueError, match="k must be"):
        recall_at_k(["a"], {"a"}, k)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="k must be"):
        all_at_k(["a"], {"a"}, k)  # type: ignore[arg-type]


def test_empty_gold_raises() -> None:
    with pytest.raises(ValueError, match="gold"):
        recall_at_k(["a"], [], 2)
    with pytest.raises(ValueError, match="gold"):
        all_at_k(["a"], set(), 2)


def test_reciprocal_rank_and_mrr() -> None:
    assert reciprocal_rank(RANKING, GOLD) == 0.5  # p1 at rank 2
    assert reciprocal_rank(["p4"], GOLD) == 1.0
    assert reciprocal_rank(["x", "y"], GOLD) == 0.0
    assert reciprocal_rank([], GOLD) == 0.0
    assert mrr([RANKING, ["x", "y", "p2"], []], [GOLD, GOLD, GOLD]) == pytest.approx(
        (1 / 2 + 1 / 3 + 0) / 3
    )
    with pytest.raises(ValueError, match="gold"):
        reciprocal_rank(["a"], set())
    with pytest.raises(ValueError, match="1 rankings but 2 gold"):
        mrr([["a"]], [{"a"}, {"b"}])


def test_evaluate_rankings_averages() -> None:
    rankings = [
        # gold a, c: recall@1 .5, @2 .5, @5 1, @10 1; all@2 0, all@5 1, all@8 1; rr 1
        ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
        # gold q (rank 8): recall 0, 0, 0, 1; all 0, 0, 1; rr 1/8
        ["x", "y", "z", "w", "v", "u", "t", "q"],
        # gold m, n: recall .5, 1, 1, 1; all 1, 1, 1; rr 1
        ["m", "n", "o", "p"],
    ]
    golds = [{"a", "c"}, {"q"}, {"m", "n"}]
    result = evaluate_rankings(rankings, golds)
    assert result == {
        "recall@1": pytest.approx(1 / 3),
        "recall@2": pytest.approx(1.5 / 3),
        "recall@5": pytest.approx(2 / 3),
        "recall@10": 1.0,
        "all@2": pytest.approx(1 / 3),
        "all@5": pytest.approx(2 / 3),
        "all@8": 1.0,
        "mrr": pytest.approx((1 + 1 / 8 + 1) / 3),
    }
    assert list(result) == [
        "recall@1", "recall@2", "recall@5", "recall@10", "all@2", "all@5", "all@8", "mrr"
    ]
    # ks sets both lists; no question has all its gold passages at rank 1
    assert evaluate_rankings(rankings, golds, ks=(1,)) == {
        "recall@1": pytest.approx(1 / 3),
        "all@1": 0.0,
        "mrr": pytest.approx((1 + 1 / 8 + 1) / 3),
    }
    assert list(evaluate_rankings(rankings, golds, recall_ks=(3,), all_ks=())) == [
        "recall@3",
        "mrr",
    ]


def test_evaluate_rankings_validation() -> None:
    with pytest.raises(ValueError, match="2 rankings but 1 gold"):
        evaluate_rankings([["a"], ["b"]], [{"a"}])
    with pytest.raises(ValueError, match="no questions"):
        evaluate_rankings([], [])
    with pytest.raises(ValueError, match="gold"):
        evaluate_rankings([["a"]], [set()])
    with pytest.raises(ValueError, match="k must be"):
        evaluate_rankings([["a"]], [{"a"}], ks=(0,))
    with pytest.raises(ValueError, match="ks"):
        evaluate_rankings([["a"]], [{"a"}], ks=())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The Eiffel Tower!", "eiffel tower"),
        ("  an   apple,  a pear ", "apple pear"),
        ("theatre", "theatre"),  # articles only as whole words
        ("Café Müller", "café müller"),  # non-ASCII letters survive
        ("«Straße»", "strasse"),  # Unicode punctuation removed; casefold ß -> ss
        ("Tokyo—東京", "tokyo東京"),  # em dash is punctuation, removed like SQuAD removes '-'
        ("$1,000 + tax", "1000 tax"),  # ASCII symbols are removed as in SQuAD
        ("\uff21\uff22\uff23", "abc"),  # full-width letters via NFKC
        ("Ελληνικά ΣΟΦΙΑ", "ελληνικά σοφια"),  # Greek keeps its accents
    ],
)
def test_normalize_answer(text: str, expected: str) -> None:
    assert normalize_answer(text) == expected


def test_exact_match() -> None:
    assert exact_match("the Eiffel Tower.", ["Eiffel tower", "La tour Eiffel"]) == 1.0
    assert exact_match("Eiffel", ["Eiffel tower"]) == 0.0
    assert exact_match("Müller", "MÜLLER") == 1.0  # a single answer string is one answer
    assert exact_match("Muller", "Müller") == 0.0  # accents are not stripped
    with pytest.raises(ValueError, match="answer"):
        exact_match("x", [])


def test_f1_worked_examples() -> None:
    # pred {barack, obama, sr}, gold {barack, obama}: P = 2/3, R = 1, F1 = 0.8
    assert f1_score("Barack Obama Sr.", "Barack Obama") == pytest.approx(0.8)
    # best over answers: "the red fox" vs "red fox" -> 1.0
    assert f1_score("the red fox", ["blue whale", "red fox"]) == 1.0
    # pred {new, york, city, new}, gold {new, york}: common 2, P = 2/4, R = 1, F1 = 2/3
    assert f1_score("New York City, New", "new york") == pytest.approx(2 / 3)
    assert f1_score("Paris", "London") == 0.0
    # both empty after normalisation agree; one empty scores zero
    assert f1_score("the", "a") == 1.0
    assert f1_score("", "Paris") == 0.0


def test_f1_cjk_counts_characters() -> None:
    assert answer_tokens("東京都 Tokyo") == ["東", "京", "都", "tokyo"]
    # pred {東, 京, 都}, gold {東, 京}: P = 2/3, R = 1, F1 = 0.8
    assert f1_score("東京都", "東京") == pytest.approx(0.8)
