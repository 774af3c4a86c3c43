"""Retrieval and answer metrics for multi-hop QA.

Retrieval: ``recall@k`` is HippoRAG's passage recall — the share of a question's gold passages
found among the top ``k`` retrieved — ``all@k`` is 1 when every gold passage is in the top ``k``,
and ``mrr`` is the reciprocal rank of the first gold passage (0 when none was retrieved). All are
averaged over questions by :func:`evaluate_rankings`.

Answers: SQuAD-style exact match and token F1, taking the best score over all gold answers. The
normalisation follows SQuAD's (lower-case, drop punctuation, drop English articles, collapse
whitespace) but is Unicode-safe: NFKC + :meth:`str.casefold` instead of ``lower``, punctuation
and symbols found by Unicode category instead of :data:`string.punctuation` (a superset of it),
and no character outside ASCII is dropped for being non-ASCII. F1 tokens are whitespace-separated
words, with each CJK character counted as its own token since those scripts use no spaces.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Hashable, Iterable, Sequence
from typing import TypeVar

__all__ = [
    "all_at_k",
    "answer_tokens",
    "evaluate_rankings",
    "exact_match",
    "f1_score",
    "mrr",
    "normalize_answer",
    "recall_at_k",
    "reciprocal_rank",
]

K = TypeVar("K", bound=Hashable)

RECALL_KS: tuple[int, ...] = (1, 2, 5, 10)
"""Default ``recall@k`` cut-offs of :func:`evaluate_rankings`."""
ALL_KS: tuple[int, ...] = (2, 5, 8)
"""Default ``all@k`` cut-offs: multi-hop questions have 2-4 gold passages, so ``all@1`` is
mostly 0 and says little."""

_ARTICLES = re.compile(r"\b(?:a|an|the)\b", re.UNICODE)
_CJK_CHARS = (
    "\u3040-\u30ff"  # hiragana, katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\uac00-\ud7af"  # hangul syllables
)
_CJK_SPLIT = re.compile(rf"[{_CJK_CHARS}]|[^{_CJK_CHARS}]+")


# --------------------------------------------------------------------------- retrieval


def _check(gold: Collection[K], k: int) -> set[K]:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be an integer >= 1, got {k!r}")
    gold_set = set(gold)
    if not gold_set:
        raise ValueError("gold must contain at least one item")
    return gold_set


def recall_at_k(retrieved: Sequence[K], gold: Collection[K], k: int) -> float:
    """Share of the (distinct) gold items found in the first ``k`` retrieved items.

    >>> recall_at_k(["a", "x", "b"], {"a", "b"}, 2)
    0.5
    """
    gold_set = _check(gold, k)
    return len(gold_set.intersection(retrieved[:k])) / len(gold_set)


def all_at_k(retrieved: Sequence[K], gold: Collection[K], k: int) -> float:
    """1.0 if every gold item is among the first ``k`` retrieved items, else 0.0.

    >>> all_at_k(["a", "x", "b"], {"a", "b"}, 3)
    1.0
    """
    gold_set = _check(gold, k)
    return 1.0 if gold_set.issubset(retrieved[:k]) else 0.0


def reciprocal_rank(retrieved: Sequence[K], gold: Collection[K]) -> float:
    """``1 / rank`` of the first gold item in ``retrieved`` (ranks from 1), 0.0 if none is there.

    >>> reciprocal_rank(["x", "b", "a"], {"a", "b"})
    0.5
    """
    gold_set = _check(gold, 1)
    for rank, item in enumerate(retrieved, start=1):
        if item in gold_set:
            return 1.0 / rank
    return 0.0


def mrr(rankings: Sequence[Sequence[K]], golds: Sequence[Collection[K]]) -> float:
    """Mean :func:`reciprocal_rank` over questions.

    >>> mrr([["a", "x"], ["x", "b"], ["x"]], [{"a"}, {"b"}, {"c"}])
    0.5
    """
    _check_lengths(rankings, golds)
    return sum(reciprocal_rank(r, g) for r, g in zip(rankings, golds, strict=True)) / len(rankings)


def _check_lengths(rankings: Sequence[object], golds: Sequence[object]) -> None:
    if len(rankings) != len(golds):
        raise ValueError(f"{len(rankings)} rankings but {len(golds)} gold sets")
    if not rankings:
        raise ValueError("no questions to evaluate")


def evaluate_rankings(
    rankings: Sequence[Sequence[K]],
    golds: Sequence[Collection[K]],
    ks: Sequence[int] | None = None,
    *,
    recall_ks: Sequence[int] = RECALL_KS,
    all_ks: Sequence[int] = ALL_KS,
) -> dict[str, float]:
    """Mean ``recall@k`` (each ``k`` in ``recall_ks``), ``all@k`` (each in ``all_ks``) and
    ``mrr`` over questions, in that key order.

    By default: ``recall@1``, ``recall@2``, ``recall@5``, ``recall@10``, ``all@2``, ``all@5``,
    ``all@8``, ``mrr``. ``ks``, when given, sets both cut-off lists at once. A ``k`` longer than
    a ranking sees the whole ranking. Raises :class:`ValueError` on mismatched lengths, no
    questions, no cut-off at all, a ``k < 1`` or an empty gold set.
    """
    _check_lengths(rankings, golds)
    if ks is not None:
        recall_ks = all_ks = ks
    if not recall_ks and not all_ks:
        raise ValueError("ks must name at least one cut-off")
    n = len(rankings)
    result: dict[str, float] = {}
    for name, metric, cutoffs in (("recall", recall_at_k, recall_ks), ("all", all_at_k, all_ks)):
        for k in cutoffs:
            total = sum(metric(r, g, k) for r, g in zip(rankings, golds, strict=True))
            result[f"{name}@{k}"] = total / n
    result["mrr"] = mrr(rankings, golds)
    return result


# --------------------------------------------------------------------------- answers


def normalize_answer(text: str) -> str:
    """SQuAD-style answer normalisation, Unicode-safe.

    >>> normalize_answer("The  Café-Müller!")
    'cafémüller'
    >>> normalize_answer("An ÉCOLE")
    'école'
    """
    text = unicodedata.normalize("NFKC", text).casefold()
    # Drop punctuation (P*) and symbols (S*): together they cover all of string.punctuation.
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PS")
    text = _ARTICLES.sub(" ", text)
    return " ".join(text.split())


def answer_tokens(text: str) -> list[str]:
    """Tokens of the normalised answer used by :func:`f1_score`."""
    tokens: list[str] = []
    for word in normalize_answer(text).split():
        tokens.extend(_CJK_SPLIT.findall(word))
    return tokens


def _answer_list(answers: str | Iterable[str]) -> list[str]:
    items = [answers] if isinstance(answers, str) else list(answers)
    if not items:
        raise ValueError("at least one gold answer is required")
    return items


def exact_match(prediction: str, answers: str | Iterable[str]) -> float:
    """1.0 if the normalised prediction equals any normalised gold answer, else 0.0.

    >>> exact_match("the Eiffel Tower.", ["Eiffel tower", "La tour Eiffel"])
    1.0
    """
    pred = normalize_answer(prediction)
    return max(1.0 if pred == normalize_answer(a) else 0.0 for a in _answer_list(answers))


def _f1(pred: list[str], gold: list[str]) -> float:
    if not pred or not gold:
        # SQuAD 2.0 convention: two empty answers agree, one empty answer scores zero.
        return 1.0 if pred == gold else 0.0
    common = sum((Counter(pred) & Counter(gold)).values())
    if common == 0:
        return 0.0
    precision = common / len(pred)
    recall = common / len(gold)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str, answers: str | Iterable[str]) -> float:
    """Best token-level F1 between the prediction and any gold answer.

    >>> round(f1_score("Barack Obama Sr.", "Barack Obama"), 4)
    0.8
    """
    pred = answer_tokens(prediction)
    return max(_f1(pred, answer_tokens(a)) for a in _answer_list(answers))
