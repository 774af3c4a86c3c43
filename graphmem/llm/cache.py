"""Persistent response cache: one SQLite table from request hash to reply.

Extraction over a corpus is the expensive part of an LLM-backed memory, and re-running it
(after a crash, with another retrieval setting, in a benchmark) should not pay twice. A reply is
stored under the SHA-256 of a canonical JSON of everything that determines it: the model, the
messages and every generation parameter. Changing any of them is a miss; an identical request
is answered from disk without an HTTP call.

The file is safe to share between threads (one connection behind a lock) and between processes
(WAL mode, a busy timeout); concurrent writers of the same key store the same reply. Nothing in
a memory depends on it, so a corrupt cache file is reported as such with that advice: delete it
and the next requests go to the model again.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphmem.llm.errors import LLMError
from graphmem.sqlite_damage import CACHE_RECOVERY, is_damaged
from graphmem.sqlite_db import connect, transaction

__all__ = ["CACHE_FORMAT", "CachedReply", "ResponseCache", "cache_key"]


#: Part of every key: bump when the stored reply format or the key payload changes meaning.
CACHE_FORMAT = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    reply TEXT NOT NULL,
    created_at REAL NOT NULL
)
"""


def cache_key(payload: Mapping[str, Any]) -> str:
    """SHA-256 hex digest of ``payload`` as canonical JSON (sorted keys, no spaces, UTF-8).

    ``payload`` is the request as sent: model, messages and generation parameters. Canonical
    serialisation makes the key independent of dict insertion order.
    """
    canonical = json.dumps(
        {"format": CACHE_FORMAT, **payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CachedReply:
    """What is kept of a reply: its text, token counts and why generation stopped."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str | None


class ResponseCache:
    """Replies by request key in the SQLite file ``path`` (created with its directory)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level "" (Python's default, as always here): an INSERT outside put()'s
            # explicit deferred transaction would begin one implicitly
            self._db = connect(
                str(self.path), timeout=30.0, isolation_level="", pragmas=("journal_mode=WAL",)
            )
            self._db.execute(_SCHEMA)
            self._db.commit()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        except OSError as exc:
            raise LLMError(f"LLM response cache {self.path} is not usable: {exc}") from exc

    def _error(self, exc: sqlite3.Error) -> LLMError:
        """The LLMError for an SQLite failure on the file: a corrupt file says how to recover."""
        if is_damaged(exc):
            return LLMError(
                f"LLM response cache {self.path} is corrupt ({exc}): {CACHE_RECOVERY}"
            )
        return LLMError(f"LLM response cache {self.path} is not usable: {exc}")

    def get(self, key: str) -> CachedReply | None:
        """The reply stored under ``key``, or ``None``.

        Raises:
            LLMError: the file or the entry is corrupt (the message says how to recover).
        """
        try:
            with self._lock:
                row = self._db.execute(
                    "SELECT reply FROM responses WHERE key = ?", (key,)
                ).fetchone()
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        if row is None:
            return None
        try:
            data = json.loads(row[0])
            if not isinstance(data["text"], str):
                raise TypeError(f"text is {type(data['text']).__name__}, not str")
            return CachedReply(
                text=data["text"],
                prompt_tokens=int(data["prompt_tokens"]),
                completion_tokens=int(data["completion_tokens"]),
                finish_reason=data.get("finish_reason"),
            )
        except (ValueError, TypeError, KeyError) as exc:
            raise LLMError(
                f"LLM response cache {self.path} is corrupt (entry {key[:12]}: {exc!r}): "
                f"{CACHE_RECOVERY}"
            ) from exc

    def put(self, key: str, model: str, reply: CachedReply) -> None:
        """Store ``reply`` under ``key`` (an existing entry is replaced)."""
        data = json.dumps(
            {
                "text": reply.text,
                "prompt_tokens": reply.prompt_tokens,
                "completion_tokens": reply.completion_tokens,
                "finish_reason": reply.finish_reason,
            },
            ensure_ascii=False,
        )
        try:
            with self._lock, transaction(self._db, immediate=False):
                self._db.execute(
                    "INSERT OR REPLACE INTO responses (key, model, reply, created_at) "
                    "VALUES (?, ?, ?, ?)",
                    (key, model, data, time.time()),
                )
        except sqlite3.Error as exc:
            raise self._error(exc) from exc

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def close(self) -> None:
        """Close the connection; further use raises ``sqlite3.ProgrammingError``."""
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"

