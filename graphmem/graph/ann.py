"""Approximate nearest-neighbour search over a table of unit-norm rows (the ``ann`` extra).

Linking a query scans every fact vector (int8 codes, then exact rescoring of the best:
:func:`graphmem.retrieve.linking.link_facts_quantized`), which is linear in the facts held. Above
``RetrieveConfig.ann_min_rows`` rows the query path asks an HNSW graph (usearch) for candidate
rows instead and rescores them exactly in float32, so the scores it returns are exact cosines and
only recall is approximate (``benchmarks/bench_ann.py`` measures it against the exact scan).

Facts (:func:`graphmem.retrieve.linking.link_facts_ann`) and the entities fuzzy linking
reaches (:func:`graphmem.retrieve.linking.link_mentions_ann`) go through it. Passages do not:
every query needs every passage's dense score (the reset vector's passage prior and the score
fusion are min-max normalised over all passages, and the walk visits every node anyway), so a
nearest-neighbour search would remove no linear step there.

Why usearch (over hnswlib and faiss-cpu): binary wheels for every platform and Python the
project supports (hnswlib 0.8 ships an sdist that needs a compiler; its last release is from
2023), monthly releases, a small dependency (faiss-cpu is large and brings OpenMP threads, and
spinning BLAS/OpenMP threads already tripled query p95 here once: see
:mod:`graphmem.retrieve._scoring`), inserts into a built graph without a rebuild or a manual
resize, float16/int8 storage of its own copy of the rows, and a per-call thread count, so a query
runs on the caller's thread. Single-threaded inserts in the same order build the same graph
(its level generator has a fixed seed), so results are reproducible; :data:`ADD_THREADS`.

Ids, not positions, key the graph: a table's store ids only grow and are never reused, so rows
added by a refresh are appended to the graph, and rows deleted since are masked at search time
(an id no longer in the table is dropped from the candidates) until they are
:data:`REBUILD_DELETED` of the graph, when it is built again, beside the old one, which serves
until the new one replaces it. usearch is not safe for concurrent use of one index (unum-cloud/
USearch#441), so each :class:`HnswIndex` serialises its own calls with a lock; a
:class:`graphmem.Memory` also never refreshes an index while a query reads it (one lock), and
the server's reader memories each hold their own index.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from graphmem.errors import MissingDependencyError

__all__ = [
    "EXTRA",
    "ExactIndex",
    "HnswIndex",
    "TableAnn",
    "require_usearch",
]

#: The optional extra that installs the ANN library.
EXTRA = "ann"
#: HNSW links per node ("M"); usearch's default. 16 gave recall@10 >= 0.99 on the benchmark.
CONNECTIVITY = 16
#: Candidates examined per insert ("efConstruction"); usearch's default.
EXPANSION_ADD = 128
#: Candidates examined per search ("ef"); a search for more rows examines that many. usearch's
#: default 64 (and 128) lost recall on tight clusters of high intrinsic dimension: 0.95 of the
#: exact top-10 on the test set of tests/graph/test_ann.py at 128, 0.99 at 256, 0.997 at 384.
EXPANSION_SEARCH = 384
#: How the graph stores its own copy of the rows: float16 halves the bytes of float32 and keeps
#: cosines within ~1e-3, far closer than int8's fixed-scale codes at MiniLM's small components.
#: Candidates are rescored from the table's float32 rows anyway.
STORAGE = "f16"
#: Threads per insert batch: 1 keeps the graph reproducible and leaves the other cores to queries.
ADD_THREADS = 1
#: Rebuild once this fraction of the graph's rows has been deleted from the table.
REBUILD_DELETED = 0.25
#: Candidates a search asks for: at least this many, else ``4 * k``; filtered rows may need more.
MIN_FETCH = 64
#: Candidates fetched, and examined, by the search for the facts farthest from a query, whose
#: lowest exact score normalises fact scores. A far row is enough, not the farthest: on the
#: test set its cosine was on average 0.0009 above the true minimum (0.011 with 16 and 32),
#: which moved normalised top-5 scores by at most 0.002, at a third of the main search's cost.
FAR_FETCH, FAR_EXPANSION = 32, 128
#: The most candidates one search asks for before giving up (the caller then scans exactly).
MAX_FETCH = 16_384


def require_usearch() -> Any:
    """usearch's ``Index`` class, or MissingDependencyError naming the extra."""
    try:
        from usearch.index import Index
    except ImportError as exc:
        raise MissingDependencyError(
            f"approximate nearest-neighbour search needs usearch ({exc.name or 'usearch'} is "
            f"missing): pip install 'graphmem[{EXTRA}]', or raise RetrieveConfig.ann_min_rows "
            "above the memory's row counts to keep the exact scan"
        ) from exc
    return Index


