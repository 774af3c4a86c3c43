"""Store content by name, through the Store contract (``export_rows``), so one assertion
compares a PostgreSQL and an SQLite store, or two stores whose ids differ (a document deleted
versus never added). Vectors are left out where the compared stores embedded in other batches."""

from __future__ import annotations

from typing import Any

from graphmem.store.base import Store
from graphmem.store.schema import COLUMNS


def tables(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, in key order (ids and vectors included)."""
    return {t: store.export_rows(t) for t in COLUMNS}


def without_added_at(rows: dict[str, list[tuple[Any, ...]]]) -> dict[str, list[tuple[Any, ...]]]:
    """``rows`` with each document's storage time blanked (two stores write at other moments)."""
    out = dict(rows)
    out["documents"] = [r[:6] + (None,) + r[7:] for r in rows["documents"]]
    return out


def by_name(store: Store) -> dict[str, list[tuple[Any, ...]]]:
    """Every row named by its natural key instead of ids, sorted; no vectors, no times, no
    generations."""
    t = tables(store)
    ent = {r[0]: (r[1], r[2]) for r in t["entities"]}
    chunk = {r[0]: (r[1], r[2]) for r in t["chunks"]}
    doc = {r[0]: (r[1], r[2]) for r in t["documents"]}
    fact = {r[0]: (ent[r[1]], r[2], ent[r[3]]) for r in t["facts"]}
    return {
        "meta": sorted(r for r in t["meta"] if r[0] != "generation"),
        "namespaces": sorted(r[0] for r in t["namespaces"]),
        "documents": sorted((r[1], r[2], r[3], r[4], r[5], r[7]) for r in t["documents"]),
        "chunks": sorted((r[1], r[2], doc[r[3]], r[4], r[5]) for r in t["chunks"]),
        "entities": sorted((r[1], r[2], r[3], r[4]) for r in t["entities"]),
        "facts": sorted(fact.values()),
        "fact_sources": sorted((fact[f], chunk[k]) for f, k in t["fact_sources"]),
        "mentions": sorted((chunk[k], ent[e]) for k, e in t["mentions"]),
        "synonyms": sorted((*sorted((ent[a], ent[b])), s) for a, b, s in t["synonyms"]),
        "fact_conflicts": sorted(
            (fact[o], fact[n], chunk[k]) for o, n, k in t["fact_conflicts"]
        ),
    }
