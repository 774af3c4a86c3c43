"""Fuzzy query linking: names in a question that are not an exact n-gram of an entity name.

Exact linking (:func:`graphmem.retrieve.linking.link_query_entities`) misses partial names
("Achebe" for "Dorian Achebe"), inflections and near spellings ("Tekeze River" for "Tekezé
(Setit) River"). HippoRAG 1 instead finds the named entities of the question and links each to
the graph node nearest in embedding space. Here, with ``RetrieveConfig.fuzzy_link_threshold``
set: spaCy's NER and proper-noun runs on the query give mentions (:func:`query_mentions`);
mentions already covered by an exact match are dropped; each remaining one is embedded like an
entity name (its normalised form, as entity vectors are) and linked to the nearest named
entity (not a plain noun phrase, date or number) when their cosine reaches the threshold
(:func:`fuzzy_link`). The retriever seeds such an entity with ``cosine / passages``, as an exact
match seeds with ``1 / passages``.

spaCy is imported only when the option is on; the memory's own parser is reused when its
extractor is the spaCy one.
"""

from __future__ import annotations

import functools
import weakref
from collections.abc import Container, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from graphmem.graph.quantize import quantize_rows
from graphmem.retrieve.fusion import is_numeric_entity
from graphmem.retrieve.linking import (
    DEFAULT_MAX_NGRAM,
    link_mentions_ann,
    link_mentions_quantized,
    link_query_entity_spans,
)
from graphmem.text import is_word, normalize_name, token_spans

if TYPE_CHECKING:
    from graphmem.config import MemoryConfig
    from graphmem.embed import Embedder
    from graphmem.graph.index import GraphIndex

__all__ = [
    "QueryMentions",
    "fuzzy_link",
    "fuzzy_mentions",
    "may_mention",
    "parse_mentions",
    "query_mentions",
    "query_parser",
]

# NER labels that are quantities, not names: exact linking already matches "1995" as written.
_NUMERIC_LABELS = frozenset({"DATE", "TIME", "CARDINAL", "ORDINAL", "QUANTITY", "PERCENT", "MONEY"})
# Tokens trimmed off a mention's edges: "the Bubye River" → "Bubye River", "Achebe's" → "Achebe".
# NER sometimes takes in a sentence-initial verb ("Are King Vidor"), hence AUX and PRON.
_EDGE_POS = frozenset({"DET", "PART", "PUNCT", "ADP", "CCONJ", "AUX", "PRON"})
# Capitalised only because they open a question (English, as is the spaCy model that parses).
_OPENER_WORDS = (
    "who whom whose what which when where why how is are was were do does did has have had "
    "can could will would should in on at of for from by with to the a an and or name "
    "this that these those as after before during since between among"
)
_OPENERS = frozenset(_OPENER_WORDS.split())
# Pipes the mentions need (NER, and the tagger for PROPN); the parser is the slowest one.
_SKIP_PIPES = ("parser", "lemmatizer", "graphmem_sentence_hints")


@dataclass(frozen=True)
class QueryMentions:
    """A query's mentions left after exact linking: normalised names and their unit vectors."""

    names: tuple[str, ...]
    vectors: np.ndarray


def query_mentions(
    doc: Any, exact_spans: Iterable[tuple[int, int]] = (), known: Container[str] = frozenset()
) -> list[str]:
    """Normalised mention names of a parsed query (a spaCy ``Doc``), in query order.

    Mentions are NER spans other than quantities and maximal runs of proper nouns, trimmed of
    edge determiners, particles, adpositions, conjunctions, auxiliaries, pronouns and
    punctuation. Dropped: a mention inside an exact
    match (character spans ``exact_spans``, so "York Times" inside a linked "New York Times"
    does not link again; a longer one, "Akinoshu Kenji" around a linked "Kenji", stays), one
    whose name is in ``known`` (it has matched exactly elsewhere or is an entity name already),
    names without a letter, and repeats.
    """
    spans: list[tuple[int, int]] = [(e.start, e.end) for e in doc.ents if e.label_ not in _NUMERIC_LABELS]
    run: int | None = None
    for t in doc:
        if t.pos_ == "PROPN":
            run = t.i if run is None else run
        elif run is not None:
            spans.append((run, t.i))
            run = None
    if run is not None:
        spans.append((run, len(doc)))
    taken = sorted(exact_spans)
    seen: set[str] = set()
    out: list[tuple[int, str]] = []
    for a, b in spans:
        while a < b and doc[a].pos_ in _EDGE_POS:
            a += 1
        while b > a and doc[b - 1].pos_ in _EDGE_POS:
            b -= 1
        if a >= b:
            continue
        span = doc[a:b]
        start, end = span.start_char, span.end_char
        if any(e0 <= start and end <= e1 for e0, e1 in taken):
            continue
        name = normalize_name(span.text)
        if not any(c.isalpha() for c in name) or name in known or name in seen:
            continue
        seen.add(name)
        out.append((start, name))
    return [name for _, name in sorted(out)]