class HnswIndex:
    """An HNSW graph (usearch, inner product) over unit-norm float32 rows keyed by int64 ids.
    :meth:`search` returns ids nearest first by the graph's own (float16) scores: callers
    rescore them exactly."""

    def __init__(
        self,
        dim: int,
        *,
        storage: str = STORAGE,
        connectivity: int = CONNECTIVITY,
        expansion_add: int = EXPANSION_ADD,
        expansion_search: int = EXPANSION_SEARCH,
        threads: int = ADD_THREADS,
    ):
        index_class = require_usearch()
        self.dim = dim
        self.threads = threads
        self.expansion_search = expansion_search
        self._lock = threading.Lock()
        self._index = index_class(
            ndim=dim,
            metric="ip",
            dtype=storage,
            connectivity=connectivity,
            expansion_add=expansion_add,
            expansion_search=expansion_search,
        )

    @classmethod
    def restore(cls, path: Path, dim: int, expansion_search: int = EXPANSION_SEARCH,
                threads: int = ADD_THREADS) -> HnswIndex:
        """The graph saved at ``path`` by :meth:`save` (ValueError if it is not one of
        ``dim``-dimensional rows; usearch raises RuntimeError on a damaged file)."""
        restored = require_usearch().restore(str(path))
        if restored is None or restored.ndim != dim:
            raise ValueError(f"{path.name} is not a graph of {dim}-dimensional rows")
        self = cls(dim, expansion_search=expansion_search, threads=threads)
        restored.expansion_search = expansion_search
        self._index = restored  # in place of the empty graph __init__ made
        return self

    def save(self, path: Path) -> int:
        """Write the graph (with its copy of the rows) to ``path``; returns the rows written."""
        with self._lock:
            self._index.save(str(path))
            return len(self._index)

    def contains(self, ids: np.ndarray) -> np.ndarray:
        """Per id, whether the graph holds it."""
        with self._lock:
            return np.asarray(self._index.contains(np.asarray(ids, dtype=np.uint64)), dtype=bool)

    def vectors_of(self, ids: np.ndarray) -> np.ndarray:
        """The graph's own (float16) copy of rows ``ids`` (all held), as float32."""
        with self._lock:
            got = self._index.get(np.asarray(ids, dtype=np.uint64), dtype=np.float32)
        return np.vstack(got).reshape(len(ids), self.dim)

    def __len__(self) -> int:
        return len(self._index)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Insert rows (ids not held yet)."""
        if len(ids) == 0:
            return
        keys = np.ascontiguousarray(ids, dtype=np.uint64)
        rows = np.ascontiguousarray(vectors, dtype=np.float32)
        with self._lock:
            self._index.add(keys, rows, threads=self.threads)

    def search(self, query: np.ndarray, count: int, expansion: int | None = None) -> np.ndarray:
        """Ids of (about) the ``count`` rows of largest inner product with ``query``, examining
        ``expansion`` candidates (default :data:`EXPANSION_SEARCH`; at least ``count``)."""
        if count <= 0 or len(self._index) == 0:
            return np.zeros(0, dtype=np.int64)
        q = np.ascontiguousarray(query, dtype=np.float32)
        with self._lock:
            # usearch examines ``expansion_search`` candidates whatever ``count`` is: widen it
            # for a larger fetch, or the extra rows would be the graph's worst guesses
            ef = max(self.expansion_search if expansion is None else expansion, count)
            if self._index.expansion_search != ef:
                self._index.expansion_search = ef
            found = self._index.search(q, count, threads=1)
        return np.asarray(found.keys, dtype=np.int64)

    @property
    def memory_bytes(self) -> int:
        """Bytes the graph and its copy of the rows take."""
        return int(self._index.memory_usage)


class ExactIndex:
    """The exact reference with :class:`HnswIndex`'s interface: a float32 scan of every row."""

    def __init__(self, dim: int, **_: Any):
        self.dim = dim
        self.ids = np.zeros(0, dtype=np.int64)
        self.vectors = np.zeros((0, dim), dtype=np.float32)

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self.ids = np.concatenate([self.ids, np.asarray(ids, dtype=np.int64)])
        self.vectors = np.concatenate([self.vectors, np.asarray(vectors, dtype=np.float32)])

    def search(self, query: np.ndarray, count: int, expansion: int | None = None) -> np.ndarray:
        """Ids of the ``count`` rows of largest inner product, ties to the lower id."""
        if count <= 0 or len(self.ids) == 0:
            return np.zeros(0, dtype=np.int64)
        scores = self.vectors @ np.asarray(query, dtype=np.float32)
        order = np.lexsort((self.ids, -scores))[:count]
        return self.ids[order]

    @property
    def memory_bytes(self) -> int:
        return int(self.ids.nbytes + self.vectors.nbytes)


