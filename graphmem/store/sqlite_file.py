"""Opening a graphmem SQLite file safely: what the file is, how to connect, what errors mean.

Opening never takes the write lock of an existing store: a store is identified by reading its
header, ``application_id`` and ``meta`` table, and the schema is created only in a new, empty
file. A file that is not a graphmem store is refused before anything is written to it. A store
that cannot be written (read-only file, directory or file system) opens for reading.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, unquote

from graphmem.errors import StoreError
from graphmem.sqlite_db import connect, run_script, transaction
from graphmem.store.migrate import late_columns, upgrade_v1
from graphmem.store.schema import APPLICATION_ID, DDL, SCHEMA_VERSION, TABLES

SQLITE_MAGIC = b"SQLite format 3\x00"


@dataclass(frozen=True)
class Opened:
    """A connection to a graphmem store and whether this process may write through it."""

    conn: sqlite3.Connection
    readonly: bool
    reason: str | None  # why it is read-only, for error messages


def open_store(path: str, *, readonly: bool, lock_timeout_s: float) -> Opened:
    """Connect to the store file at ``path`` (``":memory:"`` for a throwaway store), creating the
    schema when the file is new. Raises :class:`StoreError` naming the file for a directory, a
    file that is not SQLite, another program's SQLite file, a damaged file or a newer schema."""
    if path == ":memory:":
        conn = _connect(path, "", lock_timeout_s)
        _create_schema(conn, path)
        return Opened(conn, False, None)
    p = Path(path)
    exists = check_file(p, new_ok=True)
    reason = _readonly_reason(p, exists) if not readonly else "opened read-only"
    if reason is not None and not exists:
        raise StoreError(f"cannot create a graphmem store at {p}: {reason}")
    if reason is None:
        conn = _connect(_uri(p, "rwc"), "", lock_timeout_s)
    else:
        conn = connect_readonly(p, lock_timeout_s)
    try:
        with mapped_errors(path, "open"):
            state = identify(conn, p)
            if state == "v1":
                if reason is not None:
                    raise StoreError(
                        f"{p} has schema version 1 and {reason}: open it once where it can be "
                        "written to upgrade it to version 2"
                    )
                upgrade_v1(conn, path)
                state = "store"
            missing = sorted(set(TABLES) - _tables(conn))
            if state == "store" and missing:
                raise StoreError(
                    f"{p} is an incomplete graphmem store: tables {', '.join(missing)} missing"
                )
            if state == "new":
                _create_schema(conn, path)
            elif reason is None:
                late_columns(conn)
                if _journal_mode(conn) != "wal":
                    conn.execute("PRAGMA journal_mode=WAL")
    except BaseException:
        conn.close()
        raise
    return Opened(conn, reason is not None, reason)


def _uri(p: Path, mode: str, extra: str = "") -> str:
    return f"file:{quote(str(p.resolve()))}?mode={mode}{extra}"


def _connect(target: str, extra: str, lock_timeout_s: float) -> sqlite3.Connection:
    shown = target.split("?")[0].removeprefix("file:")
    try:  # no implicit transactions: SQLiteStore begins each one itself (reads too)
        conn = connect(
            target + extra,
            uri=target.startswith("file:"),
            isolation_level=None,
            timeout=lock_timeout_s,
            pragmas=("foreign_keys=ON", "synchronous=NORMAL"),
        )
    except sqlite3.Error as exc:
        raise StoreError(f"cannot open {unquote(shown)}: {exc}") from exc
    return conn


def connect_readonly(p: Path, lock_timeout_s: float = 10.0) -> sqlite3.Connection:
    """A connection that cannot write (``query_only``) and has read the schema.

    WAL readers need the ``-shm`` side file; where it cannot be created (a read-only directory
    or file system) and no ``-wal`` file exists, the file is opened immutable, which is right
    because nothing can be writing it there. With a ``-wal`` file, immutable reads would miss
    the commits it holds, so that case is refused with advice."""
    try:
        conn = _connect(_uri(p, "ro"), "", lock_timeout_s)
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (StoreError, sqlite3.DatabaseError) as exc:
        if _readonly_reason(p, True) is None:
            raise StoreError(f"{p} cannot be opened as SQLite: {exc.__cause__ or exc}") from exc
        if p.with_name(p.name + "-wal").exists():
            raise StoreError(
                f"{p} cannot be read here: its directory is read-only and it has a -wal file "
                "that SQLite cannot share without a writable -shm; copy the store directory "
                "somewhere writable and use the copy"
            ) from exc
        conn = _connect(_uri(p, "ro", "&immutable=1"), "", lock_timeout_s)
    conn.execute("PRAGMA query_only=ON")
    return conn


