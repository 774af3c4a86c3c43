"""Opening a store by location: the one place that picks the implementation.

A location is a memory directory (the embedded SQLite store, ``graphmem.sqlite`` inside it,
the directory created when missing) or a ``postgresql://`` URL (:mod:`graphmem.store.postgres`,
which needs the ``postgres`` extra). :class:`graphmem.Memory`, the CLI and the ingest job all
open stores here, so a new backend is one branch in :func:`open_store`, not an edit of each
caller.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from graphmem.config import StoreConfig
from graphmem.errors import StoreError
from graphmem.store.base import Store

__all__ = ["STORE_FILE", "URL_SCHEMES", "is_url", "open_store", "redacted", "store_exists"]

# The SQLite file inside a memory directory.
STORE_FILE = "graphmem.sqlite"
# URL schemes of a PostgreSQL store (libpq accepts both spellings).
URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(location: str | Path) -> bool:
    """Whether ``location`` names a PostgreSQL store rather than a memory directory. A
    :class:`~pathlib.Path` never does: ``Path("postgresql://h/db")`` has already lost a slash."""
    return isinstance(location, str) and location.startswith(URL_SCHEMES)


def redacted(url: str) -> str:
    """``url`` with its password replaced by ``***``: safe for messages, logs and reports."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    user = netloc[0].split(":", 1)[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{netloc[1]}"))


def memory_directory(location: str | Path) -> Path:
    """The memory directory ``location`` names, created when missing; a file there is an error."""
    path = Path(location)
    if path.exists() and not path.is_dir():
        raise StoreError(f"{path} is a file, not a memory directory")
    if not path.exists():
        try:
            path.mkdir(parents=True)
        except OSError as exc:
            raise StoreError(f"cannot create the memory directory {path}: {exc.strerror}") from exc
    return path


def open_store(location: str | Path, config: StoreConfig | None = None) -> Store:
    """The store at ``location``: SQLite in a memory directory (created when missing), or
    PostgreSQL for a ``postgresql://user@host:port/db?schema=name`` URL (the schema is created
    when missing)."""
    config = config if config is not None else StoreConfig()
    if is_url(location):
        from graphmem.store.postgres import PostgresStore

        return PostgresStore(str(location), config)
    from graphmem.store.sqlite import SQLiteStore

    return SQLiteStore(memory_directory(location) / STORE_FILE, config)


def store_exists(location: str | Path) -> bool:
    """Whether a store was created at ``location``. A URL is taken to exist (a server is only
    asked when the store is opened); a directory, when it holds the SQLite file."""
    return is_url(location) or (Path(location) / STORE_FILE).exists()
