"""ANN graphs kept on disk in the memory directory, so a process loads them instead of building.

Building the HNSW graph of a table (:mod:`graphmem.graph.ann`) costs about a third of a
millisecond per row: 438 s before the first answer of a fresh process over 585k facts
(``benchmarks/results/scale_300k.json``), and 243 s before a fresh handle's first write (the
entity graph its synonym step asks). The graph depends only on the rows (ids never reused, a
row's vector never rewritten), so once built it is saved, and the next process restores it and
appends only the rows added since.

Layout, per namespace and table, in ``<memory>/ann/``: ``<stem>.json`` names the graph file
(``<stem>-<token>.usearch``) and records what it holds: the largest id, the row count, the
embedder, the HNSW parameters, the namespace's generation and a CRC-32 of the file. A save writes a new graph file, then
replaces the JSON atomically, so a reader sees the old pair or the new one, never a mix;
concurrent savers (the server's reader memories) each write their own file and the last
replace wins. A restored graph is used only after checks against the table it will serve:
same parameters and embedder, a store generation no older than the save's (a store put back
from an older copy would hand out again ids the graph holds), the file's size and checksum, every
table id up to the recorded
largest one present in it, and a sample of its vectors within :data:`MIN_COSINE` of the rows.
Anything else (a missing, truncated or foreign file) logs why and builds afresh, as without
the files; a failed save (read-only directory) only logs. The files are a cache: deleting the
directory loses nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.graph import ann

log = logging.getLogger(__name__)

__all__ = ["ANN_DIR", "AnnFiles"]

#: The sub-directory of a memory directory that holds the graphs.
ANN_DIR = "ann"
FORMAT = 1
#: Save again once the graph has grown by this fraction since it was saved or restored: a
#: restore then appends at most a tenth of the rows (appending costs what building them does).
SAVE_GROWTH = 0.1
#: Rows whose stored vector is compared with the table's on restore.
SAMPLE = 64
#: Lowest cosine between a sampled graph vector (float16) and its float32 row: float16
#: rounding keeps MiniLM rows above 0.9999; a graph of other rows falls far below.
MIN_COSINE = 0.999
#: Graph files no JSON names and older than this are removed on save (a saver that lost the
#: race to replace the JSON leaves one behind; a younger one may be about to be named).
ORPHAN_AGE_S = 3600.0


def _params() -> dict[str, Any]:
    return {
        "storage": ann.STORAGE,
        "connectivity": ann.CONNECTIVITY,
        "expansion_add": ann.EXPANSION_ADD,
    }


def _crc(path: Path) -> int:
    crc = 0
    with path.open("rb") as f:
        while block := f.read(1 << 24):
            crc = zlib.crc32(block, crc)
    return crc


class AnnFiles:
    """The saved graphs of one namespace of one memory directory (``directory`` is its
    ``ann/``), for vectors of ``embedder`` (its name as the store records it). ``writable``
    False (a store opened read-only) restores graphs but never saves one."""

    def __init__(self, directory: Path, namespace: str, embedder: str, *, writable: bool = True):
        self.directory = directory
        self.namespace = namespace
        self.embedder = embedder
        self.writable = writable
        self._failed_save = False

    def _stem(self, table: str) -> str:
        digest = hashlib.sha256(json.dumps([self.namespace, self.embedder]).encode()).hexdigest()
        return f"{table}-{digest[:16]}"

    def _header(self, table: str, dim: int) -> dict[str, Any]:
        return {"format": FORMAT, "namespace": self.namespace, "table": table,
                "embedder": self.embedder, "dim": dim, **_params()}

    def load(
        self, table: str, ids: np.ndarray, vectors: np.ndarray, generation: int
    ) -> ann.TableAnn | None:
        """The saved graph of ``table`` when it passes the checks against the table's current
        rows (``ids`` ascending, ``vectors`` theirs) at the namespace's ``generation``; None
        (and why, logged) otherwise."""
        meta_path = self.directory / f"{self._stem(table)}.json"
        if not meta_path.exists():
            return None
        try:
            meta = json.loads(meta_path.read_text())
            graph = self.directory / str(meta["file"])
            why = self._mismatch(meta, table, int(vectors.shape[1]), graph)
            if why is None and int(meta["generation"]) > generation:
                # a store put back from an older copy: its next rows would reuse ids the
                # graph holds with other vectors
                why = f"it was saved at generation {meta['generation']}, the store is at {generation}"
            if why is None:
                t0 = time.perf_counter()
                index = ann.HnswIndex.restore(graph, int(vectors.shape[1]))
                why = _content_mismatch(index, meta, ids, vectors)
        except (OSError, ValueError, RuntimeError, KeyError, TypeError) as exc:
            why = f"unreadable ({exc})"
        if why is not None:
            log.warning("saved %s ANN graph in %s not used (%s): building it", table,
                        self.directory, why)
            return None
        restored = ann.TableAnn.restored(index, last_id=int(meta["last_id"]))
        log.info("%s ANN graph restored from %s: %d rows in %.1f s", table, graph.name,
                 len(index), time.perf_counter() - t0)
        return restored

    def _mismatch(self, meta: dict[str, Any], table: str, dim: int, graph: Path) -> str | None:
        expected = self._header(table, dim)
        for key, value in expected.items():
            if meta.get(key) != value:
                return f"{key} is {meta.get(key)!r}, not {value!r}"
        if not graph.is_file():
            return f"{graph.name} is missing"
        if graph.stat().st_size != meta.get("bytes"):
            return f"{graph.name} has {graph.stat().st_size} bytes, not {meta.get('bytes')}"
        if _crc(graph) != meta.get("crc32"):
            return f"{graph.name} fails its checksum"
        return None

    def save(self, table: str, graph: ann.TableAnn, generation: int) -> bool:
        """Write ``graph`` (an HNSW one, synced to the namespace at ``generation``) as the
        namespace's saved ``table`` graph. Returns whether it was written; a failure is logged
        (once per handle), not raised."""
        if not self.writable or not isinstance(graph.index, ann.HnswIndex):
            return False
        stem = self._stem(table)
        path = self.directory / f"{stem}-{uuid.uuid4().hex[:12]}.usearch"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            t0 = time.perf_counter()
            rows = graph.index.save(path)
            meta = {**self._header(table, graph.dim), "file": path.name, "rows": rows,
                    "last_id": graph.last_id, "generation": generation,
                    "bytes": path.stat().st_size,
                    "crc32": _crc(path), "saved_at": time.time()}
            tmp = self.directory / f".{stem}-{uuid.uuid4().hex[:12]}.json"
            tmp.write_text(json.dumps(meta))
            named = self.directory / f"{stem}.json"
            previous = _named_file(named)
            os.replace(tmp, named)
        except OSError as exc:
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
            if not self._failed_save:
                self._failed_save = True
                log.warning("could not save the %s ANN graph in %s: %s", table,
                            self.directory, exc)
            return False
        graph.saved_rows = rows
        self._remove_old(stem, keep=path.name, previous=previous)
        log.info("%s ANN graph saved to %s: %d rows in %.1f s", table, path.name, rows,
                 time.perf_counter() - t0)
        return True

    def _remove_old(self, stem: str, keep: str, previous: str | None) -> None:
        """Remove the graph file the JSON named before, and strangers older than
        :data:`ORPHAN_AGE_S` (a younger one may belong to a save about to replace the JSON)."""
        now = time.time()
        for path in self.directory.glob(f"{stem}-*.usearch"):
            try:
                if path.name != keep and (
                    path.name == previous or now - path.stat().st_mtime > ORPHAN_AGE_S
                ):
                    path.unlink()
            except OSError:
                pass

    def remove(self) -> None:
        """Delete the namespace's saved graphs (after the namespace was deleted)."""
        for table in ("facts", "entities"):
            stem = self._stem(table)
            for path in [*self.directory.glob(f"{stem}-*.usearch"),
                         self.directory / f"{stem}.json"]:
                path.unlink(missing_ok=True)


