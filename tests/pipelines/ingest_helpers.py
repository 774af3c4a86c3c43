"""Shared helpers of the pipelines tests: an invented corpus and store comparisons.

(A plain module, not a conftest: the test directory has no ``__init__.py`` — it would shadow the
``pipelines`` package — so pytest puts it on ``sys.path`` and tests import this by name.)
"""

from __future__ import annotations

import importlib.util
import json
import random
import sqlite3
import sys
from pathlib import Path
from typing import Any

STORE_FILE = "graphmem.sqlite"
ROOT = Path(__file__).resolve().parents[2]

_FIRST = [
    "Odarin",
    "Velka",
    "Tamsin",
    "Borek",
    "Ilse",
    "Corvan",
    "Maelis",
    "Jorun",
    "Sefa",
    "Brannoc",
    "Liesl",
    "Orrin",
    "Pavla",
    "Teodor",
    "Wenna",
    "Yannic",
]
_LAST = [
    "Harrowgate",
    "Quillfeather",
    "Marchetti",
    "Stroud",
    "Vantreece",
    "Ollander",
    "Kestrel",
    "Duvane",
    "Pellham",
    "Rooksby",
    "Tarrow",
    "Ambergast",
]
_TOWNS = [
    "Pellavon",
    "Corrindale",
    "Askelby",
    "Marrowfen",
    "Thistlecombe",
    "Orlanth",
    "Wexmoor",
    "Brindlegate",
    "Saltmere",
    "Kelvaro",
    "Duskhollow",
    "Feyvale",
]
_REGIONS = ["Askel Valley", "Ferrow Coast", "High Marrach", "Lower Tessel", "Vondrian Plain"]
_ORGS = [
    "Harbourlight Press",
    "Tellan Ironworks",
    "Corrin College",
    "Greywater Shipping",
    "Lowmoor Records",
    "Brackenfield Mills",
    "Silverfen Observatory",
    "Oakhaven Bank",
]
_JOBS = ["engineer", "botanist", "drummer", "cartographer", "printer", "astronomer", "clerk"]
_THINGS = ["river barges", "printed atlases", "brass telescopes", "wool blankets", "steam pumps"]


def make_corpus(n: int, seed: int = 7) -> list[dict[str, Any]]:
    """``n`` short invented passages (ids ``p0000``...), deterministic for a seed, linked by
    shared people, towns and organisations so the graph has multi-hop paths."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for i in range(n):
        person = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        other = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
        town, region, org = rng.choice(_TOWNS), rng.choice(_REGIONS), rng.choice(_ORGS)
        year = 1800 + rng.randrange(200)
        kind = i % 4
        if kind == 0:
            title, text = (
                person,
                (
                    f"{person} was born in {town} in {year}. {person} worked as a "
                    f"{rng.choice(_JOBS)} at {org}. {person} married {other}."
                ),
            )
        elif kind == 1:
            title, text = (
                town,
                (
                    f"{town} is a market town in the {region}. {other} was the mayor of {town} "
                    f"from {year}. The town hall of {town} was designed by {person}."
                ),
            )
        elif kind == 2:
            title, text = (
                org,
                (
                    f"{org} was founded by {person} in {year}. {org} makes {rng.choice(_THINGS)} "
                    f"in {town}. {other} led {org} after {year + 12}."
                ),
            )
        else:
            title, text = (
                f"{person} and {other}",
                (
                    f"{person} and {other} studied together at {org}. {person} later moved to "
                    f"{town}, where {person} wrote a history of the {region} (record {i})."
                ),
            )
        out.append({"id": f"p{i:04d}", "title": title, "text": text, "metadata": {"n": i}})
    return out


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


QUERIES = [
    "Where was Odarin Harrowgate born?",
    "Who founded Harbourlight Press?",
    "Which town is in the Askel Valley?",
    "Who designed the town hall of Pellavon?",
    "What does Tellan Ironworks make?",
    "Who studied at Corrin College?",
]

_TABLES = {
    "documents": "SELECT id, doc_id, content_hash, title, metadata FROM documents ORDER BY id",
    "chunks": "SELECT id, chunk_id, doc, position, text, embedding FROM chunks ORDER BY id",
    "entities": "SELECT id, name, label, kind, embedding FROM entities ORDER BY id",
    "facts": "SELECT id, subject_id, predicate, object_id, embedding FROM facts ORDER BY id",
    "fact_sources": "SELECT fact_id, chunk_id FROM fact_sources ORDER BY 1, 2",
    "mentions": "SELECT chunk_id, entity_id FROM mentions ORDER BY 1, 2",
    "synonyms": "SELECT a, b, score FROM synonyms ORDER BY 1, 2",
    "fact_conflicts": "SELECT older, newer, chunk_id FROM fact_conflicts ORDER BY 1, 2, 3",
    "meta": "SELECT key, value FROM meta ORDER BY key",
}


def connect_ro(store: Path) -> sqlite3.Connection:
    return sqlite3.connect(f"file:{store / STORE_FILE}?mode=ro", uri=True, timeout=30)


def dump_store(store: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (vectors as bytes), minus the insertion timestamps."""
    with connect_ro(store) as c:
        return {t: c.execute(q).fetchall() for t, q in _TABLES.items()}


def counts(store: Path) -> dict[str, int]:
    return {t: len(rows) for t, rows in dump_store(store).items()}


def assert_no_duplicates(store: Path) -> None:
    """No document stored twice (by text), no passage twice (by document and position)."""
    with connect_ro(store) as c:
        docs, hashes = c.execute(
            "SELECT count(*), count(DISTINCT content_hash) FROM documents"
        ).fetchone()
        chunks, places = c.execute(
            "SELECT count(*), count(DISTINCT doc || '#' || position) FROM chunks"
        ).fetchone()
        names, distinct_names = c.execute(
            "SELECT count(*), count(DISTINCT name) FROM entities"
        ).fetchone()
    assert (docs, chunks, names) == (hashes, places, distinct_names)


def doc_count(store: Path) -> int:
    """Committed documents, read without locking the writer out (0 before the file exists)."""
    if not (store / STORE_FILE).exists():
        return 0
    try:
        with connect_ro(store) as c:
            return int(c.execute("SELECT count(*) FROM documents").fetchone()[0])
    except sqlite3.OperationalError:  # schema not created yet
        return 0


def fake_server_module() -> Any:
    """``tests/llm/server.py`` (the scripted OpenAI-compatible server) loaded as a module: the
    pipelines tests are not a package, so they cannot import it relatively."""
    name = "_pipelines_fake_llm"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "llm" / "server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look the module up by name
    spec.loader.exec_module(module)
    return module
