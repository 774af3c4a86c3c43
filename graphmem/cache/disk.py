"""The cache file: :class:`DiskCache`, one SQLite database of extractions and embedding vectors
keyed by model fingerprint and SHA-256 of the input text (see :mod:`graphmem.cache`)."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.closing import Closing
from graphmem.errors import CacheError
from graphmem.sqlite_damage import CACHE_RECOVERY, is_damaged
from graphmem.sqlite_db import connect, run_script, transaction
from graphmem.types import Extraction, Mention, Triple

log = logging.getLogger(__name__)

__all__ = ["CACHE_FILE", "DiskCache", "default_cache_dir", "open_cache"]

CACHE_FILE = "cache.sqlite"
FORMAT_NAME = "graphmem-cache"
SCHEMA_VERSION = "1"
_IN_CHUNK = 500  # keys per SELECT ... IN (...), well below SQLite's variable limit

# Rows are ~1.6 KB (a 384-dim vector): ordinary rowid tables on 16 KiB pages pack them densely;
# a WITHOUT ROWID layout measured three times the payload on disk for such rows.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cache_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS fingerprints (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS extractions (
    fp INTEGER NOT NULL REFERENCES fingerprints(id), digest BLOB NOT NULL, value TEXT NOT NULL,
    PRIMARY KEY (fp, digest));
CREATE TABLE IF NOT EXISTS embeddings (
    fp INTEGER NOT NULL REFERENCES fingerprints(id), digest BLOB NOT NULL, dim INTEGER NOT NULL,
    vector BLOB NOT NULL, PRIMARY KEY (fp, digest));
"""


def default_cache_dir() -> Path:
    """``$GRAPHMEM_CACHE_DIR``, else ``$XDG_CACHE_HOME/graphmem``, else ``~/.cache/graphmem``.

    Empty variables count as unset, as the XDG base directory specification asks.
    """
    explicit = os.environ.get("GRAPHMEM_CACHE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    if xdg:
        return Path(xdg).expanduser() / "graphmem"
    return Path.home() / ".cache" / "graphmem"


def open_cache(directory: str | Path | None = None) -> DiskCache:
    """The cache file :data:`CACHE_FILE` in ``directory`` (default :func:`default_cache_dir`)."""
    base = Path(directory) if directory is not None else default_cache_dir()
    return DiskCache(base / CACHE_FILE)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).digest()


def encode_extraction(extraction: Extraction) -> str:
    """Compact JSON for one extraction; non-ASCII names are kept as they are."""
    payload = {
        "m": [[m.name, m.label, m.kind] for m in extraction.mentions],
        "t": [[t.subject, t.predicate, t.object] for t in extraction.triples],
    }
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def _string_triples(value: Any) -> list[tuple[str, str, str]] | None:
    if not isinstance(value, list):
        return None
    out = []
    for item in value:
        if not (
            isinstance(item, list) and len(item) == 3 and all(isinstance(s, str) for s in item)
        ):
            return None
        out.append((item[0], item[1], item[2]))
    return out


def decode_extraction(raw: str) -> Extraction:
    """Inverse of :func:`encode_extraction`; raises ``ValueError`` on anything else."""
    data = json.loads(raw)
    if not isinstance(data, dict) or set(data) != {"m", "t"}:
        raise ValueError("expected an object with keys 'm' and 't'")
    mentions, triples = _string_triples(data["m"]), _string_triples(data["t"])
    if mentions is None or triples is None:
        raise ValueError("'m' and 't' must be lists of three strings each")
    return Extraction(tuple(Mention(*m) for m in mentions), tuple(Triple(*t) for t in triples))


