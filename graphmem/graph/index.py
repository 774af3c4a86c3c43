"""The in-memory retrieval index: embedding matrices and the PPR graph, loaded from a store once
and refreshed incrementally when the store's generation counter moves.

Node layout of the graph: entity nodes first (``0 .. n_entities-1``), then passage nodes.
Edge weights (undirected): fact edges subject–object weighted by the number of passages that
support the fact (summed over predicates), mention edges passage–entity weight 1, synonym edges
weighted by cosine.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import numpy as np
import scipy.sparse as sp

from graphmem.config import GraphConfig, TemporalConfig
from graphmem.errors import MissingDependencyError
from graphmem.graph.ann import TableAnn
from graphmem.graph.ann_files import SAVE_GROWTH, AnnFiles
from graphmem.graph.deferral import Deferral
from graphmem.graph.lexical import DIALOGUE_KEY, LexicalIndex, passage_texts
from graphmem.graph.quantize import TableCodes
from graphmem.graph.synonyms import synonym_eligible
from graphmem.graph.tables import Table, append_edges
from graphmem.graph.transition import Transition, build_transition
from graphmem.store.base import Store
from graphmem.temporal import (
    FactGroups,
    Validity,
    merge_groups,
    outdated_passages,
    seeding_facts,
    validity,
)

log = logging.getLogger(__name__)

# Entity kinds from NER that query linking may match by name; plain noun phrases ("NP") are
# reached through facts instead, because common words would otherwise seed the walk.
NOUN_PHRASE = "NP"
class GraphIndex:
    """Matrices and graph for retrieval. Not thread-safe for concurrent refresh; the facade locks."""

    _warned_ann = False  # the missing ANN extra is logged once per process

    def __init__(
        self,
        dim: int,
        config: GraphConfig | None = None,
        temporal: TemporalConfig | None = None,
        ann_files: AnnFiles | None = None,
    ):
        self.dim = dim
        self.ann_files = ann_files  # where ANN graphs are saved and restored (None: neither)
        self.config = config if config is not None else GraphConfig()
        self.temporal = temporal if temporal is not None else TemporalConfig()
        self.generation = -1
        self.entities = Table.empty(dim)
        self.entity_names: list[str] = []
        self.entity_labels: list[str] = []
        self.entity_kinds: list[str] = []
        self.chunks = Table.empty(dim)
        self.chunk_times = np.zeros(0)  # per passage: stated time, else when stored (Unix s)
        self.chunk_stated = np.zeros(0, dtype=bool)
        self.chunk_metadata: list[Mapping[str, Any]] = []  # per passage: its document's
        self.chunk_dialogue = np.zeros(0, dtype=bool)  # per passage: a conversation turn
        self.facts = Table.empty(dim)
        self.fact_subject_ids = np.zeros(0, dtype=np.int64)
        self.fact_object_ids = np.zeros(0, dtype=np.int64)
        self.fact_predicates: list[str] = []
        self._fact_codes = TableCodes(dim)  # int8 codes of the fact vectors: the linking scan's
        self.named: dict[str, int] = {}
        self.synonym_rows = np.zeros(0, dtype=np.int64)
        self.timings: dict[str, float] = {}  # seconds per stage of the last refresh
        self.last_refresh = ""  # how: "appended" (new rows only) or "full" (after a deletion)
        self._clock = 0.0
        self.edges = append_edges(None, None)  # as loaded: store ids, in load_edges order
        self._groups = FactGroups(self.temporal)
        self._positions: dict[str, np.ndarray] = {}  # see _at
        self.lexical: LexicalIndex | None = None  # BM25 over passages, once a query needs it
        self._ann: dict[str, TableAnn] = {}  # ANN over a table's vectors, once a query needs it
        self._passage_codes: TableCodes | None = None  # see passage_codes
        self._build_graph_empty()

    def enable_lexical(self, store: Store) -> LexicalIndex:
        """The BM25 index of the passages (:mod:`graphmem.graph.lexical`), read from ``store``
        on first use (a passage's text with its document title); later refreshes keep it up to
        date with the rows they add or drop."""
        if self.lexical is None:
            lexical = LexicalIndex()
            lexical.append(passage_texts(store, self.chunks.ids))
            self.lexical = lexical
        return self.lexical

    def ann(self, table: str, min_rows: int) -> TableAnn | None:
        """The approximate nearest-neighbour index (:mod:`graphmem.graph.ann`) over the vectors
        of ``table`` ("facts" or "entities") when it holds at least ``min_rows`` rows (None
        below: the caller scans exactly). Built on first use; later refreshes add the rows they
        load and mask the ones they drop, rebuilding it after many deletions, so it always
        matches the table. With ``ann_files``, a saved graph is restored instead of built
        (:mod:`graphmem.graph.ann_files`), and a built or much grown one saved. Without the
        ``ann`` extra installed, None too, with a warning once: a large memory stays as exact
        (and as slow) as before rather than failing."""
        rows: Table = getattr(self, table)
        if len(rows.ids) < min_rows:
            return None
        ann = self._ann.get(table)
        if ann is None:
            try:
                files = self.ann_files
                ann = files.load(table, rows.ids, rows.vectors, self.generation) if files else None
                ann = ann if ann is not None else TableAnn(self.dim)
            except MissingDependencyError as exc:
                if not GraphIndex._warned_ann:
                    GraphIndex._warned_ann = True
                    log.warning("%d %s: scanning them exactly, as %s", len(rows.ids), table, exc)
                return None
            self._save_ann(table, ann, ann.sync(rows.ids, rows.vectors), self.generation)
            self._ann[table] = ann
        return ann

    def _save_ann(self, table: str, ann: TableAnn, how: str, generation: int) -> None:
        if self.ann_files is not None and (
            how == "built" or ann.n_added - ann.saved_rows >= SAVE_GROWTH * ann.saved_rows
        ):
            self.ann_files.save(table, ann, generation)

    @property
    def fact_codes(self) -> np.ndarray:
        """Int8 codes of the fact vectors (``fact_codes * fact_scales[:, None]`` ≈ vectors)."""
        return self._fact_codes.codes

    @property
    def fact_scales(self) -> np.ndarray:
        return self._fact_codes.scales

    def passage_codes(self, min_rows: int) -> TableCodes | None:
        """Int8 codes of the passage vectors when the index holds at least ``min_rows``
        passages (None below), quantised on first use and kept up to date by later refreshes:
        the dense scan reads a quarter of the bytes of the float32 rows."""
        if len(self.chunks.ids) < min_rows:
            return None
        if self._passage_codes is None:
            self._passage_codes = TableCodes(self.dim)
            self._passage_codes.sync(self.chunks.ids, self.chunks.vectors)
        return self._passage_codes

    @property
    def ann_tables(self) -> tuple[str, ...]:
        """The tables whose ANN index has been built (see :meth:`ann`)."""
        return tuple(self._ann)

    def _sync_ann(self, generation: int) -> None:
        for table, ann in self._ann.items():
            rows: Table = getattr(self, table)
            self._save_ann(table, ann, ann.sync(rows.ids, rows.vectors), generation)
        if self._ann:
            self._lap("ann")

    # ---- refresh ------------------------------------------------------------------------------

    def refresh(self, store: Store) -> bool:
        """Bring the index up to the store's generation, reading one snapshot of it (joining the
        caller's snapshot or write transaction when one is open). Returns True if anything was
        reloaded.

        When nothing was deleted from the namespace since the last refresh (``deleted_at``
        below the index's generation: every add), only rows and edges with ids above those
        already loaded are read, and the graph is rebuilt from the arrays held in memory; after
        a deletion every table's live ids and every edge are read again."""
        with store.snapshot():  # every read below sees the same commit
            generation = store.generation()
            if generation == self.generation:
                return False
            self.timings, self._clock = {}, time.perf_counter()
            appended = self.generation >= 0 and store.deleted_at() < self.generation
            after_chunk = int(self.chunks.ids[-1]) if len(self.chunks.ids) else 0
            after_entity = int(self.entities.ids[-1]) if len(self.entities.ids) else 0
            self._sync_entities(store, None if appended else store.alive_ids("entities"))
            self._sync_facts(store, None if appended else store.alive_ids("facts"))
            keep = None if appended else self.chunks.sync(store.alive_ids("chunks"))
            if keep is not None:
                self.chunk_times, self.chunk_stated = self.chunk_times[keep], self.chunk_stated[keep]
                self.chunk_metadata = [m for m, k in zip(self.chunk_metadata, keep) if k]
                self.chunk_dialogue = self.chunk_dialogue[keep]
                if self.lexical is not None:
                    self.lexical.keep(keep)
            rows = store.load_chunks(int(self.chunks.ids[-1]) if len(self.chunks.ids) else 0)
            self.chunks.append(rows.ids, rows.embeddings)
            if self.lexical is not None and len(rows.ids):
                self.lexical.append(passage_texts(store, rows.ids))
            self.chunk_times = np.concatenate([self.chunk_times, rows.times])
            self.chunk_stated = np.concatenate([self.chunk_stated, rows.stated])
            self.chunk_metadata += rows.metadata
            self.chunk_dialogue = np.concatenate(
                [self.chunk_dialogue, np.array([DIALOGUE_KEY in m for m in rows.metadata], dtype=bool)]
            )
            if appended:
                self.edges = append_edges(self.edges, store.load_edges(after_chunk, after_entity))
            else:
                self.edges = store.load_edges()
                self._groups = FactGroups(self.temporal)  # entity positions may have moved
                self._positions = {}
            self._lap("read")
            self._sync_ann(generation)
            if self._passage_codes is not None:
                self._passage_codes.sync(self.chunks.ids, self.chunks.vectors)
            self.last_refresh = "appended" if appended else "full"
            self._build_graph()
            self.generation = generation
        log.debug("index refreshed to generation %d (%s)", generation, "appended" if appended else "full")
        return True

    def _sync_entities(self, store: Store, alive: np.ndarray | None) -> None:
        """Drop entities not in ``alive`` (None: skip the check, nothing was deleted), then
        append the rows stored after the last one held."""
        keep = None if alive is None else self.entities.sync(alive)
        if keep is not None:
            idx = np.flatnonzero(keep)
            self.entity_names = [self.entity_names[i] for i in idx]
            self.entity_labels = [self.entity_labels[i] for i in idx]
            self.entity_kinds = [self.entity_kinds[i] for i in idx]
        rows = store.load_entities(int(self.entities.ids[-1]) if len(self.entities.ids) else 0)
        # Positions shift only when rows were dropped; an append-only refresh (every add) scans
        # just the new rows instead of all names.
        start = 0 if keep is not None else len(self.entity_names)
        if keep is not None:
            self.synonym_rows = np.zeros(0, dtype=np.int64)
            self.named = {}
        self.entities.append(rows.ids, rows.embeddings)
        self.entity_names += rows.names
        self.entity_labels += rows.labels
        self.entity_kinds += rows.kinds
        tail = range(start, len(self.entity_names))
        eligible = [i for i in tail if synonym_eligible(self.entity_names[i], self.entity_kinds[i])]
        self.synonym_rows = np.concatenate(
            [self.synonym_rows, np.asarray(eligible, dtype=np.int64)]
        )
        self.named.update(
            (self.entity_names[i], i) for i in tail if self.entity_kinds[i] != NOUN_PHRASE
        )

    def _sync_facts(self, store: Store, alive: np.ndarray | None) -> None:
        keep = None if alive is None else self.facts.sync(alive)
        if keep is not None:
            self.fact_subject_ids = self.fact_subject_ids[keep]
            self.fact_object_ids = self.fact_object_ids[keep]
            self.fact_predicates = [p for p, k in zip(self.fact_predicates, keep) if k]
        rows = store.load_facts(int(self.facts.ids[-1]) if len(self.facts.ids) else 0)
        self.facts.append(rows.ids, rows.embeddings)
        self._fact_codes.sync(self.facts.ids, self.facts.vectors)
        self.fact_subject_ids = np.concatenate([self.fact_subject_ids, rows.subject_ids])
        self.fact_object_ids = np.concatenate([self.fact_object_ids, rows.object_ids])
        self.fact_predicates += rows.predicates

    def _lap(self, stage: str) -> None:
        """Record the seconds since the previous lap as ``timings[stage]`` (for benchmarks)."""
        now = time.perf_counter()
        self.timings[stage] = now - self._clock
        self._clock = now

    def fact_triple(self, f: int) -> tuple[str, str, str]:
        """(subject label, predicate, object label) of fact position ``f``."""
        return (
            self.entity_labels[self.fact_subject[f]],
            self.fact_predicates[f],
            self.entity_labels[self.fact_object[f]],
        )

    # ---- graph --------------------------------------------------------------------------------

    @property
    def n_entities(self) -> int:
        return len(self.entities.ids)

    @property
    def n_chunks(self) -> int:
        return len(self.chunks.ids)

    @property
    def n_facts(self) -> int:
        return len(self.facts.ids)

    @property
    def transition(self) -> Transition:
        """The walk's matrices for the current adjacency, built on first use after a refresh,
        so a memory that only writes (the server's writer, an import) never builds them: on the
        2Wiki memory they were half of every refresh (15 of 30 ms). Its elimination cost starts
        from the last graph built, scaled by entries (:mod:`graphmem.graph.deferral`)."""
        if self._walk_graph is None:
            before, deferral = self._last_walk  # not the whole last graph: it may be large
            cost = deferral.cost_for(self.adjacency.nnz / before) if before else None
            self._walk_graph = build_transition(self.adjacency, exactly_symmetric=True,
                                                elimination_cost=cost)
            self._last_walk = (self._walk_graph.symmetric.nnz, self._walk_graph.deferral)
        return self._walk_graph

    def _build_graph_empty(self) -> None:
        self.adjacency = sp.csr_matrix((0, 0))
        self._walk_graph: Transition | None = build_transition(self.adjacency)
        self._last_walk: tuple[int, Deferral] = (0, self._walk_graph.deferral)
        self.fact_subject = np.zeros(0, dtype=np.int64)
        self.fact_object = np.zeros(0, dtype=np.int64)
        self.fact_chunks = sp.csr_matrix((0, 0), dtype=np.float32)
        self.chunk_entities = sp.csr_matrix((0, 0), dtype=np.float32)
        self.entity_passage_counts = np.zeros(0, dtype=np.int64)
        self.lonely_passage = np.zeros(0, dtype=np.int64)
        self.chunk_facts = sp.csr_matrix((0, 0), dtype=np.float32)
        self.validity = Validity.empty()
        self.valid_now = np.zeros(0, dtype=bool)
        self.outdated_now = np.zeros(0, dtype=bool)  # per passage, asked now (retrieve.scope)
        self.seeding_now = np.zeros(0, dtype=bool)  # per fact: may seed a query asked now
        self.fact_dated = np.zeros(0, dtype=bool)  # per fact: its object is a date or number
        self.fact_relation = np.zeros(0, dtype=np.int64)  # per fact: single-valued relation, or -1
        self.fact_key = np.zeros(0, dtype=np.int64)  # per fact: that relation's key entity, or -1

    def _at(self, key: str, table: Table, ids: np.ndarray) -> np.ndarray:
        """Row positions in ``table`` of ``ids``, an id array that only grew at its end since the
        last call with ``key`` (cleared when rows are dropped): only the new ids are looked up,
        as the rows they point at did not move (~26 ms of lookups per add on the 2Wiki store)."""
        done = self._positions.get(key, np.zeros(0, dtype=np.int64))
        if len(done) < len(ids):
            done = np.concatenate([done, table.positions(ids[len(done) :])])
            self._positions[key] = done
        return done

    def _build_graph(self) -> None:
        edges, lap = self.edges, self._lap
        n_e, n_c, n_f = self.n_entities, self.n_chunks, self.n_facts
        at = self._at
        self.fact_subject = at("fact_subject", self.entities, self.fact_subject_ids)
        self.fact_object = at("fact_object", self.entities, self.fact_object_ids)
        fs_fact = at("fs_fact", self.facts, edges.fact_sources[:, 0])
        fs_chunk = at("fs_chunk", self.chunks, edges.fact_sources[:, 1])
        ones = np.ones(len(fs_fact), dtype=np.float32)
        self.fact_chunks = sp.csr_matrix((ones, (fs_fact, fs_chunk)), shape=(n_f, n_c))
        self.chunk_facts = self.fact_chunks.T.tocsr()
        lap("provenance")
        done = len(self._groups.group)
        self._groups.extend(
            self.fact_predicates[done:], self.fact_subject[done:], self.fact_object[done:],
            self.entity_kinds,
        )
        group, value = self._groups.group, self._groups.value
        if self.temporal.enabled and self.temporal.llm_judge and len(edges.conflicts):
            judged = np.column_stack(
                [self.facts.positions(edges.conflicts[:, 0]), self.facts.positions(edges.conflicts[:, 1])]
            )
            group, value = merge_groups(group, value, self.fact_object, judged)
        lap("groups")
        self.validity = validity(self.fact_chunks, self.chunk_times, group, value)
        self.valid_now = self.validity.valid_at(float("inf"))
        self.fact_dated = self._groups.dated
        self.fact_relation, self.fact_key = self._groups.relation, self._groups.key
        # once per refresh, not per query: two products over every provenance row (1.2 ms of
        # each query at 10^5 passages)
        self.outdated_now = outdated_passages(self.chunk_facts, self.validity.group, self.valid_now)
        self.seeding_now = seeding_facts(self.fact_chunks, self.fact_dated, self.valid_now, self.outdated_now)
        lap("validity")
        support = np.bincount(fs_fact, minlength=n_f).astype(np.float64)
        m_chunk = at("m_chunk", self.chunks, edges.mentions[:, 0])
        m_entity = at("m_entity", self.entities, edges.mentions[:, 1])
        self.chunk_entities = sp.csr_matrix(
            (np.ones(len(m_chunk), dtype=np.float32), (m_chunk, m_entity)), shape=(n_c, n_e)
        )
        self.entity_passage_counts = np.bincount(m_entity, minlength=n_e)
        s_a = at("s_a", self.entities, edges.synonyms[:, 0])
        s_b = at("s_b", self.entities, edges.synonyms[:, 1])
        # Stored synonym edges below the configured threshold (a store built with a lower one)
        # stay out of the walk, so the threshold can be raised without a rebuild.
        strong = edges.synonym_scores >= self.config.synonym_threshold
        if not self.config.synonym_edges:
            strong[:] = False
        s_a, s_b, s_w = s_a[strong], s_b[strong], edges.synonym_scores[strong]
        f_a, f_b, f_w = self.fact_subject, self.fact_object, support
        if not self.config.fact_edges:
            f_a, f_b, f_w = f_a[:0], f_b[:0], f_w[:0]
        # An entity seen in one passage and in no fact or synonym edge carries no information
        # between passages; as a node it only reflects its passage's mass back (up to 1/(1-d²)),
        # which favours passages full of such one-off names. It stays out of the walk, and a seed
        # on it seeds its passage instead (see retriever.seed_query).
        linked = np.bincount(
            np.concatenate([f_a, f_b, s_a, s_b]), minlength=n_e
        )
        lonely = (self.entity_passage_counts == 1) & (linked == 0)
        self.lonely_passage = np.full(n_e, -1, dtype=np.int64)
        in_walk = ~lonely[m_entity]
        self.lonely_passage[m_entity[~in_walk]] = m_chunk[~in_walk]
        u = np.concatenate([f_a, m_entity[in_walk], s_a])
        v = np.concatenate([f_b, n_e + m_chunk[in_walk], s_b])
        w = np.concatenate([f_w, np.ones(int(in_walk.sum())), s_w])
        n = n_e + n_c
        upper = sp.coo_matrix((w, (u, v)), shape=(n, n)).tocsr()
        self.adjacency = (upper + upper.T).tocsr()
        lap("adjacency")
        self._walk_graph = None  # built by the first walk: a write never uses it