def may_mention(query: str, exact_spans: Sequence[tuple[int, int]]) -> bool:
    """Whether ``query`` may hold a name that exact linking left: a word outside the exact
    matches with a capital letter (not a question word opening the query: "Who", "Which") or
    with letters of a script without case. Most questions name only what links exactly, and
    skipping their parse saves spaCy's ~5 ms: 67-94% of the dev-set questions are skipped. What
    it misses: lowercase mentions ("rugby union") and NER spans joining exact matches ("Han
    Vodka" around a linked "Han"), mostly junk joins ("Exies or Circus Diablo"); 19 of the 600
    dev questions lose a mention (measured with
    ``benchmarks/results/dev_sweep_linking.json``'s stores)."""
    first = True
    for a, b in token_spans(query):
        word = query[a:b]
        if not is_word(word):
            continue
        opening, first = first, False
        if any(e0 <= a and b <= e1 for e0, e1 in exact_spans):
            continue
        letters = [c for c in word if c.isalpha()]
        if any(not (c.isupper() or c.islower()) for c in letters):
            return True  # uncased script: no capitalisation to go by
        if any(c.isupper() for c in letters) and not (opening and word.casefold() in _OPENERS):
            return True
    return False


def parse_mentions(
    nlp: Any,
    embedder: Embedder,
    index: GraphIndex,
    queries: Sequence[str],
    max_ngram: int = DEFAULT_MAX_NGRAM,
) -> list[QueryMentions]:
    """:class:`QueryMentions` of each query: the queries that :func:`may_mention` a name parsed
    in one ``nlp.pipe`` call, the mentions of all queries embedded in one batch (none when no
    query has one). ``max_ngram`` must be the retriever's (``RetrieveConfig.link_max_ngram``),
    so exact matches are the ones it makes."""
    exact = [
        [(a, b) for _, a, b in link_query_entity_spans(q, index.named, max_ngram)] for q in queries
    ]
    per_query: list[list[str]] = [[] for _ in queries]
    todo = [i for i, q in enumerate(queries) if may_mention(q, exact[i])]
    skipped = [p for p in _SKIP_PIPES if p in nlp.pipe_names]
    for i, doc in zip(todo, nlp.pipe([queries[i] for i in todo], disable=skipped)):
        per_query[i] = query_mentions(doc, exact[i], index.named.keys())
    unique = list(dict.fromkeys(name for names in per_query for name in names))
    dim = index.dim
    vectors = dict(zip(unique, embedder.encode(unique))) if unique else {}
    return [
        QueryMentions(
            tuple(names),
            np.stack([vectors[n] for n in names]).astype(np.float32)
            if names
            else np.zeros((0, dim), dtype=np.float32),
        )
        for names in per_query
    ]


