"""The on-disk extraction/embedding cache: exact round trips, miss-only model calls, input order,
identical stores with and without it, and clear errors for files that are not a cache."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest

from graphmem.cache import (
    CACHE_FILE,
    CachingEmbedder,
    CachingExtractor,
    DiskCache,
    default_cache_dir,
    open_cache,
)
from graphmem.embed import Embedder
from graphmem.errors import CacheError
from graphmem.extract import Extractor
from graphmem.types import Extraction, Mention, Triple

TEXTS = [
    "Odile Marchetti was born in Pellavon.",
    "Pellavon is a town in the Askel Valley.",
    "The Ferrow Bridge was designed by Ilse Brandauer.",
    "Ilse Brandauer was born in Kestrup, a village in the province of Varn.",
]


class CountingExtractor:
    """Wraps the real extractor and records every batch it is asked for."""

    def __init__(self, inner: Extractor):
        self.inner = inner
        self.name = inner.name
        self.calls: list[list[str]] = []

    def extract_batch(self, texts: Sequence[str]) -> list[Extraction]:
        self.calls.append(list(texts))
        return self.inner.extract_batch(texts)


class CountingEmbedder:
    """Wraps the real embedder and records every batch and the vectors it returned."""

    def __init__(self, inner: Embedder):
        self.inner = inner
        self.name = inner.name
        self.calls: list[list[str]] = []
        self.outputs: list[np.ndarray] = []

    @property
    def dim(self) -> int:
        return self.inner.dim

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        out = self.inner.encode(texts)
        self.outputs.append(out)
        return out


def test_extraction_round_trip_is_exact_with_non_ascii_names(tmp_path):
    extraction = Extraction(
        mentions=(
            Mention("münchen", "München", "GPE"),
            Mention("東京", "東京", "GPE"),
            Mention("dvořák", "Antonín Dvořák", "PERSON"),
            Mention('"quoted" \\ name', '"Quoted" \\ Name', "NP"),
        ),
        triples=(
            Triple("dvořák", "born in", "münchen"),
            Triple("münchen", "twin of", "東京"),
        ),
    )
    empty = Extraction((), ())
    path = tmp_path / "c" / CACHE_FILE
    with DiskCache(path) as cache:
        cache.put_extractions("fp", ["a", "b"], [extraction, empty])
    with DiskCache(path) as cache:  # reopened: read back from the file
        assert cache.get_extractions("fp", ["b", "a", "zz"]) == [empty, extraction, None]
        assert cache.get_extractions("other-fp", ["a"]) == [None]
        assert cache.stats() == {
            "extraction_hits": 2,
            "extraction_misses": 2,
            "embedding_hits": 0,
            "embedding_misses": 0,
        }


def test_vectors_round_trip_and_dimension_check(tmp_path):
    vectors = np.array([[0.6, 0.8, 0.0], [1.0, -0.0, 1e-30]], dtype=np.float32)
    with DiskCache(tmp_path / CACHE_FILE) as cache:
        cache.put_vectors("m|dim=3", ["x", "ÿ"], vectors)
        got = cache.get_vectors("m|dim=3", ["ÿ", "nope", "x"], 3)
        assert got[1] is None
        assert np.array_equal(got[0], vectors[1]) and got[0].dtype == np.float32
        assert np.array_equal(got[2], vectors[0])
        with pytest.raises(CacheError, match="dimension 3 .*expected 4"):
            cache.get_vectors("m|dim=3", ["x"], 4)
        cache.put_vectors("m|dim=3", ["x"], np.zeros((1, 3), dtype=np.float32))  # first value wins
        assert np.array_equal(cache.get_vectors("m|dim=3", ["x"], 3)[0], vectors[0])


def test_second_call_makes_no_model_call(tmp_path, extractor, embedder):
    counting_x, counting_e = CountingExtractor(extractor), CountingEmbedder(embedder)
    with DiskCache(tmp_path / CACHE_FILE) as cache:
        cx, ce = CachingExtractor(counting_x, cache), CachingEmbedder(counting_e, cache)
        assert isinstance(cx, Extractor) and isinstance(ce, Embedder)
        assert (cx.name, ce.name, ce.dim) == (extractor.name, embedder.name, embedder.dim)
        first_x, first_e = cx.extract_batch(TEXTS), ce.encode(TEXTS)
        assert counting_x.calls == [TEXTS] and counting_e.calls == [TEXTS]
        second_x, second_e = cx.extract_batch(TEXTS), ce.encode(TEXTS)
        assert counting_x.calls == [TEXTS] and counting_e.calls == [TEXTS]
        assert second_x == first_x == extractor.extract_batch(TEXTS)
        assert np.array_equal(second_e, first_e)
        assert cx.extract_batch([]) == [] and ce.encode([]).shape == (0, embedder.dim)
        assert cache.stats() == {
            "extraction_hits": 4,
            "extraction_misses": 4,
            "embedding_hits": 4,
            "embedding_misses": 4,
        }


def test_order_preserved_with_mixed_hits_and_misses(tmp_path, extractor, embedder):
    counting_x, counting_e = CountingExtractor(extractor), CountingEmbedder(embedder)
    with DiskCache(tmp_path / CACHE_FILE) as cache:
        cx, ce = CachingExtractor(counting_x, cache), CachingEmbedder(counting_e, cache)
        first_x = cx.extract_batch(TEXTS[:2])
        first_e = ce.encode(TEXTS[:2])
        mixed = [TEXTS[2], TEXTS[0], TEXTS[3], TEXTS[1], TEXTS[2]]
        got_x = cx.extract_batch(mixed)
        got_e = ce.encode(mixed)
        # the models saw only the misses, once each, in one batch, in first-seen order
        assert counting_x.calls == [TEXTS[:2], [TEXTS[2], TEXTS[3]]]
        assert counting_e.calls == [TEXTS[:2], [TEXTS[2], TEXTS[3]]]
        fresh_x = extractor.extract_batch([TEXTS[2], TEXTS[3]])
        assert got_x == [fresh_x[0], first_x[0], fresh_x[1], first_x[1], fresh_x[0]]
        fresh_e = counting_e.outputs[1]
        expected_e = np.stack([fresh_e[0], first_e[0], fresh_e[1], first_e[1], fresh_e[0]])
        assert np.array_equal(got_e, expected_e)


def test_memory_with_cache_stores_the_same_rows(tmp_path, memory_factory, extractor, embedder):
    def counts(mem) -> dict[str, int]:
        s = mem.stats()
        return {k: s[k] for k in ("documents", "chunks", "entities", "facts")}

    plain = memory_factory("plain")
    plain.add(TEXTS)
    expected = counts(plain)
    assert expected["facts"] > 0 and expected["entities"] > 0

    counting_x, counting_e = CountingExtractor(extractor), CountingEmbedder(embedder)
    with DiskCache(tmp_path / "cache" / CACHE_FILE) as cache:
        cold = memory_factory(
            "cold",
            extractor=CachingExtractor(counting_x, cache),
            embedder=CachingEmbedder(counting_e, cache),
        )
        cold.add(TEXTS)
        calls_after_cold = (len(counting_x.calls), len(counting_e.calls))
        warm = memory_factory(
            "warm",
            extractor=CachingExtractor(counting_x, cache),
            embedder=CachingEmbedder(counting_e, cache),
        )
        warm.add(TEXTS)
        assert (len(counting_x.calls), len(counting_e.calls)) == calls_after_cold
        stats = cache.stats()
        assert stats["extraction_misses"] == len(TEXTS)
        assert stats["extraction_hits"] == len(TEXTS)
        question = "In which valley was Odile Marchetti born?"
        assert [h.doc_id for h in warm.retrieve(question, 4)] == [
            h.doc_id for h in cold.retrieve(question, 4)
        ]
    assert counts(cold) == expected
    assert counts(warm) == expected


def test_garbage_file_is_a_clear_error(tmp_path):
    path = tmp_path / CACHE_FILE
    path.write_bytes(b"definitely not sqlite\n" * 200)
    with pytest.raises(CacheError) as info:
        DiskCache(path)
    assert str(info.value) == (
        f"{path}: corrupt cache file (file is not a database); delete it to start with an empty "
        "cache: nothing stored in the memory depends on it"
    )


def test_foreign_database_is_refused_and_left_untouched(tmp_path):
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()
    before = path.read_bytes()
    with pytest.raises(CacheError) as info:
        DiskCache(path)
    assert str(info.value) == (
        f"{path}: not a graphmem cache file (an SQLite database with tables notes); "
        "point the cache at another directory"
    )
    assert path.read_bytes() == before


def test_unknown_cache_version_and_closed_cache(tmp_path):
    path = tmp_path / CACHE_FILE
    cache = DiskCache(path)
    cache.close()
    cache.close()
    with pytest.raises(CacheError, match="the cache is closed"):
        cache.get_extractions("fp", ["a"])
    conn = sqlite3.connect(path)
    conn.execute("UPDATE cache_meta SET value = '99' WHERE key = 'version'")
    conn.commit()
    conn.close()
    with pytest.raises(CacheError, match=f"^{path}: cache version '99', this graphmem reads '1'"):
        DiskCache(path)


def test_threads_share_one_cache(tmp_path):
    with DiskCache(tmp_path / CACHE_FILE) as cache:

        def work(t: int) -> None:
            for i in range(30):
                texts = [f"text {t} {i}", f"shared {i}"]
                vectors = np.full((2, 4), t + i, dtype=np.float32)
                cache.put_vectors("fp", texts, vectors)
                got = cache.get_vectors("fp", texts, 4)
                assert np.array_equal(got[0], vectors[0])
                assert got[1] is not None

        with ThreadPoolExecutor(max_workers=4) as pool:
            for future in [pool.submit(work, t) for t in range(4)]:
                future.result()  # re-raises a failure of that thread
        assert cache.stats()["embedding_hits"] == 4 * 30 * 2


def test_default_cache_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("GRAPHMEM_CACHE_DIR", str(tmp_path / "explicit"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "explicit"
    monkeypatch.setenv("GRAPHMEM_CACHE_DIR", "")
    assert default_cache_dir() == tmp_path / "xdg" / "graphmem"
    monkeypatch.delenv("GRAPHMEM_CACHE_DIR")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "graphmem"
    with open_cache() as cache:
        assert cache.path == tmp_path / "home" / ".cache" / "graphmem" / CACHE_FILE
        assert cache.path.exists()
