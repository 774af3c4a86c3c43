"""Telling a damaged SQLite file from other SQLite failures, for the cache files.

A cache file whose bytes are not a database, or whose pages are damaged, is best deleted: the
caches only save work, nothing stored in a memory depends on them. Other failures (a lock held
by another process, no permission, a full disk) are not fixed by deleting the file, so their
messages must not suggest it.
"""

from __future__ import annotations

import sqlite3

__all__ = ["CACHE_RECOVERY", "is_damaged"]

#: How to recover from a corrupt cache file: the end of the error that reports one.
CACHE_RECOVERY = (
    "delete it to start with an empty cache: nothing stored in the memory depends on it"
)


def is_damaged(exc: sqlite3.Error) -> bool:
    """True when ``exc`` says the file is not a database or its content is corrupt.

    SQLite reports those (``SQLITE_NOTADB``, ``SQLITE_CORRUPT``) as a plain
    ``sqlite3.DatabaseError``; locks, permissions and I/O are ``OperationalError`` s. Python
    3.11+ names the code, which is used when present.
    """
    name = getattr(exc, "sqlite_errorname", None)
    if name is not None:
        return name in ("SQLITE_NOTADB", "SQLITE_CORRUPT")
    return type(exc) is sqlite3.DatabaseError
