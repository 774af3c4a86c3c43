"""The MCP tools over a memory: remember, recall, forget, stats and (with an LLM) answer.

One builder serves both transports: ``graphmem mcp`` runs the result over stdio and
``graphmem serve`` mounts it under ``/mcp``. Every tool goes through a started
:class:`~graphmem.server.service.MemoryService` (writes on its one writer thread, reads on its
reader pool), so an MCP client and the HTTP API share the same memories, models and limits, and
only public :class:`graphmem.Memory` methods are called.

Arguments are checked here, before the memory sees them, so that a bad one fails as a tool
error (``isError``) whose text names the argument, and nothing is stored. Results are JSON
objects (MCP structured content) shaped like the HTTP API's (:mod:`graphmem.server.wire`)."""

# No ``from __future__ import annotations``: the SDK evaluates the tools' annotations, and
# their descriptions use this module's closures (the limits), which strings could not reach.

import logging
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from graphmem.errors import ConflictError, GraphMemError, NotFoundError
from graphmem.server.settings import ServerSettings
from graphmem.server.wire import answer_json, delete_report_json, hit_json
from graphmem.types import Document

if TYPE_CHECKING:
    from mcp.server.mcpserver import MCPServer

    from graphmem.server.service import MemoryService

log = logging.getLogger(__name__)

__all__ = ["SERVER_NAME", "TOOL_NAMES", "build_mcp_server"]

SERVER_NAME = "graphmem"
TOOL_NAMES = ("remember", "recall", "forget", "stats")
"""The tools every server has; ``answer`` is added when the memory has an LLM."""

_INSTRUCTIONS = (
    "A graph memory. Store facts and documents with remember; find them with recall (passages "
    "ranked by Personalized PageRank over an entity graph, each with why it was found); "
    "remove one with forget (by the id remember returned)."
)


def _bad(argument: str, problem: str) -> Exception:
    """A tool error naming the argument (the SDK sends its text to the client as is)."""
    from mcp.server.mcpserver.exceptions import ToolError

    return ToolError(f"invalid argument {argument!r}: {problem}")


def _tool_error(message: str) -> Exception:
    from mcp.server.mcpserver.exceptions import ToolError

    return ToolError(message)


def _check_text(argument: str, value: str, limit: int) -> None:
    if not value.strip():
        raise _bad(argument, "must not be empty or blank")
    if len(value) > limit:
        raise _bad(argument, f"has {len(value)} characters, the limit is {limit}")


def _check_top_k(top_k: int, limit: int) -> None:
    if not 1 <= top_k <= limit:
        raise _bad("top_k", f"must be between 1 and {limit}, got {top_k}")


def _check_optional_str(argument: str, value: str | None) -> None:
    if value is not None and not value.strip():
        raise _bad(argument, "must not be blank when given (leave it out instead)")


def build_mcp_server(service: "MemoryService", settings: ServerSettings | None = None, *,
                     with_answer: bool = False) -> "MCPServer[Any]":
    """An MCP server whose tools act on ``service`` (already started), within ``settings``'
    text, query and top_k limits. ``with_answer`` adds the answer tool (the memories need
    ``config.llm``). The SDK must be installed (see :func:`graphmem.mcp.require_mcp_extra`)."""
    from mcp.server.mcpserver import MCPServer

    limits = settings if settings is not None else ServerSettings()
    server: MCPServer[Any] = MCPServer(SERVER_NAME, instructions=_INSTRUCTIONS, log_level="WARNING")

    @server.tool()
    async def remember(
        text: Annotated[str, Field(description="The text to store (a fact, a note, a document).")],
        title: Annotated[str | None, Field(description="Optional title.")] = None,
        metadata: Annotated[dict[str, Any] | None,
                            Field(description="Optional JSON object kept with the document and "
                                  "returned with its passages.")] = None,
        id: Annotated[str | None, Field(description="Optional document id; default: a hash of "
                                        "the text.")] = None,
    ) -> dict[str, Any]:
        """Store a document in the memory; returns its id (doc_id). Text already stored is not
        stored twice (the same id comes back); an id already used for another text is an
        error."""
        _check_text("text", text, limits.max_text_chars)
        _check_optional_str("id", id)
        _check_optional_str("title", title)
        doc = Document(text, id, title, dict(metadata or {}))
        try:
            ids = await service.write(lambda m: m.add(doc, source="mcp remember"))
        except (ConflictError, ValueError) as exc:  # InputError is a ValueError
            raise _tool_error(str(exc)) from exc
        return {"doc_id": ids[0]}

    @server.tool()
    async def recall(
        query: Annotated[str, Field(description="What to look for, in natural language.")],
        top_k: Annotated[int, Field(description=f"How many passages (1 to {limits.max_top_k}).")]
        = 5,
    ) -> dict[str, Any]:
        """The passages that best answer the query, best first: each with its doc_id, text,
        score and the explanation of why it was found (seed entities, matched facts, bridge
        entities and the retrieval mode)."""
        _check_text("query", query, limits.max_query_chars)
        _check_top_k(top_k, limits.max_top_k)
        try:
            hits = await service.read(lambda m: m.retrieve(query, top_k=top_k))
        except ValueError as exc:
            raise _tool_error(str(exc)) from exc
        return {"query": query, "passages": [hit_json(h) for h in hits]}

    @server.tool()
    async def forget(
        doc_id: Annotated[str, Field(description="The id remember returned (or recall shows).")],
    ) -> dict[str, Any]:
        """Delete a document and everything only it supported (passages, facts, entities);
        returns what was removed. An unknown id is an error and removes nothing."""
        if not doc_id.strip():
            raise _bad("doc_id", "must not be empty or blank")
        try:
            report = await service.write(lambda m: m.delete(doc_id))
        except NotFoundError as exc:
            raise _tool_error(f"no document with id {doc_id!r} is stored") from exc
        return delete_report_json(report)

    @server.tool()
    async def stats() -> dict[str, Any]:
        """What the memory holds: counts of documents, chunks, entities, facts and synonym
        edges, the store generation and the embedding model."""
        return await service.read(lambda m: m.stats())

    if with_answer:

        @server.tool()
        async def answer(
            question: Annotated[str, Field(description="The question to answer.")],
            top_k: Annotated[int, Field(description="Passages shown to the model "
                                        f"(1 to {limits.max_top_k}).")] = 5,
        ) -> dict[str, Any]:
            """A short answer from the configured LLM, grounded in the recalled passages and
            citing them (numbers into hits)."""
            _check_text("question", question, limits.max_query_chars)
            _check_top_k(top_k, limits.max_top_k)
            try:
                result = await service.read(lambda m: m.answer(question, top_k=top_k))
            except (GraphMemError, ValueError) as exc:
                raise _tool_error(str(exc)) from exc
            return answer_json(result)

    return server
