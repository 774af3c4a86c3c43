"""Cost of the quick_check every store handle runs before its first write: a store with the row
counts of the 6,119-passage 2Wiki build (benchmarks/results/engine.json), random vectors, warm
page cache. Prints and writes JSON.

    python benchmarks/bench_quick_check.py --out benchmarks/results/quick_check.json
"""

import argparse
import json
import os
import sqlite3
import tempfile
import time
from pathlib import Path

import numpy as np

from graphmem.store.sqlite import SQLiteStore

ap = argparse.ArgumentParser(description="quick_check cost")
ap.add_argument("--out", type=Path, required=True)
args = ap.parse_args()
d = tempfile.mkdtemp()
p = os.path.join(d, "graphmem.sqlite")
s = SQLiteStore(p)
s.close()
c = sqlite3.connect(p)
rng = np.random.default_rng(0)
blob = lambda: rng.standard_normal(384).astype(np.float32).tobytes()
c.executemany(
    "INSERT INTO documents(doc_id, content_hash, title, metadata, added_at) VALUES (?,?,?,?,0)",
    [(f"d{i}", f"h{i}", "t", "{}") for i in range(6119)],
)
c.executemany(
    "INSERT INTO chunks(chunk_id, doc, position, text, embedding) VALUES (?,?,0,?,?)",
    [(f"d{i}#0", i % 6119 + 1, "x" * 600, blob()) for i in range(7000)],
)
c.executemany(
    "INSERT INTO entities(name, label, kind, embedding) VALUES (?,?,?,?)",
    [(f"e{i}", f"E{i}", "NP", blob()) for i in range(55168)],
)
c.executemany(
    "INSERT INTO facts(subject_id, predicate, object_id, embedding) VALUES (?,?,?,?)",
    [(i % 55168 + 1, "p", (i * 7) % 55168 + 1, blob()) for i in range(54562)],
)
c.executemany(
    "INSERT OR IGNORE INTO mentions(chunk_id, entity_id) VALUES (?,?)",
    [(i % 7000 + 1, (i * 13) % 55168 + 1) for i in range(105144)],
)
c.executemany(
    "INSERT OR IGNORE INTO fact_sources(fact_id, chunk_id) VALUES (?,?)",
    [(i % 54562 + 1, (i * 3) % 7000 + 1) for i in range(56946)],
)
c.commit()
c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
c.close()
size = os.path.getsize(p)
times = []
for _ in range(3):
    t = time.perf_counter()
    c = sqlite3.connect(p)
    r = c.execute("PRAGMA quick_check(5)").fetchall()
    c.close()
    times.append(time.perf_counter() - t)
report = {
    "rows": {"documents": 6119, "chunks": 7000, "entities": 55168, "facts": 54562},
    "file_mb": round(size / 2**20, 1),
    "quick_check_s": [round(x, 3) for x in times],
    "result": r,
}
print(json.dumps(report))
args.out.write_text(json.dumps(report, indent=2) + "\n")
