"""What a server is allowed to do: address, tokens and request limits, fixed at start-up."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphmem.config import EmbedConfig, MemoryConfig

__all__ = ["LLMOptions", "ServerSettings", "is_loopback"]


@dataclass(frozen=True)
class ServerSettings:
    """Settings of one ``graphmem serve`` process (frozen: read by every request, changed by none).

    Limits exist so that one request cannot take the process down or hold the single writer
    for minutes; each is checked before the memory sees the request and answered with a JSON
    error naming the field (413 for the body, 422 for the rest)."""

    host: str = "127.0.0.1"
    """Address to bind. Anything but loopback needs ``tokens`` (see :meth:`check`)."""
    port: int = 8765
    tokens: tuple[str, ...] = ()
    """Accepted bearer tokens; empty: no auth (then only loopback may be bound)."""
    bindings: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """token -> the namespaces it may use (its first: the default); a token not here may use
    every namespace (see :mod:`graphmem.server.auth`)."""
    max_body_bytes: int = 16 * 1024 * 1024
    """Largest request body, counted as it streams in (16 MiB)."""
    max_text_chars: int = 200_000
    """Longest document text, in characters (about 40k words: a long article)."""
    max_documents: int = 1_000
    """Most documents in one add/upsert/delete batch."""
    max_top_k: int = 100
    """Largest ``top_k`` a retrieve may ask for."""
    max_query_chars: int = 2_000
    """Longest query, in characters."""
    readers: int = 2
    """Reader memories (threads that retrieve concurrently). Each holds its own copy of the
    graph index, so memory use grows with it; writes always go through one writer."""
    batch_adds: bool = True
    """Store add requests that queue behind a running write in one commit
    (:mod:`graphmem.server.batching`); each still answers with its own ids."""
    embed_threads: int | None = 1
    """Torch threads of the embedder (:attr:`graphmem.config.EmbedConfig.threads`), None:
    torch's default (one per core). 1 because the readers already run queries side by side:
    with torch's default each query's forward pass asks for every core, and on the busy 2-core
    benchmark machine the dev questions' p50 was 23 ms with 1 thread, 88 ms with 2 and 497 ms
    with the default (``benchmarks/bench_server.py``, results/server_load.json)."""
    embed_backend: str = "torch"
    """:attr:`graphmem.config.EmbedConfig.backend`: ``torch`` or ``onnx``."""
    embed_quantize: str = "none"
    """:attr:`graphmem.config.EmbedConfig.quantize`: ``none`` or ``int8`` (onnx only)."""
    workers: int = 1
    """Server processes on the one port (:mod:`graphmem.server.workers`), each with its own
    models and ``readers`` reader memories. More than one lets retrievals use every core:
    threads of one process share one interpreter lock."""

    defer_elimination: bool = True
    """:attr:`graphmem.config.RetrieveConfig.defer_elimination`, on here (off for an embedded
    memory): every commit makes each reader refresh, and with 5% adds each reader answers only
    a handful of queries per graph, so the elimination build (~60 ms on the 2Wiki memory) was
    paid far more often than it paid back. Measured side by side (``bench_server.py`` on the
    ONNX 2Wiki memory, quiet machine, 40 s per mode): closed loop 42.7 -> 55.4 retrievals/s;
    offered 52/s, p50 586 -> 53 ms, p95 1,188 -> 304 ms. The price: a reader's scores agree
    with an embedded memory's up to the solver tolerance, not to the last bit."""

    def memory_config(self, llm: Any = None) -> MemoryConfig:
        """The memory settings of this server (``llm``: an LLMConfig or None)."""
        from graphmem.config import MemoryConfig, RetrieveConfig

        return MemoryConfig(embed=self.embed_config(), llm=llm,
                            retrieve=RetrieveConfig(defer_elimination=self.defer_elimination))

    def embed_config(self) -> EmbedConfig:
        """The embedder settings of this server."""
        from graphmem.config import EmbedConfig

        return EmbedConfig(backend=self.embed_backend, quantize=self.embed_quantize,  # type: ignore[arg-type]
                           threads=self.embed_threads)

    def check(self) -> None:
        """Refuse settings a server must not start with (raises ValueError saying why)."""
        if not self.tokens and not is_loopback(self.host):
            raise ValueError(
                f"refusing to bind {self.host!r} without auth: give --tokens FILE or "
                "GRAPHMEM_TOKENS, or bind a loopback address (127.0.0.1, ::1, localhost)"
            )
        for name in ("max_body_bytes", "max_text_chars", "max_documents", "max_top_k",
                     "max_query_chars", "readers", "workers"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if self.embed_threads is not None and self.embed_threads < 1:
            raise ValueError(f"embed_threads must be >= 1 or None, got {self.embed_threads}")
        self.embed_config()  # raises ValueError for settings that do not fit together


@dataclass(frozen=True)
class LLMOptions:
    """The server's LLM as its command line named it (plain values, no key: the key comes
    from ``OPENAI_API_KEY``), so it travels to worker processes as JSON; :meth:`config` builds
    the :class:`graphmem.llm_config.LLMConfig`, None when no model is named."""

    model: str | None = None
    base_url: str | None = None
    timeout: float | None = None
    retries: int | None = None

    def config(self) -> Any:
        if not self.model:
            return None
        from graphmem.llm_config import LLMConfig

        return LLMConfig.from_options(model=self.model, base_url=self.base_url,
                                      timeout_s=self.timeout, max_retries=self.retries)


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost: may resolve anywhere
