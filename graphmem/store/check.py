"""``check_store``: is a graphmem store file healthy? Integrity and consistency, read-only.

For people who want to know whether a store can be trusted (after a crash, a full disk, a copy
from elsewhere) without risking it: the file is opened read-only by SQLite itself
(``mode=ro``, and ``PRAGMA query_only``), all checks read one snapshot (one read transaction,
so a concurrent writer neither blocks the check nor shows it half a commit), and nothing is ever
written to the database file.

What is checked, in order:

- the file: exists, is a regular readable file, starts with the SQLite header, is a graphmem
  store (a ``meta`` table with this graphmem's ``schema_version``); otherwise
  :class:`~graphmem.errors.StoreError` with one line naming the file and what is wrong;
- ``PRAGMA integrity_check`` (SQLite's own page, b-tree and index check), its messages with
  b-tree root pages named by table;
- ``meta``: ``generation`` present and an integer, ``embedder_dim`` present when any
  embedding is stored;
- references (``PRAGMA foreign_key_check``, whatever ``foreign_keys`` was set to when the rows
  were written): chunks of missing documents, facts with missing subject or object entities,
  mentions and fact_sources pointing at missing chunks, entities or facts, synonym edges of
  missing entities, fact_conflicts naming missing facts or passages;
- what a correct write and :meth:`SQLiteStore.delete_document` leave behind: every document
  has a passage, every fact a source, every entity a mention or a fact (the rule a delete
  applies; a synonym edge alone keeps no entity), synonym edges stored once with ``a < b``,
  every judged conflict read from a passage that states its newer fact, and
  every embedding exactly ``4 × embedder_dim`` bytes of float32.

A WAL-mode reader may create the empty ``-wal``/``-shm`` side files next to the store (SQLite
needs them to read safely beside writers); it never writes the database file. In a read-only
directory, where no writer can exist either, the file is read as immutable instead (unless a
``-wal`` file is there, which SQLite cannot read without a writable ``-shm``: a one-line error
then says to check a copy).
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from graphmem.errors import StoreError
from graphmem.store.sqlite_file import check_file, connect_readonly, identify

log = logging.getLogger(__name__)

TABLES = (
    "documents", "chunks", "entities", "facts", "fact_sources", "mentions", "synonyms",
    "fact_conflicts",
)
EMBEDDED = ("chunks", "entities", "facts")
FLOAT32_BYTES = 4

# Rows a correct store never holds: (table, condition on its rows, what is wrong with them).
_UNSUPPORTED = (
    ("documents", "NOT EXISTS (SELECT 1 FROM chunks k WHERE k.doc = t.id)",
     ("has no chunks", "have no chunks"), "every document has at least one passage"),
    ("facts", "NOT EXISTS (SELECT 1 FROM fact_sources s WHERE s.fact_id = t.id)",
     ("has no fact_sources row", "have no fact_sources row"),
     "no passage supports it"),
    ("entities",
     ("NOT EXISTS (SELECT 1 FROM mentions m WHERE m.entity_id = t.id) "
     "AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.subject_id = t.id OR f.object_id = t.id)"),
     ("has no mention and is in no fact", "have no mention and are in no fact"),
     "a delete removes such entities"),
    ("synonyms", "t.a >= t.b", ("has a >= b", "have a >= b"),
     "an edge is stored once, smaller id first"),
    ("fact_conflicts",
     "NOT EXISTS (SELECT 1 FROM fact_sources s WHERE s.fact_id = t.newer AND s.chunk_id = t.chunk_id)",
     ("names a newer fact its passage does not state",
      "name a newer fact their passage does not state"),
     "a conflict is judged from a passage that states the newer fact"),
)


@dataclass(frozen=True)
class CheckReport:
    """The outcome of :func:`check_store`: ``ok`` when ``problems`` is empty; each problem is
    one line naming the table and what is wrong, with counts; ``counts`` holds the rows checked
    per table (a table that cannot be read is left out and named in ``problems``)."""

    path: Path
    ok: bool
    problems: tuple[str, ...]
    counts: Mapping[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"store": str(self.path), "ok": self.ok, "problems": list(self.problems),
                "counts": dict(self.counts)}


def _rows(n: int, total: int, wording: tuple[str, str]) -> str:
    """``"1 of 4 rows has ..."`` / ``"2 of 4 rows have ..."``."""
    return f"{n} of {total} rows {wording[0] if n == 1 else wording[1]}"


def _graphmem_meta(conn: sqlite3.Connection, path: Path) -> dict[str, str]:
    """``meta`` as a dict; :class:`StoreError` when the file is not (this version's) store."""
    state = identify(conn, path)
    if state == "new":
        raise StoreError(f"{path} is an empty database, not a graphmem store")
    if state == "v1":
        raise StoreError(
            f"{path} has schema version 1: open it once with graphmem where it can be written "
            "(any command that writes, or Memory(...)) to upgrade it, then check it"
        )
    return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta")}


_PAGE_RE = re.compile(r"\b(Tree|[Pp]age) (\d+)")


def _page_owners(conn: sqlite3.Connection) -> dict[int, str]:
    """Which table or index each page belongs to: every page from the ``dbstat`` table where
    SQLite has it and can still walk the b-trees, else only each b-tree's root page."""
    owners = {int(r): str(n) for n, r in conn.execute(
        "SELECT name, rootpage FROM sqlite_master WHERE rootpage > 0")}
    try:
        owners.update((int(p), str(n)) for n, p in conn.execute("SELECT name, pageno FROM dbstat"))
    except sqlite3.DatabaseError as exc:
        log.debug("dbstat unavailable (%s); naming root pages only", exc)
    return owners


def _named_pages(line: str, owners: dict[int, str]) -> str:
    """``"Page 19: free space corruption"`` -> ``"Page 19 (synonyms): ..."``, each page once."""
    seen: set[int] = set()

    def name(m: re.Match[str]) -> str:
        number = int(m.group(2))
        if number in seen or number not in owners:
            return m.group(0)
        seen.add(number)
        return f"{m.group(0)} ({owners[number]})"

    return _PAGE_RE.sub(name, line)


def _integrity_lines(conn: sqlite3.Connection, pragma: str) -> list[str]:
    lines = []
    for (message,) in conn.execute(pragma):
        for line in str(message).splitlines():
            line = line.strip()
            if line not in ("ok", "") and not line.startswith("*** in database"):
                lines.append(line)
    if not lines:
        return []
    owners = _page_owners(conn)
    return [f"integrity_check: {_named_pages(line, owners)}" for line in lines]


def _integrity(conn: sqlite3.Connection) -> list[str]:
    """``PRAGMA integrity_check`` messages, pages named by their table or index.

    SQLite aborts the whole check with "database disk image is malformed" when a table's rows
    cannot be read (it scans them to compare with the indexes); the check is then rerun table by
    table, so the message says which tables are damaged."""
    try:
        return _integrity_lines(conn, "PRAGMA integrity_check")
    except sqlite3.DatabaseError as whole:
        log.debug("integrity_check stopped (%s); checking table by table", whole)
    tables = [str(r[0]) for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rootpage")]
    out = []
    for table in tables:
        try:
            out += _integrity_lines(conn, f'PRAGMA integrity_check("{table}")')
        except sqlite3.DatabaseError as exc:
            out.append(f"integrity_check: {table}: {exc}")
    return out


def _meta_problems(meta: dict[str, str], embedded_rows: int) -> list[str]:
    out = []
    generation = meta.get("generation")
    if generation is None:
        out.append("meta: no generation row")
    elif not generation.lstrip("-").isdigit():
        out.append(f"meta: generation is {generation!r}, not an integer")
    dim = meta.get("embedder_dim")
    if dim is None and embedded_rows:
        out.append(f"meta: no embedder_dim row, so the embedding sizes of {embedded_rows} rows "
                   "cannot be checked")
    elif dim is not None and not (dim.isdigit() and int(dim) > 0):
        out.append(f"meta: embedder_dim is {dim!r}, not a positive integer")
    return out


def _references(conn: sqlite3.Connection, counts: Mapping[str, int]) -> list[str]:
    """Rows whose declared reference points at a missing row, counted per column."""
    found: dict[tuple[str, int, str], int] = {}
    for table, _rowid, parent, fkid in conn.execute("PRAGMA foreign_key_check"):
        key = (str(table), int(fkid), str(parent))
        found[key] = found.get(key, 0) + 1
    out = []
    named = []
    for (table, fkid, parent), n in found.items():
        columns = {int(r[0]): str(r[3]) for r in conn.execute(f"PRAGMA foreign_key_list({table})")}
        named.append((table, columns.get(fkid, "?"), parent, n))
    order = {t: i for i, t in enumerate(TABLES)}
    for table, column, parent, n in sorted(named, key=lambda r: (order.get(r[0], 99), r[:2])):
        wording = (f"points at a missing {parent} row", f"point at a missing {parent} row")
        out.append(f"{table}: {_rows(n, counts.get(table, n), wording)} ({table}.{column})")
    return out


def _embeddings(conn: sqlite3.Connection, table: str, dim: int, total: int) -> list[str]:
    expected = FLOAT32_BYTES * dim
    sizes = conn.execute(
        f"SELECT length(embedding), count(*) FROM {table} "
        "WHERE typeof(embedding) != 'blob' OR length(embedding) != ? GROUP BY 1 ORDER BY 1",
        (expected,),
    ).fetchall()
    if not sizes:
        return []
    bad = sum(n for _, n in sizes)
    found = ", ".join(f"{size} bytes in {n} row{'s' if n != 1 else ''}" for size, n in sizes)
    wording = ("has an embedding of the wrong size", "have embeddings of the wrong size")
    return [(f"{table}: {_rows(bad, total, wording)} (expected {expected} bytes = "
            f"{FLOAT32_BYTES} × embedder_dim {dim}; found {found})")]


def _consistency(conn: sqlite3.Connection, meta: dict[str, str],
                 counts: dict[str, int]) -> list[str]:
    out = _meta_problems(meta, sum(counts.get(t, 0) for t in EMBEDDED))
    out += _references(conn, counts)
    for table, condition, wording, why in _UNSUPPORTED:
        n = conn.execute(f"SELECT count(*) FROM {table} t WHERE {condition}").fetchone()[0]
        if n:
            out.append(f"{table}: {_rows(n, counts[table], wording)} ({why})")
    dim = meta.get("embedder_dim", "")
    if dim.isdigit() and int(dim) > 0:
        for table in EMBEDDED:
            out += _embeddings(conn, table, int(dim), counts[table])
    return out


def check_store(path: str | Path) -> CheckReport:
    """Check the graphmem store file at ``path`` (``<memory dir>/graphmem.sqlite``) without
    writing to it. Returns a :class:`CheckReport`; raises :class:`StoreError` (one line naming
    the file) when the file is missing, a directory, unreadable, not SQLite or not a graphmem
    store."""
    path = Path(path)
    check_file(path, new_ok=False)
    try:
        conn = connect_readonly(path)
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"{path} cannot be opened as SQLite: {exc}") from exc
    try:
        conn.execute("BEGIN")  # one snapshot for every check below
        try:
            meta = _graphmem_meta(conn, path)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path} cannot be read as a graphmem store: {exc}") from exc
        problems: list[str] = []
        try:
            problems += _integrity(conn)
        except sqlite3.DatabaseError as exc:
            problems.append(f"integrity_check: could not run: {exc}")
        present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        missing = [t for t in TABLES if t not in present]
        if missing:
            problems.append(f"schema: missing tables: {', '.join(missing)}")
        counts: dict[str, int] = {}
        for table in TABLES:
            if table in present:
                try:
                    # NOT INDEXED: count the table's own b-tree, not an index that may be intact
                    counts[table] = conn.execute(
                        f"SELECT count(*) FROM {table} NOT INDEXED").fetchone()[0]
                except sqlite3.DatabaseError as exc:
                    problems.append(f"{table}: cannot be read: {exc}")
        if len(counts) == len(TABLES):
            try:
                problems += _consistency(conn, meta, counts)
            except sqlite3.DatabaseError as exc:
                problems.append(f"consistency checks could not run: {exc}")
        else:
            problems.append("consistency checks skipped: not every table could be read")
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    log.info("checked %s: %d problems", path, len(problems))
    return CheckReport(path, not problems, tuple(problems), counts)
