"""Question files of any supported benchmark: detect the format, load the questions, and collect
the passages the questions carry themselves.

A LoCoMo file (conversations with ``conversation`` and ``qa``) is detected as ``"locomo"``; it
holds conversations, not passages, and is evaluated by :func:`graphmem.eval.locomo_eval.run_locomo`.

MuSiQue records hold ``paragraphs``; HotpotQA and 2WikiMultiHopQA records hold
``supporting_facts``, and 2WikiMultiHopQA adds ``evidences``. Their ``context`` is optional: a
release that ships a separate corpus file (HippoRAG's 2Wiki dev questions) has none, and its gold
passages are then identified by title in that corpus. A question file with contexts and no
separate corpus still defines one: the union of its records' paragraphs (the distractor
setting), which :func:`load_questions` returns deduplicated by ``(title, text)`` in first-seen
order; a file without contexts carries no passages.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphmem.errors import InputError
from graphmem.eval.datasets import (
    CorpusPassage,
    QAExample,
    _read_records,
    join_sentences,
    load_2wikimultihopqa,
    load_hotpotqa,
    load_musique,
)

logger = logging.getLogger(__name__)

__all__ = ["FORMATS", "LOCOMO", "QuestionSet", "detect_format", "load_questions"]

FORMATS: dict[str, Callable[[Path | str], list[QAExample]]] = {
    "musique": load_musique,
    "hotpotqa": load_hotpotqa,
    "2wikimultihopqa": load_2wikimultihopqa,
}
"""Question format name → loader."""

LOCOMO = "locomo"
"""The format name :func:`detect_format` gives a LoCoMo conversation file."""

_SEPARATORS = {"hotpotqa": "", "2wikimultihopqa": " "}


@dataclass(frozen=True)
class QuestionSet:
    """The questions of one file, its format, and the distinct passages its records carry."""

    format: str
    examples: tuple[QAExample, ...]
    passages: tuple[CorpusPassage, ...]


def _record_format(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    if "conversation" in record and "qa" in record:
        return LOCOMO
    if "paragraphs" in record:
        return "musique"
    if "supporting_facts" in record:
        return "2wikimultihopqa" if "evidences" in record else "hotpotqa"
    return None


def detect_format(path: Path | str) -> str:
    """The format of a question file (a key of :data:`FORMATS`), judged from its records.

    Raises :class:`InputError` naming the file when it is empty, a record matches no format, or
    records of different formats are mixed.
    """
    path = Path(path)
    return _detect(_read_records(path), str(path))


def _detect(records: list[Any], source: str) -> str:
    if not records:
        raise InputError("no question records", source=source)
    found: str | None = None
    for i, record in enumerate(records):
        fmt = _record_format(record)
        if fmt is None:
            raise InputError(
                f"record {i} is in no known question format: expected MuSiQue 'paragraphs' or "
                "HotpotQA/2WikiMultiHopQA 'supporting_facts' or LoCoMo 'conversation' and 'qa'",
                source=source,
            )
        if found is not None and fmt != found:
            raise InputError(f"record {i} is {fmt} but earlier records are {found}", source=source)
        found = fmt
    assert found is not None
    return found


def _passages(records: list[Any], fmt: str) -> list[CorpusPassage]:
    """Distinct (title, text) passages of already validated records, in first-seen order;
    entries without text (a context title with no sentences) are no passage and are skipped."""
    seen: dict[tuple[str, str], None] = {}
    for record in records:
        if fmt == "musique":
            for p in record["paragraphs"]:
                seen.setdefault((p["title"], p["paragraph_text"]), None)
        else:
            for title, sentences in record.get("context", ()):
                seen.setdefault((title, join_sentences(sentences, _SEPARATORS[fmt])), None)
    return [CorpusPassage(title, text) for title, text in seen if text.strip()]


def load_questions(path: Path | str) -> QuestionSet:
    """Detect the format of ``path``, load its questions and its records' own passages."""
    path = Path(path)
    records = _read_records(path)
    fmt = _detect(records, str(path))
    if fmt == LOCOMO:
        raise InputError(
            "a LoCoMo conversation file: evaluate it with graphmem.eval.locomo_eval.run_locomo",
            source=str(path),
        )
    examples = FORMATS[fmt](path)  # validates every record, naming the bad one
    passages = _passages(records, fmt)
    logger.info(
        "%s: %d %s questions carrying %d distinct passages", path, len(examples), fmt, len(passages)
    )
    return QuestionSet(fmt, tuple(examples), tuple(passages))
