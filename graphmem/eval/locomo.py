"""The LoCoMo long-conversation benchmark: its file format, read into turns and questions.

A LoCoMo file is a JSON list of conversations. Each has ``sample_id``, ``conversation`` (with
``speaker_a``, ``speaker_b``, sessions ``session_N`` — lists of turns ``{speaker, dia_id, text}``,
optionally ``blip_caption`` for a shared image — and ``session_N_date_time`` such as
``"1:56 pm on 8 May, 2023"``) and ``qa``: ``{question, answer | adversarial_answer, evidence,
category}``. ``evidence`` lists the turn ids (``dia_id``) that support the answer; it is the gold.

Evidence is not always well formed: one string may hold several ids (``"D8:6; D9:17"``), a number
may carry a leading zero (``"D30:05"``), an id may name no turn, a list may be empty. The loader
repairs what it unambiguously can (splits, strips zeros), drops what names no turn, skips a
question left without gold, and reports every repair and drop in :attr:`LocomoSet.problems`.

Categories, as the dataset numbers them: 1 multi-hop, 2 temporal, 3 open-domain, 4 single-hop,
5 adversarial (unanswerable from the conversation; reported apart, never in the overall figure).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from graphmem.conversation import Turn
from graphmem.errors import InputError

log = logging.getLogger(__name__)

__all__ = [
    "ADVERSARIAL",
    "CATEGORIES",
    "LocomoConversation",
    "LocomoQuestion",
    "LocomoSet",
    "is_locomo",
    "load_locomo",
    "parse_locomo_time",
]

CATEGORIES: dict[int, str] = {
    1: "multi-hop",
    2: "temporal",
    3: "open-domain",
    4: "single-hop",
    5: "adversarial",
}
"""LoCoMo question category number → name."""
ADVERSARIAL = 5
"""The category reported apart and left out of the overall figures."""

_SESSION = re.compile(r"session_(\d+)")
_TURN_ID = re.compile(r"D(\d+):(\d+)")
_EVIDENCE_SPLIT = re.compile(r"[;,\s]+")


@dataclass(frozen=True)
class LocomoQuestion:
    """One question: its conversation, position in that conversation's ``qa`` list, category,
    the answer as text (``adversarial_answer`` for category 5) and the gold turn ids."""

    conversation: str
    index: int
    question: str
    answer: str
    category: int
    gold: tuple[str, ...]


@dataclass(frozen=True)
class LocomoConversation:
    """One conversation: its id, its two speakers, its turns in order (each with its session's
    name ``session_N`` and time) and each session's time."""

    id: str
    speakers: tuple[str, str]
    turns: tuple[Turn, ...]
    session_times: Mapping[str, datetime | None]


@dataclass(frozen=True)
class LocomoSet:
    """A loaded LoCoMo file: conversations, the questions that have gold, and every problem
    found on the way (repaired or dropped evidence, skipped questions), one line each."""

    conversations: tuple[LocomoConversation, ...]
    questions: tuple[LocomoQuestion, ...]
    problems: tuple[str, ...]


def parse_locomo_time(value: str, *, source: str) -> datetime:
    """A LoCoMo session time (``"1:56 pm on 8 May, 2023"``) as a UTC datetime (the dataset
    gives no zone); anything else raises :class:`InputError` naming ``source``."""
    text = " ".join(value.split()) if isinstance(value, str) else value
    try:
        parsed = datetime.strptime(text, "%I:%M %p on %d %B, %Y")
    except (TypeError, ValueError):
        raise InputError(
            f"session time {value!r} is not like '1:56 pm on 8 May, 2023'", source=source
        ) from None
    return parsed.replace(tzinfo=timezone.utc)