class TableAnn:
    """An ANN index kept in step with one table of the graph index (rows sorted by store id,
    ids never reused): :meth:`sync` appends new rows and rebuilds once many were deleted;
    :meth:`candidates` maps found ids back to the table's current row positions."""

    def __init__(self, dim: int, factory: type = HnswIndex, **options: Any):
        self.dim = dim
        self._factory = factory
        self._options = options
        self.index: HnswIndex | ExactIndex = factory(dim, **options)
        self.last_id = -1  # the largest id in the graph
        self.n_added = 0  # rows in the graph, deleted ones included
        self.builds = 0  # times the graph was built from scratch (the first build included)
        self.deleted = 0  # rows in the graph the table no longer holds, as of the last sync
        self.saved_rows = 0  # rows in the graph when it was last saved or restored (ann_files)

    @classmethod
    def restored(cls, index: HnswIndex, last_id: int) -> TableAnn:
        """A table's graph restored from disk (:mod:`graphmem.graph.ann_files`): it holds
        every table row up to ``last_id``; :meth:`sync` appends the rest."""
        self = cls(index.dim)
        self.index, self.last_id = index, last_id
        self.n_added = self.saved_rows = len(index)
        return self

    def sync(self, ids: np.ndarray, vectors: np.ndarray) -> str:
        """Bring the graph up to the table (``ids`` ascending, ``vectors`` their rows). Returns
        what was done: "unchanged", "added" (new rows appended), or "built" (from scratch: the
        first time, or after deletions reached :data:`REBUILD_DELETED` of the graph)."""
        if self.n_added == 0 and len(ids) == 0 and self.builds:
            return "unchanged"
        held = int(np.searchsorted(ids, self.last_id, side="right"))  # rows already in the graph
        deleted = self.n_added - held
        if self.n_added == 0 or deleted > REBUILD_DELETED * self.n_added:
            fresh = self._factory(self.dim, **self._options)  # beside the old one, then swapped
            fresh.add(ids, vectors)
            self.index, self.n_added, self.builds = fresh, len(ids), self.builds + 1
            self.last_id = int(ids[-1]) if len(ids) else -1
            self.deleted = 0
            return "built"
        self.deleted = deleted
        if held == len(ids):
            return "unchanged"
        self.index.add(ids[held:], vectors[held:])
        self.n_added += len(ids) - held
        self.last_id = int(ids[-1])
        return "added"

    def candidates(
        self,
        ids: np.ndarray,
        query: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        fetch: int | None = None,
        expansion: int | None = None,
    ) -> np.ndarray | None:
        """Row positions in the table (``ids``, as synced) of the rows nearest ``query``: at
        least ``k`` of them that are still held and ``allowed`` (bool per row; None: all), in
        the graph's order. Asks for ``fetch`` (default ``max(4k, MIN_FETCH)``) ids, four times
        more while too few survive the filter; None when even :data:`MAX_FETCH` (or the whole
        graph) leaves fewer than ``k``, so the caller scans exactly instead. ``expansion`` as in
        :meth:`HnswIndex.search`."""
        n = len(ids)
        if k <= 0 or n == 0:
            return np.zeros(0, dtype=np.int64)
        count = fetch if fetch is not None else max(4 * k, MIN_FETCH)
        size = len(self.index)
        while True:
            found = self.index.search(query, min(count, size), expansion)
            pos = np.searchsorted(ids, found)
            inside = pos < n
            pos, found = pos[inside], found[inside]
            pos = pos[ids[pos] == found]  # deleted ids are no longer in the table
            if allowed is not None:
                pos = pos[allowed[pos]]
            if len(pos) >= k:
                return pos
            if count >= size or count >= MAX_FETCH:
                return None
            count *= 4
