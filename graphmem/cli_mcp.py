"""``graphmem mcp``: the memory as an MCP server over stdio (see :mod:`graphmem.mcp`).
Registered on the ``graphmem`` group by :mod:`graphmem.cli`; the MCP SDK loads only when it
runs.

stdout is the protocol channel, so nothing here prints to it: messages and logs go to stderr,
and whatever a library might print while the models load is sent there too."""

from __future__ import annotations

import contextlib
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from graphmem.cli_options import llm_config, llm_options, store_option
from graphmem.errors import GraphMemError
from graphmem.server.settings import ServerSettings  # a plain dataclass: no FastAPI loaded

if TYPE_CHECKING:
    from graphmem.llm_config import LLMConfig

_D = ServerSettings()

log = logging.getLogger(__name__)

__all__ = ["mcp_command"]


@click.command("mcp")
@store_option
@click.option("--max-text-chars", default=_D.max_text_chars, show_default=True,
              type=click.IntRange(min=1), help="Longest text remember accepts, in characters.")
@click.option("--max-top-k", default=_D.max_top_k, show_default=True,
              type=click.IntRange(min=1), help="Largest top_k recall accepts.")
@llm_options(required=False)
def mcp_command(store: Path, max_text_chars: int, max_top_k: int, llm_model: str | None,
                llm_base_url: str | None, llm_timeout: float | None,
                llm_retries: int | None) -> None:
    """Serve the memory at --store to an MCP client over stdio (Claude Desktop, Cursor, ...).

    Tools: remember, recall, forget, stats, and answer when --llm-model is given. Models load
    once, before the first message is read. A missing store directory is created. Ends when the
    client closes stdin."""
    from graphmem.mcp import require_mcp_extra

    try:
        require_mcp_extra()
    except GraphMemError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    settings = ServerSettings(max_text_chars=max_text_chars, max_top_k=max_top_k, readers=1)
    _run(store, settings, llm_config(llm_model, llm_base_url, llm_timeout, llm_retries))


def _run(store: Path, settings: ServerSettings, llm: LLMConfig | None) -> None:
    """Load the models, then answer MCP messages on stdin/stdout until stdin closes."""
    import anyio

    from graphmem.config import MemoryConfig
    from graphmem.mcp.tools import build_mcp_server
    from graphmem.server.service import MemoryService

    config = MemoryConfig(llm=llm)
    service = MemoryService(store, config, readers=settings.readers)
    try:
        with contextlib.redirect_stdout(sys.stderr):  # keep the protocol channel clean
            service.start()
    except GraphMemError as exc:
        service.close()
        click.echo(f"error: {exc}", err=True)
        sys.exit(1)
    server = build_mcp_server(service, settings, with_answer=llm is not None)
    from graphmem.store.open import redacted

    log.info("graphmem mcp: serving %s over stdio", redacted(str(store)))
    try:
        anyio.run(server.run_stdio_async)
    except KeyboardInterrupt:
        pass
    finally:
        service.close()