def _records(path: Path) -> list[Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("file not found", source=str(path)) from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not a JSON file: {exc}", source=str(path)) from None
    if not isinstance(data, list) or not data:
        raise InputError("expected a non-empty JSON list of conversations", source=str(path))
    return data


def is_locomo(records: Any) -> bool:
    """True when ``records`` (a parsed JSON file) look like LoCoMo: a list of objects with
    ``conversation`` and ``qa``."""
    return (
        isinstance(records, list)
        and bool(records)
        and all(isinstance(r, dict) and "conversation" in r and "qa" in r for r in records)
    )


def _text(record: Mapping[str, Any], key: str, where: str, source: str) -> str:
    value = record.get(key)
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{where}: field {key!r} must be a non-empty string", source=source)
    return value


def _turns(conv: Mapping[str, Any], cid: str, source: str) -> tuple[list[Turn], dict]:
    """The turns of every session in session-number order, and each session's time."""
    sessions = sorted(
        (int(m.group(1)), key) for key in conv if (m := _SESSION.fullmatch(key)) is not None
    )
    turns: list[Turn] = []
    times: dict[str, datetime | None] = {}
    seen: set[str] = set()
    for _, key in sessions:
        where = f"conversation {cid!r} {key}"
        stamp = conv.get(f"{key}_date_time")
        when = None if stamp is None else parse_locomo_time(stamp, source=f"{source}: {where}")
        times[key] = when
        if not isinstance(conv[key], list):
            raise InputError(f"{where} must be a list of turns", source=source)
        for j, raw in enumerate(conv[key]):
            if not isinstance(raw, dict):
                raise InputError(f"{where}[{j}] must be an object", source=source)
            tid = _text(raw, "dia_id", f"{where}[{j}]", source)
            if tid in seen:
                raise InputError(f"{where}[{j}]: turn id {tid!r} appears twice", source=source)
            seen.add(tid)
            caption = raw.get("blip_caption")
            metadata = {"caption": caption} if isinstance(caption, str) and caption else {}
            turns.append(
                Turn(
                    speaker=_text(raw, "speaker", f"{where}[{j}]", source),
                    text=_text(raw, "text", f"{where}[{j}]", source),
                    id=tid,
                    time=when,
                    session=key,
                    metadata=metadata,
                )
            )
    return turns, times


def _gold(evidence: Any, known: set[str], where: str, problems: list[str]) -> tuple[str, ...]:
    """The valid turn ids of one ``evidence`` field, repairing and reporting as it goes."""
    if not isinstance(evidence, list):
        problems.append(f"{where}: evidence is {type(evidence).__name__}, not a list")
        return ()
    gold: dict[str, None] = {}
    for item in evidence:
        if not isinstance(item, str):
            problems.append(f"{where}: evidence item {item!r} is not a string; dropped")
            continue
        parts = [p for p in _EVIDENCE_SPLIT.split(item.strip()) if p]
        if len(parts) > 1:
            problems.append(f"{where}: evidence {item!r} holds {len(parts)} ids; split")
        for part in parts:
            tid = part
            m = _TURN_ID.fullmatch(part)
            if part not in known and m is not None:
                tid = f"D{int(m.group(1))}:{int(m.group(2))}"
                if tid in known:
                    problems.append(f"{where}: evidence {part!r} read as {tid!r}")
            if tid not in known:
                problems.append(f"{where}: evidence {part!r} names no turn; dropped")
                continue
            gold.setdefault(tid, None)
    if not evidence:
        problems.append(f"{where}: evidence is empty")
    return tuple(gold)


def _questions(
    record: Mapping[str, Any], cid: str, known: set[str], source: str, problems: list[str]
) -> list[LocomoQuestion]:
    qa = record.get("qa")
    if not isinstance(qa, list):
        raise InputError(f"conversation {cid!r}: 'qa' must be a list", source=source)
    out = []
    for i, item in enumerate(qa):
        where = f"conversation {cid!r} qa[{i}]"
        if not isinstance(item, dict):
            raise InputError(f"{where} must be an object", source=source)
        question = _text(item, "question", where, source)
        category = item.get("category")
        if category not in CATEGORIES or isinstance(category, bool):
            raise InputError(f"{where}: category must be 1-5, got {category!r}", source=source)
        answer = item.get("answer", item.get("adversarial_answer", ""))
        gold = _gold(item.get("evidence"), known, where, problems)
        if not gold:
            problems.append(f"{where}: no valid evidence; question skipped")
            continue
        out.append(LocomoQuestion(cid, i, question, str(answer), category, gold))
    return out


def load_locomo(path: str | Path) -> LocomoSet:
    """Read a LoCoMo file (see the module docstring). Structural errors (a missing field, a
    session time in another format, a repeated turn id) raise :class:`InputError` naming the
    file and the conversation; evidence problems are repaired or dropped and reported."""
    path = Path(path)
    source = str(path)
    records = _records(path)
    conversations: list[LocomoConversation] = []
    questions: list[LocomoQuestion] = []
    problems: list[str] = []
    for i, record in enumerate(records):
        if not isinstance(record, dict) or not isinstance(record.get("conversation"), dict):
            raise InputError(f"record {i}: expected an object with 'conversation'", source=source)
        cid = str(record.get("sample_id", f"conversation-{i}"))
        if any(c.id == cid for c in conversations):
            raise InputError(f"record {i}: sample_id {cid!r} appears twice", source=source)
        conv = record["conversation"]
        speakers = (
            _text(conv, "speaker_a", f"conversation {cid!r}", source),
            _text(conv, "speaker_b", f"conversation {cid!r}", source),
        )
        turns, times = _turns(conv, cid, source)
        if not turns:
            raise InputError(f"conversation {cid!r} has no turns", source=source)
        conversations.append(LocomoConversation(cid, speakers, tuple(turns), times))
        questions.extend(_questions(record, cid, {t.id for t in turns}, source, problems))
    for problem in problems:
        log.warning("%s: %s", source, problem)
    log.info(
        "%s: %d conversations, %d turns, %d questions with gold, %d evidence problems",
        source,
        len(conversations),
        sum(len(c.turns) for c in conversations),
        len(questions),
        len(problems),
    )
    return LocomoSet(tuple(conversations), tuple(questions), tuple(problems))
