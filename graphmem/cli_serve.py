"""``graphmem serve``: the memory over HTTP (see :mod:`graphmem.server`). Registered on the
``graphmem`` group by :mod:`graphmem.cli`; FastAPI and uvicorn load only when it runs."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType

import click

from graphmem.cli_options import embed_options, llm_options, store_option
from graphmem.errors import GraphMemError
from graphmem.server.settings import (  # plain dataclasses: no FastAPI loaded
    LLMOptions,
    ServerSettings,
)

_D = ServerSettings()  # the documented defaults, one source for the options below

log = logging.getLogger(__name__)

__all__ = ["serve"]


def _after_shutdown(sig: int, _frame: FrameType | None) -> None:
    """Handler left in place once uvicorn is done: uvicorn re-raises the signal that stopped
    it, and the default action would turn a clean, finished shutdown into a kill status."""
    log.info("stopped by signal %d", sig)


@click.command("serve")
@store_option
@click.option("--host", default=_D.host, show_default=True,
              help="Address to bind; non-loopback addresses need tokens.")
@click.option("--port", default=_D.port, show_default=True, type=click.IntRange(0, 65535))
@click.option("--tokens", "tokens_file", type=click.Path(dir_okay=False, exists=True,
              path_type=Path), default=None,
              help="File of bearer tokens, one per line, each optionally bound to namespaces "
              "('TOKEN: ns1, ns2'), or a JSON object {token: [namespaces] | null}. Also: "
              "GRAPHMEM_TOKENS, comma-separated 'TOKEN' or 'TOKEN:NAMESPACE' entries.")
@click.option("--workers", default=_D.workers, show_default=True, type=click.IntRange(min=1),
              help="Server processes on the port, each loading its own models and index: "
              "more than one lets retrievals use every core.")
@click.option("--readers", default=_D.readers, show_default=True, type=click.IntRange(min=1),
              help="Concurrent retrievals (each reader holds a copy of the graph index).")
@click.option("--embed-threads", default=_D.embed_threads or 0, show_default=True,
              type=click.IntRange(min=0),
              help="Embedding threads (torch: process-wide; onnx: per session); 0: the "
              "runtime's default, one per core.")
@embed_options
@click.option("--batch-adds/--no-batch-adds", default=_D.batch_adds, show_default=True,
              help="Store add requests that queue behind a write in one commit.")
@click.option("--defer-elimination/--no-defer-elimination", default=_D.defer_elimination,
              show_default=True,
              help="After a write, solve PPR without the low-degree elimination until "
              "rebuilding it pays (RetrieveConfig.defer_elimination).")
@click.option("--max-body-bytes", default=_D.max_body_bytes, show_default=True,
              type=click.IntRange(min=1))
@click.option("--max-text-chars", default=_D.max_text_chars, show_default=True,
              type=click.IntRange(min=1), help="Longest document text, in characters.")
@click.option("--max-documents", default=_D.max_documents, show_default=True,
              type=click.IntRange(min=1),
              help="Most documents (or ids) per batch request.")
@click.option("--max-top-k", default=_D.max_top_k, show_default=True,
              type=click.IntRange(min=1), help="Largest top_k a retrieve may ask for.")
@llm_options(required=False)
def serve(store: Path, host: str, port: int, tokens_file: Path | None, workers: int,
          readers: int, embed_threads: int, embed_backend: str, embed_quantize: str,
          batch_adds: bool, defer_elimination: bool, max_body_bytes: int, max_text_chars: int, max_documents: int,
          max_top_k: int, llm_model: str | None, llm_base_url: str | None,
          llm_timeout: float | None, llm_retries: int | None) -> None:
    """Serve the memory at --store over HTTP: a JSON API under /v1 (OpenAPI schema at
    /openapi.json, docs at /docs), /healthz and /readyz.

    Models load once, before the port opens. Writes run one at a time; retrievals run beside
    them. SIGTERM or Ctrl-C stops accepting, finishes running requests (writes included) and
    exits 0. A missing store directory is created. With --llm-model, POST /v1/answer (and the
    MCP answer tool) answer questions from the retrieved passages, and the LLM filters linked
    facts as in `graphmem query`."""
    from graphmem.server import require_server_extra
    from graphmem.server.auth import read_tokens

    try:
        table = read_tokens(tokens_file)
        settings = ServerSettings(
            host=host, port=port, tokens=tuple(table), readers=readers, workers=workers,
            bindings={t: ns for t, ns in table.items() if ns is not None},
            embed_threads=embed_threads or None, embed_backend=embed_backend,
            embed_quantize=embed_quantize, batch_adds=batch_adds,
            defer_elimination=defer_elimination,
            max_body_bytes=max_body_bytes, max_text_chars=max_text_chars,
            max_documents=max_documents, max_top_k=max_top_k)
        settings.check()  # before seconds of model loading
        llm = LLMOptions(llm_model, llm_base_url, llm_timeout, llm_retries)
        llm.config()  # a bad option fails now, not in every worker
        require_server_extra()
    except (ValueError, OSError, GraphMemError) as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2 if isinstance(exc, ValueError) else 1)
    if workers > 1:
        from graphmem.server.workers import run_workers
        from graphmem.store.open import is_url, redacted

        shown = redacted(str(store)) if is_url(store) else store
        click.echo(f"graphmem: serving {shown} with {workers} workers on "
                   f"http://{host}:{port}", err=True)
        run_workers(str(store), settings, tokens_file, llm)
        return
    _run(store, settings, llm)


def _run(store: Path, settings: ServerSettings, llm: LLMOptions) -> None:
    """Load the models, then serve until a signal (uvicorn's graceful shutdown)."""
    import uvicorn

    from graphmem.server.app import create_app
    from graphmem.server.service import MemoryService

    memory_config = settings.memory_config(llm.config())
    service = MemoryService(store, memory_config, readers=settings.readers,
                            batch_adds=settings.batch_adds,
                            max_batch_docs=settings.max_documents)
    try:
        service.start()
    except GraphMemError as exc:
        service.close()
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    app = create_app(service, settings)
    config = uvicorn.Config(app, host=settings.host, port=settings.port, log_config=None,
                            timeout_graceful_shutdown=None, access_log=False)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, _after_shutdown)
    auth = f"{len(settings.tokens)} tokens" if settings.tokens else "no auth, loopback only"
    where = f"http://{settings.host}:{settings.port}"
    click.echo(f"graphmem: serving {service.shown} on {where} ({auth})", err=True)
    try:
        uvicorn.Server(config).run()
    finally:
        service.close()  # normally done by the app's lifespan already