def _readonly_reason(p: Path, exists: bool) -> str | None:
    directory = p.parent
    if exists and not os.access(p, os.W_OK):
        return "the file is not writable"
    if not os.access(directory, os.W_OK):
        return "its directory is not writable"
    try:  # a read-only file system answers access() with yes for root
        if os.statvfs(directory).f_flag & os.ST_RDONLY:
            return "it is on a read-only file system"
    except OSError:
        pass
    return None


def check_file(p: Path, *, new_ok: bool) -> bool:
    """Refuse, in one line, anything SQLite should not even be asked to open. Returns whether
    the file holds data; a missing or empty file is a new store when ``new_ok``."""
    if p.is_dir():
        raise StoreError(f"{p} is a directory, not a graphmem store file")
    if not p.exists():
        if new_ok:
            return False
        raise StoreError(f"{p} does not exist")
    if not p.is_file():
        raise StoreError(f"{p} is not a regular file")
    try:
        with p.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise StoreError(f"{p} cannot be read: {exc.strerror or exc}") from exc
    if not head:
        if new_ok:
            return False
        raise StoreError(f"{p} is empty, not a graphmem store")
    if head != SQLITE_MAGIC:
        raise StoreError(
            f"{p} is not an SQLite database (it does not start with the SQLite header)"
        )
    return True


def _tables(conn: sqlite3.Connection) -> set[str]:
    rows = conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
    return {r[0] for r in rows if not r[0].startswith("sqlite_")}


def identify(conn: sqlite3.Connection, p: Path) -> str:
    """``"new"`` for an empty database, ``"store"`` for a graphmem store of this schema version
    (its tables may still be incomplete), ``"v1"`` for a store of version 1 (to upgrade); anything else raises :class:`StoreError` without
    writing. A store is recognised by ``PRAGMA application_id`` and its ``meta`` table; stores
    written before the application id was stamped carry 0 and a meta schema version."""
    app_id = int(conn.execute("PRAGMA application_id").fetchone()[0])
    tables = _tables(conn)
    if not tables and app_id in (0, APPLICATION_ID):
        return "new"
    if app_id not in (0, APPLICATION_ID) or "meta" not in tables:
        listed = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(
            f"{p} is not a graphmem store (application id {app_id:#x}, tables: {listed or 'none'}); "
            "refusing to use it"
        )
    row = conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    if row is None:
        raise StoreError(f"{p} is not a graphmem store: its meta table has no schema_version")
    if str(row[0]) == "1" and SCHEMA_VERSION == 2:
        return "v1"
    if str(row[0]) != str(SCHEMA_VERSION):
        raise StoreError(f"{p} has schema version {row[0]!r}, this graphmem reads {SCHEMA_VERSION}")
    return "store"


def _journal_mode(conn: sqlite3.Connection) -> str:
    return str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower()


def _create_schema(conn: sqlite3.Connection, path: str) -> None:
    """Create the schema in a new file, once: a second process creating the same new store at
    the same moment finds the tables inside its own write transaction and leaves them."""
    if path != ":memory:":
        conn.execute("PRAGMA journal_mode=WAL")  # not allowed inside a transaction
    with mapped_errors(path, "create the store"), transaction(conn, immediate=True):
        run_script(conn, DDL)
        conn.execute(
            "INSERT OR IGNORE INTO meta(key, value) VALUES ('schema_version', ?), "
            "('generation', '0')",
            (str(SCHEMA_VERSION),),
        )
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")


@contextmanager
def mapped_errors(path: str, doing: str, lock_timeout_s: float | None = None) -> Iterator[None]:
    """Turn sqlite3 errors into one-line :class:`StoreError` messages that name the file and
    what was being done. Constraint violations pass through for the caller to interpret."""
    try:
        yield
    except sqlite3.IntegrityError:
        raise
    except sqlite3.DatabaseError as exc:
        raise StoreError(describe(path, doing, exc, lock_timeout_s)) from exc


def describe(path: str, doing: str, exc: sqlite3.Error, lock_timeout_s: float | None) -> str:
    text = str(exc)
    if "locked" in text or "busy" in text:
        waited = f" for {lock_timeout_s:g} s" if lock_timeout_s is not None else ""
        return (
            f"{path}: could not {doing}: another process held the write lock{waited} "
            "(raise StoreConfig.lock_timeout_s to wait longer)"
        )
    if "readonly" in text or "read-only" in text:
        return f"{path} is read-only: could not {doing}"
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return (
            f"{path} is damaged ({text}): could not {doing}; `graphmem check` reports what is wrong"
        )
    return f"{path}: could not {doing}: {text}"
