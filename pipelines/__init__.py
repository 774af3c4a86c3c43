"""Batch ingestion jobs built on graphmem's public API: parallel, resumable, crash-safe.

>>> from pipelines import IngestConfig, run_ingest                     # doctest: +SKIP
>>> report = run_ingest(["corpus.jsonl"], "./mem", IngestConfig(workers=2))
>>> print(report.summary())

See :func:`run_ingest` and :class:`IngestConfig`; the command line is ``python -m pipelines
ingest`` (:mod:`pipelines.cli`). ``graphmem`` never imports this package.
"""

from pipelines.config import IngestConfig
from pipelines.job import run_ingest
from pipelines.report import IngestError, IngestInterrupted, IngestReport
from pipelines.sources import BadRecord, Record, iter_records

__all__ = [
    "BadRecord",
    "IngestConfig",
    "IngestError",
    "IngestInterrupted",
    "IngestReport",
    "Record",
    "iter_records",
    "run_ingest",
]