def _named_file(meta_path: Path) -> str | None:
    try:
        return str(json.loads(meta_path.read_text())["file"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _content_mismatch(
    index: ann.HnswIndex, meta: dict[str, Any], ids: np.ndarray, vectors: np.ndarray
) -> str | None:
    """Why the restored graph cannot serve the table, or None: it must hold every table row up
    to the largest id it records (later rows are appended; missing ones would never be found),
    with those rows' vectors."""
    if len(index) != meta.get("rows"):
        return f"it holds {len(index)} rows, not {meta.get('rows')}"
    held = ids[: int(np.searchsorted(ids, int(meta["last_id"]), side="right"))]
    missing = int(np.sum(~index.contains(held))) if len(held) else 0
    if missing:
        return f"{missing} of the table's rows are not in it"
    if len(held):
        sample = np.unique(np.linspace(0, len(held) - 1, min(SAMPLE, len(held))).astype(np.int64))
        stored = index.vectors_of(held[sample])
        rows = vectors[sample]
        cos = np.sum(stored * rows, axis=1) / np.maximum(
            np.linalg.norm(stored, axis=1) * np.linalg.norm(rows, axis=1), 1e-12)
        if float(cos.min()) < MIN_COSINE:
            return f"its vectors differ from the table's (cosine {float(cos.min()):.4f})"
    return None