class DiskCache(Closing):
    """Extractions and embedding vectors keyed by (fingerprint, SHA-256 of the text), in one
    SQLite file (created with its directory when missing).

    Raises :class:`~graphmem.errors.CacheError` naming the file when it is not a SQLite database,
    belongs to another program, or has an unknown cache version. ``stats()`` counts hits and
    misses per kind since this object was opened.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()
        self._fp_ids: dict[str, int] = {}
        self._counts = dict.fromkeys(
            ("extraction_hits", "extraction_misses", "embedding_hits", "embedding_misses"), 0
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"{self.path}: cannot create the cache directory: {exc}") from exc
        try:
            # no pragma before the file is known to be new or a cache: a foreign one stays as is
            self._conn: sqlite3.Connection | None = connect(
                self.path, timeout=60.0, isolation_level=None
            )
        except sqlite3.Error as exc:
            raise CacheError(f"{self.path}: cannot open cache file: {exc}") from exc
        try:
            self._init_schema()
        except BaseException:
            self._conn.close()
            self._conn = None
            raise
        log.debug("opened cache %s", self.path)

    def _init_schema(self) -> None:
        conn = self._conn
        assert conn is not None
        try:  # look before touching anything: a foreign file must stay as it is
            tables = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
            }
            if not tables:
                conn.execute("PRAGMA page_size=16384")  # before the first table is written
                with transaction(conn, immediate=True):
                    run_script(conn, _SCHEMA)
                    conn.executemany(
                        "INSERT OR IGNORE INTO cache_meta VALUES (?, ?)",
                        [("format", FORMAT_NAME), ("version", SCHEMA_VERSION)],
                    )
                tables = {"cache_meta"}
            meta: dict[str, str] = {}
            if "cache_meta" in tables:
                meta = dict(conn.execute("SELECT key, value FROM cache_meta").fetchall())
        except sqlite3.DatabaseError as exc:
            if is_damaged(exc):
                raise CacheError(
                    f"{self.path}: corrupt cache file ({exc}); {CACHE_RECOVERY}"
                ) from exc
            raise CacheError(f"{self.path}: not a graphmem cache file ({exc})") from exc
        if meta.get("format") != FORMAT_NAME:
            raise CacheError(
                f"{self.path}: not a graphmem cache file (an SQLite database with tables "
                f"{', '.join(sorted(tables))}); point the cache at another directory"
            )
        if meta.get("version") != SCHEMA_VERSION:
            raise CacheError(
                f"{self.path}: cache version {meta.get('version')!r}, this graphmem reads "
                f"{SCHEMA_VERSION!r}; delete the file to rebuild it"
            )
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
        except sqlite3.DatabaseError as exc:
            raise CacheError(f"{self.path}: cannot open cache file: {exc}") from exc

    # ---- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file; further use raises CacheError. Closing twice is harmless."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def stats(self) -> dict[str, int]:
        """Hits and misses per kind since opening: ``extraction_hits``, ``extraction_misses``,
        ``embedding_hits``, ``embedding_misses`` (one count per text looked up)."""
        with self._lock:
            return dict(self._counts)

    # ---- low level ----------------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise CacheError(f"{self.path}: the cache is closed")
        return self._conn

    def _fingerprint_id(self, conn: sqlite3.Connection, name: str, create: bool) -> int | None:
        """The integer id of fingerprint ``name`` (inserted when ``create``; the caller holds the
        lock and, to create, a write transaction). Ids are never deleted, so they are memoised."""
        fp = self._fp_ids.get(name)
        if fp is not None:
            return fp
        row = conn.execute("SELECT id FROM fingerprints WHERE name = ?", (name,)).fetchone()
        if row is None and create:
            conn.execute("INSERT INTO fingerprints (name) VALUES (?)", (name,))
            row = conn.execute("SELECT id FROM fingerprints WHERE name = ?", (name,)).fetchone()
        return None if row is None else int(row[0])

    def _select(
        self, table: str, columns: str, fingerprint: str, digests: Sequence[bytes]
    ) -> dict[bytes, tuple[Any, ...]]:
        """Rows of ``table`` for ``fingerprint`` and ``digests``, by digest (caller holds the lock)."""
        conn = self._connection()
        found: dict[bytes, tuple[Any, ...]] = {}
        try:
            fp = self._fingerprint_id(conn, fingerprint, create=False)
            if fp is None:
                return found
            self._fp_ids[fingerprint] = fp
            for start in range(0, len(digests), _IN_CHUNK):
                part = digests[start : start + _IN_CHUNK]
                marks = ",".join("?" * len(part))
                sql = f"SELECT digest, {columns} FROM {table} WHERE fp = ? AND digest IN ({marks})"
                for row in conn.execute(sql, (fp, *part)):
                    found[bytes(row[0])] = tuple(row[1:])
        except sqlite3.DatabaseError as exc:
            hint = f"; {CACHE_RECOVERY}" if is_damaged(exc) else ""
            raise CacheError(f"{self.path}: cannot read the cache: {exc}{hint}") from exc
        return found

    def _insert(self, sql: str, fingerprint: str, rows: Iterable[tuple[Any, ...]]) -> None:
        """Run ``sql`` for each row, the fingerprint's id prepended, in one transaction."""
        with self._lock:
            conn = self._connection()
            try:
                with transaction(conn, immediate=True):
                    fp = self._fingerprint_id(conn, fingerprint, create=True)
                    conn.executemany(sql, ((fp, *row) for row in rows))
            except sqlite3.DatabaseError as exc:
                hint = f"; {CACHE_RECOVERY}" if is_damaged(exc) else ""
                raise CacheError(f"{self.path}: cannot write the cache: {exc}{hint}") from exc
            assert fp is not None
            self._fp_ids[fingerprint] = fp

    def _count(self, kind: str, hits: int, total: int) -> None:
        self._counts[f"{kind}_hits"] += hits
        self._counts[f"{kind}_misses"] += total - hits

    # ---- extractions --------------------------------------------------------------------------

    def get_extractions(self, fingerprint: str, texts: Sequence[str]) -> list[Extraction | None]:
        """The cached extraction of each text, ``None`` where there is none, in input order."""
        digests = [_digest(t) for t in texts]
        with self._lock:
            rows = self._select("extractions", "value", fingerprint, list(dict.fromkeys(digests)))
            out: list[Extraction | None] = []
            for d in digests:
                row = rows.get(d)
                if row is None:
                    out.append(None)
                    continue
                try:
                    out.append(decode_extraction(row[0]))
                except (ValueError, TypeError) as exc:
                    raise CacheError(
                        f"{self.path}: corrupt extraction entry for fingerprint {fingerprint!r}: "
                        f"{exc}; {CACHE_RECOVERY}"
                    ) from exc
            self._count("extraction", sum(e is not None for e in out), len(out))
        return out

    def put_extractions(
        self, fingerprint: str, texts: Sequence[str], extractions: Sequence[Extraction]
    ) -> None:
        """Store extractions of ``texts``; keys already present keep their first value.

        Raises:
            ValueError: the lengths differ, or an extraction failed (``failure`` set): a failed
                extraction is never cached, so the next attempt asks the extractor again.
        """
        if len(texts) != len(extractions):
            raise ValueError(f"{len(texts)} texts but {len(extractions)} extractions")
        for i, e in enumerate(extractions):
            if e.failed:
                raise ValueError(f"extraction {i} failed ({e.failure}); it is not cached")
        rows = ((_digest(t), encode_extraction(e)) for t, e in zip(texts, extractions))
        self._insert("INSERT OR IGNORE INTO extractions VALUES (?, ?, ?)", fingerprint, rows)

    # ---- embeddings ---------------------------------------------------------------------------

    def get_vectors(
        self, fingerprint: str, texts: Sequence[str], dim: int
    ) -> list[np.ndarray | None]:
        """The cached float32 vector of each text, ``None`` where there is none, in input order.

        A stored vector whose dimension is not ``dim`` raises CacheError (the fingerprint
        should have told the models apart)."""
        digests = [_digest(t) for t in texts]
        with self._lock:
            rows = self._select(
                "embeddings", "dim, vector", fingerprint, list(dict.fromkeys(digests))
            )
            decoded: dict[bytes, np.ndarray] = {}
            for d, (stored_dim, blob) in rows.items():
                if stored_dim != dim or len(blob) != 4 * dim:
                    raise CacheError(
                        f"{self.path}: cached vector for fingerprint {fingerprint!r} has "
                        f"dimension {stored_dim} ({len(blob)} bytes), expected {dim}"
                    )
                decoded[d] = np.frombuffer(blob, dtype="<f4").astype(np.float32)
            out = [decoded.get(d) for d in digests]
            self._count("embedding", sum(v is not None for v in out), len(out))
        return out

    def put_vectors(self, fingerprint: str, texts: Sequence[str], vectors: np.ndarray) -> None:
        """Store one vector per text (``vectors`` of shape ``(len(texts), dim)``)."""
        vectors = np.asarray(vectors)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            raise ValueError(
                f"expected {len(texts)} vectors as a 2-d array, got shape {vectors.shape}"
            )
        dim = int(vectors.shape[1])
        little = vectors.astype("<f4", copy=False)
        rows = ((_digest(t), dim, little[i].tobytes()) for i, t in enumerate(texts))
        self._insert("INSERT OR IGNORE INTO embeddings VALUES (?, ?, ?, ?)", fingerprint, rows)