def fuzzy_link(
    index: GraphIndex, mentions: QueryMentions, threshold: float, ann_min_rows: int | None = None
) -> list[tuple[int, float]]:
    """(entity position, cosine) of each mention's nearest named entity at cosine ≥
    ``threshold``, best first; an entity reached by two mentions keeps its best cosine. From
    ``ann_min_rows`` entities on (``RetrieveConfig.ann_min_rows``; None: never), candidates
    come from the index's ANN graph over all entities, filtered to the named ones and rescored
    exactly, instead of a scan of every named entity."""
    if not mentions.names:
        return []
    linked = None
    ann = None if ann_min_rows is None else index.ann("entities", ann_min_rows)
    if ann is not None:
        linked = link_mentions_ann(
            ann, index.entities.ids, index.entities.vectors, mentions.vectors, threshold,
            allowed=_linkable(index),
        )
    if linked is not None:
        rows, scores = linked
        positions = None
    else:
        cand = _candidates(index)
        rows, scores = link_mentions_quantized(
            cand.codes, cand.scales, cand.vectors, mentions.vectors, threshold
        )
        positions = cand.positions
    best: dict[int, float] = {}
    for r, s in zip(rows.tolist(), scores.tolist()):
        if r >= 0:
            e = int(r if positions is None else positions[r])
            best[e] = max(best.get(e, -1.0), s)
    return sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))


@dataclass(frozen=True)
class _Candidates:
    """Entities a mention may link to, for one index generation: named (not a noun phrase),
    not a date/time/number; their vectors and int8 codes for :func:`link_mentions_quantized`."""

    generation: int
    positions: np.ndarray
    vectors: np.ndarray
    codes: np.ndarray
    scales: np.ndarray


_CACHE: weakref.WeakKeyDictionary[GraphIndex, _Candidates] = weakref.WeakKeyDictionary()


_LINKABLE: weakref.WeakKeyDictionary[GraphIndex, tuple[int, np.ndarray]] = (
    weakref.WeakKeyDictionary()
)


def _linkable_positions(index: GraphIndex) -> np.ndarray:
    kinds = index.entity_kinds
    return np.array(
        sorted(p for n, p in index.named.items() if not is_numeric_entity(n, kinds[p])),
        dtype=np.int64,
    )


def _linkable(index: GraphIndex) -> np.ndarray:
    """Bool per entity position: a candidate of :func:`fuzzy_link` (as :func:`_candidates`'
    positions), for the ANN path; once per generation."""
    cached = _LINKABLE.get(index)
    if cached is not None and cached[0] == index.generation:
        return cached[1]
    mask = np.zeros(index.n_entities, dtype=bool)
    mask[_linkable_positions(index)] = True
    _LINKABLE[index] = (index.generation, mask)
    return mask


def _candidates(index: GraphIndex) -> _Candidates:
    """The candidate matrix of ``index`` at its current generation (built once per generation:
    ~30 ms for 33,000 named entities, then ~1.5 ms per mention to score)."""
    cached = _CACHE.get(index)
    if cached is not None and cached.generation == index.generation:
        return cached
    positions = _linkable_positions(index)
    vectors = np.ascontiguousarray(index.entities.vectors[positions], dtype=np.float32)
    codes, scales = quantize_rows(vectors)
    built = _Candidates(index.generation, positions, vectors, codes, scales)
    _CACHE[index] = built
    return built


def query_parser(extractor: object, model: str) -> Any:
    """The spaCy pipeline that finds query mentions: the extractor's own when it is the spaCy
    extractor (loaded once for both), else ``model`` loaded on first use."""
    from graphmem.extract import SpacyExtractor

    if isinstance(extractor, SpacyExtractor):
        return extractor.nlp
    return _load_parser(model)


@functools.cache
def _load_parser(model: str) -> Any:
    from graphmem.extract import load_spacy_pipeline

    return load_spacy_pipeline(model)


def fuzzy_mentions(
    extractor: object, embedder: Embedder, index: GraphIndex, queries: Sequence[str], config: MemoryConfig
) -> Sequence[QueryMentions | None]:
    """The queries' mentions for fuzzy linking when ``config.retrieve.fuzzy_link_threshold`` is
    set (spaCy and one more embedding batch per call); a None per query otherwise."""
    cfg = config.retrieve
    if not (cfg.link_query_entities and cfg.fuzzy_link_threshold <= 1):
        return [None] * len(queries)
    nlp = query_parser(extractor, config.extract.model)
    return parse_mentions(nlp, embedder, index, queries, cfg.link_max_ngram)
