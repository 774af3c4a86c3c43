"""Conversations as memory: dialogue turns, a ``.jsonl`` of turns, and the passage unit for them.

A turn is one utterance: who spoke, what was said, its id and when. Each turn becomes one
:class:`~graphmem.types.Document` whose id is the turn id, so a benchmark's evidence turn ids are
document ids directly.

The passage unit. A bare reply such as "Yes, I did!" names no entity and states no fact: alone
it can neither be linked to a question nor reached by the graph walk. A *windowed* passage
prefixes the turn with the ``window`` turns before it in the same session (never across a
session boundary), one ``"Speaker: text"`` line each, so the reply is read with the question it
answers::

    Melanie: Did you go to the parade?
    Caroline: Yes, I did!

Measured on LoCoMo dev (3 conversations, 1,451 turns; 383 questions of categories 1-4, gold =
evidence turns; ``benchmarks/eval_locomo.py``, ``benchmarks/results/eval-locomo.json``),
Recall@5 / MRR over categories 1-4:

==============  ===============  ===============  ===============
window          graphmem         dense            BM25
==============  ===============  ===============  ===============
0 (turn alone)  0.331 / 0.239    0.394 / 0.303    0.497 / 0.418
1               0.317 / 0.184    0.384 / 0.260    0.591 / 0.422
2               0.392 / 0.273    0.416 / 0.309    0.585 / 0.402
==============  ===============  ===============  ===============

Two turns of context is best for graphmem and dense at Recall@5, Recall@10 and MRR (graphmem
+0.061 Recall@5 over the bare turn) and within 0.006 of the best for BM25, so
:data:`DEFAULT_WINDOW` is 2. A window lowers BM25's Recall@1 (0.305 at window 0, 0.218 at 2: a
turn's words are also in the next two passages, which compete with it); graphmem's and dense's
Recall@1 at window 2 are at or above the bare turn's (0.150 vs 0.123, 0.177 vs 0.176).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from graphmem.errors import InputError
from graphmem.store.schema import DEFAULT_NAMESPACE
from graphmem.types import Document

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_WINDOW",
    "Turn",
    "add_conversation",
    "parse_time",
    "read_turns",
    "turn_line",
    "turns_to_documents",
]

DEFAULT_WINDOW = 2
"""Turns of context before each turn in its passage (measured: see the module docstring)."""

TimeLike = datetime | str
SessionTimes = TimeLike | Mapping[str, TimeLike] | None


@dataclass(frozen=True)
class Turn:
    """One utterance of a conversation.

    ``time`` is when it was said (timezone-aware; ``None`` when unknown), ``session`` names the
    session it belongs to (context windows never cross sessions). ``metadata`` is copied into the
    turn's document beside ``speaker`` and ``session``."""

    speaker: str
    text: str
    id: str
    time: datetime | None = None
    session: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("speaker", "text", "id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise InputError(f"turn {name} must be a non-empty string, got {value!r}")
        if self.session is not None and not isinstance(self.session, str):
            raise InputError(f"turn {self.id!r}: session must be a string or None")
        if self.time is not None and (
            not isinstance(self.time, datetime) or self.time.tzinfo is None
        ):
            raise InputError(f"turn {self.id!r}: time must be a timezone-aware datetime")


def parse_time(value: TimeLike, *, source: str) -> datetime:
    """``value`` (a datetime or an ISO-8601 string) as a timezone-aware datetime; naive is UTC.
    Anything else raises :class:`InputError` naming ``source``."""
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InputError(f"time {value!r} is not ISO-8601", source=source) from None
    else:
        raise InputError(
            f"time must be an ISO-8601 string or a datetime, got {type(value).__name__}",
            source=source,
        )
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def turn_line(turn: Turn) -> str:
    """A turn as one passage line: ``"Speaker: text"``."""
    return f"{turn.speaker}: {turn.text}"


_TURN_FIELDS = {"speaker", "text", "id", "time", "session_time", "session", "metadata"}


def _turn_from_json(data: Any, source: str, line: int) -> Turn:
    """One ``.jsonl`` record as a :class:`Turn`; any problem names ``source`` and ``line``."""

    def bad(message: str) -> InputError:
        return InputError(message, source=source, line=line)

    if not isinstance(data, dict):
        raise bad(f"expected a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - _TURN_FIELDS)
    if unknown:
        raise bad(f"unknown field {unknown[0]!r}; known: {', '.join(sorted(_TURN_FIELDS))}")
    for key in ("speaker", "text", "id"):
        if key not in data:
            raise bad(f"missing field {key!r}")
    for key in ("speaker", "text", "session"):
        if key in data and not isinstance(data[key], str):
            raise bad(f"field {key!r} must be a string, got {type(data[key]).__name__}")
    if isinstance(data["id"], bool) or not isinstance(data["id"], (str, int)):
        raise bad(f"field 'id' must be a string or an integer, got {type(data['id']).__name__}")
    metadata = data.get("metadata", {})
    if not isinstance(metadata, dict):
        raise bad(f"field 'metadata' must be an object, got {type(metadata).__name__}")
    stamp = data.get("time", data.get("session_time"))
    try:
        when = None if stamp is None else parse_time(stamp, source=source)
        return Turn(
            speaker=data["speaker"],
            text=data["text"],
            id=str(data["id"]),
            time=when,
            session=data.get("session"),
            metadata=metadata,
        )
    except InputError as exc:
        raise bad(exc.reason) from None


def read_turns(path: str | Path) -> list[Turn]:
    """The turns of a ``.jsonl`` file, in file order.

    One JSON object per line: ``speaker``, ``text`` and ``id`` (string or integer) are required;
    ``time`` (the turn's own, ISO-8601), ``session_time`` (its session's, used when the turn has
    no ``time``), ``session`` (a name) and ``metadata`` (an object) are optional. Blank lines are
    skipped. A bad line, or an id seen before, raises :class:`InputError` naming the file and
    the line."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", source=source) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not valid UTF-8 (byte {exc.start})", source=source) from None
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror or exc}", source=source) from None
    turns: list[Turn] = []
    seen: dict[str, int] = {}
    for lineno, text in enumerate(raw.splitlines(), start=1):
        if not text.strip():
            continue
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", source=source, line=lineno) from None
        turn = _turn_from_json(data, source, lineno)
        if turn.id in seen:
            raise InputError(
                f"turn id {turn.id!r} already used on line {seen[turn.id]}",
                source=source,
                line=lineno,
            )
        seen[turn.id] = lineno
        turns.append(turn)
    log.info("%s: %d turns", source, len(turns))
    return turns


def _session_time(turn: Turn, session_time: SessionTimes) -> datetime | None:
    """The time of ``turn``'s document: its own, else its session's from ``session_time``."""
    if turn.time is not None or session_time is None:
        return turn.time
    where = f"turn {turn.id!r}"
    if isinstance(session_time, Mapping):
        stamp = session_time.get(turn.session) if turn.session is not None else None
        return None if stamp is None else parse_time(stamp, source=where)
    return parse_time(session_time, source=where)


def turns_to_documents(
    turns: Iterable[Turn], *, window: int = DEFAULT_WINDOW, session_time: SessionTimes = None
) -> list[Document]:
    """One :class:`Document` per turn, in order: id = turn id, text = the ``window`` turns
    before it in the same session and the turn itself, one ``"Speaker: text"`` line each.

    Metadata: the turn's ``metadata`` plus ``speaker`` and (when known) ``session``. The time is
    the turn's own, else ``session_time`` (one time for all, or a mapping session name → time);
    it becomes the document's ``time``. Repeated turn ids and a negative window raise
    :class:`InputError`."""
    if isinstance(window, bool) or not isinstance(window, int) or window < 0:
        raise InputError(f"window must be an integer >= 0, got {window!r}")
    listed: Sequence[Turn] = list(turns)
    docs: list[Document] = []
    seen: set[str] = set()
    context: list[Turn] = []
    for i, turn in enumerate(listed):
        if not isinstance(turn, Turn):
            raise InputError(f"turn {i} must be a Turn, got {type(turn).__name__}")
        if turn.id in seen:
            raise InputError(f"turn id {turn.id!r} appears twice")
        seen.add(turn.id)
        if context and context[-1].session != turn.session:
            context = []
        lines = [turn_line(t) for t in context[-window:]] if window else []
        lines.append(turn_line(turn))
        context = [*context[-window:], turn] if window else [turn]
        metadata: dict[str, Any] = {**turn.metadata, "speaker": turn.speaker}
        if turn.session is not None:
            metadata["session"] = turn.session
        when = _session_time(turn, session_time)
        docs.append(Document(text="\n".join(lines), id=turn.id, metadata=metadata, time=when))
    return docs


def add_conversation(
    memory: Any,
    turns: Iterable[Turn],
    *,
    namespace: str = DEFAULT_NAMESPACE,
    session_time: SessionTimes = None,
    window: int = DEFAULT_WINDOW,
) -> list[str]:
    """Add ``turns`` to ``namespace`` of ``memory`` (a :class:`~graphmem.Memory`), one document
    per turn (see :func:`turns_to_documents`), in one transaction; returns the turn ids."""
    docs = turns_to_documents(turns, window=window, session_time=session_time)
    ids: list[str] = memory.add(docs, namespace=namespace, source="add_conversation()")
    return ids
