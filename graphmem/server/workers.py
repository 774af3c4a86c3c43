"""``graphmem serve --workers N``: N server processes on one port, each with its own models,
reader pool and writer over the same store.

Why processes: a retrieval spends about half of its time in Python (linking, ranking, the
FastAPI request), and threads of one process take turns on the interpreter lock, so one process
cannot keep two cores busy with retrievals. uvicorn's supervisor binds the socket once and
spawns the workers; the kernel hands each new connection to one of them.

What stays true across workers: every worker writes through the store's own transactions (SQLite
serialises writers across processes with its lock, PostgreSQL with its writer lock), and every
retrieval refreshes from the store's generation counter first, so a write answered 2xx by one
worker is seen by the next retrieval on any worker. Adds are grouped into one commit per worker
(:mod:`graphmem.server.batching`), not across workers.

The settings reach the spawned workers as JSON in ``$GRAPHMEM_SERVE_SPEC``; tokens do not (no
secret in the environment): each worker reads them again from the tokens file and
``$GRAPHMEM_TOKENS``, as the parent did."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from graphmem.server.settings import LLMOptions, ServerSettings

log = logging.getLogger(__name__)

__all__ = ["SPEC_ENV", "WorkerSpec", "app_from_env", "run_workers"]

SPEC_ENV = "GRAPHMEM_SERVE_SPEC"

_NOT_SENT = ("tokens", "bindings")  # secrets: each worker reads them itself


@dataclass(frozen=True)
class WorkerSpec:
    """What a worker needs to build the same server as its siblings."""

    store: str
    settings: ServerSettings
    tokens_file: str | None = None
    llm: LLMOptions = field(default_factory=LLMOptions)

    def to_json(self) -> str:
        plain = {k: v for k, v in asdict(self.settings).items() if k not in _NOT_SENT}
        return json.dumps({"store": self.store, "tokens_file": self.tokens_file,
                           "settings": plain, "llm": asdict(self.llm)})

    @classmethod
    def from_json(cls, text: str) -> WorkerSpec:
        """The spec of ``text``; tokens are read again from the file and the environment."""
        from graphmem.server.auth import read_tokens

        raw = json.loads(text)
        known = {f.name for f in fields(ServerSettings)} - set(_NOT_SENT)
        settings = ServerSettings(**{k: v for k, v in raw["settings"].items() if k in known})
        tokens_file = raw.get("tokens_file")
        table = read_tokens(Path(tokens_file) if tokens_file else None)
        settings = replace(settings, tokens=tuple(table),
                           bindings={t: ns for t, ns in table.items() if ns is not None})
        return cls(raw["store"], settings, tokens_file, LLMOptions(**raw.get("llm") or {}))


def app_from_env() -> Any:
    """uvicorn's app factory in each worker: load the models, open the store, build the app.
    Runs before the worker accepts connections, so no request waits for model loading."""
    from graphmem.server.app import create_app
    from graphmem.server.service import MemoryService

    spec = WorkerSpec.from_json(os.environ[SPEC_ENV])
    settings = spec.settings
    memory_config = settings.memory_config(spec.llm.config())
    service = MemoryService(spec.store, memory_config, readers=settings.readers,
                            batch_adds=settings.batch_adds,
                            max_batch_docs=settings.max_documents)
    try:
        service.start()
    except BaseException:
        service.close()
        raise
    log.info("worker %d ready", os.getpid())
    return create_app(service, settings)


def run_workers(store: str, settings: ServerSettings, tokens_file: Path | None,
                llm: LLMOptions | None = None) -> None:
    """Serve with ``settings.workers`` processes until SIGTERM/SIGINT, which uvicorn's
    supervisor passes on to every worker: each finishes its running requests (writes included)
    and closes its memory before the parent exits."""
    import uvicorn

    spec = WorkerSpec(store, settings, str(tokens_file) if tokens_file else None,
                      llm or LLMOptions())
    os.environ[SPEC_ENV] = spec.to_json()  # inherited by the spawned workers
    uvicorn.run("graphmem.server.workers:app_from_env", factory=True, host=settings.host,
                port=settings.port, workers=settings.workers, log_config=None,
                access_log=False, timeout_graceful_shutdown=None,
                timeout_worker_healthcheck=_HEALTHCHECK_S)


_HEALTHCHECK_S = 120
"""Seconds the supervisor waits for a worker's liveness answer before killing it. Loading the
models in a worker holds its interpreter for seconds at a time on a busy machine; uvicorn's
default (5 s) killed workers that were only starting."""
