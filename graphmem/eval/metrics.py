"""Retrieval and answer metrics for multi-hop QA.

Retrieval: ``recall@k`` is HippoRAG's passage recall — the share of a question's gold passages
found among the top ``k`` retrieved — and ``all@k`` is 1 when every gold passage is in the top
``k``. Both are averaged over questions by :func:`evaluate_rankings`.

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
    "normalize_answer",
    "recall_at_k",
]

K = TypeVar("K", bound=Hashable)

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


def evaluate_rankings(
    rankings: Sequence[Sequence[K]],
    golds: Sequence[Collection[K]],
    ks: Sequence[int] = (2, 5),
) -> dict[str, float]:
    """Mean ``recall@k`` and ``all@k`` over questions, for each ``k`` in ``ks``.

    Returns ``{"recall@2": ..., "recall@5": ..., "all@2": ..., "all@5": ...}`` for the default
    ``ks``. Raises :class:`ValueError` on mismatched lengths, no questions, an empty ``ks``, a
    ``k < 1`` or an empty gold set.
    """
    if len(rankings) != len(golds):
        raise ValueError(f"{len(rankings)} rankings but {len(golds)} gold sets")
    if not rankings:
        raise ValueError("no questions to evaluate")
    if not ks:
        raise ValueError("ks must name at least one cut-off")
    n = len(rankings)
    result: dict[str, float] = {}
    for name, metric in (("recall", recall_at_k), ("all", all_at_k)):
        for k in ks:
            total = sum(metric(r, g, k) for r, g in zip(rankings, golds, strict=True))
            result[f"{name}@{k}"] = total / n
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
