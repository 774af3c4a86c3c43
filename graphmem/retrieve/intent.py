"""Which single-valued relation a question asks for, and the passages that answer it.

"Who employs Zoltan Wexlonte?" names a person and asks for one attribute of them. Entity seeds
carry the walk to every passage about the person about equally, and a small sentence embedder
often finds "Zoltan Wexlonte lives in Oslo." closer to the question than "Zoltan Wexlonte works
for Juniperridge Biolabs.", since the name dominates both vectors. The relation lists of
:class:`graphmem.config.TemporalConfig` already say which predicates state where someone works;
their ``cues`` say which question words ask for it. A passage that states a fact of an asked
relation, holding at the moment asked about, whose key entity the question names, is an
*answering* passage: :func:`graphmem.retrieve.retriever.rank_passages` multiplies its score by
``TemporalConfig.answer_scale``.

Cues are matched on the question's words as written (Unicode word characters, case-folded), so
any language works once its cue words are configured; the defaults are English.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from graphmem.config import SingleValued

__all__ = ["RelationCues", "answering_passages", "relation_cues"]

_WORD = re.compile(r"\w+")


class RelationCues:
    """The cue phrases of ``relations``, compiled for matching questions against them."""

    def __init__(self, relations: Sequence[SingleValued]):
        self._phrases: dict[tuple[str, ...], set[int]] = {}
        for number, rel in enumerate(relations):
            for cue in rel.cues:
                words = tuple(_WORD.findall(cue.casefold()))
                if words:
                    self._phrases.setdefault(words, set()).add(number)
        self._longest = max((len(p) for p in self._phrases), default=0)

    def asked(self, question: str) -> frozenset[int]:
        """Numbers of the relations whose cues occur in ``question`` as whole words."""
        if not self._phrases:
            return frozenset()
        words = _WORD.findall(question.casefold())
        found: set[int] = set()
        for n in range(1, self._longest + 1):
            for i in range(len(words) - n + 1):
                found.update(self._phrases.get(tuple(words[i : i + n]), ()))
        return frozenset(found)


@functools.lru_cache(maxsize=8)
def relation_cues(relations: tuple[SingleValued, ...]) -> RelationCues:
    """:class:`RelationCues` of ``relations``, compiled once per relation set."""
    return RelationCues(relations)


def answering_passages(
    chunk_facts: sp.csr_matrix,
    fact_relation: np.ndarray,
    fact_key: np.ndarray,
    holding: np.ndarray,
    relations: frozenset[int],
    entities: Sequence[int],
) -> np.ndarray | None:
    """Bool per passage: it states a fact of one of ``relations`` whose key entity is one of
    ``entities`` and that holds (``holding``, bool per fact). None when no passage does, so
    that callers skip the work."""
    if not relations or not len(entities) or not len(fact_relation):
        return None
    wanted = np.isin(fact_relation, list(relations)) & np.isin(fact_key, list(entities)) & holding
    if not wanted.any():
        return None
    answers = (chunk_facts @ wanted.astype(np.float32)) > 0
    return answers if answers.any() else None
